// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only)
/*
 * flow_stats — TC ingress program: per-5-tuple packet and byte counters, and a sample of each flow
 * at most once per report interval to the `events` ring buffer (packets and bytes since the
 * previous sample), which the analytics engine (STOQ) reads. It never changes or drops a packet.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hypermesh.h"

#define IP_OFFSET_MASK 0x1fff
#define IP_MF 0x2000

struct flow_key {
	struct hm_addr saddr;
	struct hm_addr daddr;
	__u16 sport; /* host byte order; 0 for protocols without ports and for later fragments */
	__u16 dport;
	__u8 protocol;
	__u8 pad[3];
};

struct flow_counters {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	__u64 reported_packets; /* totals at the last sample */
	__u64 reported_bytes;
	__u64 last_report_ns;
};

struct flow_config {
	__u64 report_interval_ns; /* 0: never sample */
};

struct flow_totals {
	__u64 packets;
	__u64 bytes;
	__u64 non_ip;
	__u64 flows_created;
	__u64 samples;
	__u64 events_lost;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_counters);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_config);
} flow_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_totals);
} flow_totals SEC(".maps");

HM_DECLARE_EVENTS_RING();
HM_DESCRIBE_EVENTS();

static __always_inline int read_ports(struct __sk_buff *skb, __u32 off, struct flow_key *key)
{
	__be16 ports[2];
	if (key->protocol != IPPROTO_TCP && key->protocol != IPPROTO_UDP && key->protocol != IPPROTO_SCTP)
		return 0;
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return -1;
	key->sport = bpf_ntohs(ports[0]);
	key->dport = bpf_ntohs(ports[1]);
	return 0;
}

static __always_inline int parse_flow(struct __sk_buff *skb, struct flow_key *key)
{
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip, sizeof(ip)))
			return -1;
		key->saddr.bytes[10] = 0xff;
		key->saddr.bytes[11] = 0xff;
		__builtin_memcpy(&key->saddr.bytes[12], &ip.saddr, 4);
		key->daddr.bytes[10] = 0xff;
		key->daddr.bytes[11] = 0xff;
		__builtin_memcpy(&key->daddr.bytes[12], &ip.daddr, 4);
		key->protocol = ip.protocol;
		if (bpf_ntohs(ip.frag_off) & IP_OFFSET_MASK) /* later fragments carry no ports */
			return 0;
		return read_ports(skb, sizeof(struct ethhdr) + ip.ihl * 4, key);
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip6, sizeof(ip6)))
			return -1;
		__builtin_memcpy(&key->saddr, &ip6.saddr, sizeof(key->saddr));
		__builtin_memcpy(&key->daddr, &ip6.daddr, sizeof(key->daddr));
		key->protocol = ip6.nexthdr; /* extension headers are counted as their own protocol */
		return read_ports(skb, sizeof(struct ethhdr) + sizeof(ip6), key);
	}
	return -1;
}

static __always_inline void sample(struct flow_totals *totals, const struct flow_key *key, struct flow_counters *c,
				   __u64 now, __u32 packet_size)
{
	struct hm_flow_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		totals->events_lost++;
		return;
	}
	__u64 packets = c->packets;
	__u64 bytes = c->bytes;
	e->kind = HM_EVENT_FLOW;
	e->protocol = key->protocol;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	e->at_ns = now;
	__builtin_memcpy(&e->saddr, &key->saddr, sizeof(e->saddr));
	__builtin_memcpy(&e->daddr, &key->daddr, sizeof(e->daddr));
	e->sport = key->sport;
	e->dport = key->dport;
	e->packet_size = packet_size;
	e->packets = packets - c->reported_packets;
	e->bytes = bytes - c->reported_bytes;
	c->reported_packets = packets;
	c->reported_bytes = bytes;
	bpf_ringbuf_submit(e, 0);
	totals->samples++;
}

SEC("tc")
int flow_stats(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct flow_totals *totals = bpf_map_lookup_elem(&flow_totals, &zero);
	struct flow_config *cfg = bpf_map_lookup_elem(&flow_config, &zero);
	if (!totals || !cfg)
		return TC_ACT_OK;
	totals->packets++;
	totals->bytes += skb->len;

	struct flow_key key = {};
	if (parse_flow(skb, &key)) {
		totals->non_ip++;
		return TC_ACT_OK;
	}
	__u64 now = bpf_ktime_get_ns();
	struct flow_counters *c = bpf_map_lookup_elem(&flows, &key);
	if (!c) {
		struct flow_counters fresh = { .first_seen_ns = now };
		if (bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST) == 0)
			totals->flows_created++;
		c = bpf_map_lookup_elem(&flows, &key);
		if (!c)
			return TC_ACT_OK;
	}
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, skb->len);
	c->last_seen_ns = now;

	__u64 interval = cfg->report_interval_ns;
	__u64 last = c->last_report_ns;
	/* the first packet of a flow is always sampled; one CPU wins the right to report */
	if (interval && (last == 0 || now - last >= interval) &&
	    __sync_val_compare_and_swap(&c->last_report_ns, last, now) == last)
		sample(totals, &key, c, now, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
