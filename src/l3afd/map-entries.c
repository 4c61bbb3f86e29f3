/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <fcntl.h>

#include "bpf-util.h"
#include "log.h"
#include "map-entries.h"
#include "pin-path.h"
#include "util.h"

/* Where program's record of map lives: <program dir>/entries/<map>, names encoded (pin-path.h). */
static char *record_path(const char *chain_dir, const char *program, const char *map)
{
        g_autofree char *pdir = pin_program_dir(chain_dir, program), *m = pin_name_encode(map);

        return g_build_filename(pdir, "entries", m, NULL);
}

/* Opens the map pinned at 'path' and its id; -ENOENT when there is none. */
static int open_map(const char *path, uint32_t *ret_id, struct bpf_map_info *ret_info)
{
        _cleanup_close_ int fd = bpf_pin_open(path);
        struct bpf_map_info info;
        int r;

        if (fd < 0)
                return fd;
        r = bpf_map_info_of_fd(fd, &info);
        if (r < 0)
                return r;
        *ret_id = info.id;
        if (ret_info)
                *ret_info = info;
        return TAKE_FD(fd);
}

/*
 * Opens the record for a map of this key size and number of entries, or
 * creates it. A record that does not fit is one of a map since replaced
 * (the same map keeps its sizes): every key in it is stale, and it is
 * replaced too.
 */
static int record_open(const char *path, const struct bpf_map_info *target, char **ret_error)
{
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
        g_autofree char *dir = g_path_get_dirname(path);
        _cleanup_close_ int fd = -EBADF;
        struct bpf_map_info info;
        uint32_t id;
        int r;

        fd = open_map(path, &id, &info);
        if (fd >= 0 && info.key_size == target->key_size && info.max_entries >= target->max_entries)
                return TAKE_FD(fd);
        if (fd >= 0) {
                log_debug("Replacing %s, the record of a map since replaced.", path);
                safe_close(&fd);
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = negative_errno();
                        *ret_error = g_strdup_printf("cannot replace %s: %s", path, g_strerror(-r));
                        return r;
                }
        } else if (fd != -ENOENT) {
                *ret_error = g_strdup_printf("cannot open %s: %s", path, g_strerror(-fd));
                return fd;
        }
        r = mkdir_p(dir, 0700);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot create %s: %s", dir, g_strerror(-r));
                return r;
        }
        fd = bpf_map_create(BPF_MAP_TYPE_HASH, "l3af_entries", target->key_size, sizeof(uint32_t),
                            MAX(target->max_entries, 1u), &opts);
        if (fd < 0 || bpf_obj_pin(fd, path) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot create %s: %s", path, g_strerror(-r));
                return r;
        }
        return TAKE_FD(fd);
}

int map_entries_record(const char *chain_dir, const char *program, const char *map, int map_fd, const void *key,
                       size_t key_size, char **ret_error)
{
        g_autofree char *path = record_path(chain_dir, program, map);
        _cleanup_close_ int fd = -EBADF;
        struct bpf_map_info target;
        uint32_t have;
        int r;

        r = bpf_map_info_of_fd(map_fd, &target);
        if (r < 0) {
                *ret_error = g_strdup_printf("[Map %s]: cannot inspect the map: %s", map, g_strerror(-r));
                return r;
        }
        if (target.key_size != key_size) {
                *ret_error = g_strdup_printf("[Map %s]: the pinned map's sizes differ from the object's", map);
                return -EINVAL;
        }
        fd = record_open(path, &target, ret_error);
        if (fd < 0)
                return fd;
        if (bpf_map_lookup_elem(fd, key, &have) == 0 && have == target.id)
                return 0;
        if (bpf_map_update_elem(fd, key, &target.id, BPF_ANY) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("[Map %s]: cannot record a key in %s: %s", map, path, g_strerror(-r));
                return r;
        }
        return 0;
}

static bool declares(const ProgramSpec *p, const char *map, const void *key, size_t key_size)
{
        for (guint i = 0; p && i < p->maps->len; i++) {
                const MapEntrySpec *m = p->maps->pdata[i];

                if (streq(m->map, map) && m->key_bytes && g_bytes_get_size(m->key_bytes) == key_size &&
                    memcmp(g_bytes_get_data(m->key_bytes, NULL), key, key_size) == 0)
                        return true;
        }
        return false;
}

/*
 * Whether a program other than 'program' recorded 'key' for the map with id
 * 'id': 1 yes, 0 certainly not, -errno when a record cannot be read (that
 * program may hold it).
 */
static int held_by_other(const char *chain_dir, const char *program, const char *map, uint32_t id, const void *key)
{
        g_autofree char *programs = g_build_filename(chain_dir, "programs", NULL);
        g_autoptr(GPtrArray) entries = NULL;
        int r;

        r = dir_list(programs, &entries);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (guint i = 0; i < entries->len; i++) {
                g_autofree char *path = NULL, *name = NULL;
                _cleanup_close_ int fd = -EBADF;
                uint32_t have;

                if (pin_name_decode(entries->pdata[i], &name) < 0 || streq(name, program))
                        continue;
                path = record_path(chain_dir, name, map);
                fd = bpf_pin_open(path);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                if (bpf_map_lookup_elem(fd, key, &have) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return negative_errno();
                }
                if (have == id)
                        return 1;
        }
        return 0;
}

