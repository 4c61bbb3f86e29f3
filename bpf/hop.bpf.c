/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The counting hop l3afd puts in front of each program instance of a chain
 * when [Daemon] Statistics=programs (l3af/stats.h): it counts the packet in its
 * program's stats slot, ends the previous program's time and starts this
 * one's, then tail-calls the instance held in its own one-slot array. One
 * load per instance; l3afd sets the slot before loading and shares the
 * chain's stats and clock maps.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "l3af/stats.h"

L3AF_STATS_MAPS;

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u32);
} l3af_hop_next SEC(".maps");

/* The program's stats slot, < L3AF_STATS_SLOTS; set by l3afd before loading. */
const volatile __u32 l3af_stats_slot = 0;

static __always_inline void count(void)
{
        __u64 now = bpf_ktime_get_ns();
        __u32 zero = 0, slot = l3af_stats_slot;
        struct l3af_stats_clock *c = bpf_map_lookup_elem(&l3af_clock, &zero);
        struct l3af_prog_stats *s = bpf_map_lookup_elem(&l3af_stats, &slot);

        if (s)
                s->runs++;
        if (!c)
                return;
        l3af_clock_stop(&l3af_stats, c, now);
        c->start_ns = now;
        c->slot = slot;
        c->running = 1;
}

/* The instance is in l3af_hop_next before anything points here: the fall-through never runs in a chain. */
SEC("xdp")
int l3af_hop_xdp(struct xdp_md *ctx)
{
        count();
        bpf_tail_call(ctx, &l3af_hop_next, 0);
        return XDP_PASS;
}

SEC("tc")
int l3af_hop_tc(struct __sk_buff *skb)
{
        count();
        bpf_tail_call(skb, &l3af_hop_next, 0);
        return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
