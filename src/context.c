/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "chain.h"
#include "context.h"
#include "util.h"

void context_init(Context *c)
{
        *c = (Context) { .pin_root_fd = -EBADF };
        c->chains = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) chain_free);
}

void context_done(Context *c)
{
        if (c->chains)
                g_hash_table_unref(c->chains);
        if (c->problems)
                g_ptr_array_unref(c->problems);
        safe_close(&c->pin_root_fd);
        c->event = sd_event_unref(c->event);
        settings_done(&c->settings);
}
