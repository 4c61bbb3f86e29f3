/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Idle exit (IdleExitSec=): with socket or bus activation, l3afd leaves when
 * no direct client is connected, no change or reconcile is pending and
 * nothing has asked for anything for IdleExitSec. The chains keep running;
 * the next connection or bus call starts it again and it adopts them.
 */
#pragma once

#include "context.h"

int idle_setup(Context *c);
void idle_done(Context *c);

/* Something happened: the idle time starts again. */
void idle_touch(Context *c);
