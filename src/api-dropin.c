/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "api-dropin.h"
#include "conf-files.h"
#include "util.h"

FileEdit *file_edit_new(FileEditKind kind, const char *path, const char *content)
{
        FileEdit *e = g_new0(FileEdit, 1);

        e->kind = kind;
        e->path = g_strdup(path);
        e->content = g_strdup(content);
        return e;
}

void file_edit_free(FileEdit *e)
{
        if (!e)
                return;
        g_free(e->path);
        g_free(e->content);
        g_free(e->old_content);
        g_free(e->old_link);
        g_free(e);
}

static int write_file(const char *path, const char *content)
{
        g_autofree char *dir = g_path_get_dirname(path);

        if (g_mkdir_with_parents(dir, 0755) < 0)
                return negative_errno();
        if (!g_file_set_contents_full(path, content, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL))
                return -EIO;
        return 0;
}

/* Replaces 'path' with a symlink, atomically. */
static int write_link(const char *path, const char *target)
{
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *base = g_path_get_basename(path);
        g_autofree char *tmp = g_strdup_printf("%s/.#%s.%08x", dir, base, g_random_int());

        if (g_mkdir_with_parents(dir, 0755) < 0)
                return negative_errno();
        if (symlink(target, tmp) < 0)
                return negative_errno();
        if (rename(tmp, path) < 0) {
                int r = negative_errno();

                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int save_old(FileEdit *e)
{
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;

        if (lstat(e->path, &st) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                e->existed = false;
                return 0;
        }
        e->existed = true;
        if (S_ISLNK(st.st_mode)) {
                n = readlink(e->path, target, sizeof(target) - 1);
                if (n < 0)
                        return negative_errno();
                target[n] = 0;
                e->old_link = g_strdup(target);
                return 0;
        }
        if (!g_file_get_contents(e->path, &e->old_content, NULL, NULL))
                return -EIO;
        return 0;
}

int file_edit_apply(FileEdit *e)
{
        int r;

        g_return_val_if_fail(!e->applied, -EALREADY);
        r = save_old(e);
        if (r < 0)
                return r;
        switch (e->kind) {
        case FILE_EDIT_WRITE:
                r = write_file(e->path, e->content);
                break;
        case FILE_EDIT_MASK:
                r = write_link(e->path, "/dev/null");
                break;
        case FILE_EDIT_DELETE:
                r = unlink(e->path) < 0 && errno != ENOENT ? negative_errno() : 0;
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                return r;
        e->applied = true;
        return 0;
}

int file_edit_revert(FileEdit *e)
{
        int r;

        if (!e->applied)
                return 0;
        if (!e->existed)
                r = unlink(e->path) < 0 && errno != ENOENT ? negative_errno() : 0;
        else if (e->old_link)
                r = write_link(e->path, e->old_link);
        else
                r = write_file(e->path, e->old_content);
        if (r < 0)
                return r;
        e->applied = false;
        return 0;
}

char *api_dropin_name(const char *ifname, Hook hook, const char *name)
{
        return g_strdup_printf("api-%s:%s:%s.conf", ifname, hook_to_string(hook), name);
}

static bool declares(const char *path, const char *ifname, Hook hook, const char *name)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *i = NULL, *h = NULL, *n = NULL;

        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
                return false;
        i = g_key_file_get_string(kf, "Program", "Interface", NULL);
        h = g_key_file_get_string(kf, "Program", "Hook", NULL);
        n = g_key_file_get_string(kf, "Program", "Name", NULL);
        return i && h && n && streq(i, ifname) && hook_from_string(h) == hook && streq(n, name);
}

int api_dropin_find(char *const *dirs, const char *ifname, Hook hook, const char *name, char **ret_path)
{
        g_autoptr(GPtrArray) files = NULL;
        int r;

        r = conf_files_list(dirs, ".conf", &files);
        if (r < 0)
                return r;
        for (guint i = 0; i < files->len; i++) {
                ConfFile *f = files->pdata[i];

                if (!f->masked && declares(f->path, ifname, hook, name)) {
                        *ret_path = g_strdup(f->path);
                        return 1;
                }
        }
        return 0;
}

/* The index of 'dir' among the drop-in directories, or -1. */
static int dir_index(const Settings *s, const char *dir)
{
        for (int i = 0; s->conf_dirs && s->conf_dirs[i]; i++)
                if (streq(s->conf_dirs[i], dir))
                        return i;
        return -1;
}

int api_dropin_target(const Settings *s, const char *declared, const char *default_name, bool runtime,
                      char **ret_path)
{
        const char *target_dir = runtime ? s->runtime_dir_conf : s->persistent_dir;
        int t = dir_index(s, target_dir);
        g_autofree char *base = NULL;

        if (t < 0)
                return -EXDEV;
        if (declared) {
                g_autofree char *dir = g_path_get_dirname(declared);
                int d = dir_index(s, dir);

                if (d >= 0 && d < t)
                        return -EROFS;
                base = g_path_get_basename(declared);
        } else
                base = g_strdup(default_name);
        *ret_path = g_build_filename(target_dir, base, NULL);
        return 0;
}

static bool exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

int api_dropin_plan_remove(const Settings *s, const char *declared, bool runtime, GPtrArray *edits)
{
        g_autofree char *dir = g_path_get_dirname(declared), *base = g_path_get_basename(declared);
        g_autofree char *target = NULL;
        int t, d, r;
        bool below = false;

        r = api_dropin_target(s, declared, NULL, runtime, &target);
        if (r < 0)
                return r;
        t = dir_index(s, runtime ? s->runtime_dir_conf : s->persistent_dir);
        d = dir_index(s, dir);
        if (d < 0)
                return -EXDEV;
        /*
         * Delete the name where l3afd may write (the runtime and persistent
         * directories), from the target down to the declaring directory;
         * anything left below (vendor files in /usr/lib/l3af.d) is masked.
         */
        for (int i = t; s->conf_dirs[i]; i++) {
                g_autofree char *p = g_build_filename(s->conf_dirs[i], base, NULL);

                if (!exists(p))
                        continue;
                if (i <= d && (streq(s->conf_dirs[i], s->runtime_dir_conf) ||
                               streq(s->conf_dirs[i], s->persistent_dir)))
                        g_ptr_array_add(edits, file_edit_new(FILE_EDIT_DELETE, p, NULL));
                else
                        below = true;
        }
        if (below) {
                /* The mask replaces the target's file, if it had one. */
                for (guint i = 0; i < edits->len; i++)
                        if (streq(((FileEdit *) edits->pdata[i])->path, target))
                                g_ptr_array_remove_index(edits, i);
                g_ptr_array_add(edits, file_edit_new(FILE_EDIT_MASK, target, NULL));
        }
        return 0;
}

GKeyFile *api_dropin_load(const char *path)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;

        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
                errno = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? ENOENT : EINVAL;
                return NULL;
        }
        return TAKE_PTR(kf);
}

