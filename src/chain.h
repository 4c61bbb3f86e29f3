/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A chain in the kernel: the root program attached to (interface, hook)
 * through a pinned bpf_link, its one-slot program array, and the current
 * generation's instances linked through their next maps. See pins.h for the
 * layout and plan.h for how a change is built.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "dropin.h"
#include "hook.h"
#include "program.h"

typedef struct Chain {
        char *key;            /* "IFACE/HOOK" */
        char *ifname;
        Hook hook;
        char *dir;            /* pin directory */
        XdpMode mode;         /* as attached */
        bool frags;           /* multi-buffer XDP: the root and every instance were loaded so */

        int root_fd, slot_fd, meta_fd, link_fd;
        uint32_t root_id;
        uint32_t ifindex;     /* where our link is attached; 0: not attached */

        GPtrArray *instances; /* Instance*, head first */
        uint64_t generation;
        GHashTable *sources;  /* program name -> drop-in path */
        GPtrArray *probes;    /* Probe*: the probes of the chain's programs, as of the last apply */

        char *error;          /* why the last change failed; the old generation runs */
        bool waiting;         /* the interface does not exist */

        /* The watchdog's view (watchdog.c) */
        ForeignPolicy on_foreign;  /* this chain's policy */
        bool displaced;       /* our root is not what runs at the hook */
        uint32_t foreign_id;  /* the program found there instead, 0: none */
} Chain;

Chain *chain_new(const char *pin_root, const char *ifname, Hook hook);
void chain_free(Chain *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Chain, chain_free)

/* Lists (ifname, hook) pairs with a pin directory under the pin root, as chain keys. */
int chain_list_pinned(const char *pin_root, GPtrArray **ret_keys);

/*
 * Rebuilds the chain from its pins. Returns -ENOENT when nothing usable is
 * pinned (and removes any debris).
 */
int chain_adopt(Chain *c);

/*
 * Makes the chain run 'programs' (prepared ProgramSpecs, in order), with
 * their [Map] entries written and, once they run, the entries they no longer
 * declare taken out (map-entries.h). On
 * failure nothing the packets see has changed and *ret_error says why.
 * Returns 1 if a new generation went live, 0 if nothing needed changing.
 */
int chain_apply(Chain *c, GPtrArray *programs, XdpMode mode, char **ret_error);

/* Attaches the root again (after the interface came back, or was displaced). */
int chain_attach(Chain *c, char **ret_error);

/* Detaches the chain and removes all its pins. */
int chain_remove(Chain *c);

bool chain_is_attached(Chain *c);
