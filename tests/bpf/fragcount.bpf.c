/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A multi-buffer-aware program for the tests (SEC("xdp.frags"), so libbpf
 * loads it with BPF_F_XDP_HAS_FRAGS): counts packets and their full length,
 * fragments included, then continues the chain.
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

SEC("xdp.frags")
int fragcount(struct xdp_md *ctx)
{
        __u32 zero = 0;
        struct l3af_count_stats *s = bpf_map_lookup_elem(&stats, &zero);

        if (s) {
                s->packets++;
                s->bytes += bpf_xdp_get_buff_len(ctx);
        }
        return l3af_chain_next(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
