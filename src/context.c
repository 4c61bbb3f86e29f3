/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"
#include "chain.h"
#include "companion.h"
#include "context.h"
#include "standalone.h"
#include "bus-server.h"
#include "idle.h"
#include "metrics-http.h"
#include "reconcile.h"
#include "watchdog.h"
#include "util.h"

void context_init(Context *c)
{
        *c = (Context) { .pin_root_fd = -EBADF, .netlink_fd = -EBADF, .stats_fd = -EBADF };
        c->chains = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) chain_free);
        c->probes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) standalone_free);
        c->waiting_next = g_array_new(FALSE, TRUE, sizeof(ReconcileWaiter));
        c->waiting_running = g_array_new(FALSE, TRUE, sizeof(ReconcileWaiter));
        c->bus_connections = g_ptr_array_new();
        c->changes = g_queue_new();
}

void context_done(Context *c)
{
        watchdog_stop(c);
        idle_done(c);
        bus_server_done(c);
        metrics_http_done(c);
        safe_close(&c->stats_fd);
        bus_done(c);
        reconcile_cancel(c);
        companion_done(c);
        if (c->waiting_next)
                g_array_unref(c->waiting_next);
        if (c->waiting_running)
                g_array_unref(c->waiting_running);
        if (c->chains)
                g_hash_table_unref(c->chains);
        if (c->probes)
                g_hash_table_unref(c->probes);
        if (c->problems)
                g_ptr_array_unref(c->problems);
        safe_close(&c->pin_root_fd);
        c->event = sd_event_unref(c->event);
        settings_done(&c->settings);
}