#define API_HEADER " Written by l3afd through org.l3af.Chain1; an ordinary drop-in (see l3af.d(5))."

char *api_dropin_to_text(GKeyFile *kf, const char *method)
{
        g_autofree char *top = g_key_file_get_comment(kf, NULL, NULL, NULL);
        g_auto(GStrv) lines = top ? g_strsplit(top, "\n", -1) : NULL;
        g_autoptr(GString) comment = g_string_new(API_HEADER);

        /* Keep the admin's own comment under ours, and ours only once. */
        for (char **l = lines; l && *l; l++) {
                if (strstr(*l, "Written by l3afd through org.l3af.Chain1"))
                        continue;
                if (!l[1] && isempty(*l))
                        break;  /* the trailing newline */
                g_string_append_printf(comment, "\n%s", *l);
        }
        (void) g_key_file_set_comment(kf, NULL, NULL, comment->str, NULL);
        return g_key_file_to_data(kf, NULL, NULL);
}

static char *normalize(const char *text)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();

        if (!text || !g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL))
                return NULL;
        return g_key_file_to_data(kf, NULL, NULL);
}

bool api_dropin_same(const char *a, const char *b)
{
        g_autofree char *x = normalize(a), *y = normalize(b);

        return x && y && streq(x, y);
}

char *api_dropin_read(const char *path)
{
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return text;
}
