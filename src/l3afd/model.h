/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The desired state: the union of all drop-ins, grouped into chains, ordered
 * (Priority, then Name) and checked as chains (duplicate names, length, a
 * program without a next map anywhere but last, conflicting modes).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "dropin.h"

/* The kernel allows 33 tail calls: the root plus 32 programs. */
#define CHAIN_PROGRAMS_MAX 32

typedef struct ChainSpec {
        ChainId id;         /* (interface, hook); the key of model_build()'s table */
        XdpMode mode;
        ForeignPolicy on_foreign;   /* -1: the daemon's default */
        TcxPassPolicy tcx_pass;     /* tc hooks: TCXPass=, default next */
        GPtrArray *programs;   /* ProgramSpec*, in chain order (owned) */
} ChainSpec;

void chain_spec_free(ChainSpec *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ChainSpec, chain_spec_free)

/*
 * Groups prepared specs (consumed) into chains: a table of const ChainId* ->
 * ChainSpec* (chain_id_hash, chain_id_equal). Chain-level problems are added
 * to 'problems' against the chain; such chains are still returned.
 */
GHashTable *model_build(GPtrArray *specs, GPtrArray *problems);

