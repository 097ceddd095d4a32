/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only) */
/*
 * Types shared by HyperMesh's BPF programs and by TypeScript. src/programs/layouts.ts declares the
 * same layouts once for TypeScript, and src/programs/layouts.test.ts checks every one of them
 * against the BTF of the built objects, so the two cannot drift. Keep every padding explicit.
 */
#ifndef HYPERMESH_BPF_H
#define HYPERMESH_BPF_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* An address: IPv6, or IPv4 mapped into IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2). */
struct hm_addr {
	__u8 bytes[16];
};

/* Kinds of record in the shared `events` ring buffer; every record starts with `__u32 kind`. */
enum hm_event_kind {
	HM_EVENT_FLOW = 1,         /* struct hm_flow_event, from flow_stats */
	HM_EVENT_DNS_DROP = 2,     /* struct hm_dns_event, from dns_filter */
	HM_EVENT_DNS_ANSWERED = 3, /* struct hm_dns_event, from dns_filter */
};

enum hm_drop_reason {
	HM_DROP_BLOCKED = 1,
	HM_DROP_RATE_LIMITED = 2,
	HM_DROP_MALFORMED = 3,
};

/* A per-flow sample: packets and bytes since the previous sample of the same flow. */
struct hm_flow_event {
	__u32 kind; /* HM_EVENT_FLOW */
	__u8 protocol;
	__u8 pad[3];
	__u64 at_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	struct hm_addr saddr;
	struct hm_addr daddr;
	__u16 sport; /* host byte order */
	__u16 dport;
	__u32 packet_size; /* the packet that triggered the sample */
	__u64 packets;
	__u64 bytes;
};

#define DNS_QNAME_MAX 128 /* wire-format names longer than this go to userspace */

/* A DNS query dropped or answered in the kernel. */
struct hm_dns_event {
	__u32 kind; /* HM_EVENT_DNS_DROP or HM_EVENT_DNS_ANSWERED */
	__u8 reason; /* enum hm_drop_reason, for drops */
	__u8 qname_len; /* 0 when the query was dropped before its name was read */
	__u16 qtype;
	__u64 at_ns;
	struct hm_addr saddr;
	__u8 qname[DNS_QNAME_MAX]; /* wire format, lower-case */
};

/*
 * The ring buffer every HyperMesh program writes its events to. Each object declares it; a loader
 * that loads several objects makes them share one ring (bpf_map__reuse_fd), so one reader sees all.
 */
#define HM_EVENTS_RING_SIZE (256 * 1024)
#define HM_DECLARE_EVENTS_RING()                          \
	struct {                                          \
		__uint(type, BPF_MAP_TYPE_RINGBUF);       \
		__uint(max_entries, HM_EVENTS_RING_SIZE); \
	} events SEC(".maps")

/*
 * Puts the event structs into the object's BTF, where TypeScript checks its layouts against them:
 * ring buffer records are only ever pointers to local memory, which BTF does not describe. The
 * function is never called, so libbpf never loads it.
 */
#define HM_DESCRIBE_EVENTS()                                                                \
	__attribute__((noinline)) int hm_event_types(struct hm_dns_event *dns, struct hm_flow_event *flow) \
	{                                                                                   \
		return dns != 0 && flow != 0;                                               \
	}

#endif
