/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "idle.h"
#include "log.h"

/* While draining: how often check_idle() is asked again. */
#define DRAIN_POLL_USEC (50 * 1000)

struct IdleExit {
        sd_event *event;
        sd_event_source *timer;
        uint64_t timeout_usec;
        uint64_t last_usec;      /* CLOCK_MONOTONIC of the last activity */
        IdleCheck check_idle;
        IdleDrain drain;
        void *userdata;
        bool draining;           /* drain() was called: exit once idle, with no new timeout */
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        IdleExit *x = userdata;
        uint64_t now = 0, due = x->last_usec + x->timeout_usec;
        int r;

        (void) sd_event_now(x->event, CLOCK_MONOTONIC, &now);
        if (!x->draining) {
                if (!x->check_idle(x->userdata))
                        return sd_event_source_set_time(s, now + x->timeout_usec);
                if (now < due)
                        return sd_event_source_set_time(s, due);
                x->draining = true;
                if (x->drain) {
                        r = x->drain(x->userdata);
                        if (r < 0)
                                log_warning_errno(r, "Cannot take in the work queued before the idle exit: %m");
                }
        }
        if (!x->check_idle(x->userdata))
                return sd_event_source_set_time(s, now + DRAIN_POLL_USEC);
        return sd_event_exit(x->event, 0);
}

int idle_exit_new(sd_event *event, uint64_t timeout_usec, IdleCheck check_idle, IdleDrain drain, void *userdata,
                  IdleExit **ret)
{
        g_autofree IdleExit *x = g_new0(IdleExit, 1);
        int r;

        *x = (IdleExit) { .event = event, .timeout_usec = timeout_usec, .check_idle = check_idle, .drain = drain,
                          .userdata = userdata };
        r = sd_event_now(event, CLOCK_MONOTONIC, &x->last_usec);
        if (r >= 0)
                r = sd_event_add_time(event, &x->timer, CLOCK_MONOTONIC, x->last_usec + timeout_usec,
                                      MAX(timeout_usec / 20, 1000), on_timer, x);
        if (r >= 0)
                r = sd_event_source_set_enabled(x->timer, SD_EVENT_ON);
        if (r < 0) {
                x->timer = sd_event_source_disable_unref(x->timer);
                return r;
        }
        *ret = g_steal_pointer(&x);
        return 0;
}

IdleExit *idle_exit_free(IdleExit *x)
{
        if (x) {
                sd_event_source_disable_unref(x->timer);
                g_free(x);
        }
        return NULL;
}

void idle_exit_touch(IdleExit *x)
{
        if (x)
                (void) sd_event_now(x->event, CLOCK_MONOTONIC, &x->last_usec);
}
