/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Sample: counts every packet and byte it sees, then continues the chain.
 * One object for every hook: l3afd picks "count" on xdp, "count_tc" on tc.
 * Built with -DCOUNT_FRAGS (the tests' fragcount.bpf.o), "count" is written
 * for multi-buffer XDP and counts whole frames, fragments included.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <l3af/chain.h>
#include <l3af/samples.h>

L3AF_NEXT_MAP;

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct l3af_count_stats);
} stats SEC(".maps");

#ifdef COUNT_FRAGS
SEC("xdp.frags")
#else
SEC("xdp")
#endif
int count(struct xdp_md *ctx)
{
        __u32 zero = 0;
        struct l3af_count_stats *s = bpf_map_lookup_elem(&stats, &zero);

        if (s) {
                s->packets++;
#ifdef COUNT_FRAGS
                s->bytes += bpf_xdp_get_buff_len(ctx);
#else
                s->bytes += ctx->data_end - ctx->data;
#endif
        }
        return l3af_chain_next(ctx, XDP_PASS);
}

SEC("tc")
int count_tc(struct __sk_buff *skb)
{
        __u32 zero = 0;
        struct l3af_count_stats *s = bpf_map_lookup_elem(&stats, &zero);

        if (s) {
                s->packets++;
                s->bytes += skb->len;
        }
        return l3af_chain_next(skb, L3AF_TC_NEXT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
