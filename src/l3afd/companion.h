/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Companions: the user-space half of a program, run by systemd as a
 * transient service that l3afd creates through org.freedesktop.systemd1
 * (StartTransientUnit, StopUnit; see org.freedesktop.systemd1(5)), so that
 * systemd supervises it: resource limits, sandboxing, restarts, the journal.
 *
 * The unit of program P on interface I and hook H is named
 * l3af-companion-<I>-<H>-<P>.service, each part escaped as
 * systemd-escape(1) escapes a string, so that a restarted l3afd finds it by
 * name. Its Description= carries a digest of what defines it: the companion's
 * declaration and the program's version and object. l3afd's own stops,
 * restarts and crashes leave companions running; the next start adopts a
 * unit whose digest matches and restarts one whose digest does not.
 */
#pragma once

#include <stdint.h>

#include "chain-id.h"
#include "context.h"
#include "hook.h"

#define COMPANION_UNIT_PREFIX "l3af-companion-"
/* The group whose members may open the maps of a companion's program (sysusers.d/l3afd.conf). */
#define COMPANION_GROUP_NAME "l3af-companion"

/* What GetCompanions and l3afctl show of one companion. */
typedef struct CompanionState {
        char *program;
        char *unit;
        char *state;        /* ActiveState= of the unit ("active", "failed", ...), or "not-started" */
        uint32_t restarts;  /* NRestarts= */
        uint32_t main_pid;  /* MainPID=, 0: none */
        char *reason;       /* why it is not started, or "" */
} CompanionState;

void companion_state_free(CompanionState *s);

/*
 * The unit name of the companion of 'program' on (ifname, hook). Returns 0,
 * or -ENAMETOOLONG when the escaped name exceeds 255 bytes (the limit of
 * unit names, systemd.unit(5)).
 */
int companion_unit_name(const char *ifname, Hook hook, const char *program, char **ret);

/*
 * Makes the running companions what the live chains declare, after a
 * reconcile's apply: starts the companion of each program that is live in a
 * chain that applied (GHashTable 'desired': const ChainId* -> ChainSpec*), restarts
 * one whose declaration or program changed, and stops those whose program
 * left. Units of chains that failed, are blocked or were not adopted are left
 * as they run. Without a service manager nothing is started and each
 * companion is reported not started, in one journal line. Returns the number
 * of companions that could not be started or stopped (>= 0).
 */
int companion_reconcile(Context *c, GHashTable *desired);

/* Stops every companion unit (l3afd --flush). Returns 0 or the first -errno. */
int companion_stop_all(Context *c);

/*
 * The companions declared in the chain 'chain' and what systemd says of each
 * (GPtrArray of CompanionState*, in program order). Never fails: a unit that
 * cannot be read is reported with its error as reason.
 */
GPtrArray *companion_list(Context *c, const ChainId *chain);

