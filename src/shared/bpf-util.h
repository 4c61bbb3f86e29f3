/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers around the bpf syscall, bpffs and libbpf's messages. */
#pragma once

#include <glib.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int bpf_prog_id_of_fd(int fd, uint32_t *ret);
int bpf_prog_info_of_fd(int fd, struct bpf_prog_info *ret);
int bpf_map_info_of_fd(int fd, struct bpf_map_info *ret);
int bpf_link_info_of_fd(int fd, struct bpf_link_info *ret);

/*
 * How the bpf syscall lays out a map's values: per-CPU maps take and give one
 * copy per possible CPU, each 8-byte aligned; other maps one value.
 */
typedef struct MapValueLayout {
        bool percpu;
        size_t value_size;
        size_t stride;
        int ncpus;
} MapValueLayout;

int map_value_layout(const struct bpf_map_info *info, MapValueLayout *ret);
size_t map_value_layout_size(const MapValueLayout *l);
/* A buffer as the kernel takes it: 'value' (value_size bytes) on every CPU. */
uint8_t *map_value_replicate(const MapValueLayout *l, const void *value);

/* Opens a pinned object; -ENOENT when there is no pin. */
int bpf_pin_open(const char *path);

/*
 * The names in a directory (no "." or ".."), in the order readdir(3) gives
 * them. Unlike g_dir_read_name(), a failure while reading is an error, not
 * the end of the listing: a caller that removes what it does not find must
 * never take an error for absence. -ENOENT when there is no such directory.
 */
int dir_list(const char *path, GPtrArray **ret_names);

/* mkdir -p, on bpffs or elsewhere. */
int mkdir_p(const char *path, mode_t mode);
/* Removes a tree of pins and directories; missing is fine. */
int rm_rf(const char *path);

/* True when 'path' lives on a bpf filesystem. */
int path_is_bpffs(const char *path);

/*
 * libbpf's messages go to the debug log; between capture_begin and
 * capture_end they are also collected, so a failure can quote them.
 */
void libbpf_log_setup(void);
void libbpf_capture_begin(void);
char *libbpf_capture_end(void);

/* The last 'lines' lines of a log, for quoting a verifier rejection. */
char *log_tail(const char *log, unsigned lines);
