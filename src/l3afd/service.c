/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <systemd/sd-daemon.h>

#include "chain.h"
#include "log.h"
#include "reconcile.h"
#include "service.h"
#include "watchdog.h"
#include "util.h"

void service_update_status(Context *c)
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

typedef struct ReloadRequest {
        ReconcileDone done;
        void *userdata;
} ReloadRequest;

static void on_reload_done(Context *c, int r, void *userdata)
{
        ReloadRequest *req = userdata;

        service_update_status(c);
        watchdog_check_all(c, "reload");
        if (r != 0)
                c->reload_failures++;
        if (r < 0)
                log_error_errno(r, "Reload failed: %m");
        else if (r > 0)
                log_warning("Reload done with %d error(s); the affected chains keep their running generation "
                            "(prepare %.1f ms, apply %.1f ms; %u of %u drop-ins unchanged).", r,
                            c->last_prepare_usec / 1000.0, c->last_apply_usec / 1000.0, c->last_unchanged,
                            c->last_dropins);
        else
                log_info("Reload done (prepare %.1f ms, apply %.1f ms; %u of %u drop-ins unchanged).",
                         c->last_prepare_usec / 1000.0, c->last_apply_usec / 1000.0, c->last_unchanged,
                         c->last_dropins);
        if (!reconcile_pending(c))
                (void) sd_notify(false, "READY=1");
        if (req->done)
                req->done(c, r, req->userdata);
        g_free(req);
}

int service_reload(Context *c, const char *why, ReconcileDone done, void *userdata)
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
