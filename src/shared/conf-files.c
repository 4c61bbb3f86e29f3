/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "bpf-util.h"
#include "conf-files.h"
#include "log.h"
#include "util.h"

void conf_file_free(ConfFile *f)
{
        if (!f)
                return;
        g_free(f->name);
        g_free(f->path);
        g_free(f);
}

static bool is_dev_null_link(const char *path)
{
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof(target) - 1);

        if (n < 0)
                return false;
        target[n] = 0;
        return streq(target, "/dev/null");
}

static gint conf_file_compare(gconstpointer a, gconstpointer b)
{
        const ConfFile *x = *(ConfFile *const *) a, *y = *(ConfFile *const *) b;

        return strcmp(x->name, y->name);
}

int conf_files_list(char *const *dirs, const char *suffix, GPtrArray **ret)
{
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) conf_file_free);
        int r;

        for (char *const *d = dirs; d && *d; d++) {
                g_autoptr(GPtrArray) names = NULL;

                /* A directory that cannot be read is an error, never an empty one: its chains would go. */
                r = dir_list(*d, &names);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return log_error_errno(r, "Cannot list drop-ins in %s: %m", *d);
                for (guint i = 0; i < names->len; i++) {
                        const char *name = names->pdata[i];
                        g_autofree char *path = NULL;
                        ConfFile *f;
                        struct stat st;
                        bool masked;

                        if (name[0] == '.' || !g_str_has_suffix(name, suffix))
                                continue;
                        if (g_hash_table_contains(seen, name))
                                continue;  /* hidden by a higher directory */
                        path = g_build_filename(*d, name, NULL);
                        masked = is_dev_null_link(path);
                        if (!masked) {
                                if (stat(path, &st) < 0) {
                                        if (errno == ENOENT)
                                                continue;  /* gone, or a dangling symlink */
                                        return log_error_errno(errno, "Cannot look at drop-in %s: %m", path);
                                }
                                if (!S_ISREG(st.st_mode))
                                        continue;
                        }

                        f = g_new0(ConfFile, 1);
                        f->name = g_strdup(name);
                        f->path = TAKE_PTR(path);
                        f->masked = masked;
                        g_ptr_array_add(files, f);
                        g_hash_table_add(seen, f->name);
                }
        }
        g_ptr_array_sort(files, conf_file_compare);
        *ret = TAKE_PTR(files);
        return 0;
}
