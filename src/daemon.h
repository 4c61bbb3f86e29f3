/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's life: start-up (adopt, reconcile), the event loop, signals. */
#pragma once

#include "context.h"

/* Sends sd_notify STATUS= with a one-line summary of the chains. */
void daemon_update_status(Context *c);

/* Runs until SIGTERM/SIGINT. Leaving never touches the data path. */
int daemon_run(Context *c);
