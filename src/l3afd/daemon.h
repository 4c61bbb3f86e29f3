/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's life: start-up (adopt, reconcile), the event loop, signals. */
#pragma once

#include "context.h"

/*
 * Runs until SIGTERM/SIGINT or the idle exit; installs the dispatcher of the
 * core's marks (context.h). Leaving never touches the data path.
 */
int daemon_run(Context *c);

/* Stops what daemon_run() started (watchdog, idle exit, bus, reconciles); before context_done(). */
void daemon_done(Context *c);
