/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <stdio.h>

#include "bpf-util.h"
#include "map-pins.h"
#include "pin-path.h"
#include "problem.h"
#include "util.h"

/* ':' is always escaped in an encoded name (pin-path.h): a staged pin is never a name's. */
#define STAGED_SUFFIX ":new"

char *map_pin_staged(const char *live)
{
        return g_strconcat(live, STAGED_SUFFIX, NULL);
}

int map_pins_resolve(const char *live, const MapDef *want, int *ret_fd, char **ret_pin, char **ret_error)
{
        g_autofree char *staged = map_pin_staged(live);
        _cleanup_close_ int fd = -EBADF;
        MapDef have;
        int r;

        fd = bpf_pin_open(staged);
        if (fd >= 0) {
                /* Staged by this change for another program of the chain (chain-wide maps agree: model.c). */
                r = map_def_of_fd(fd, &have);
                if (r < 0) {
                        *ret_error = g_strdup_printf("cannot inspect the map pinned at %s: %s", staged, g_strerror(-r));
                        return r;
                }
                if (!map_def_equal(&have, want)) {
                        g_autofree char *diff = map_def_diff(&have, want);

                        *ret_error = g_strdup_printf("map '%s' staged at %s differs from this object's: %s",
                                                     want->name, staged, diff);
                        return -EINVAL;
                }
                *ret_fd = TAKE_FD(fd);
                *ret_pin = NULL;
                return 0;
        }
        if (fd != -ENOENT) {
                *ret_error = g_strdup_printf("cannot open the map pinned at %s: %s", staged, g_strerror(-fd));
                return fd;
        }

        fd = bpf_pin_open(live);
        if (fd == -ENOENT) {
                *ret_fd = -EBADF;
                *ret_pin = g_strdup(live);
                return 0;
        }
        if (fd < 0) {
                *ret_error = g_strdup_printf("cannot open the map pinned at %s: %s", live, g_strerror(-fd));
                return fd;
        }
        r = map_def_of_fd(fd, &have);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot inspect the map pinned at %s: %s", live, g_strerror(-r));
                return r;
        }
        if (map_def_equal(&have, want)) {
                *ret_fd = TAKE_FD(fd);
                *ret_pin = NULL;
        } else {
                *ret_fd = -EBADF;
                *ret_pin = TAKE_PTR(staged);
        }
        return 0;
}

/*
 * Calls fn(dir, program) for the chain's maps/ (program NULL) and every
 * programs/<name>/maps/, with the program's name decoded. The names in those
 * directories are encoded (pin_name_encode()).
 */
static void for_each_map_dir(const char *chain_dir, void (*fn)(const char *dir, const char *program, void *userdata),
                             void *userdata)
{
        g_autofree char *shared = g_build_filename(chain_dir, "maps", NULL);
        g_autofree char *programs = g_build_filename(chain_dir, "programs", NULL);
        g_autoptr(GDir) d = g_dir_open(programs, 0, NULL);
        const char *name;

        fn(shared, NULL, userdata);
        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *own = g_build_filename(programs, name, "maps", NULL), *program = NULL;

                if (pin_name_decode(name, &program) < 0)
                        continue;  /* no program's: chain_adopt() and prune_programs() deal with it */
                fn(own, program, userdata);
        }
}

static GPtrArray *list_dir(const char *dir)
{
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d)))
                g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_sort(names, strptr_compare);
        return names;
}

typedef struct Settle {
        const LogFields *chain;
        bool commit;
} Settle;

/* "map 'M' of program 'P'", or "chain-wide map 'M'" when 'program' is NULL. */
static char *describe_map(const char *map, const char *program)
{
        return program ? g_strdup_printf("map '%s' of program '%s'", map, program)
                       : g_strdup_printf("chain-wide map '%s'", map);
}

static void journal_replaced(const LogFields *chain, const char *program, const char *map, int old_fd, int new_fd)
{
        MapDef old = {}, new = {};
        g_autofree char *diff = NULL, *old_text = NULL, *new_text = NULL, *f_map = NULL, *f_old = NULL,
                        *f_new = NULL, *what = describe_map(map, program);
        const char *extra[4] = {};
        LogFields f = *chain;

        if (map_def_of_fd(new_fd, &new) < 0)
                return;
        new_text = map_def_to_string(&new);
        if (old_fd >= 0 && map_def_of_fd(old_fd, &old) >= 0) {
                diff = map_def_diff(&old, &new);
                old_text = map_def_to_string(&old);
        }
        f_map = g_strdup_printf("L3AF_MAP=%s", map);
        f_old = g_strdup_printf("L3AF_MAP_OLD=%s", strna(old_text));
        f_new = g_strdup_printf("L3AF_MAP_NEW=%s", new_text);
        extra[0] = f_map;
        extra[1] = f_old;
        extra[2] = f_new;
        f.extra = extra;
        f.program = program;
        log_structured(LOG_NOTICE, 0, L3AF_MSG_MAP_RECREATED, &f,
                       "Chain %s/%s: %s is a fresh map now: %s (was: %s; now: %s); the old map's entries are "
                       "not carried over.",
                       chain->interface, chain->hook, what, strna(diff), strna(old_text), new_text);
}

