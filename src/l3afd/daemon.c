/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "bus-server.h"
#include "bus.h"
#include "idle.h"
#include "chain.h"
#include "daemon.h"
#include "l3af/stats.h"
#include "log.h"
#include "metrics-http.h"
#include "reconcile.h"
#include "service.h"
#include "stats.h"
#include "watchdog.h"
#include "util.h"

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

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        stall_point("sighup");
        (void) service_reload(userdata, "SIGHUP", NULL, NULL);
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        sd_event_exit(sd_event_source_get_event(s), 0);
        return 0;
}

/* The one dispatcher of the core's marks (context.h): bus signals, STATUS=, the idle time. */

static void on_chain_changed(Context *c, const Chain *ch, uint64_t generation)
{
        bus_emit_chain_changed(c, ch->id.ifname, ch->id.hook, generation);
}

static void on_foreign_program(Context *c, const Chain *ch, uint32_t prog_id, const char *prog_name,
                               const char *action)
{
        bus_emit_foreign_program(c, ch->id.ifname, ch->id.hook, prog_id, prog_name, action);
}

static void on_reconciled(Context *c)
{
        bus_emit_reconciled(c);
        idle_exit_touch(c->idle);
}

static const ContextEvents daemon_events = {
        .chain_changed = on_chain_changed,
        .foreign_program = on_foreign_program,
        .reconciled = on_reconciled,
        .status_changed = service_update_status,
};

/* Idle exit (IdleExitSec=): no direct client, no change or reconcile pending. */
static bool daemon_is_idle(void *userdata)
{
        Context *c = userdata;

        return bus_server_connections(c) == 0 && !reconcile_pending(c) && !c->change_running &&
               (!c->changes || g_queue_is_empty(c->changes));
}

/*
 * Gives the bus name back, so that the bus starts us again for the next
 * caller, and serves the calls routed to us before that: the bus answers
 * ReleaseName only after it has passed on every message it sent us first,
 * so once the answer is here those calls are in our queue.
 */
static int daemon_drain(void *userdata)
{
        Context *c = userdata;
        int r;

        log_info("Idle for %.1f s with no client: exiting; the chains keep running.",
                 c->settings.idle_exit_usec / 1e6);
        if (!c->bus)
                return 0;
        r = sd_bus_release_name(c->bus, L3AF_BUS_NAME);
        if (r < 0)
                log_warning_errno(r, "Cannot give the name %s back: %m", L3AF_BUS_NAME);
        do
                r = sd_bus_process(c->bus, NULL);
        while (r > 0);
        return r < 0 ? log_error_errno(r, "Cannot serve the calls queued on the bus: %m") : 0;
}

static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;

        idle_exit_touch(c->idle);
        return 0;  /* let it through */
}

static int idle_setup(Context *c)
{
        int r;

        if (c->settings.idle_exit_usec == 0)
                return 0;
        r = idle_exit_new(c->event, c->settings.idle_exit_usec, daemon_is_idle, daemon_drain, c, &c->idle);
        if (r < 0)
                return log_error_errno(r, "Cannot set up idle exit: %m");
        if (c->bus) {
                r = sd_bus_add_filter(c->bus, NULL, on_bus_message, c);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch the bus for idle exit: %m");
        }
        log_debug("Exiting after %.1f s idle.", c->settings.idle_exit_usec / 1e6);
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
        service_update_status(c);
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

        c->events = &daemon_events;
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
                        log_warning_errno(c->stats_fd, "Statistics=%s, but the kernel refuses BPF_ENABLE_STATS: %m; "
                                          "chains are not counted%s.",
                                          c->settings.statistics == STATISTICS_PROGRAMS ? "programs" : "yes",
                                          c->settings.statistics == STATISTICS_PROGRAMS ?
                                          " as a whole (l3afd still counts each program)" : "");
                else
                        log_info("Kernel statistics on (BPF_ENABLE_STATS), while l3afd runs.");
                if (c->settings.statistics == STATISTICS_PROGRAMS)
                        log_info("Counting each program of chains of up to %d programs (Statistics=programs).",
                                 L3AF_COUNT_PROGRAMS_MAX);
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

void daemon_done(Context *c)
{
        watchdog_stop(c);
        c->idle = idle_exit_free(c->idle);
        bus_server_done(c);
        metrics_http_done(c);
        safe_close(&c->stats_fd);
        bus_done(c);
        reconcile_cancel(c);
        c->events = NULL;
}
