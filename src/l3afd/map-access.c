/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>

#include "chain.h"
#include "map-access.h"
#include "pin-path.h"
#include "util.h"

static bool chain_runs_program(const Chain *ch, const char *name)
{
        for (guint i = 0; i < ch->instances->len; i++)
                if (streq(((Instance *) ch->instances->pdata[i])->name, name))
                        return true;
        return false;
}

int map_handle_open(const Chain *ch, const char *program, const char *map, MapHandle *ret)
{
        MapHandle h = MAP_HANDLE_NULL;
        int r;

        if (!chain_runs_program(ch, program))
                return -ESRCH;
        for (int shared = 0; shared <= 1 && h.fd < 0; shared++) {
                g_autofree char *path = pin_map_path(ch->dir, program, map, shared);

                h.fd = bpf_pin_open(path);
        }
        if (h.fd < 0)
                return -ENOENT;
        r = bpf_map_info_of_fd(h.fd, &h.info);
        if (r >= 0 && h.info.btf_id != 0)
                h.btf = btf__load_from_kernel_by_id(h.info.btf_id);  /* NULL: fall back to raw text */
        if (r >= 0)
                r = map_value_layout(&h.info, &h.layout);
        if (r < 0) {
                map_handle_done(&h);
                return r;
        }
        *ret = h;
        return 0;
}

void map_handle_done(MapHandle *h)
{
        closep(&h->fd);
        btf__free(h->btf);
        *h = MAP_HANDLE_NULL;
}

bool map_handle_is_array(const MapHandle *h)
{
        return h->info.type == BPF_MAP_TYPE_ARRAY || h->info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

int map_handle_lookup(const MapHandle *h, const void *key, void *value)
{
        return bpf_map_lookup_elem(h->fd, key, value) < 0 ? negative_errno() : 0;
}

int map_handle_next_key(const MapHandle *h, const void *key, void *ret_next)
{
        return bpf_map_get_next_key(h->fd, key, ret_next) < 0 ? negative_errno() : 0;
}

int map_handle_clear(const MapHandle *h, const void *key)
{
        g_autofree void *zero = NULL;

        if (map_handle_is_array(h)) {
                zero = g_malloc0(map_value_layout_size(&h->layout));
                return bpf_map_update_elem(h->fd, key, zero, BPF_ANY) < 0 ? negative_errno() : 0;
        }
        return bpf_map_delete_elem(h->fd, key) < 0 && errno != ENOENT ? negative_errno() : 0;
}