static void settle_dir(const char *dir, const char *program, void *userdata)
{
        Settle *s = userdata;
        g_autoptr(GPtrArray) names = list_dir(dir);

        for (guint i = 0; i < names->len; i++) {
                const char *name = names->pdata[i];
                g_autofree char *staged = NULL, *live = NULL, *map = NULL, *encoded = NULL;
                _cleanup_close_ int old_fd = -EBADF, new_fd = -EBADF;

                if (!g_str_has_suffix(name, STAGED_SUFFIX))
                        continue;
                staged = g_build_filename(dir, name, NULL);
                encoded = g_strndup(name, strlen(name) - strlen(STAGED_SUFFIX));
                if (pin_name_decode(encoded, &map) < 0)
                        continue;
                live = g_build_filename(dir, encoded, NULL);
                if (!s->commit) {
                        g_autofree char *what = describe_map(map, program);

                        if (unlink(staged) < 0 && errno != ENOENT)
                                log_warning_errno(errno, "Cannot remove the map staged at %s: %m", staged);
                        else
                                log_info("Chain %s/%s: dropping %s staged by a change that did not go live.",
                                         s->chain->interface, s->chain->hook, what);
                        continue;
                }
                old_fd = bpf_pin_open(live);
                new_fd = bpf_pin_open(staged);
                if (rename(staged, live) < 0) {
                        log_warning_errno(errno, "Cannot put the map staged at %s in place of %s: %m", staged, live);
                        continue;
                }
                if (new_fd >= 0)
                        journal_replaced(s->chain, program, map, old_fd, new_fd);
        }
}

void map_pins_settle(const char *chain_dir, const LogFields *chain, bool commit)
{
        Settle s = { .chain = chain, .commit = commit };

        for_each_map_dir(chain_dir, settle_dir, &s);
}

typedef struct Prune {
        const LogFields *chain;
        GPtrArray *programs;
} Prune;

static bool declared(GPtrArray *programs, const char *program, const char *map)
{
        for (guint i = 0; i < programs->len; i++) {
                const ProgramSpec *p = programs->pdata[i];
                const MapDef *d;

                if (program && !streq(p->name, program))
                        continue;
                d = map_defs_find(p->map_defs, map);
                if (d && d->shared == !program)
                        return true;
        }
        return false;
}

static void prune_dir(const char *dir, const char *program, void *userdata)
{
        Prune *s = userdata;
        g_autoptr(GPtrArray) names = list_dir(dir);

        for (guint i = 0; i < names->len; i++) {
                const char *e = names->pdata[i];
                g_autofree char *path = NULL, *name = NULL;

                /* A staged map left by a rename that failed may be live: adoption decides (chain_adopt()).
                 * Nor is anything that encodes no name ours to judge. */
                if (g_str_has_suffix(e, STAGED_SUFFIX) || pin_name_decode(e, &name) < 0 ||
                    declared(s->programs, program, name))
                        continue;
                path = g_build_filename(dir, e, NULL);
                if (unlink(path) < 0) {
                        if (errno != ENOENT)
                                log_warning_errno(errno, "Cannot release the map pinned at %s: %m", path);
                        continue;
                }
                if (program)
                        log_info("Chain %s/%s: map '%s' of program '%s' released: its object no longer declares it.",
                                 s->chain->interface, s->chain->hook, name, program);
                else
                        log_info("Chain %s/%s: chain-wide map '%s' released: no program of the chain pins it by "
                                 "name any more.", s->chain->interface, s->chain->hook, name);
        }
}

void map_pins_prune(const char *chain_dir, const LogFields *chain, GPtrArray *programs)
{
        Prune s = { .chain = chain, .programs = programs };

        /* Only what is known not to be declared goes. */
        for (guint i = 0; i < programs->len; i++)
                if (!((ProgramSpec *) programs->pdata[i])->map_defs)
                        return;
        for_each_map_dir(chain_dir, prune_dir, &s);
}

void map_pins_predict(const char *chain_dir, const ChainId *chain, GPtrArray *programs, GPtrArray *problems)
{
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        bool unreadable = false;

        for (guint i = 0; i < programs->len; i++) {
                const ProgramSpec *p = programs->pdata[i];

                for (guint j = 0; p->map_defs && j < p->map_defs->len; j++) {
                        const MapDef *d = p->map_defs->pdata[j];
                        g_autofree char *live = pin_map_path(chain_dir, p->name, d->name, d->shared);
                        g_autofree char *diff = NULL, *what = NULL;
                        _cleanup_close_ int fd = -EBADF;
                        MapDef have;

                        if (d->shared) {
                                if (g_hash_table_contains(seen, d->name))
                                        continue;
                                g_hash_table_add(seen, d->name);
                        }
                        fd = bpf_pin_open(live);
                        if (fd < 0 && fd != -ENOENT && !unreadable) {
                                unreadable = true;
                                problems_add(problems, true, NULL, chain, NULL, NULL,
                                             "cannot read the pinned map %s (%s), so whether a reload recreates "
                                             "maps of chain %s is not known (run --check as root for that)",
                                             live, g_strerror(-fd), CHAIN_ID_TO_STRING(chain));
                        }
                        if (fd < 0 || map_def_of_fd(fd, &have) < 0 || map_def_equal(&have, d))
                                continue;
                        diff = map_def_diff(&have, d);
                        what = describe_map(d->name, d->shared ? NULL : p->name);
                        problems_add(problems, true, p->source, chain, NULL, NULL,
                                     "%s will be recreated: %s; its entries are not carried over (those [Map %s] "
                                     "declares are written to the new map)",
                                     what, diff, d->name);
                }
        }
}

int map_pins_redefine_shared(const char *chain_dir, const ProgramSpec *p)
{
        for (guint j = 0; p->map_defs && j < p->map_defs->len; j++) {
                const MapDef *d = p->map_defs->pdata[j];
                g_autofree char *live = NULL;
                _cleanup_close_ int fd = -EBADF;
                MapDef have;
                int r;

                if (!d->shared)
                        continue;
                live = pin_map_path(chain_dir, p->name, d->name, true);
                fd = bpf_pin_open(live);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                r = map_def_of_fd(fd, &have);
                if (r < 0)
                        return r;
                if (!map_def_equal(&have, d))
                        return 1;
        }
        return 0;
}
