/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.l3af.Chain1 served peer to peer on the sockets systemd passes
 * (l3afd.socket, sd_listen_fds()): each accepted connection is an sd-bus
 * server connection on the daemon's loop, so busctl --address=unix:path=...
 * works with no bus running.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "context.h"

/*
 * Takes the listening sockets systemd passed ('n' from SD_LISTEN_FDS_START,
 * 'names' as sd_listen_fds_with_names() gives them), but those named
 * "metrics" (metrics-http.h); returns how many it serves.
 */
int bus_server_setup(Context *c, int n, char **names);
void bus_server_done(Context *c);

/* Direct connections open right now. */
unsigned bus_server_connections(Context *c);
