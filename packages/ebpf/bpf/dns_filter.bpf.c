// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only)
/*
 * dns_filter — XDP front of HyperMesh's DNS server.
 *
 * For every packet: drop it when its source is on the blocklist. For UDP queries to a served
 * address and port: count them per source, drop the sources over their token-bucket rate limit,
 * and answer A/AAAA queries found in the cache map by rewriting the query into a response in place
 * (XDP_TX). Anything it cannot answer passes to the userspace server unchanged.
 *
 * The wire formats follow RFC 1035 §4.1 (header, question, resource records) and RFC 6891 §6.1.2
 * (the OPT pseudo-record).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hypermesh.h"
#include "dns_filter.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct dns_cache_key);
	__type(value, struct dns_cache_entry);
} dns_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hm_addr);
	__type(value, struct dns_source_stats);
} dns_sources SEC(".maps");

/* The addresses the DNS server listens on; queries to other addresses pass untouched. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct hm_addr);
	__type(value, __u32);
} dns_servers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_filter_stats);
} dns_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_filter_config);
} dns_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps");
HM_DECLARE_EVENTS_RING();
HM_DESCRIBE_EVENTS();
#include "dns/policy.h"
#include "dns/question.h"
#include "dns/reply.h"

/* The outcome of looking at a query: a verdict, or an answer ready in the scratch buffer. */
enum query_outcome {
	QUERY_PASS,
	QUERY_DROP,
	QUERY_ANSWER,
};

struct l3_info {
	struct hm_addr src;
	struct hm_addr dst;
	__u32 dns_len; /* DNS message length from the UDP header */
};

static __always_inline void map_ipv4(struct hm_addr *a, __be32 ip)
{
	__builtin_memset(a, 0, sizeof(*a));
	a->bytes[10] = 0xff;
	a->bytes[11] = 0xff;
	__builtin_memcpy(&a->bytes[12], &ip, 4);
}

/* What happened to a query; the per-source counters are indexed by it (after `queries`). */
enum query_disposition {
	DISPOSITION_ANSWERED = 1,
	DISPOSITION_PASSED = 2,
	DISPOSITION_RATE_LIMITED = 4,
	DISPOSITION_MALFORMED = 5,
};

static __always_inline void count_source(const struct hm_addr *src, enum query_disposition d)
{
	struct dns_source_stats *s = bpf_map_lookup_elem(&dns_sources, src);
	if (!s) {
		struct dns_source_stats zero = {};
		bpf_map_update_elem(&dns_sources, src, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&dns_sources, src);
		if (!s)
			return;
	}
	__u64 *counters = (__u64 *)s; /* per-CPU: no atomics needed */
	counters[0]++;
	counters[d & 7]++;
}

static __always_inline void emit_dns_event(struct dns_filter_stats *st, __u32 kind, __u8 reason,
					   const struct hm_addr *src, const struct dns_cache_key *key,
					   __u32 qname_len)
{
	struct hm_dns_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		st->events_lost++;
		return;
	}
	e->kind = kind;
	e->reason = reason;
	e->at_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&e->saddr, src, sizeof(e->saddr));
	if (key) {
		e->qname_len = qname_len;
		e->qtype = key->qtype;
		__builtin_memcpy(e->qname, key->qname, DNS_QNAME_MAX);
	} else {
		e->qname_len = 0;
		e->qtype = 0;
		__builtin_memset(e->qname, 0, DNS_QNAME_MAX);
	}
	bpf_ringbuf_submit(e, 0);
}
/*
 * Decides what to do with a query to the DNS server. On QUERY_ANSWER the scratch buffer holds the
 * reply's answer and OPT records; the caller resizes the packet and writes them.
 */
