/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "conf-files.h"
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

        for (char *const *d = dirs; d && *d; d++) {
                g_autoptr(GDir) dir = NULL;
                g_autoptr(GError) error = NULL;
                const char *name;

                dir = g_dir_open(*d, 0, &error);
                if (!dir) {
                        if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
                            g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
                                continue;
                        return -EIO;
                }
                while ((name = g_dir_read_name(dir))) {
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
                        if (!masked && (stat(path, &st) < 0 || !S_ISREG(st.st_mode)))
                                continue;

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
