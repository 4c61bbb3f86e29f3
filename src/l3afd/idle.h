/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Idle exit for a service started on demand, on an sd-event loop, in the
 * shape of systemd's bus_event_loop_with_idle(). Once 'timeout_usec' has
 * passed since the last idle_exit_touch() and check_idle() says nothing is
 * in progress, drain() is called once: it stops new work from arriving (a
 * bus service gives its name back) and takes in the work already queued (the
 * calls that arrived just as the timer fired). The loop then exits as soon
 * as check_idle() holds again: at once if drain() queued nothing, else when
 * that work is done. Nothing here knows about the bus.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/* True when nothing is in progress and no client is connected. */
typedef bool (*IdleCheck)(void *userdata);
/* Stops new work from arriving and serves what is queued; returns >= 0 or -errno. */
typedef int (*IdleDrain)(void *userdata);

typedef struct IdleExit IdleExit;

/* Arms the timer on 'event'; 'drain' may be NULL. Returns 0 or -errno. */
int idle_exit_new(sd_event *event, uint64_t timeout_usec, IdleCheck check_idle, IdleDrain drain, void *userdata,
                  IdleExit **ret);
IdleExit *idle_exit_free(IdleExit *x);

/* Something happened: the idle time starts again. Accepts NULL. */
void idle_exit_touch(IdleExit *x);
