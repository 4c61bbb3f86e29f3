/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "l3af/pins.h"
#include "log.h"
#include "map-entries.h"
#include "pin-path.h"
#include "probe.h"
#include "program.h"
#include "standalone.h"
#include "util.h"

#define STANDALONE_MAX 1024

Standalone *standalone_new(const char *pin_root, const char *name)
{
        Standalone *s = g_new0(Standalone, 1);

        s->name = g_strdup(name);
        s->dir = g_build_filename(pin_root, STANDALONE_DIR, NULL);
        s->probes = g_ptr_array_new_with_free_func((GDestroyNotify) probe_free);
        return s;
}

void standalone_free(Standalone *s)
{
        if (!s)
                return;
        g_free(s->name);
        g_free(s->dir);
        g_free(s->source);
        g_ptr_array_unref(s->probes);
        g_free(s->error);
        g_free(s);
}

/* The meta map under dir, created (and pinned) with 'create'; -errno otherwise. */
static int meta_open(const char *dir, bool create)
{
        g_autofree char *path = g_build_filename(dir, "meta", NULL);
        _cleanup_close_ int fd = bpf_pin_open(path);
        int r;

        if (fd >= 0 || fd != -ENOENT || !create)
                return TAKE_FD(fd);
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        fd = bpf_map_create(BPF_MAP_TYPE_HASH, "l3af_probes", sizeof(struct l3af_meta_key),
                            sizeof(struct l3af_meta), STANDALONE_MAX, NULL);
        if (fd < 0)
                return negative_errno();
        if (bpf_obj_pin(fd, path) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

static void meta_key(struct l3af_meta_key *k, const char *name)
{
        memset(k, 0, sizeof(*k));
        g_strlcpy(k->name, name, sizeof(k->name));
}

/* Reads what the pins say runs. */
static void describe_pinned(Standalone *s)
{
        g_autofree char *pdir = pin_program_dir(s->dir, s->name);
        g_autofree char *digest = NULL;

        g_ptr_array_set_size(s->probes, 0);
        probes_describe_pinned(s->name, pdir, s->probes, &digest);
        g_strlcpy(s->digest, digest ? digest : "", sizeof(s->digest));
}

int standalone_adopt_all(const char *pin_root, GPtrArray **ret)
{
        g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) standalone_free);
        g_autofree char *dir = g_build_filename(pin_root, STANDALONE_DIR, NULL);
        g_autofree char *programs = g_build_filename(dir, "programs", NULL);
        g_autoptr(GDir) d = g_dir_open(programs, 0, NULL);
        _cleanup_close_ int meta = meta_open(dir, false);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *name = NULL;
                struct l3af_meta_key k;
                struct l3af_meta v;
                Standalone *s;

                if (pin_name_decode(e, &name) < 0 || !program_name_is_valid(name)) {
                        log_warning("Ignoring %s/%s, which names no probe.", programs, e);
                        continue;
                }
                s = standalone_new(pin_root, name);
                meta_key(&k, name);
                if (meta >= 0 && bpf_map_lookup_elem(meta, &k, &v) == 0) {
                        v.source[sizeof(v.source) - 1] = 0;
                        s->source = g_strdup(v.source);
                }
                describe_pinned(s);
                g_ptr_array_add(all, s);
        }
        *ret = TAKE_PTR(all);
        return 0;
}

int standalone_apply(Standalone *s, ProgramSpec *p, char **ret_error)
{
        g_autofree char *pdir = pin_program_dir(s->dir, p->name), *error = NULL;
        _cleanup_close_ int meta = -EBADF;
        struct l3af_meta_key k;
        struct l3af_meta v = {};
        bool fresh = !g_file_test(pdir, G_FILE_TEST_IS_DIR), attach;
        int r;

        attach = !probes_pinned(pdir, p->digest, p->probes);
        if (attach) {
                struct bpf_object *obj = NULL;

                r = program_load_probes(p, s->dir, &obj, &error);
                if (r >= 0)
                        r = program_write_map_entries(p, s->dir, &error);
                if (r >= 0)
                        r = probes_attach(pdir, p->digest, p->probes, obj, &error);
                bpf_object__close(obj);
                if (r < 0)
                        goto fail;
        } else {
                r = program_write_map_entries(p, s->dir, &error);
                if (r < 0)
                        goto fail;
        }
        /* What ran before (another object) goes now that the new one runs. */
        probes_retire(pdir, p->digest);
        if (map_entries_retract(s->dir, p->name, p, &error) < 0) {
                log_warning("Probe %s: %s; retried at the next reload.", p->name, error);
                g_clear_pointer(&error, g_free);
        }

        meta = meta_open(s->dir, true);
        meta_key(&k, p->name);
        g_strlcpy(v.source, p->source, sizeof(v.source));
        if (p->package)
                g_strlcpy(v.package, p->package, sizeof(v.package));
        if (p->version)
                g_strlcpy(v.version, p->version, sizeof(v.version));
        if (meta < 0 || bpf_map_update_elem(meta, &k, &v, BPF_ANY) < 0)
                log_warning_errno(meta < 0 ? meta : errno, "Probe %s: cannot record its drop-in: %m", p->name);

        g_free(s->source);
        s->source = g_strdup(p->source);
        g_strlcpy(s->digest, p->digest, sizeof(s->digest));
        g_ptr_array_set_size(s->probes, 0);
        probes_describe(p->name, pdir, p->digest, p->probes, s->probes);
        return attach ? 1 : 0;
fail:
        if (fresh)
                (void) rm_rf(pdir);  /* nothing of it ran before */
        *ret_error = TAKE_PTR(error);
        return r;
}

int standalone_remove(Standalone *s)
{
        g_autofree char *pdir = pin_program_dir(s->dir, s->name), *error = NULL;
        g_autofree char *programs = g_build_filename(s->dir, "programs", NULL);
        _cleanup_close_ int meta = meta_open(s->dir, false);
        struct l3af_meta_key k;
        int r;

        /* Entries it wrote into maps others share are taken out first; they may outlive it. */
        if (map_entries_retract(s->dir, s->name, NULL, &error) < 0)
                log_warning("Probe %s: %s", s->name, error);
        r = rm_rf(pdir);
        if (meta >= 0) {
                meta_key(&k, s->name);
                (void) bpf_map_delete_elem(meta, &k);
        }
        g_ptr_array_set_size(s->probes, 0);
        if (rmdir(programs) >= 0) {
                /* The last one: the shared maps and the record go too. */
                safe_close(&meta);
                (void) rm_rf(s->dir);
        }
        return r;
}

char *standalone_describe(const Standalone *s)
{
        GString *out = g_string_new(NULL);

        for (guint i = 0; i < s->probes->len; i++) {
                const Probe *p = s->probes->pdata[i];

                if (p->kind >= 0)
                        g_string_append_printf(out, "%s%s (%s %s, link %u, id %u)", i ? ", " : "", p->program,
                                               probe_kind_to_string(p->kind), strna(p->target), p->link_id,
                                               p->prog_id);
                else
                        g_string_append_printf(out, "%s%s (link %u, id %u)", i ? ", " : "", p->program, p->link_id,
                                               p->prog_id);
        }
        if (out->len == 0)
                g_string_append(out, "(nothing attached)");
        return g_string_free(out, FALSE);
}
