/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "bus.h"
#include "chain.h"
#include "daemon.h"
#include "log.h"
#include "reconcile.h"
#include "util.h"

static void on_reload_done(Context *c, int r, void *userdata)
{
        if (r < 0)
                log_error_errno(r, "Reload failed: %m");
        else if (r > 0)
                log_warning("Reload done with %d error(s); the affected chains keep their running generation "
                            "(prepare %.1f ms, apply %.1f ms).", r, c->last_prepare_usec / 1000.0,
                            c->last_apply_usec / 1000.0);
        else
                log_info("Reload done (prepare %.1f ms, apply %.1f ms).", c->last_prepare_usec / 1000.0,
                         c->last_apply_usec / 1000.0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Context *c = userdata;

        log_structured(LOG_INFO, 0, L3AF_MSG_RELOAD, NULL, "Reloading drop-ins (SIGHUP).");
        (void) reconcile_request(c, on_reload_done, NULL);
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        sd_event_exit(sd_event_source_get_event(s), 0);
        return 0;
}

int daemon_run(Context *c)
{
        sigset_t mask;
        int r;

        r = sd_event_default(&c->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(c->event, NULL, SIGTERM, on_exit_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGINT, on_exit_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGHUP, on_reload, c);
        if (r < 0)
                return log_error_errno(r, "Cannot watch signals: %m");

        r = reconcile_adopt(c);
        if (r < 0)
                return r;
        r = reconcile(c);
        if (r < 0)
                return log_error_errno(r, "Cannot read the configuration: %m");
        r = bus_setup(c);
        if (r < 0)
                return r;

        log_structured(LOG_INFO, 0, L3AF_MSG_STARTED, NULL,
                       "l3afd started: %u chain(s), %d problem(s) (prepare %.1f ms, apply %.1f ms).",
                       g_hash_table_size(c->chains), r, c->last_prepare_usec / 1000.0, c->last_apply_usec / 1000.0);
        (void) sd_notify(false, "READY=1");

        r = sd_event_loop(c->event);
        (void) sd_notify(false, "STOPPING=1");
        log_structured(LOG_INFO, 0, L3AF_MSG_STOPPED, NULL,
                       "l3afd stopping; %u chain(s) keep running from their pins.", g_hash_table_size(c->chains));
        return r;
}
