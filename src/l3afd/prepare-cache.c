/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "package.h"
#include "prepare-cache.h"
#include "problem.h"
#include "util.h"

typedef struct Entry {
        FileDep *dropin;      /* as parsed */
        FileDep *object;      /* as read; NULL when it is one of the package's files (spec->package_files) */
        ProgramSpec *spec;    /* prepared, shared (program_spec_ref()) */
} Entry;

struct PrepareCache {
        GHashTable *entries;  /* drop-in path -> Entry* */
        GHashTable *objects;  /* GBytes*: one copy of each object's bytes the entries hold, shared among them */
};

/*
 * A cheap hash of an object's bytes: its size and its first and last 64
 * bytes (g_bytes_hash() reads every byte, about 10 ms for 500 objects of
 * 12 KB). Equal hashes are compared in full (g_bytes_equal()).
 */
static guint object_hash(gconstpointer key)
{
        gsize size, n;
        const uint8_t *b = g_bytes_get_data((GBytes *) key, &size);
        guint h = (guint) size;

        n = MIN(size, (gsize) 64);
        for (gsize i = 0; i < n; i++)
                h = h * 33 + b[i] + b[size - 1 - i];
        return h;
}

static void entry_free(Entry *e)
{
        if (!e)
                return;
        file_dep_free(e->dropin);
        file_dep_free(e->object);
        program_spec_free(e->spec);
        g_free(e);
}

PrepareCache *prepare_cache_new(void)
{
        PrepareCache *c = g_new0(PrepareCache, 1);

        c->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
        c->objects = g_hash_table_new_full(object_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
        return c;
}

void prepare_cache_free(PrepareCache *c)
{
        if (!c)
                return;
        g_hash_table_unref(c->entries);
        g_hash_table_unref(c->objects);
        g_free(c);
}

/* Whether the entry still holds; if not, what changed (a file, or the rollback protection's verdict). */
static bool entry_holds(Entry *e, const Settings *s, const char **ret_changed)
{
        const ProgramSpec *p = e->spec;
        FileDep *deps[] = { e->dropin, e->object };

        for (size_t i = 0; i < ELEMENTSOF(deps); i++)
                if (deps[i] && !file_dep_holds(deps[i])) {
                        *ret_changed = deps[i]->path;
                        return false;
                }
        if (!p->package)
                return true;
        for (guint i = 0; p->package_files && i < p->package_files->len; i++)
                if (!file_dep_holds(p->package_files->pdata[i])) {
                        *ret_changed = ((FileDep *) p->package_files->pdata[i])->path;
                        return false;
                }
        if (!package_may_run(s, p)) {
                *ret_changed = "the highest version that ran";
                return false;
        }
        return true;
}

ProgramSpec *prepare_cache_lookup(PrepareCache *c, const Settings *s, const char *path)
{
        const char *changed = NULL;
        Entry *e;

        if (!c)
                return NULL;
        e = g_hash_table_lookup(c->entries, path);
        if (!e)
                return NULL;
        if (!entry_holds(e, s, &changed)) {
                log_debug("%s: prepared again, %s changed.", path, changed);
                g_hash_table_remove(c->entries, path);
                return NULL;
        }
        return program_spec_ref(e->spec);
}

int prepare_cache_parse(const char *path, GPtrArray *problems, ProgramSpec **ret, FileDep **ret_dep)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(FileDep) dep = NULL;
        g_autofree char *data = NULL;
        gsize size;
        int r;

        *ret_dep = NULL;
        /* What cannot be read is parsed the usual way, which says why in its own words. */
        if (!g_file_get_contents(path, &data, &size, NULL) || file_dep_record(path, data, size, &dep) < 0)
                return dropin_parse(path, problems, ret);
        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, &error)) {
                problems_add(problems, false, path, NULL, NULL, NULL, "cannot parse: %s", error->message);
                return -EINVAL;
        }
        r = dropin_parse_keyfile(kf, path, problems, ret);
        if (r >= 0)
                *ret_dep = TAKE_PTR(dep);
        return r;
}

static bool in_package(const ProgramSpec *p)
{
        for (guint i = 0; p->package_files && i < p->package_files->len; i++)
                if (streq(((FileDep *) p->package_files->pdata[i])->path, p->object))
                        return true;
        return false;
}

/*
 * Drop-ins that load the same object (the same bytes, compared in full) hold
 * one copy of it. 'p' is not shared yet, so its bytes may still be swapped.
 */
static void share_object(PrepareCache *c, ProgramSpec *p)
{
        GBytes *same = g_hash_table_lookup(c->objects, p->elf);

        if (!same) {
                g_hash_table_add(c->objects, g_bytes_ref(p->elf));
                return;
        }
        if (same != p->elf) {
                g_bytes_unref(p->elf);
                p->elf = g_bytes_ref(same);
        }
}

void prepare_cache_store(PrepareCache *c, const Settings *s, FileDep *dropin, ProgramSpec *p)
{
        g_autoptr(FileDep) d = dropin, object = NULL;
        Entry *e;
        gsize size;
        const void *data;

        if (!c || !d || p->standalone || (p->probes && p->probes->len > 0) || !p->elf || !p->object)
                return;
        if (p->package && (!s->require_signatures || !p->package_files))
                return;
        data = g_bytes_get_data(p->elf, &size);
        /* A package's object is one of its files already (recorded before it was read). */
        if (!in_package(p) && file_dep_record(p->object, data, size, &object) < 0)
                return;
        share_object(c, p);
        e = g_new0(Entry, 1);
        e->dropin = TAKE_PTR(d);
        e->object = TAKE_PTR(object);
        e->spec = program_spec_ref(p);
        g_hash_table_replace(c->entries, g_strdup(p->source), e);
}

void prepare_cache_retain(PrepareCache *c, GHashTable *paths)
{
        g_autoptr(GHashTable) held = NULL;
        GHashTableIter it;
        const char *path;
        Entry *e;
        GBytes *b;

        if (!c)
                return;
        g_hash_table_iter_init(&it, c->entries);
        while (g_hash_table_iter_next(&it, (gpointer *) &path, NULL))
                if (!g_hash_table_contains(paths, path))
                        g_hash_table_iter_remove(&it);

        /* The objects the remaining entries hold, and no other (compared as pointers: no bytes read). */
        held = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_iter_init(&it, c->entries);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &e))
                g_hash_table_add(held, e->spec->elf);
        g_hash_table_iter_init(&it, c->objects);
        while (g_hash_table_iter_next(&it, (gpointer *) &b, NULL))
                if (!g_hash_table_contains(held, b))
                        g_hash_table_iter_remove(&it);
}

unsigned prepare_cache_size(const PrepareCache *c)
{
        return c ? g_hash_table_size(c->entries) : 0;
}
