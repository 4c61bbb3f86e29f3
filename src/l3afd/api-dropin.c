/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "api-dropin.h"
#include "conf-files.h"
#include "util.h"

FileEdit *file_edit_new(FileEditKind kind, const char *path, const char *content, const FileStamp *seen)
{
        FileEdit *e = g_new0(FileEdit, 1);

        e->kind = kind;
        e->path = g_strdup(path);
        e->content = g_strdup(content);
        e->read_error = file_stamp_read(path, &e->before, &e->old_content);
        if (e->read_error >= 0 && e->before.exists && e->before.type == S_IFLNK)
                e->old_link = TAKE_PTR(e->old_content);
        /* Changed since the caller read it: expect what the caller saw, so the edit does not apply. */
        if (e->read_error >= 0 && seen && !file_stamp_equal(seen, &e->before))
                e->before = *seen;
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

int file_edit_apply(FileEdit *e)
{
        FileContentKind kind;
        const char *data;
        int r;

        g_return_val_if_fail(!e->applied, -EALREADY);
        if (e->read_error < 0)
                return e->read_error;
        switch (e->kind) {
        case FILE_EDIT_WRITE:
                kind = FILE_CONTENT_BYTES;
                data = e->content;
                break;
        case FILE_EDIT_MASK:
                kind = FILE_CONTENT_LINK;
                data = "/dev/null";
                break;
        case FILE_EDIT_DELETE:
                kind = FILE_CONTENT_NONE;
                data = NULL;
                break;
        default:
                return -EINVAL;
        }
        r = file_replace_if(e->path, &e->before, kind, data, &e->written);
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
        if (!e->before.exists)
                r = file_replace_if(e->path, &e->written, FILE_CONTENT_NONE, NULL, NULL);
        else if (e->old_link)
                r = file_replace_if(e->path, &e->written, FILE_CONTENT_LINK, e->old_link, NULL);
        else if (e->old_content)
                r = file_replace_if(e->path, &e->written, FILE_CONTENT_BYTES, e->old_content, NULL);
        else
                r = -EOPNOTSUPP;  /* neither a file nor a symlink: nothing file_replace_if() can put back */
        if (r < 0)
                return r;
        e->applied = false;
        return 0;
}

int file_edit_check(FileEdit *e)
{
        FileStamp now;
        int r;

        if (!e->applied)
                return 0;
        r = file_stamp_read(e->path, &now, NULL);
        if (r == -EAGAIN)
                return -ESTALE;  /* it kept changing while it was read */
        if (r < 0)
                return r;
        return file_stamp_equal(&now, &e->written) ? 0 : -ESTALE;
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
                        g_ptr_array_add(edits, file_edit_new(FILE_EDIT_DELETE, p, NULL, NULL));
                else
                        below = true;
        }
        if (below) {
                /* The mask replaces the target's file, if it had one. */
                for (guint i = 0; i < edits->len; i++)
                        if (streq(((FileEdit *) edits->pdata[i])->path, target))
                                g_ptr_array_remove_index(edits, i);
                g_ptr_array_add(edits, file_edit_new(FILE_EDIT_MASK, target, NULL, NULL));
        }
        return 0;
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

int api_dropin_load_stamped(const char *path, GKeyFile **ret, FileStamp *ret_stamp)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *text = NULL;
        FileStamp stamp;
        int r;

        r = file_stamp_read(path, &stamp, &text);
        if (r < 0)
                return r;
        if (!stamp.exists)
                return -ENOENT;
        if (stamp.type == S_IFLNK) {
                /* A drop-in linked from elsewhere: the link is what l3afd replaces, and what is stamped. */
                g_clear_pointer(&text, g_free);
                if (!g_file_get_contents(path, &text, NULL, NULL))
                        return -EINVAL;
        }
        if (!text)
                return -EINVAL;  /* neither a file nor a link to one */
        if (!g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_KEEP_COMMENTS, NULL))
                return -EINVAL;
        *ret = TAKE_PTR(kf);
        *ret_stamp = stamp;
        return 0;
}
