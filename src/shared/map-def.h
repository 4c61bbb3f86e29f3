/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A map's definition: what must agree between an object and a pinned map for
 * the object to use that map. The same fields as libbpf compares before it
 * reuses a pinned map (type, key size, value size, max entries, map flags,
 * map_extra; libbpf.c map_is_reuse_compat()), so that l3afd decides first and
 * libbpf never refuses a pin.
 */
#pragma once

#include <bpf/libbpf.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct MapDef {
        char *name;             /* the map's name in the object */
        bool shared;            /* pinned by name (LIBBPF_PIN_BY_NAME): chain-wide */
        uint32_t type;          /* enum bpf_map_type */
        uint32_t key_size;      /* bytes */
        uint32_t value_size;    /* bytes, of one CPU's value */
        uint32_t max_entries;
        uint32_t flags;         /* BPF_F_* map flags */
        uint64_t extra;         /* map_extra (bloom filter hashes) */
} MapDef;

void map_def_free(MapDef *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MapDef, map_def_free)

/* The definition an opened (not yet loaded) object gives 'map', as libbpf will create it. */
MapDef *map_def_of_object_map(const struct bpf_map *map, bool shared);

/* The definition of the map behind 'fd' as the kernel reports it (name and shared unset). */
int map_def_of_fd(int fd, MapDef *ret);

bool map_def_equal(const MapDef *a, const MapDef *b);

/* What differs, as "value size 8 -> 16, max entries 64 -> 128" ('a' the old). */
char *map_def_diff(const MapDef *a, const MapDef *b);

/* The whole definition, as "array, key 4, value 8, max entries 1, flags 0x0". */
char *map_def_to_string(const MapDef *d);

/* The definition named 'name' in an array of MapDef*, or NULL. */
const MapDef *map_defs_find(GPtrArray *defs, const char *name);
