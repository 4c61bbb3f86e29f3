/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Shared by l3afd and its root program (bpf/root.bpf.c): how the root of a
 * tc chain hands the chain's verdict to tcx.
 */
#ifndef L3AF_ROOT_H
#define L3AF_ROOT_H

/*
 * tcx verdicts, enum tcx_action_base in include/uapi/linux/bpf.h (Linux 6.6);
 * Debian 12's uapi headers predate it.
 */
#define L3AF_TCX_NEXT (-1)     /* run the next tcx program, then the clsact filters */
#define L3AF_TCX_PASS 0        /* accept, and end tcx processing (== TC_ACT_OK) */
#define L3AF_TCX_DROP 2        /* == TC_ACT_SHOT */
#define L3AF_TCX_REDIRECT 7    /* == TC_ACT_REDIRECT */

/* The root's l3af_tcx_pass: what the chain's TC_ACT_OK becomes (TCXPass= in l3af.d(5)). */
#define L3AF_TCX_PASS_NEXT 0   /* TCX_NEXT: later tcx programs and clsact filters see the packet */
#define L3AF_TCX_PASS_PASS 1   /* TCX_PASS: the packet is accepted, nothing after the chain runs */

#endif
