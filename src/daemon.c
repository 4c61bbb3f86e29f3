/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "metrics-http.h"
#include "stats.h"
#include <inttypes.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "bus-server.h"
#include "bus.h"
#include "idle.h"
#include "chain.h"
#include "daemon.h"
#include "log.h"
#include "reconcile.h"
#include "watchdog.h"
#include "util.h"

void daemon_update_status(Context *c)
{
        unsigned chains = 0, programs = 0, displaced = 0, waiting = 0, failed = 0;
        g_autoptr(GString) s = g_string_new("STATUS=");
        GHashTableIter it;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch)) {
                chains++;
                programs += ch->instances->len;
                displaced += ch->displaced;
                waiting += ch->waiting;
                failed += ch->error && !ch->waiting;
        }
        g_string_append_printf(s, "%u chain(s), %u program(s)", chains, programs);
        if (displaced)
                g_string_append_printf(s, ", %u displaced by a foreign program", displaced);
        if (waiting)
                g_string_append_printf(s, ", %u waiting for an interface", waiting);
        if (failed)
                g_string_append_printf(s, ", %u failed (old generation kept)", failed);
        (void) sd_notify(false, s->str);
}

/* Says what keeps running: only chains attached now run on; the others are kept in their pins. */
static void log_stopping(Context *c)
{
        unsigned running = 0, kept = 0;
        g_autofree char *more = NULL;
        GHashTableIter it;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch)) {
                if (chain_is_attached(ch))
                        running++;
                else if (ch->root_fd >= 0)
                        kept++;
        }
        if (kept)
                more = g_strdup_printf(", %u more are kept there unattached", kept);
        log_structured(LOG_INFO, 0, L3AF_MSG_STOPPED, NULL, "l3afd stopping; %u chain(s) keep running from their pins%s.",
                       running, more ? more : "");
}

typedef struct ReloadRequest {
        ReconcileDone done;
        void *userdata;
} ReloadRequest;

static void on_reload_done(Context *c, int r, void *userdata)
{
        ReloadRequest *req = userdata;

        daemon_update_status(c);
        watchdog_check_all(c, "reload");
        if (r != 0)
                c->reload_failures++;
        if (r < 0)
                log_error_errno(r, "Reload failed: %m");
        else if (r > 0)
                log_warning("Reload done with %d error(s); the affected chains keep their running generation "
                            "(prepare %.1f ms, apply %.1f ms).", r, c->last_prepare_usec / 1000.0,
                            c->last_apply_usec / 1000.0);
        else
                log_info("Reload done (prepare %.1f ms, apply %.1f ms).", c->last_prepare_usec / 1000.0,
                         c->last_apply_usec / 1000.0);
        if (!reconcile_pending(c))
                (void) sd_notify(false, "READY=1");
        if (req->done)
                req->done(c, r, req->userdata);
        g_free(req);
}

int daemon_reload(Context *c, const char *why, ReconcileDone done, void *userdata)
{
        ReloadRequest *req = g_new0(ReloadRequest, 1);
        int r;

        req->done = done;
        req->userdata = userdata;
        c->reloads++;
        log_structured(LOG_INFO, 0, L3AF_MSG_RELOAD, NULL, "Reloading drop-ins (%s).", why);
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, (uint64_t) g_get_monotonic_time());
        r = reconcile_request(c, on_reload_done, req);
        if (r < 0) {
                g_free(req);
                (void) sd_notify(false, "READY=1");
        }
        return r;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        stall_point("sighup");
        (void) daemon_reload(userdata, "SIGHUP", NULL, NULL);
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        sd_event_exit(sd_event_source_get_event(s), 0);
        return 0;
}

/* READY=1 once the drop-ins have been applied for the first time. */
static void on_first_reconcile(Context *c, int problems, void *userdata)
{
        int r;

        if (problems < 0) {
                log_error_errno(problems, "Cannot read the configuration: %m");
                sd_event_exit(c->event, problems);
                return;
        }
        r = idle_setup(c);
        if (r < 0) {
                sd_event_exit(c->event, r);
                return;
        }
        watchdog_check_all(c, "start");
        daemon_update_status(c);
        log_structured(LOG_INFO, 0, L3AF_MSG_STARTED, NULL,
                       "l3afd started: %u chain(s), %d problem(s) (prepare %.1f ms, apply %.1f ms).",
                       g_hash_table_size(c->chains), problems, c->last_prepare_usec / 1000.0,
                       c->last_apply_usec / 1000.0);
        (void) sd_notify(false, "READY=1");
}

int daemon_run(Context *c)
{
        g_auto(GStrv) fd_names = NULL;
        sigset_t mask;
        int r, n_fds;

        r = sd_event_default(&c->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        /* WATCHDOG=1 comes from the loop itself: a stuck loop stops feeding systemd's watchdog. */
        r = sd_event_set_watchdog(c->event, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the service watchdog: %m");

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

        if (c->settings.statistics) {
                c->stats_fd = kernel_stats_hold();
                if (c->stats_fd < 0)
                        log_warning_errno(c->stats_fd, "Statistics=yes, but the kernel refuses BPF_ENABLE_STATS: %m; "
                                          "chains are not counted.");
                else
                        log_info("Kernel statistics on (BPF_ENABLE_STATS), while l3afd runs.");
        }

        r = reconcile_adopt(c);
        if (r < 0)
                return r;
        /* The bus first: it answers while the first reconcile fetches packages in its worker. */
        r = bus_setup(c);
        if (r < 0)
                return r;
        n_fds = sd_listen_fds_with_names(true, &fd_names);
        if (n_fds < 0)
                return log_error_errno(n_fds, "Cannot take the sockets systemd passed: %m");
        r = bus_server_setup(c, n_fds, fd_names);
        if (r < 0)
                return r;
        r = metrics_http_setup(c, n_fds, fd_names);
        if (r < 0)
                return r;
        r = watchdog_start(c);
        if (r < 0)
                return r;
        r = reconcile_request(c, on_first_reconcile, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot start the first reconcile: %m");

        r = sd_event_loop(c->event);
        (void) sd_notify(false, "STOPPING=1");
        log_stopping(c);
        return r;
}
