/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The verifier walks a long bounded loop (tens of thousands of logged
 * instructions, a log of several MiB) and only then finds the fault: a packet
 * read without a bounds check. Its reason is at the very end of the log.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <l3af/chain.h>

L3AF_NEXT_MAP;

SEC("xdp")
int biglog(struct xdp_md *ctx)
{
        volatile __u32 acc = 0;

        for (__u32 i = 0; i < 60000; i++)
                acc += i;
        unsigned char *data = (void *)(long)ctx->data;

        if (data[20] == (acc & 0xff))
                return XDP_DROP;
        return l3af_chain_next(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
