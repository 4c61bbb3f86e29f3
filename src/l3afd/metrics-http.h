/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Prometheus endpoint: GET /metrics over HTTP/1.1 on the sockets systemd
 * passes under the name "metrics" (l3afd-metrics.socket,
 * FileDescriptorName=metrics; sd_listen_fds_with_names(3)), served by
 * libmicrohttpd and driven from the daemon's sd-event loop: MHD runs without
 * a thread of its own (MHD_USE_EPOLL, no MHD_USE_INTERNAL_POLLING_THREAD),
 * its one epoll fd (MHD_DAEMON_INFO_EPOLL_FD) is an sd-event I/O source and
 * MHD_get_timeout() sets an sd-event timer, and MHD_run() is called from
 * either. Anything but GET is refused with 405 and "Allow: GET", any other
 * path with 404. Read-only: it changes nothing.
 */
#pragma once

#include "context.h"

#define METRICS_FD_NAME "metrics"
#define METRICS_PATH "/metrics"

/*
 * Serves every listening socket in 'fds' ('n' of them) named METRICS_FD_NAME
 * in 'names' (as sd_listen_fds_with_names() gives them); the others are left
 * alone. Returns how many it serves, or -errno.
 */
int metrics_http_setup(Context *c, int n, char **names);
void metrics_http_done(Context *c);
