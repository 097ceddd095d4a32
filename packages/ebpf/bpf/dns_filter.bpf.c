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

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct dns_cache_key);
	__type(value, struct dns_cache_entry);
} dns_cache SEC(".maps");

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

/*
 * Finds the length of the wire-format name at the start of sc->key.qname (labels and the root byte)
 * and stores it in sc->qname_len; fails when the name is compressed, malformed, or does not end
 * within the `loaded` bytes. The length goes through map memory on purpose: each loop exit would
 * otherwise give the verifier a different precise length, and it would walk the rest of the
 * program once per exit.
 */
static __always_inline int measure_qname(struct dns_scratch *sc, __u32 loaded)
{
	__u32 pos = 0;
	for (int i = 0; i < DNS_MAX_LABELS; i++) {
		__u8 len = sc->key.qname[pos & (DNS_QNAME_MAX - 1)];
		if (len == 0) {
			sc->qname_len = pos + 1;
			return 0;
		}
		if (len > 63) /* a compression pointer or a reserved label type */
			return -1;
		pos += len + 1;
		if (pos >= loaded)
			return -1;
	}
	return -1;
}

/*
 * Lower-cases the name eight bytes at a time and zeroes everything after its `qlen` bytes, so equal
 * names give equal keys. Label length bytes are below 'A', so they are never changed.
 */
static __always_inline void canonicalise_qname(__u8 *qname, __u32 qlen)
{
	__u64 *words = (__u64 *)qname;
	const __u64 ones = 0x0101010101010101ULL;
	const __u64 high = 0x8080808080808080ULL;
#pragma unroll
	for (int i = 0; i < DNS_QNAME_MAX / 8; i++) {
		__u32 base = i * 8;
		__u64 w = words[i];
		if (base >= qlen)
			w = 0;
		else if (qlen - base < 8)
			w &= (1ULL << ((qlen - base) * 8)) - 1;
		/* a byte is upper case when it is ASCII, >= 'A' and not > 'Z' */
		__u64 low7 = w & ~high;
		__u64 ge_a = low7 + ones * (0x80 - 'A');
		__u64 gt_z = low7 + ones * (0x7f - 'Z');
		__u64 upper = ge_a & ~gt_z & ~w & high;
		words[i] = w | (upper >> 2);
	}
}

/*
 * Reads the question (RFC 1035 §4.1.2) and an optional lone OPT record into the scratch buffer and
 * builds the cache key. Fails for anything the kernel does not answer.
 */
static __always_inline int read_question(struct xdp_md *ctx, const __u32 dns_off, __u32 dns_len, struct dns_scratch *sc,
					 __u16 arcount)
{
	__u32 avail = dns_len - DNS_HEADER_LEN;
	__u32 loaded = avail < DNS_QNAME_MAX ? avail : DNS_QNAME_MAX;
	if (loaded == 0)
		return -1;
	__builtin_memset(sc->key.qname, 0, DNS_QNAME_MAX);
	VERIFIER_MASK(loaded, 0xff);
	if (loaded == 0 || loaded > DNS_QNAME_MAX)
		return -1;
	if (bpf_xdp_load_bytes(ctx, dns_off + DNS_HEADER_LEN, sc->key.qname, loaded))
		return -1;
	if (measure_qname(sc, loaded))
		return -1;
	__u32 qlen = sc->qname_len & 0xff;

	__u32 qend = DNS_HEADER_LEN + qlen + DNS_QUESTION_TAIL; /* end of the question in the message */
	if (qend > dns_len)
		return -1;
	if (bpf_xdp_load_bytes(ctx, dns_off + DNS_HEADER_LEN + qlen, sc->question_tail, DNS_QUESTION_TAIL))
		return -1;
	__u16 qtype = (sc->question_tail[0] << 8) | sc->question_tail[1];
	__u16 qclass = (sc->question_tail[2] << 8) | sc->question_tail[3];
	if (qclass != DNS_CLASS_IN || (qtype != DNS_TYPE_A && qtype != DNS_TYPE_AAAA))
		return -1;

	sc->with_opt = 0;
	if (arcount == 1) { /* only a lone OPT record (EDNS, RFC 6891) is understood */
		if (dns_len < qend + DNS_OPT_LEN)
			return -1;
		if (bpf_xdp_load_bytes(ctx, dns_off + qend, sc->opt, DNS_OPT_LEN))
			return -1;
		__u16 rdlen = (sc->opt[9] << 8) | sc->opt[10];
		if (sc->opt[0] != 0 || sc->opt[1] != 0 || sc->opt[2] != DNS_TYPE_OPT || dns_len != qend + DNS_OPT_LEN + rdlen)
			return -1;
		sc->with_opt = 1;
	} else if (dns_len != qend) {
		return -1;
	}

	canonicalise_qname(sc->key.qname, qlen);
	sc->key.qtype = qtype;
	sc->key.reserved = 0;
	return 0;
}

