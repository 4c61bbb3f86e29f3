/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The root program l3afd attaches to each hook it owns. It tail-calls slot 0
 * of its one-slot program array, where l3afd puts the head of the chain's
 * current generation. Changing a chain is one update of that slot. When the
 * slot is empty the packet passes.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "l3af/root.h"
#include "l3af/stats.h"

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u32);
} l3af_slot SEC(".maps");

/* Used by the counting roots only; l3afd creates them only for those (and shares them with the hops). */
L3AF_STATS_MAPS;

/* Set by l3afd before loading a tc root (L3AF_TCX_PASS_*): TCXPass= of l3af.d(5). */
const volatile __u32 l3af_tcx_pass = L3AF_TCX_PASS_NEXT;

SEC("xdp")
int l3af_root_xdp(struct xdp_md *ctx)
{
        bpf_tail_call(ctx, &l3af_slot, 0);
        return XDP_PASS;
}

/* As run_chain() below, for XDP. */
static __attribute__((noinline)) int run_chain_xdp(struct xdp_md *ctx)
{
        int verdict = XDP_PASS;

        bpf_tail_call(ctx, &l3af_slot, 0);
        asm volatile("" : "+r"(verdict));
        return verdict;
}

/* A new packet: no program of it has run yet. */
static __always_inline struct l3af_stats_clock *clock_reset(void)
{
        __u32 zero = 0;
        struct l3af_stats_clock *c = bpf_map_lookup_elem(&l3af_clock, &zero);

        if (c)
                c->running = 0;
        return c;
}

/* The chain returned: the last program's time ends now. */
static __always_inline void clock_close(struct l3af_stats_clock *c)
{
        if (c)
                l3af_clock_stop(&l3af_stats, c, bpf_ktime_get_ns());
}

/*
 * The counting root (Statistics=programs, l3af/stats.h): the chain's hops count
 * each program; this root calls the chain as a subprogram so that it can
 * close the last program's run time when the chain returns.
 */
SEC("xdp")
int l3af_count_xdp(struct xdp_md *ctx)
{
        struct l3af_stats_clock *c = clock_reset();
        int verdict = run_chain_xdp(ctx);

        clock_close(c);
        return verdict;
}

/*
 * Runs the chain and returns its verdict. The tail call replaces this
 * function's frame, not the caller's: the last program's return value comes
 * back here (bpf-to-bpf calls mixed with tail calls, x86-64 JIT, Linux 5.10).
 * This costs one call; bench/README.md has the figure.
 */
static __attribute__((noinline)) int run_chain(struct __sk_buff *skb)
{
        int verdict = TC_ACT_UNSPEC;  /* empty slot: as if the chain were not there */

        bpf_tail_call(skb, &l3af_slot, 0);
        /* The compiler must not take this for the only value the call can return. */
        asm volatile("" : "+r"(verdict));
        return verdict;
}

/*
 * Turns the chain's verdict, which programs written for cls_bpf direct-action
 * give in TC_ACT_* terms, into a tcx verdict (enum tcx_action_base,
 * include/uapi/linux/bpf.h). Under direct-action, cls_bpf passes on OK, SHOT,
 * STOLEN, TRAP, REDIRECT and UNSPEC and treats anything else as UNSPEC
 * (net/sched/cls_bpf.c); STOLEN and TRAP then consume the packet. tcx knows
 * only NEXT, PASS, DROP and REDIRECT: PASS (== TC_ACT_OK) ends tcx processing,
 * later tcx programs and clsact filters included, and any other value stops
 * the tcx programs but lets the packet on (include/net/tcx.h).
 */
static __always_inline int tcx_verdict(int verdict)
{
        switch (verdict) {
        case TC_ACT_OK:
                return l3af_tcx_pass == L3AF_TCX_PASS_PASS ? L3AF_TCX_PASS : L3AF_TCX_NEXT;
        case TC_ACT_SHOT:
        case TC_ACT_STOLEN:
        case TC_ACT_TRAP:
                return L3AF_TCX_DROP;
        case TC_ACT_REDIRECT:
                return L3AF_TCX_REDIRECT;
        default:
                return L3AF_TCX_NEXT;
        }
}

SEC("tc")
int l3af_root_tc(struct __sk_buff *skb)
{
        return tcx_verdict(run_chain(skb));
}

/* The counting root for tc: as l3af_count_xdp. */
SEC("tc")
int l3af_count_tc(struct __sk_buff *skb)
{
        struct l3af_stats_clock *c = clock_reset();
        int verdict = run_chain(skb);

        clock_close(c);
        return tcx_verdict(verdict);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
