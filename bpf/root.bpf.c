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

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u32);
} l3af_slot SEC(".maps");

/* Set by l3afd before loading a tc root (L3AF_TCX_PASS_*): TCXPass= of l3af.d(5). */
const volatile __u32 l3af_tcx_pass = L3AF_TCX_PASS_NEXT;

SEC("xdp")
int l3af_root_xdp(struct xdp_md *ctx)
{
        bpf_tail_call(ctx, &l3af_slot, 0);
        return XDP_PASS;
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
SEC("tc")
int l3af_root_tc(struct __sk_buff *skb)
{
        switch (run_chain(skb)) {
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
