/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The maps of a program in a live chain, read and written by the API
 * (GetMapEntry, ListMapEntries, SetMapEntry, DeleteMapEntry): opened from
 * their pins (pin-path.h) with what is needed to type their text (BTF, the
 * per-CPU layout). Kernel I/O for the bus handlers, which call only this.
 */
#pragma once

#include <bpf/bpf.h>
#include <stdbool.h>

#include "bpf-util.h"

struct Chain;
struct btf;

typedef struct MapHandle {
        int fd;
        struct bpf_map_info info;
        struct btf *btf;     /* NULL: the map has no BTF; raw text */
        MapValueLayout layout;
} MapHandle;

#define MAP_HANDLE_NULL ((MapHandle) { .fd = -EBADF })

/*
 * Opens the map 'map' of 'program' in chain 'ch': the program's own pin,
 * else the chain's shared one (a map the object pins by name). Returns 0;
 * -ESRCH when the chain runs no program 'program', -ENOENT when it has no
 * such map, another -errno when the map's info or the CPU count cannot be read.
 */
int map_handle_open(const struct Chain *ch, const char *program, const char *map, MapHandle *ret);
void map_handle_done(MapHandle *h);

/* Arrays (their entries always exist). */
bool map_handle_is_array(const MapHandle *h);

/* bpf_map_lookup_elem(2) on the map: 'value' holds map_value_layout_size() bytes. 0 or -errno (-ENOENT: none). */
int map_handle_lookup(const MapHandle *h, const void *key, void *value);
/* The key after 'key' (NULL: the first). 0, -ENOENT at the end, or -errno. */
int map_handle_next_key(const MapHandle *h, const void *key, void *ret_next);
/*
 * Removes the entry 'key': deleted from a hash, zeroed in an array (whose
 * entries always exist). An entry that is not there is no error. 0 or -errno.
 */
int map_handle_clear(const MapHandle *h, const void *key);
