/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's life: start-up (adopt, reconcile), the event loop, signals. */
#pragma once

#include "context.h"
#include "reconcile.h"

/* Sends sd_notify STATUS= with a one-line summary of the chains. */
void daemon_update_status(Context *c);

/*
 * A reload, as systemd expects it: RELOADING=1 with MONOTONIC_USEC, the drop-ins
 * re-read and applied (reconcile_request), then READY=1. 'done' (may be NULL)
 * gets the reconcile's result. SIGHUP and the D-Bus Reload method both use it.
 */
int daemon_reload(Context *c, const char *why, ReconcileDone done, void *userdata);

/* Runs until SIGTERM/SIGINT. Leaving never touches the data path. */
int daemon_run(Context *c);
