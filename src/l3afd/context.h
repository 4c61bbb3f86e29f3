/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's one context. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "settings.h"

typedef struct Context Context;
struct Chain;

/*
 * What the core reports as it changes things. The core (reconcile, the
 * watchdog) only marks what changed, through context_mark_*(); the daemon
 * installs one dispatcher (daemon.c) that turns the marks into D-Bus
 * signals, sd_notify STATUS= and a fresh idle time. Any member may be NULL;
 * with no table installed (l3afd --check, --flush) nothing is dispatched.
 */
typedef struct ContextEvents {
        /* 'ch' runs generation 'generation' now (0: it was removed). */
        void (*chain_changed)(Context *c, const struct Chain *ch, uint64_t generation);
        /* A program that is not ours displaced or precedes our root on 'ch'; 'action' is
         * "reported" or "restored". */
        void (*foreign_program)(Context *c, const struct Chain *ch, uint32_t prog_id, const char *prog_name,
                                const char *action);
        /* An apply phase ended: c->problems and the chains' states are new. */
        void (*reconciled)(Context *c);
        /* The summary of the chains (displaced, waiting, failed) may have changed. */
        void (*status_changed)(Context *c);
} ContextEvents;

struct Context {
        Settings settings;
        sd_event *event;
        int pin_root_fd;          /* held with an exclusive flock */

        GHashTable *chains;       /* const ChainId* (&Chain.id) -> Chain*, every chain we own or want */
        GHashTable *probes;       /* name -> Standalone*, every probe on its own we run */
        GPtrArray *problems;      /* Problem*, from the last reconcile */
        uint64_t last_prepare_usec; /* how long the last reconcile's phases took */
        uint64_t last_apply_usec;
        unsigned last_dropins;    /* drop-ins the last reconcile read, and how many of them were unchanged */
        unsigned last_unchanged;  /* (taken from the prepare cache, prepare-cache.h) */
        struct PrepareCache *prepare_cache; /* used by the prepare phase's worker only */

        /* The watchdog (watchdog.c) */
        int netlink_fd;
        sd_event_source *netlink_source;
        sd_event_source *sweep_source;
        uint64_t foreign_reports;  /* foreign programs journaled so far */

        /* Statistics and metrics (stats.c, metrics.c; the HTTP endpoint in metrics-http.c) */
        int stats_fd;              /* BPF_ENABLE_STATS held while [Daemon] Statistics=yes or programs, else -EBADF */
        uint64_t reloads;          /* reloads asked for (SIGHUP, D-Bus Reload) */
        uint64_t reload_failures;  /* reloads that ended with an error or a problem */
        struct MetricsHttp *metrics_http;  /* the Prometheus endpoint, or NULL */

        /* Asynchronous reconcile (reconcile.c) */
        struct PrepareJob *job;   /* the prepare phase running in a worker, or NULL */
        GArray *waiting_next;     /* ReconcileWaiter: for the next job */
        GArray *waiting_running;  /* ReconcileWaiter: for the running job */

        /* Direct D-Bus on passed sockets (bus-server.c) and idle exit (daemon.c, idle.c) */
        GPtrArray *listen_sources;     /* sd_event_source* of the listening sockets */
        unsigned p2p_connections;
        unsigned p2p_serial;           /* for the unique names Hello hands out */
        GHashTable *p2p_unheard;       /* sd_bus*: direct peers that have sent nothing yet */
        struct IdleExit *idle;         /* NULL without IdleExitSec= */

        /* D-Bus (bus.c, bus-change.c) */
        struct sd_bus *bus;            /* the system bus (also asked for polkit), or NULL */
        GPtrArray *bus_connections;    /* sd_bus*: every connection serving org.l3af.Chain1 */
        char *bus_address;             /* --bus-address=, NULL: the system bus */
        bool bus_disabled;             /* --no-bus */
        GQueue *changes;               /* Change*: authorized changes, applied one at a time (bus-change.c owns it) */
        struct Change *change_running;
        uint32_t bus_announced[2];     /* NChains, NFailedChains as last announced */

        /* Companions (companion.c) */
        struct sd_bus *systemd_bus;    /* the system bus, for org.freedesktop.systemd1, or NULL */
        GHashTable *companions;        /* unit name -> CompanionRecord*: the declared companions */

        const ContextEvents *events;   /* the dispatcher, installed by the daemon, or NULL */
};

/* Sets up the core's part of the context; context_done() frees it (the layers above free theirs first). */
void context_init(Context *c);
void context_done(Context *c);

/* The core's marks: each calls the installed dispatcher, if any (see ContextEvents). */
void context_mark_chain_changed(Context *c, const struct Chain *ch, uint64_t generation);
void context_mark_foreign_program(Context *c, const struct Chain *ch, uint32_t prog_id, const char *prog_name,
                                  const char *action);
void context_mark_reconciled(Context *c);
void context_mark_status(Context *c);