static __always_inline enum query_outcome inspect_query(struct xdp_md *ctx, const __u32 dns_off,
							struct dns_filter_stats *st, struct dns_filter_config *cfg,
							struct l3_info *l3, struct dns_scratch *sc, __u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	enum query_disposition disposition = DISPOSITION_PASSED;
	__u8 *hdr = data + dns_off;

	st->dns_queries++;
	if (l3->dns_len < DNS_HEADER_LEN || (void *)(hdr + DNS_HEADER_LEN) > data_end) {
		disposition = DISPOSITION_MALFORMED;
		goto out;
	}
	__u16 flags = (hdr[2] << 8) | hdr[3];
	if (flags & DNS_FLAG_QR) { /* a response sent to a server port: reflection traffic */
		disposition = DISPOSITION_MALFORMED;
		goto out;
	}
	if (cfg->rate_limit_enabled && is_rate_limited(&l3->src, now)) {
		disposition = DISPOSITION_RATE_LIMITED;
		goto out;
	}
	/* From here on, anything unusual is the userspace server's business. */
	__u16 qdcount = (hdr[4] << 8) | hdr[5];
	__u16 ancount = (hdr[6] << 8) | hdr[7];
	__u16 nscount = (hdr[8] << 8) | hdr[9];
	__u16 arcount = (hdr[10] << 8) | hdr[11];
	if ((flags & (DNS_FLAG_OPCODE | DNS_FLAG_TC)) || qdcount != 1 || ancount || nscount || arcount > 1)
		goto out;
	if (read_question(ctx, dns_off, l3->dns_len, sc, arcount))
		goto out;
	struct dns_cache_entry *entry = bpf_map_lookup_elem(&dns_cache, &sc->key);
	if (!entry) {
		st->cache_misses++;
		goto out;
	}
	if (entry->expires_at_ns <= now) {
		st->cache_expired++;
		goto out;
	}
	if (build_reply(sc, entry, now))
		goto out;
	disposition = DISPOSITION_ANSWERED;

out:
	count_source(&l3->src, disposition);
	switch (disposition) {
	case DISPOSITION_ANSWERED:
		st->answered++;
		if (cfg->answered_event_every && bpf_get_prandom_u32() % cfg->answered_event_every == 0)
			emit_dns_event(st, HM_EVENT_DNS_ANSWERED, 0, &l3->src, &sc->key, sc->qname_len);
		return QUERY_ANSWER;
	case DISPOSITION_RATE_LIMITED:
		st->rate_limited++;
		emit_dns_event(st, HM_EVENT_DNS_DROP, HM_DROP_RATE_LIMITED, &l3->src, 0, 0);
		return QUERY_DROP;
	case DISPOSITION_MALFORMED:
		st->malformed++;
		emit_dns_event(st, HM_EVENT_DNS_DROP, HM_DROP_MALFORMED, &l3->src, 0, 0);
		return QUERY_DROP;
	default:
		st->passed++;
		return QUERY_PASS;
	}
}
static __always_inline int drop_blocked(struct dns_filter_stats *st, const struct hm_addr *src)
{
	st->blocked++;
	emit_dns_event(st, HM_EVENT_DNS_DROP, HM_DROP_BLOCKED, src, 0, 0);
	return XDP_DROP;
}

/* Serves a UDP query to the DNS port: checks the destination, then answers, drops or passes it. */
static __always_inline int serve_query(struct xdp_md *ctx, struct dns_filter_stats *st, struct dns_filter_config *cfg,
				       struct l3_info *l3, struct udphdr *udp, __u64 now, const int ipv6)
{
	void *data_end = (void *)(long)ctx->data_end;
	if (!bpf_map_lookup_elem(&dns_servers, &l3->dst))
		return XDP_PASS;
	__u32 udp_len = bpf_ntohs(udp->len);
	if (udp_len < sizeof(*udp) || (void *)udp + udp_len > data_end)
		return XDP_PASS;
	l3->dns_len = udp_len - sizeof(*udp);
	__u32 zero = 0;
	struct dns_scratch *sc = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!sc)
		return XDP_PASS;
	const __u32 dns_off = ipv6 ? DNS_OFF_IPV6 : DNS_OFF_IPV4;
	enum query_outcome outcome = inspect_query(ctx, dns_off, st, cfg, l3, sc, now);
	if (outcome == QUERY_DROP)
		return XDP_DROP;
	if (outcome == QUERY_PASS)
		return XDP_PASS;
	int failed = ipv6 ? answer_ipv6(ctx, sc, dns_off) : answer_ipv4(ctx, sc, dns_off);
	return failed ? XDP_DROP : XDP_TX;
}

static __always_inline int handle_ipv4(struct xdp_md *ctx, struct dns_filter_stats *st, struct dns_filter_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	struct l3_info l3;
	map_ipv4(&l3.src, ip->saddr);
	__u64 now = bpf_ktime_get_ns();
	if (cfg->block_enabled && is_blocked(&l3.src, now))
		return drop_blocked(st, &l3.src);
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)) || cfg->port == 0)
		return XDP_PASS;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(cfg->port))
		return XDP_PASS;
	map_ipv4(&l3.dst, ip->daddr);
	return serve_query(ctx, st, cfg, &l3, udp, now, 0);
}

static __always_inline int handle_ipv6(struct xdp_md *ctx, struct dns_filter_stats *st, struct dns_filter_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_PASS;
	struct l3_info l3;
	__builtin_memcpy(&l3.src, &ip6->saddr, sizeof(l3.src));
	__u64 now = bpf_ktime_get_ns();
	if (cfg->block_enabled && is_blocked(&l3.src, now))
		return drop_blocked(st, &l3.src);
	/* extension headers: left to the kernel */
	if (ip6->nexthdr != IPPROTO_UDP || cfg->port == 0)
		return XDP_PASS;
	struct udphdr *udp = (void *)(ip6 + 1);
	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(cfg->port))
		return XDP_PASS;
	__builtin_memcpy(&l3.dst, &ip6->daddr, sizeof(l3.dst));
	return serve_query(ctx, st, cfg, &l3, udp, now, 1);
}

SEC("xdp")
int dns_filter(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct dns_filter_stats *st = bpf_map_lookup_elem(&dns_stats, &zero);
	struct dns_filter_config *cfg = bpf_map_lookup_elem(&dns_config, &zero);
	if (!st || !cfg)
		return XDP_PASS;
	st->packets++;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return handle_ipv4(ctx, st, cfg);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return handle_ipv6(ctx, st, cfg);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
