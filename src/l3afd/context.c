/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-bus.h>

#include "chain.h"
#include "context.h"
#include "prepare-cache.h"
#include "standalone.h"
#include "util.h"

void context_init(Context *c)
{
        *c = (Context) { .pin_root_fd = -EBADF, .netlink_fd = -EBADF, .stats_fd = -EBADF };
        c->chains = g_hash_table_new_full(chain_id_hash, chain_id_equal, NULL, (GDestroyNotify) chain_free);
        c->probes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) standalone_free);
}

void context_done(Context *c)
{
        if (c->companions)
                g_hash_table_unref(c->companions);
        c->systemd_bus = sd_bus_flush_close_unref(c->systemd_bus);
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
        prepare_cache_free(c->prepare_cache);
        safe_close(&c->pin_root_fd);
        c->event = sd_event_unref(c->event);
        settings_done(&c->settings);
}

void context_mark_chain_changed(Context *c, const Chain *ch, uint64_t generation)
{
        if (c->events && c->events->chain_changed)
                c->events->chain_changed(c, ch, generation);
}

void context_mark_foreign_program(Context *c, const Chain *ch, uint32_t prog_id, const char *prog_name,
                                  const char *action)
{
        if (c->events && c->events->foreign_program)
                c->events->foreign_program(c, ch, prog_id, prog_name, action);
}

void context_mark_reconciled(Context *c)
{
        if (c->events && c->events->reconciled)
                c->events->reconciled(c);
}

void context_mark_status(Context *c)
{
        if (c->events && c->events->status_changed)
                c->events->status_changed(c);
}
