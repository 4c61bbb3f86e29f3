/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reconcile: make the kernel run what the drop-ins declare. Only chains whose
 * desired state differs are touched; a chain whose drop-ins hold an error, or
 * whose change fails, keeps its running generation, and the others go ahead.
 */
#pragma once

#include "context.h"

/* Opens (and locks) the pin root and adopts every pinned chain. */
int reconcile_adopt(Context *c);

/*
 * Asks for a reconcile without blocking the event loop: the drop-ins are read
 * and applied. The prepare phase (drop-ins, packages, signatures, object
 * checks) runs in a worker thread; the apply phase (the kernel) runs on the
 * loop. 'done' is called on the loop once a reconcile that started after this
 * request has been applied, with its result: the number of errors (>= 0;
 * problems are kept in c->problems), or a negative errno if nothing could be
 * read at all. Requests made while one runs are coalesced into the next.
 */
typedef void (*ReconcileDone)(Context *c, int result, void *userdata);
int reconcile_request(Context *c, ReconcileDone done, void *userdata);

typedef struct ReconcileWaiter {
        ReconcileDone done;
        void *userdata;
} ReconcileWaiter;

/* Waits for a running prepare phase and drops pending requests (shutdown). */
void reconcile_cancel(Context *c);

/* True while a requested reconcile is preparing or queued. */
bool reconcile_pending(Context *c);

/*
 * Checks the drop-ins as reconcile would, and, where permitted, has the
 * kernel load each program once (unattached, with maps of its own, all gone
 * on return) so that what the verifier refuses is found too.
 * Returns the number of errors; problems go to 'problems'. For each pinned
 * chain the drop-ins would change (and no error blocks), 'plans' gets a
 * line saying how (chain_predict(): a single splice or a new prefix, and how
 * many instances it would load).
 */
int reconcile_check(const Settings *s, GPtrArray *problems, GPtrArray *plans);

/*
 * l3afd --flush: removes every adopted chain (detaches its root, removes its
 * pins) and every probe on its own. A chain whose pins could not be read is
 * left exactly as it is (what runs may be live) and its -errno returned;
 * else the first error, or 0.
 */
int reconcile_flush(Context *c);