/* Writes one answer record (name pointer to the question at offset 12) into the reply. */
static __always_inline void put_record(__u8 *rec, __u16 qtype, __u32 ttl, const __u8 *rdata, __u32 rdlen)
{
	rec[0] = 0xc0;
	rec[1] = DNS_HEADER_LEN;
	rec[2] = qtype >> 8;
	rec[3] = qtype & 0xff;
	rec[4] = 0;
	rec[5] = DNS_CLASS_IN;
	rec[6] = ttl >> 24;
	rec[7] = (ttl >> 16) & 0xff;
	rec[8] = (ttl >> 8) & 0xff;
	rec[9] = ttl & 0xff;
	rec[10] = 0;
	rec[11] = rdlen;
	if (rdlen == 4)
		__builtin_memcpy(&rec[12], rdata, 4);
	else
		__builtin_memcpy(&rec[12], rdata, 16);
}

/* Builds the answer records (TTL counting down to the entry's expiry) and the OPT record. */
static __always_inline int build_reply(struct dns_scratch *sc, struct dns_cache_entry *entry, __u64 now)
{
	__u16 qtype = sc->key.qtype;
	__u32 rdlen = qtype == DNS_TYPE_A ? 4 : 16;
	__u32 count = entry->count;
	if (count == 0 || count > DNS_MAX_ANSWERS || entry->rdata_len != rdlen)
		return -1;
	__u64 remaining = (entry->expires_at_ns - now) / NSEC_PER_SEC;
	__u32 ttl = remaining > 0x7fffffff ? 0x7fffffff : remaining;
	__u32 reply_len;
	if (qtype == DNS_TYPE_A) {
		for (int i = 0; i < DNS_MAX_ANSWERS; i++) {
			if (i >= count)
				break;
			put_record(&sc->reply[i * DNS_A_RECORD_LEN], qtype, ttl, &entry->rdata[i * 16], 4);
		}
		reply_len = count * DNS_A_RECORD_LEN;
	} else {
		for (int i = 0; i < DNS_MAX_ANSWERS; i++) {
			if (i >= count)
				break;
			put_record(&sc->reply[i * DNS_AAAA_RECORD_LEN], qtype, ttl, &entry->rdata[i * 16], 16);
		}
		reply_len = count * DNS_AAAA_RECORD_LEN;
	}
	if (sc->with_opt) {
		__u8 *opt = &sc->reply[reply_len & 0xff];
		opt[0] = 0; /* root */
		opt[1] = 0;
		opt[2] = DNS_TYPE_OPT;
		opt[3] = DNS_EDNS_UDP_PAYLOAD >> 8;
		opt[4] = DNS_EDNS_UDP_PAYLOAD & 0xff;
		__builtin_memset(&opt[5], 0, 6); /* extended rcode, version 0, no DO bit, no options */
		reply_len += DNS_OPT_LEN;
	}
	sc->reply_len = reply_len;
	sc->answers = count;
	return 0;
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

/* The new DNS message length: the question as received, then the reply built by inspect_query. */
static __always_inline __u32 reply_dns_len(struct dns_scratch *sc)
{
	return DNS_HEADER_LEN + sc->qname_len + DNS_QUESTION_TAIL + sc->reply_len;
}

/* Turns the query header into a response header and writes the answer records after the question. */
static __always_inline int write_dns_reply(struct xdp_md *ctx, __u32 dns_off, struct dns_scratch *sc)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *hdr = data + dns_off;
	if ((void *)(hdr + DNS_HEADER_LEN) > data_end)
		return -1;
	__u16 qflags = (hdr[2] << 8) | hdr[3];
	__u16 rflags = DNS_FLAG_QR | DNS_FLAG_RA | (qflags & (DNS_FLAG_RD | DNS_FLAG_CD));
	hdr[2] = rflags >> 8;
	hdr[3] = rflags & 0xff;
	hdr[6] = 0;
	hdr[7] = sc->answers;
	hdr[8] = 0;
	hdr[9] = 0;
	hdr[10] = 0;
	hdr[11] = sc->with_opt;
	/* the question stays as the client spelt it (0x20 case randomisation); only the key is lower-case */
	__u32 off = dns_off + DNS_HEADER_LEN + sc->qname_len + DNS_QUESTION_TAIL;
	__u32 len = sc->reply_len;
	if (len == 0 || len > DNS_REPLY_MAX)
		return -1;
	return bpf_xdp_store_bytes(ctx, off, sc->reply, len);
}

