/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A chain in the kernel: a pinned bpf_link at (interface, hook), which runs
 * the chain's head instance (XDP) or its root program; the root and its
 * one-slot program array, which holds the head; and the current
 * generation's instances linked through their next maps. See pins.h for the
 * layout and plan.h for how a change is built.
 */
#pragma once

#include <glib.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain-id.h"
#include "counting.h"
#include "dropin.h"
#include "hook.h"
#include "log.h"
#include "program.h"

typedef struct Chain {
        ChainId id;           /* (interface, hook); the key of Context.chains */
        char *dir;            /* pin directory */
        XdpMode mode;         /* as attached */
        bool frags;           /* multi-buffer XDP: the root and every instance were loaded so */
        TcxPassPolicy tcx_pass;  /* tc: what the root makes of the chain's TC_ACT_OK; invalid: a root from
                                  * before TCXPass=, which gives tcx the chain's verdict as it is */

        bool statistics;      /* [Daemon] Statistics=programs: count each program where the chain allows (set by the
                               * caller) */
        bool counting;        /* the root is the counting root and every instance has a counting hop (counting.h) */
        CountingMaps counting_maps;  /* while counting: the chain's stats and clock maps */
        bool uncounted_logged; /* the journal said why this chain, too long, does not count */

        int root_fd, slot_fd, meta_fd, link_fd;
        uint32_t root_id;
        uint32_t ifindex;     /* where our link is attached; 0: not attached */
        bool head_attached;   /* XDP: our link runs the head instance itself, with no root in front of it
                               * (chain_attached_id()); the root's slot holds the same head */
        uint64_t retired_packets, retired_run_time_ns;  /* the kernel's counts (Statistics=yes) of the programs
                                                         * our link ran before the one it runs, since this start */
        uint32_t counted_id;  /* the program our link runs, as of its last switch or adoption, and its */
        uint64_t counted_base_packets, counted_base_run_time_ns;  /* counts then: what it had counted before */

        GPtrArray *instances; /* Instance*, head first */
        uint64_t generation;
        GHashTable *sources;  /* program name -> drop-in path */
        GPtrArray *probes;    /* Probe*: the probes of the chain's programs, as of the last apply */
        GHashTable *metrics;  /* program name -> GPtrArray of MetricSpec*, as the running generation's drop-ins
                               * declare them (metric-decl.h); set by chain_set_metrics() */
        GPtrArray *applied;   /* ProgramSpec* (references): what the last chain_apply() settled completely, with
                               * nothing left to retry; NULL after a failure, a warning, or an adoption */

        /* The last change that went live, for its journal line: how it was made (plan.h) */
        char *change;         /* "new prefix", "new root" (and new prefix), or
                               * "splice, <insert|remove|replace> '<program>' <where>" */
        unsigned loaded;      /* how many instances it loaded */
        uint64_t grace_ticket; /* the grace period after the chain's last switch (grace.h) */
        bool grace_unsure;    /* none could be asked for: no switch at an instance's next map until one can */

        char *error;          /* why the last change (or the adoption) failed; the old generation runs */
        ProblemKind error_kind; /* what kind of failure 'error' is (set by chain_apply) */
        int adopt_error;      /* -errno: its pins could not be read, and it is left exactly as it is */
        bool waiting;         /* the interface does not exist */

        /* The watchdog's view (watchdog.c) */
        ForeignPolicy on_foreign;  /* this chain's policy */
        bool displaced;       /* our root is not what runs at the hook */
        uint32_t foreign_id;  /* the program found there instead, 0: none */
} Chain;

Chain *chain_new(const char *pin_root, const ChainId *id);
void chain_free(Chain *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Chain, chain_free)

/*
 * Lists the chains with a pin directory under the pin root: ChainId values.
 * An error reading a directory is returned (-errno), never taken for an
 * empty one.
 */
int chain_list_pinned(const char *pin_root, GArray **ret_ids);

