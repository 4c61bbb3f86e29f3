/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A change made through the bus, in the order every mutating method follows:
 * read, validate, return early if nothing changes, authorize (polkit,
 * asynchronously), change (drop-in edits), log, reconcile (whose marks the
 * daemon's dispatcher turns into the signals), reply. Changes are applied one at a time; one that does not
 * apply (its chain fails) is undone, so the drop-ins and the kernel stay as
 * they were, and the caller gets the reason. A drop-in someone else changed
 * while the change was in flight is never overwritten (see api-dropin.h):
 * the change is undone around it, the drop-ins are applied as they are, and
 * the caller gets org.l3af.Chain1.Error.Conflict naming the file.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "chain-id.h"
#include "context.h"

typedef struct Change Change;

/*
 * Reads the current state and computes the edits into ch->edits. Called
 * twice: when the call arrives (to validate and to find out whether anything
 * changes at all) and again when the change's turn comes, from fresh state.
 * Returns < 0 with 'error' set, 0 if nothing changes, > 0 otherwise.
 */
typedef int (*ChangeBuild)(Change *ch, sd_bus_error *error);

/*
 * Once the change applied (or when nothing changes): acts on the kernel if
 * needed and appends the reply's arguments. Returns < 0 with 'error' set.
 */
typedef int (*ChangeFinish)(Change *ch, sd_bus_message *reply, sd_bus_error *error);

struct Change {
        Context *ctx;
        sd_bus_message *request;
        const char *method;         /* for logs */
        const char *action;         /* the polkit action */
        ChainId *chain;             /* the chain whose success decides, or NULL */
        bool reconcile;             /* reconcile even without edits (Reload) */
        ChangeBuild build;
        ChangeFinish finish;
        void *data;
        GDestroyNotify free_data;

        GPtrArray *edits;           /* FileEdit*, from 'build' */
        uid_t uid;                  /* the caller, once authorized */
        int result;                 /* the reconcile's result */
        sd_bus_error failure;       /* why it did not apply, sent after the undo */
};

Change *change_new(Context *c, sd_bus_message *request, const char *method, const char *action,
                   ChangeBuild build, ChangeFinish finish);
void change_free(Change *ch);

/* Sets the chain whose success decides: the one on (ifname, hook), or none when those name no chain. */
void change_set_chain(Change *ch, const char *ifname, Hook hook);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Change, change_free)

/*
 * Runs the change; takes ownership. Returns a method handler's result: < 0
 * with 'error' set, or 1 when the reply was or will be sent.
 */
int change_submit(Change *ch, sd_bus_error *error);

/* Frees queued changes without replying (shutdown). */
void changes_drop(Context *c);
