/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only) */
/*
 * Turning a query into its response in place: answer records (RFC 1035 §4.1.3), the OPT record
 * (RFC 6891 §6.1.2), swapped addresses and ports, fixed lengths and checksums.
 * Included once, by dns_filter.bpf.c.
 */
#ifndef HYPERMESH_DNS_REPLY_H
#define HYPERMESH_DNS_REPLY_H

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

/* Grows or shrinks the packet to the reply's size; returns the new frame length, or 0 when it cannot. */
static __always_inline __u32 resize_to_reply(struct xdp_md *ctx, struct dns_scratch *sc, __u32 dns_off)
{
	__u32 new_len = dns_off + reply_dns_len(sc);
	int delta = (int)new_len - (int)(ctx->data_end - ctx->data);
	return bpf_xdp_adjust_tail(ctx, delta) ? 0 : new_len; /* packet pointers must be loaded again */
}

/* Sends the datagram back where it came from: ports swapped, the new length, checksum zeroed. */
static __always_inline void turn_udp(struct udphdr *udp, __u32 udp_len)
{
	__be16 port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons(udp_len);
	udp->check = 0;
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
	__u32 new_len = resize_to_reply(ctx, sc, dns_off);
	if (!new_len)
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
	turn_udp(udp, new_len - sizeof(*eth) - sizeof(*ip)); /* its checksum is optional over IPv4 (RFC 768) */
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
	__u32 new_len = resize_to_reply(ctx, sc, dns_off);
	if (!new_len)
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
	turn_udp(udp, udp_len);
	if (write_dns_reply(ctx, dns_off, sc))
		return -1;
	return udp6_checksum(ctx, sc, sizeof(*eth) + sizeof(*ip6), udp_len);
}

#endif
