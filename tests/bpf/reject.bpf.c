/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Compiles, but the verifier rejects it: it reads the packet without a bounds check. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <l3af/chain.h>

L3AF_NEXT_MAP;

SEC("xdp")
int reject(struct xdp_md *ctx)
{
        unsigned char *data = (void *)(long)ctx->data;

        if (data[20] == 0x42)
                return XDP_DROP;
        return l3af_chain_next(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
