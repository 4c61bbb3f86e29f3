/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File descriptors. l3afd holds a few per chain and two per program instance
 * (three with Statistics=programs: its counting hop; see LimitNOFILE= in
 * l3afd.service for the count), so a large
 * configuration needs far more than the soft RLIMIT_NOFILE of 1024 that
 * systemd gives services.
 */
#pragma once

#include <sys/resource.h>

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit, as systemd.exec(5)
 * (LimitNOFILE=) asks of programs that never use select(2): the soft limit
 * of 1024 exists only because select() cannot handle descriptors above 1023,
 * and l3afd uses epoll (sd-event) and poll (GLib, libcurl). glibc's
 * setrlimit() is the prlimit64 system call, which systemd counts in
 * @default, not in @resources, so the unit's SystemCallFilter=~@resources
 * allows it. Returns the soft limit in force after (capped at INT_MAX), or
 * -errno if it cannot be read. A refused raise is logged and is not an
 * error: the limit found stays in force, and is returned.
 */
int fd_limit_raise(void);

/*
 * Descriptors kept back while l3afd opens pins and loads programs, so that
 * running out of them there (EMFILE) still leaves the daemon enough to log,
 * serve the bus and reconcile: l3afd takes FD_RESERVE descriptors before
 * adopting or applying chains and gives them back after.
 */
#define FD_RESERVE 64

typedef struct FdReserve {
        int fds[FD_RESERVE];
        unsigned n;
} FdReserve;

/* Takes up to FD_RESERVE descriptors (as many as the limit allows); returns how many. */
unsigned fd_reserve_take(FdReserve *r);
/* Gives them back. */
void fd_reserve_release(FdReserve *r);
