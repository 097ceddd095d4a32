/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only) */
/*
 * dns_filter's policy: the blocklist and the per-source token buckets under prefix rate limits.
 * Included once, by dns_filter.bpf.c.
 */
#ifndef HYPERMESH_DNS_POLICY_H
#define HYPERMESH_DNS_POLICY_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct hm_addr);
	__type(value, struct block_entry);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rate_limit_key);
	__type(value, struct rate_limit_policy);
} rate_limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct hm_addr);
	__type(value, struct rate_limit_entry);
} rate_buckets SEC(".maps");

static __always_inline int is_blocked(const struct hm_addr *src, __u64 now)
{
	struct block_entry *b = bpf_map_lookup_elem(&blocklist, src);
	if (!b || b->expires_at_ns <= now)
		return 0; /* expired entries are removed by userspace */
	__sync_fetch_and_add(&b->dropped, 1);
	return 1;
}

/* Token bucket per source (RFC 2697's single-rate idea, without colours). */
static __always_inline int is_rate_limited(const struct hm_addr *src, __u64 now)
{
	struct rate_limit_key lk = { .prefixlen = 128 };
	__builtin_memcpy(&lk.addr, src, sizeof(lk.addr));
	struct rate_limit_policy *p = bpf_map_lookup_elem(&rate_limits, &lk);
	if (!p || p->qps == 0)
		return 0;
	__u64 capacity = (__u64)p->burst * NSEC_PER_SEC;
	struct rate_limit_entry *b = bpf_map_lookup_elem(&rate_buckets, src);
	if (!b) {
		struct rate_limit_entry fresh = { .last_refill_ns = now };
		if (capacity >= NSEC_PER_SEC)
			fresh.tokens = capacity - NSEC_PER_SEC;
		bpf_map_update_elem(&rate_buckets, src, &fresh, BPF_ANY);
		return capacity < NSEC_PER_SEC;
	}
	/* qps is at most 10^6 (userspace checks), so 10 s of refill cannot overflow */
	__u64 elapsed = now > b->last_refill_ns ? now - b->last_refill_ns : 0;
	if (elapsed > 10 * NSEC_PER_SEC)
		elapsed = 10 * NSEC_PER_SEC;
	__u64 tokens = b->tokens + elapsed * p->qps;
	if (tokens > capacity)
		tokens = capacity;
	b->last_refill_ns = now;
	if (tokens < NSEC_PER_SEC) {
		b->tokens = tokens;
		__sync_fetch_and_add(&b->dropped, 1);
		return 1;
	}
	b->tokens = tokens - NSEC_PER_SEC;
	return 0;
}

#endif
