/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the service manager is told (sd_notify(3)): STATUS= with a summary of
 * the chains, and a reload as systemd expects it. Used by the daemon's loop
 * (SIGHUP, the dispatcher) and by the bus's Reload method alike.
 */
#pragma once

#include "context.h"
#include "reconcile.h"

/* Sends sd_notify STATUS= with a one-line summary of the chains. */
void service_update_status(Context *c);

/*
 * A reload, as systemd expects it: RELOADING=1 with MONOTONIC_USEC, the drop-ins
 * re-read and applied (reconcile_request), then READY=1. 'done' (may be NULL)
 * gets the reconcile's result. SIGHUP and the D-Bus Reload method both use it.
 */
int service_reload(Context *c, const char *why, ReconcileDone done, void *userdata);
