/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>

#include "bpf-util.h"
#include "map-def.h"
#include "util.h"

void map_def_free(MapDef *d)
{
        if (!d)
                return;
        g_free(d->name);
        g_free(d);
}

MapDef *map_def_of_object_map(const struct bpf_map *map, bool shared)
{
        MapDef *d = g_new0(MapDef, 1);

        d->name = g_strdup(bpf_map__name(map));
        d->shared = shared;
        d->type = bpf_map__type(map);
        d->key_size = bpf_map__key_size(map);
        d->value_size = bpf_map__value_size(map);
        d->max_entries = bpf_map__max_entries(map);
        d->flags = bpf_map__map_flags(map);
        d->extra = bpf_map__map_extra(map);
        /* As libbpf creates them (libbpf.c bpf_object__create_map()). */
        if (d->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && d->max_entries == 0) {
                int n = libbpf_num_possible_cpus();

                d->max_entries = n > 0 ? (uint32_t) n : 0;
        }
        return d;
}

int map_def_of_fd(int fd, MapDef *ret)
{
        struct bpf_map_info info;
        int r = bpf_map_info_of_fd(fd, &info);

        if (r < 0)
                return r;
        *ret = (MapDef) {
                .type = info.type,
                .key_size = info.key_size,
                .value_size = info.value_size,
                .max_entries = info.max_entries,
                .flags = info.map_flags,
                .extra = info.map_extra,
        };
        return 0;
}

static uint32_t flags_compared(const MapDef *d)
{
        /* The kernel reports device maps with BPF_F_RDONLY_PROG, which no object asks for. */
        if (d->type == BPF_MAP_TYPE_DEVMAP || d->type == BPF_MAP_TYPE_DEVMAP_HASH)
                return d->flags & ~(uint32_t) BPF_F_RDONLY_PROG;
        return d->flags;
}

bool map_def_equal(const MapDef *a, const MapDef *b)
{
        return a->type == b->type && a->key_size == b->key_size && a->value_size == b->value_size &&
               a->max_entries == b->max_entries && flags_compared(a) == flags_compared(b) && a->extra == b->extra;
}

static const char *type_name(uint32_t t)
{
        const char *s = libbpf_bpf_map_type_str((enum bpf_map_type) t);

        return s ? s : "unknown";
}

char *map_def_diff(const MapDef *a, const MapDef *b)
{
        GString *s = g_string_new(NULL);

#define DIFF(cond, ...)                                                  \
        do {                                                             \
                if (cond) {                                              \
                        if (s->len)                                      \
                                g_string_append(s, ", ");                \
                        g_string_append_printf(s, __VA_ARGS__);          \
                }                                                        \
        } while (0)
        DIFF(a->type != b->type, "type %s -> %s", type_name(a->type), type_name(b->type));
        DIFF(a->key_size != b->key_size, "key size %u -> %u", a->key_size, b->key_size);
        DIFF(a->value_size != b->value_size, "value size %u -> %u", a->value_size, b->value_size);
        DIFF(a->max_entries != b->max_entries, "max entries %u -> %u", a->max_entries, b->max_entries);
        DIFF(flags_compared(a) != flags_compared(b), "flags 0x%x -> 0x%x", a->flags, b->flags);
        DIFF(a->extra != b->extra, "map_extra %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, a->extra, b->extra);
#undef DIFF
        return g_string_free(s, FALSE);
}

char *map_def_to_string(const MapDef *d)
{
        return g_strdup_printf("%s, key %u, value %u, max entries %u, flags 0x%x", type_name(d->type), d->key_size,
                               d->value_size, d->max_entries, d->flags);
}

const MapDef *map_defs_find(GPtrArray *defs, const char *name)
{
        for (guint i = 0; defs && i < defs->len; i++)
                if (streq(((MapDef *) defs->pdata[i])->name, name))
                        return defs->pdata[i];
        return NULL;
}
