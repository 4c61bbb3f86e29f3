/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-daemon.h>

#include "bus-server.h"
#include "bus.h"
#include "idle.h"
#include "log.h"
#include "reconcile.h"

static bool busy(Context *c)
{
        return bus_server_connections(c) > 0 || reconcile_pending(c) || c->change_running ||
               (c->changes && !g_queue_is_empty(c->changes));
}

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Context *c = userdata;
        uint64_t now = 0, due = c->idle_last_usec + c->settings.idle_exit_usec;

        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (busy(c) || now < due)
                return sd_event_source_set_time(s, busy(c) ? now + c->settings.idle_exit_usec : due);

        log_info("Idle for %.1f s with no client: exiting; the chains keep running.",
                 c->settings.idle_exit_usec / 1e6);
        /* Let the bus start us again for the next caller: give the name back first. */
        if (c->bus)
                (void) sd_bus_release_name(c->bus, L3AF_BUS_NAME);
        return sd_event_exit(c->event, 0);
}

static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        idle_touch(userdata);
        return 0;  /* let it through */
}

int idle_setup(Context *c)
{
        uint64_t now;
        int r;

        if (c->settings.idle_exit_usec == 0)
                return 0;
        idle_touch(c);
        if (c->bus) {
                r = sd_bus_add_filter(c->bus, NULL, on_bus_message, c);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch the bus for idle exit: %m");
        }
        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(c->event, &c->idle_source, CLOCK_MONOTONIC, now + c->settings.idle_exit_usec,
                                      MAX(c->settings.idle_exit_usec / 20, 1000), on_idle_timer, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->idle_source, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Cannot set up idle exit: %m");
        log_debug("Exiting after %.1f s idle.", c->settings.idle_exit_usec / 1e6);
        return 0;
}

void idle_done(Context *c)
{
        c->idle_source = sd_event_source_disable_unref(c->idle_source);
}

void idle_touch(Context *c)
{
        if (c->event)
                (void) sd_event_now(c->event, CLOCK_MONOTONIC, &c->idle_last_usec);
}
