/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * l3af/chain.h - the contract between an eBPF network function and l3afd.
 *
 * l3afd runs programs as a chain behind a root program it owns. Each program
 * ends by tail-calling slot 0 of its own one-slot "next" program array; l3afd
 * fills that slot with the next program of the chain, or leaves it empty when
 * the program is last, in which case the tail call falls through and the
 * program's own verdict applies.
 *
 *   #include <l3af/chain.h>
 *   L3AF_NEXT_MAP;                 // declares the map named "l3af_next"
 *
 *   SEC("xdp")
 *   int my_filter(struct xdp_md *ctx)
 *   {
 *           if (drop_it(ctx))
 *                   return XDP_DROP;
 *           return l3af_chain_next(ctx, XDP_PASS);
 *   }
 *
 * A program that declares no next map can only be the last of a chain.
 * Programs written for L3AF with their own next map name need no change: the
 * drop-in names that map with NextMap=.
 */
#ifndef L3AF_CHAIN_H
#define L3AF_CHAIN_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Name of the next map l3afd looks for when a drop-in gives no NextMap=. */
#define L3AF_NEXT_MAP_NAME "l3af_next"

/* Declares a one-slot next map with the given name. */
#define L3AF_DECLARE_NEXT_MAP(name)                                   \
        struct {                                                      \
                __uint(type, BPF_MAP_TYPE_PROG_ARRAY);                \
                __uint(max_entries, 1);                               \
                __type(key, __u32);                                   \
                __type(value, __u32);                                 \
        } name SEC(".maps")

/* Declares the default next map, "l3af_next". */
#define L3AF_NEXT_MAP L3AF_DECLARE_NEXT_MAP(l3af_next)

/*
 * Continue with the next program of the chain through the given next map.
 * Returns only when there is no next program: the result is then 'verdict'.
 */
#define l3af_chain_next_via(ctx, next_map, verdict)                   \
        ({                                                            \
                bpf_tail_call((ctx), (next_map), 0);                  \
                (verdict);                                            \
        })

/*
 * Verdicts for TC programs on tcx hooks: pass the packet on to whatever comes
 * after the chain (the next tcx program, the clsact filters, then the stack),
 * or drop it. l3afd's root reads the chain's verdict and hands it to tcx with
 * its cls_bpf direct-action meaning: TC_ACT_OK, which programs written for
 * L3AF return, goes on like L3AF_TC_NEXT unless the chain says TCXPass=pass;
 * see TCXPass= in l3af.d(5) for the whole mapping.
 */
#define L3AF_TC_NEXT (-1)   /* TCX_NEXT */
#define L3AF_TC_DROP 2      /* TCX_DROP, TC_ACT_SHOT */

/* Continue through the default next map, "l3af_next". */
#define l3af_chain_next(ctx, verdict) l3af_chain_next_via(ctx, &l3af_next, verdict)

#endif
