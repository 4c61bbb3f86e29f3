/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's one context. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "settings.h"

typedef struct Context {
        Settings settings;
        sd_event *event;
        int pin_root_fd;          /* held with an exclusive flock */

        GHashTable *chains;       /* "IFACE/HOOK" -> Chain*, every chain we own or want */
        GHashTable *probes;       /* name -> Standalone*, every probe on its own we run */
        GPtrArray *problems;      /* Problem*, from the last reconcile */
        uint64_t last_prepare_usec; /* how long the last reconcile's phases took */
        uint64_t last_apply_usec;

        /* The watchdog (watchdog.c) */
        int netlink_fd;
        sd_event_source *netlink_source;
        sd_event_source *sweep_source;
        uint64_t foreign_reports;  /* foreign programs journaled so far */

        /* Statistics and metrics (stats.c, metrics.c; the HTTP endpoint in metrics-http.c) */
        int stats_fd;              /* BPF_ENABLE_STATS held while [Daemon] Statistics=yes, else -EBADF */
        uint64_t reloads;          /* reloads asked for (SIGHUP, D-Bus Reload) */
        uint64_t reload_failures;  /* reloads that ended with an error or a problem */
        struct MetricsHttp *metrics_http;  /* the Prometheus endpoint, or NULL */

        /* Asynchronous reconcile (reconcile.c) */
        struct PrepareJob *job;   /* the prepare phase running in a worker, or NULL */
        GArray *waiting_next;     /* ReconcileWaiter: for the next job */
        GArray *waiting_running;  /* ReconcileWaiter: for the running job */

        /* Direct D-Bus on passed sockets (bus-server.c) and idle exit (idle.c) */
        GPtrArray *listen_sources;     /* sd_event_source* of the listening sockets */
        unsigned p2p_connections;
        unsigned p2p_serial;           /* for the unique names Hello hands out */
        GHashTable *p2p_unheard;       /* sd_bus*: direct peers that have sent nothing yet */
        sd_event_source *idle_source;
        uint64_t idle_last_usec;       /* CLOCK_MONOTONIC of the last activity */

        /* D-Bus (bus.c, bus-change.c) */
        struct sd_bus *bus;            /* the system bus (also asked for polkit), or NULL */
        GPtrArray *bus_connections;    /* sd_bus*: every connection serving org.l3af.Chain1 */
        char *bus_address;             /* --bus-address=, NULL: the system bus */
        bool bus_disabled;             /* --no-bus */
        GQueue *changes;               /* Change*: authorized changes, applied one at a time */
        struct Change *change_running;
        uint32_t bus_announced[2];     /* NChains, NFailedChains as last announced */

        /* Companions (companion.c) */
        struct sd_bus *systemd_bus;    /* the system bus, for org.freedesktop.systemd1, or NULL */
        GHashTable *companions;        /* unit name -> CompanionRecord*: the declared companions */
} Context;

void context_init(Context *c);
void context_done(Context *c);