/* Deletes a hash-like map's entry, zeroes an array's element (-errno; a missing entry is fine). */
static int take_out(int fd, const struct bpf_map_info *info, const void *key)
{
        g_autofree uint8_t *zero = NULL;
        MapValueLayout l;
        int r;

        if (info->type != BPF_MAP_TYPE_ARRAY && info->type != BPF_MAP_TYPE_PERCPU_ARRAY)
                return bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT ? negative_errno() : 0;
        /* Array elements always exist: taking one out zeroes it, on every CPU. */
        r = map_value_layout(info, &l);
        if (r < 0)
                return r;
        zero = g_malloc0(map_value_layout_size(&l));
        return bpf_map_update_elem(fd, key, zero, BPF_EXIST) < 0 ? negative_errno() : 0;
}

typedef struct Target {
        int fd;
        uint32_t id;          /* 0: no map pinned there */
        bool shared;
        struct bpf_map_info info;
} Target;

/* Opens the map a record may refer to; no map pinned there is fine (id 0). */
static int target_open(const char *path, Target *t, char **ret_error)
{
        int fd = open_map(path, &t->id, &t->info);

        if (fd == -ENOENT)
                return 0;
        if (fd < 0) {
                *ret_error = g_strdup_printf("cannot open %s: %s", path, g_strerror(-fd));
                return fd;
        }
        t->fd = fd;
        return 0;
}

/* Retracts what one record holds; returns the number of keys left in it, or -errno. */
static int retract_record(const char *chain_dir, const char *program, const char *map, const ProgramSpec *p,
                          char **ret_error)
{
        g_autofree char *path = record_path(chain_dir, program, map);
        g_autofree char *own_path = pin_map_path(chain_dir, program, map, false);
        g_autofree char *shared_path = pin_map_path(chain_dir, program, map, true);
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
        _cleanup_close_ int fd = -EBADF;
        Target targets[2] = { { .fd = -EBADF }, { .fd = -EBADF, .shared = true } };
        struct bpf_map_info info;
        int r = 0, left = 0;
        uint32_t id;

        fd = open_map(path, &id, &info);
        if (fd < 0) {
                *ret_error = g_strdup_printf("cannot open %s: %s", path, g_strerror(-fd));
                return fd;
        }
        /* Only a map that is not there lets a key be forgotten: any other error stops here. */
        r = target_open(own_path, &targets[0], ret_error);
        if (r >= 0)
                r = target_open(shared_path, &targets[1], ret_error);
        if (r < 0)
                goto finish;

        /* The keys first: deleting the key a walk stands on would restart it. */
        for (unsigned n = 0; n < info.max_entries; n++) {
                void *next = g_malloc0(info.key_size);

                if (bpf_map_get_next_key(fd, keys->len ? keys->pdata[keys->len - 1] : NULL, next) < 0) {
                        g_free(next);
                        break;
                }
                g_ptr_array_add(keys, next);
        }

        for (guint n = 0; n < keys->len; n++) {
                const void *key = keys->pdata[n];
                const Target *t = NULL;
                uint32_t written;
                int k = 0;

                if (bpf_map_lookup_elem(fd, key, &written) < 0)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(targets); i++)
                        if (targets[i].fd >= 0 && targets[i].id == written)
                                t = &targets[i];
                if (t && declares(p, map, key, info.key_size)) {
                        left++;
                        continue;
                }
                /* Entry first, then the record: a stop in between leaves a key recorded, never one written. */
                if (t) {
                        int held = t->shared ? held_by_other(chain_dir, program, map, t->id, key) : 0;

                        k = held == 0 ? take_out(t->fd, &t->info, key) : held;
                }
                if (k >= 0 && bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
                        k = negative_errno();
                if (k < 0) {
                        left++;
                        log_warning_errno(k, "Cannot take out an entry of map '%s' that program '%s' no longer "
                                          "declares: %m", map, program);
                        if (r == 0) {
                                r = k;
                                *ret_error = g_strdup_printf("[Map %s]: cannot take out an entry the drop-in no "
                                                             "longer declares: %s", map, g_strerror(-k));
                        }
                }
        }
finish:
        for (size_t i = 0; i < ELEMENTSOF(targets); i++)
                safe_close(&targets[i].fd);
        return r < 0 ? r : left;
}

int map_entries_retract(const char *chain_dir, const char *program, const ProgramSpec *p, char **ret_error)
{
        g_autofree char *pdir = pin_program_dir(chain_dir, program);
        g_autofree char *dir = g_build_filename(pdir, "entries", NULL);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;
        int r = 0;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *error = NULL, *map = NULL;
                int k;

                if (pin_name_decode(e, &map) < 0)
                        continue;  /* no record of ours */
                k = retract_record(chain_dir, program, map, p, &error);

                if (k == 0) {
                        /* Nothing recorded any more: the record goes too. */
                        g_autofree char *path = record_path(chain_dir, program, map);

                        (void) unlink(path);
                }
                if (k < 0 && r == 0) {
                        r = k;
                        *ret_error = TAKE_PTR(error);
                }
        }
        return r;
}
