/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Benchmark baseline: the work of N "count" samples done in one program,
 * without any tail call. Like N count programs, it updates N distinct
 * per-CPU maps, so both touch the same memory.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <l3af/samples.h>

const volatile __u32 n = 1;

#define STATS(i)                                                \
        struct {                                                \
                __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);        \
                __uint(max_entries, 1);                         \
                __type(key, __u32);                             \
                __type(value, struct l3af_count_stats);         \
        } stats##i SEC(".maps")

STATS(0); STATS(1); STATS(2); STATS(3); STATS(4); STATS(5); STATS(6); STATS(7);
STATS(8); STATS(9); STATS(10); STATS(11); STATS(12); STATS(13); STATS(14); STATS(15);
STATS(16); STATS(17); STATS(18); STATS(19); STATS(20); STATS(21); STATS(22); STATS(23);
STATS(24); STATS(25); STATS(26); STATS(27); STATS(28); STATS(29); STATS(30); STATS(31);

static __always_inline void bump(void *map, __u64 len)
{
        __u32 zero = 0;
        struct l3af_count_stats *s = bpf_map_lookup_elem(map, &zero);

        if (s) {
                s->packets++;
                s->bytes += len;
        }
}

#define STEP(i)                                 \
        if (n <= i)                             \
                return XDP_PASS;                \
        bump(&stats##i, len)

SEC("xdp")
int mono(struct xdp_md *ctx)
{
        __u64 len = ctx->data_end - ctx->data;

        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7);
        STEP(8); STEP(9); STEP(10); STEP(11); STEP(12); STEP(13); STEP(14); STEP(15);
        STEP(16); STEP(17); STEP(18); STEP(19); STEP(20); STEP(21); STEP(22); STEP(23);
        STEP(24); STEP(25); STEP(26); STEP(27); STEP(28); STEP(29); STEP(30); STEP(31);
        return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
