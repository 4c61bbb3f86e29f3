/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The root program: loading it; attaching a chain's entry program (its root,
 * or the head instance of an XDP chain attached by its head) to a hook with a
 * bpf_link; asking the kernel what is attached to a hook. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "counting.h"
#include "hook.h"

/*
 * Loads a fresh root program for the hook, with its own empty slot map.
 * 'frags': multi-buffer XDP (XDP only). 'tcx_pass': what the chain's TC_ACT_OK
 * becomes (tc hooks only; see bpf/root.bpf.c for the whole verdict mapping).
 * 'counting': NULL for the plain root, or the chain's counting maps for the
 * counting root, which closes the last program's run time (l3af/stats.h).
 */
int root_load(Hook hook, bool frags, TcxPassPolicy tcx_pass, const CountingMaps *counting, int *ret_prog_fd,
              int *ret_slot_fd);

/* Whether a root program (by its fd) is the counting root. Returns 1, 0, or -errno. */
int root_is_counting(int root_fd);

/* Attaches 'prog_fd' with a new bpf_link. On failure *ret_error says why in words. */
int hook_attach(int prog_fd, Hook hook, int ifindex, XdpMode mode, int *ret_link_fd, char **ret_error);

/*
 * Makes the link run 'prog_fd' instead of 'old_fd', from one packet to the
 * next: bpf_link_update() with BPF_F_REPLACE (bpf(2), BPF_LINK_UPDATE), so
 * the kernel refuses with -EPERM when the link no longer runs 'old_fd'
 * (something else swapped the program behind our link), and changes
 * nothing. An XDP link takes only a program of the same type and expected
 * attach type, and -ERANGE is an MTU too large for a single-buffer program
 * (net/core/dev.c, dev_xdp_attach()). On failure *ret_error says why in words.
 */
int link_switch(int link_fd, int prog_fd, int old_fd, Hook hook, char **ret_error);

/*
 * The mode XDP program 'prog_id' runs in at ifindex's hook, as the kernel
 * reports it (bpf_xdp_query(): IFLA_XDP_DRV_PROG_ID and IFLA_XDP_SKB_PROG_ID
 * of rtnetlink's IFLA_XDP): XDP_MODE_NATIVE or XDP_MODE_GENERIC, never auto.
 * -ENOENT when the program is not attached there; -errno when the query fails.
 */
int xdp_attached_mode(int ifindex, uint32_t prog_id, XdpMode *ret);

/* The ifindex a link is attached to; 0 when the link was detached. */
int link_ifindex(int link_fd, uint32_t *ret);

/* The id of the program a link runs (bpf_link_info.prog_id). */
int link_prog_id(int link_fd, uint32_t *ret);

/*
 * The program attached to a hook: for XDP the one in any mode, for tcx the
 * first of the hook's programs. *ret_id is 0 when there is none.
 */
int hook_query(Hook hook, int ifindex, uint32_t *ret_id);
