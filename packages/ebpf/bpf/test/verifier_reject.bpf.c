// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only)
/*
 * A test fixture the verifier must reject: it reads the packet without checking data_end.
 * src/object/verifier.root.test.ts loads it and expects a typed error carrying the verifier log.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int unchecked_read(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[20] == 0x45 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
