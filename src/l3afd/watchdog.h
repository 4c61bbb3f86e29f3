/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watchdog: checks that what runs at each chain's hook is our root
 * through our link. rtnetlink link events trigger a check of that interface's
 * chains at once (netlink XDP attaches, interfaces leaving and coming back);
 * a periodic sweep (WatchdogIntervalSec=) catches what the kernel does not
 * announce (bpf_link detaches and attaches). Findings are journaled once per
 * occurrence and handled per the chain's OnForeignProgram= policy.
 */
#pragma once

#include "context.h"

typedef struct Chain Chain;

int watchdog_start(Context *c);
void watchdog_stop(Context *c);

/* Checks every chain now; 'why' says what prompted it ("start", "reload", ...). */
void watchdog_check_all(Context *c, const char *why);
