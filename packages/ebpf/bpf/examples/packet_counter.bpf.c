// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only)
/*
 * packet_counter — the example of docs/ebpf.md: an XDP program that counts packets and bytes per
 * IP protocol, and a socket filter that counts what reaches a socket and can truncate it.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct proto_counters {
	__u64 packets;
	__u64 bytes;
};

/* Index: the IP protocol number (IPv4) or next header (IPv6). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct proto_counters);
} protocols SEC(".maps");

/* [0]: packets seen by the socket filter; [1]: bytes it lets through per packet (0 = all). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} socket_state SEC(".maps");

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		proto = ip->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		proto = ip6->nexthdr;
	} else {
		return XDP_PASS;
	}
	struct proto_counters *c = bpf_map_lookup_elem(&protocols, &proto);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}

SEC("socket")
int count_socket(struct __sk_buff *skb)
{
	__u32 seen = 0, keep = 1;
	__u64 *count = bpf_map_lookup_elem(&socket_state, &seen);
	__u64 *limit = bpf_map_lookup_elem(&socket_state, &keep);
	if (count)
		__sync_fetch_and_add(count, 1);
	/* a socket filter returns how many bytes of the packet to keep; 0 drops it */
	if (limit && *limit)
		return *limit < skb->len ? *limit : skb->len;
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
