/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generation planner. A chain is an immutable linked list of instances;
 * an instance is reusable only if everything after it is unchanged. So a
 * change keeps the longest common suffix, re-instantiates the prefix before
 * it, flips the root's slot to the new head, and releases the old prefix.
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
