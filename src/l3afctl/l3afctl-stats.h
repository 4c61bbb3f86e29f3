/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* l3afctl stats [IFACE [HOOK]]: chains' statistics and declared metrics (GetStatistics). See l3afctl(1). */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/*
 * argv[0] is "stats". 'json': one JSON document; 'watch_usec' > 0: redraw in
 * place every watch_usec microseconds, with rates, until interrupted.
 * Returns the process exit status (l3afctl(1)).
 */
int verb_stats(sd_bus *bus, int argc, char **argv, bool json, uint64_t watch_usec);