static __always_inline void swap_eth(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline __u16 csum_fold(__u64 sum)
{
#pragma unroll
	for (int i = 0; i < 4; i++)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __always_inline int answer_ipv4(struct xdp_md *ctx, struct dns_scratch *sc, __u32 dns_off)
{
	__u32 new_len = dns_off + reply_dns_len(sc);
	int delta = (int)new_len - (int)(ctx->data_end - ctx->data);
	if (bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return -1;
	swap_eth(eth);
	__be32 addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	ip->tot_len = bpf_htons(new_len - sizeof(*eth));
	ip->ttl = REPLY_HOP_LIMIT;
	ip->check = 0;
	__u16 *words = (__u16 *)ip;
	__u64 sum = 0;
#pragma unroll
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += words[i];
	ip->check = csum_fold(sum);
	__be16 port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons(new_len - sizeof(*eth) - sizeof(*ip));
	udp->check = 0; /* optional over IPv4 (RFC 768) */
	return write_dns_reply(ctx, dns_off, sc);
}

/* UDP over IPv6 needs a real checksum (RFC 8200 §8.1): pseudo-header plus the whole datagram. */
static __always_inline int udp6_checksum(struct xdp_md *ctx, struct dns_scratch *sc, __u32 udp_off, __u32 udp_len)
{
	if (udp_len < sizeof(struct udphdr) || udp_len > CSUM_MAX - 4)
		return -1;
	/* zero the word the datagram ends in, so the padding to 4 bytes adds nothing */
	__u32 last_word = udp_len & ~3U;
	VERIFIER_MASK(last_word, 0x1fc);
	*(__u32 *)&sc->csum[last_word] = 0;
	__u32 len = udp_len - sizeof(struct udphdr);
	VERIFIER_MASK(len, 0x1ff);
	len += sizeof(struct udphdr); /* [8, 519]: the buffer has room for it */
	if (bpf_xdp_load_bytes(ctx, udp_off, sc->csum, len))
		return -1;
	__u32 padded = (udp_len + 3) & ~3U;
	VERIFIER_MASK(padded, 0x1fc);
	__s64 partial = bpf_csum_diff(0, 0, (__be32 *)sc->csum, padded, 0);
	if (partial < 0)
		return -1;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip6 + 1);
	if ((void *)(udp + 1) > data_end)
		return -1;
	__u64 sum = (__u32)partial;
	__u16 *a = (__u16 *)&ip6->saddr;
#pragma unroll
	for (int i = 0; i < 16; i++) /* source and destination, contiguous */
		sum += a[i];
	sum += bpf_htons(udp_len);
	sum += bpf_htons(IPPROTO_UDP);
	__u16 check = csum_fold(sum);
	udp->check = check ? check : 0xffff;
	return 0;
}

static __always_inline int answer_ipv6(struct xdp_md *ctx, struct dns_scratch *sc, __u32 dns_off)
{
	__u32 new_len = dns_off + reply_dns_len(sc);
	int delta = (int)new_len - (int)(ctx->data_end - ctx->data);
	if (bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip6 + 1);
	if ((void *)(udp + 1) > data_end)
		return -1;
	swap_eth(eth);
	struct in6_addr addr = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = addr;
	__u32 udp_len = new_len - sizeof(*eth) - sizeof(*ip6);
	ip6->payload_len = bpf_htons(udp_len);
	ip6->hop_limit = REPLY_HOP_LIMIT;
	__be16 port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons(udp_len);
	udp->check = 0;
	if (write_dns_reply(ctx, dns_off, sc))
		return -1;
	return udp6_checksum(ctx, sc, sizeof(*eth) + sizeof(*ip6), udp_len);
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
