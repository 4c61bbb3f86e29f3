/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generation planner: the smallest set of loads and single atomic
 * switch points that takes a chain from one generation to the next while
 * every packet runs exactly one generation's full chain.
 *
 * A chain is a linked list of instances: the root's one-slot program array
 * points at the head, each instance's one-slot next map at its successor. A
 * packet reads each pointer once, in chain order, when it tail-calls
 * through it. Two ways to change a chain:
 *
 * - A single splice moves one pointer: the root's slot or one instance's
 *   next map, the "switch point" (the predecessor of position k).
 *     replace k:    load k' linked to k's successor, then point k-1 at k'.
 *     insert at k:  load n linked to the current k (nothing: n is last),
 *                   then point k-1 at n.
 *     remove k:     point k-1 at k's successor (delete the slot when k is
 *                   last); nothing is loaded.
 *   A packet that reads the switch point before the update runs the old
 *   chain: what comes after it is the old suffix, which the update does not
 *   touch (the old k keeps its own next map). A packet that reads it after
 *   runs the new chain: what came before is shared by both. Either way it
 *   runs one full generation. (With the JIT, a tail call through a constant
 *   slot is a direct jump, and the kernel patches that jump in place: the
 *   switch is still one step. Emptying the slot, to remove the last program,
 *   makes the kernel wait for a grace period in the update, 8 to 16 ms here:
 *   x86's bpf_arch_poke_desc_update(). For programs quick to verify, a new
 *   instance of the predecessor with an empty next map, switched in at the
 *   program before it, is cheaper: chain.c takes whichever it measured
 *   cheaper. Either way one pointer moves.) A packet that is still inside an older
 *   generation (one that read a pointer before the previous switch) could
 *   meet this switch point too and mix three generations, so a switch at an
 *   instance's next map waits for an RCU grace period after the chain's
 *   previous switch (grace.h): XDP and tc programs run inside RCU read-side
 *   sections, a packet's tail calls included, so by then every packet runs
 *   the current generation. A switch at the root's slot needs no wait: every
 *   packet has read the slot before anything else.
 * - Any other change (a reorder, several programs at once) is a new prefix:
 *   the instances before the last changed position are loaded afresh, each
 *   linked to its successor, sharing the unchanged suffix, and the root's
 *   slot flips to the new head. No existing pointer but the root's moves.
 *
 * The root's slot is the chain's first pointer while our link runs the
 * root. An XDP chain's link runs the head instance itself (no root hop:
 * chain.c, chain_wants_head()); its first pointer is then the link, and a
 * switch there updates the slot (which packets no longer read) and then the
 * link, with one bpf_link_update(BPF_F_REPLACE): the same one step for
 * packets, which read the link's program before anything else, so it needs
 * no grace period either.
 *
 * chain_plan() gives the new prefix; chain_plan_splice() says whether a
 * single splice does the same change. chain.c takes the splice where it can
 * (and the new prefix for changes that touch more than the chain's
 * pointers: a new root, a mode change, a chain-wide map's new definition).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct ChainPlan {
        size_t shared;   /* instances kept: the last 'shared' of both lists */
        size_t create;   /* new instances: want[0 .. create) */
        size_t release;  /* old instances dropped after the flip: cur[0 .. release) */
        bool noop;       /* nothing to do */
} ChainPlan;

/* Identities are "name@digest" strings: equal means the same instance spec. */
void chain_plan(const char *const *cur, size_t ncur, const char *const *want, size_t nwant, ChainPlan *ret);

typedef enum SpliceKind {
        SPLICE_INSERT,   /* want[at] is new, before cur[at] (at == ncur: after the last) */
        SPLICE_REMOVE,   /* cur[at] leaves */
        SPLICE_REPLACE,  /* want[at] takes cur[at]'s place */
        _SPLICE_KIND_MAX,
} SpliceKind;

typedef struct ChainSplice {
        SpliceKind kind;
        size_t at;       /* the position that changes, in both lists; its predecessor (at - 1, or the
                          * root's slot when at == 0) is the switch point */
} ChainSplice;

/*
 * Whether one splice turns 'cur' into 'want' (identities as for
 * chain_plan(); names are unique within a chain). Returns true with *ret
 * set, false for no change at all or a change that moves more than one
 * pointer.
 */
bool chain_plan_splice(const char *const *cur, size_t ncur, const char *const *want, size_t nwant,
                       ChainSplice *ret);

/* "insert", "remove", "replace" */
const char *splice_kind_to_string(SpliceKind k);
