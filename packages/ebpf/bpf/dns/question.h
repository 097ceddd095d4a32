/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only) */
/*
 * Reading a DNS question (RFC 1035 §4.1.2) into the cache key with loops the verifier can bound.
 * Included once, by dns_filter.bpf.c.
 */
#ifndef HYPERMESH_DNS_QUESTION_H
#define HYPERMESH_DNS_QUESTION_H

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

#endif
