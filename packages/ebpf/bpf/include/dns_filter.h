/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only) */
/*
 * dns_filter's constants and the structs of its maps: the program's ABI with userspace.
 * src/programs/layouts.ts declares the same structs for TypeScript (checked against BTF).
 */
#ifndef HYPERMESH_DNS_FILTER_H
#define HYPERMESH_DNS_FILTER_H

#include <linux/types.h>
#include "hypermesh.h"

#define NSEC_PER_SEC 1000000000ULL
#define DNS_HEADER_LEN 12
#define DNS_QUESTION_TAIL 4 /* qtype + qclass */
#define DNS_MAX_ANSWERS 8
#define DNS_MAX_LABELS 64
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41
#define DNS_CLASS_IN 1
#define DNS_OPT_LEN 11 /* root name, type, class, ttl, rdlength */
#define DNS_EDNS_UDP_PAYLOAD 1232 /* DNS flag day 2020 */
#define DNS_A_RECORD_LEN 16 /* pointer 2, type 2, class 2, ttl 4, rdlength 2, rdata 4 */
#define DNS_AAAA_RECORD_LEN 28
#define DNS_REPLY_MAX (DNS_MAX_ANSWERS * DNS_AAAA_RECORD_LEN + DNS_OPT_LEN)
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_OPCODE 0x7800
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_CD 0x0010
#define REPLY_HOP_LIMIT 64
#define CSUM_MAX 512 /* bpf_csum_diff() limit */
/*
 * Bounds a length with a mask the verifier sees: clang drops a mask it can prove redundant from
 * an earlier comparison, but the verifier may have lost that comparison on a register copy.
 */
#define VERIFIER_MASK(var, mask) asm volatile("%0 &= " #mask : "+r"(var))
/* IPv4 options and IPv6 extension headers are left to the kernel, so the DNS header is at a fixed offset */
#define DNS_OFF_IPV4 (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))
#define DNS_OFF_IPV6 (sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + sizeof(struct udphdr))

/* Cache key: the question's name in wire format, lower-cased, zero-padded; and its type. */
struct dns_cache_key {
	__u8 qname[DNS_QNAME_MAX];
	__u16 qtype;
	__u16 reserved;
};

/*
 * A cached answer: up to 8 addresses of one type, valid until expires_at_ns. The program only
 * reads entries (no hit counter): a write per answer would bounce the entry's cache line between
 * CPUs answering the same hot name. Per-source and global counters are per CPU instead.
 */
struct dns_cache_entry {
	__u64 expires_at_ns; /* CLOCK_MONOTONIC; the answer's TTL counts down to it */
	__u64 consensus_seq; /* the consensus sequence that committed the answer, 0 if local */
	__u16 count; /* addresses in rdata */
	__u16 rdata_len; /* 4 (A) or 16 (AAAA) */
	__u32 reserved;
	__u8 rdata[DNS_MAX_ANSWERS * 16];
};

/* LPM trie key of a rate-limited prefix (IPv4 prefixes are mapped: /24 is /120). */
struct rate_limit_key {
	__u32 prefixlen;
	struct hm_addr addr;
};

/* Every source in a prefix gets its own bucket of `burst` tokens refilled at `qps`. */
struct rate_limit_policy {
	__u32 qps;
	__u32 burst;
};

/* One source's token bucket; tokens are counted in billionths so refills need no division. */
struct rate_limit_entry {
	__u64 tokens;
	__u64 last_refill_ns;
	__u64 dropped;
};

struct block_entry {
	__u64 expires_at_ns; /* CLOCK_MONOTONIC; ~0 for no expiry */
	__u64 dropped;
};

struct dns_source_stats {
	__u64 queries;
	__u64 answered;
	__u64 passed;
	__u64 blocked;
	__u64 rate_limited;
	__u64 malformed;
};

struct dns_filter_stats {
	__u64 packets;
	__u64 dns_queries;
	__u64 answered;
	__u64 passed;
	__u64 blocked;
	__u64 rate_limited;
	__u64 malformed;
	__u64 cache_misses;
	__u64 cache_expired;
	__u64 events_lost;
};

struct dns_filter_config {
	__u16 port; /* host byte order; 0 disables the DNS path */
	__u8 block_enabled; /* the blocklist is not empty */
	__u8 rate_limit_enabled; /* rate_limits is not empty */
	__u32 answered_event_every; /* 1 in N answers is reported as an event; 0 for none */
};

/* Per-CPU working memory: the cache key being built, the reply, and the checksum buffer. */
struct dns_scratch {
	struct dns_cache_key key;
	__u16 reply_len; /* answer records and OPT */
	__u8 answers;
	__u8 with_opt;
	__u16 qname_len;
	__u8 question_tail[DNS_QUESTION_TAIL];
	__u8 opt[DNS_OPT_LEN];
	__u8 pad[3];
	__u8 reply[DNS_REPLY_MAX + 5];
	__u8 csum[CSUM_MAX + 8];
};

#endif