/*
 * Rebuilds the chain from its pins. Returns -ENOENT when nothing usable is
 * pinned: the root, slot or meta pin does not exist (ENOENT), and whatever
 * is left of the chain is removed as debris. Any other error opening or
 * reading a pin (EMFILE, ENOMEM, EPERM, ...) says nothing about what is
 * live: it is returned as -errno with *ret_error naming the pin, and nothing
 * in the kernel or on the bpffs is touched. Either way the chain holds no
 * descriptors on failure.
 */
int chain_adopt(Chain *c, char **ret_error);

/*
 * Makes the chain run 'programs' (prepared ProgramSpecs, in order), with
 * their [Map] entries written and, once they run, the entries they no longer
 * declare taken out (map-entries.h), and 'tcx_pass' as its root's policy on tc
 * hooks (ignored on XDP). On failure nothing the packets see has changed and
 * *ret_error says why. A chain with no root yet is created only where no
 * pins exist (-EEXIST otherwise: pins that were not adopted are never built
 * over). Returns 1 if a new generation went live, 0 if nothing needed
 * changing.
 *
 * When 'programs' are the very specs the last apply settled completely
 * (c->applied: the same objects, which the prepare cache hands out only
 * while nothing they were prepared from changed; prepare-cache.h), with the
 * same mode and TCXPass=, the chain is only checked to be attached where it
 * belongs and its [Map] entries written where the kernel holds something
 * else; nothing else is read or written.
 */
int chain_apply(Chain *c, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass, char **ret_error);

/*
 * What the chain's meta map (pins.h) records for 'program': its package,
 * version and signer. Returns 0, -ENOENT when nothing is recorded, or -errno.
 */
struct l3af_meta;
int chain_program_meta(const Chain *c, const char *program, struct l3af_meta *ret);

/*
 * For --check: how the chain 'id' pinned under 'pin_root' would be changed to run 'programs' (prepared ProgramSpecs) in 'mode' with
 * 'tcx_pass', read from its pins with nothing changed, and supposing it is
 * attached: *ret_text is "splice, replace 'b' after 'a', 1 instance to
 * load", "new prefix, 3 instances to load", "new root and new prefix, ..."
 * (plan.h), or NULL when no instance is to change. Returns 0, -ENOENT
 * when no such chain is pinned, or -errno when its pins cannot be read.
 */
int chain_predict(const char *pin_root, const ChainId *id, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass,
                  char **ret_text);

/* Attaches the root again (after the interface came back, or was displaced). */
int chain_attach(Chain *c, char **ret_error);

/* Detaches the chain and removes all its pins. */
int chain_remove(Chain *c);

bool chain_is_attached(Chain *c);

/*
 * The id of the program our link runs when the chain is as l3afd made it:
 * on XDP, where the root would only tail-call its slot, the chain's head
 * instance itself (Statistics=no or yes, at least one program); on tc, where
 * the root maps the chain's verdict for tcx, the root. 0: no chain.
 */
uint32_t chain_attached_id(const Chain *c);

/*
 * The kernel's counts (Statistics=yes) of the program our link runs, 'info'
 * (its bpf_prog_info), that fall in this start of l3afd: what it counted
 * since it became the chain's entry in this start (a switch, or adoption,
 * which sets the base), all of it for a program this start loaded.
 */
void chain_entry_counts(const Chain *c, const struct bpf_prog_info *info, uint64_t *ret_packets,
                        uint64_t *ret_run_time_ns);

/* The journal fields of the chain (log.h): interface, hook, the id of the program our link runs
 * (chain_attached_id()), generation, and 'extra' (may be NULL). */
LogFields chain_log_fields(const Chain *c, const char *const *extra);

/* One of CHAIN_STATES: what l3afctl, ListChains and the metrics call the chain's state. */
#define CHAIN_STATES "live", "detached", "displaced", "waiting", "failed"
const char *chain_state(Chain *ch);

/* Takes the [Metric] groups of 'programs' (prepared ProgramSpecs) as the chain's metrics. */
void chain_set_metrics(Chain *c, GPtrArray *programs);
