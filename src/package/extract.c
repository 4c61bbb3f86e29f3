/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bpf-util.h"
#include "extract.h"
#include "util.h"

#define READ_BLOCK (64 * 1024)

typedef struct archive Archive;

static void archive_read_freep(Archive **a)
{
        if (*a)
                archive_read_free(*a);
}
static void archive_write_freep(Archive **a)
{
        if (*a)
                archive_write_free(*a);
}
#define _cleanup_archive_read_ _cleanup_(archive_read_freep)
#define _cleanup_archive_write_ _cleanup_(archive_write_freep)

/* Removes the temporary directory unless it was handed over. */
static void tmpdir_removep(char **p)
{
        if (*p) {
                (void) rm_rf(*p);
                g_free(*p);
        }
}

/*
 * Normalizes an entry's path: drops "." parts, empty parts and a leading "./".
 * Returns NULL (and why) for absolute paths and "..". "" for the top itself.
 */
static char *normalize(const char *path, const char **why)
{
        g_auto(GStrv) parts = NULL;
        GString *s;

        if (path[0] == '/') {
                *why = "absolute paths are not allowed";
                return NULL;
        }
        s = g_string_new(NULL);
        parts = g_strsplit(path, "/", -1);
        for (char **p = parts; *p; p++) {
                if (isempty(*p) || streq(*p, "."))
                        continue;
                if (streq(*p, "..")) {
                        *why = "'..' is not allowed in paths";
                        g_string_free(s, TRUE);
                        return NULL;
                }
                g_string_append_printf(s, "%s%s", s->len ? "/" : "", *p);
        }
        return g_string_free(s, FALSE);
}

/* True when the link 'target', found in the directory of 'path', stays in the tree. */
static bool link_stays_inside(const char *path, const char *target)
{
        g_auto(GStrv) here = g_strsplit(path, "/", -1), parts = NULL;
        int depth = (int) g_strv_length(here) - 1;  /* the link's own directory */

        if (target[0] == '/' || isempty(target))
                return false;
        parts = g_strsplit(target, "/", -1);
        for (char **p = parts; *p; p++) {
                if (isempty(*p) || streq(*p, "."))
                        continue;
                if (streq(*p, "..")) {
                        if (--depth < 0)
                                return false;
                } else
                        depth++;
        }
        return true;
}

static const char *kind_of(mode_t type)
{
        switch (type) {
        case AE_IFCHR:
                return "character device";
        case AE_IFBLK:
                return "block device";
        case AE_IFIFO:
                return "FIFO";
        case AE_IFSOCK:
                return "socket";
        default:
                return "special file";
        }
}

static int copy_data(Archive *in, Archive *out, const char *name, uint64_t *total, const ExtractLimits *l,
                     char **ret_error)
{
        uint64_t end = 0;

        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t offset;
                int r = archive_read_data_block(in, &buf, &size, &offset);

                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        *ret_error = g_strdup_printf("entry '%s': %s", name, archive_error_string(in));
                        return -EBADMSG;
                }
                if (offset < 0 || (uint64_t) offset + size < (uint64_t) offset ||
                    *total + MAX(end, (uint64_t) offset + size) - end > l->size_max) {
                        *ret_error = g_strdup_printf("entry '%s': the package unpacks to more than %" G_GUINT64_FORMAT
                                                     " bytes (ExtractSizeMax=)", name, l->size_max);
                        return -EFBIG;
                }
                if ((uint64_t) offset + size > end) {
                        *total += (uint64_t) offset + size - end;
                        end = (uint64_t) offset + size;
                }
                if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN) {
                        *ret_error = g_strdup_printf("entry '%s': cannot write: %s", name, archive_error_string(out));
                        return -EIO;
                }
        }
        return 0;
}

/*
 * Lets through what a package may hold, as the extraction writes it: a file (mode 0755 or 0644), a
 * directory (0755), a symbolic link that stays inside, a hard link to a file extracted before it (made
 * absolute below 'top'). Returns 0, or -EPERM with *ret_error naming entry 'name' (at 'path').
 */
static int check_kind(struct archive_entry *e, const char *top, const char *name, const char *path,
                      char **ret_error)
{
        const char *hardlink = archive_entry_hardlink(e), *symlink = archive_entry_symlink(e), *why = NULL;
        mode_t type = archive_entry_filetype(e);

        if (hardlink) {
                g_autofree char *target = normalize(hardlink, &why), *link_full = NULL;
                struct stat st;

                if (!target || isempty(target)) {
                        *ret_error = g_strdup_printf("entry '%s': hard link to '%s' leaves the package (%s)",
                                                     name, hardlink, why ? why : "empty target");
                        return -EPERM;
                }
                /* A hard link to a symbolic link would move that link to another directory. */
                link_full = g_build_filename(top, target, NULL);
                if (lstat(link_full, &st) < 0 || !S_ISREG(st.st_mode)) {
                        *ret_error = g_strdup_printf("entry '%s': hard link to '%s', which is not a file "
                                                     "extracted before it", name, hardlink);
                        return -EPERM;
                }
                archive_entry_set_hardlink(e, link_full);  /* copied */
        } else if (type == AE_IFLNK) {
                if (!symlink || !link_stays_inside(path, symlink)) {
                        *ret_error = g_strdup_printf("entry '%s': symbolic link to '%s' leaves the package",
                                                     name, strna(symlink));
                        return -EPERM;
                }
        } else if (type == AE_IFREG) {
                archive_entry_set_perm(e, archive_entry_perm(e) & 0111 ? 0755 : 0644);
        } else if (type == AE_IFDIR) {
                archive_entry_set_perm(e, 0755);
        } else {
                *ret_error = g_strdup_printf("entry '%s': is a %s; packages hold only files, directories "
                                             "and links", name, kind_of(type));
                return -EPERM;
        }
        return 0;
}

static int extract_entries(Archive *in, const char *top, const ExtractLimits *l, char **ret_error)
{
        _cleanup_archive_write_ Archive *out = archive_write_disk_new();
        struct archive_entry *e;
        uint64_t total = 0;
        unsigned count = 0;
        int r;

        if (!out)
                return -ENOMEM;
        /*
         * Entries are checked above; libarchive's own checks stay on as a second line. Paths are handed
         * to it absolute (below a canonical 'top'), since the working directory is the process's, not
         * this thread's.
         */
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);

        for (;;) {
                g_autofree char *path = NULL, *full = NULL, *name = NULL;
                const char *hardlink, *why = NULL;
                mode_t type;

                r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        *ret_error = g_strdup_printf("not a valid tar or zip archive: %s", archive_error_string(in));
                        return -EBADMSG;
                }
                if (++count > l->entries_max) {
                        *ret_error = g_strdup_printf("more than %u entries (ExtractEntriesMax=)", l->entries_max);
                        return -E2BIG;
                }
                name = g_strdup(archive_entry_pathname(e));  /* the entry's own is rewritten below */
                if (isempty(name)) {
                        *ret_error = g_strdup_printf("entry %u has no usable name", count);
                        return -EBADMSG;
                }
                path = normalize(name, &why);
                if (!path) {
                        *ret_error = g_strdup_printf("entry '%s': %s", name, why);
                        return -EPERM;
                }
                hardlink = archive_entry_hardlink(e);
                type = archive_entry_filetype(e);
                if (isempty(path)) {
                        if (type == AE_IFDIR && !hardlink)
                                continue;  /* "./" itself */
                        *ret_error = g_strdup_printf("entry '%s': not a file name", name);
                        return -EPERM;
                }

                r = check_kind(e, top, name, path, ret_error);
                if (r < 0)
                        return r;
                if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
                    (uint64_t) archive_entry_size(e) > l->size_max - total) {
                        *ret_error = g_strdup_printf("entry '%s': the package unpacks to more than %" G_GUINT64_FORMAT
                                                     " bytes (ExtractSizeMax=)", name, l->size_max);
                        return -EFBIG;
                }

                full = g_build_filename(top, path, NULL);
                archive_entry_set_pathname(e, full);
                archive_entry_set_uid(e, 0);
                archive_entry_set_gid(e, 0);
                archive_entry_set_uname(e, NULL);
                archive_entry_set_gname(e, NULL);
                if (archive_write_header(out, e) < ARCHIVE_WARN) {
                        *ret_error = g_strdup_printf("entry '%s': %s", name, archive_error_string(out));
                        return -EPERM;
                }
                if (type == AE_IFREG && !hardlink) {
                        r = copy_data(in, out, name, &total, l, ret_error);
                        if (r < 0)
                                return r;
                }
                if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
                        *ret_error = g_strdup_printf("entry '%s': %s", name, archive_error_string(out));
                        return -EIO;
                }
        }
        if (archive_write_close(out) < ARCHIVE_WARN) {
                *ret_error = g_strdup_printf("cannot finish: %s", archive_error_string(out));
                return -EIO;
        }
        return 0;
}

typedef int (*OpenFunc)(Archive *a, const void *source, size_t size);

static int open_file(Archive *a, const void *source, size_t size)
{
        return archive_read_open_filename(a, source, READ_BLOCK);
}

static int open_memory(Archive *a, const void *source, size_t size)
{
        return archive_read_open_memory(a, source, size);
}

static int extract(OpenFunc open_func, const void *source, size_t size, const char *dest, const ExtractLimits *l,
                   char **ret_error)
{
        _cleanup_archive_read_ Archive *in = archive_read_new();
        _cleanup_(tmpdir_removep) char *tmp = NULL;
        g_autofree char *dir = g_path_get_dirname(dest), *base = g_path_get_basename(dest);
        g_autofree char *error = NULL, *parent = NULL;
        int r;

        if (!in)
                return -ENOMEM;
        archive_read_support_filter_gzip(in);
        archive_read_support_format_tar(in);
        archive_read_support_format_zip(in);

        /* Canonical, so that libarchive's symlink check meets no link on the way to it. */
        parent = realpath(dir, NULL);
        if (!parent) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot resolve %s: %s", dir, g_strerror(-r));
                return r;
        }
        tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", parent, base);
        if (!g_mkdtemp_full(tmp, 0700)) {
                r = negative_errno();
                g_clear_pointer(&tmp, g_free);
                *ret_error = g_strdup_printf("cannot create a directory in %s: %s", parent, g_strerror(-r));
                return r;
        }
        if (open_func(in, source, size) < ARCHIVE_WARN) {
                *ret_error = g_strdup_printf("not a valid tar or zip archive: %s", archive_error_string(in));
                return -EBADMSG;
        }
        r = extract_entries(in, tmp, l, &error);
        if (r < 0) {
                *ret_error = TAKE_PTR(error);
                return r;
        }
        if (chmod(tmp, 0755) < 0 || rename(tmp, dest) < 0) {  /* same directory as tmp */
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot move the package into %s: %s", dest, g_strerror(-r));
                return r;
        }
        g_clear_pointer(&tmp, g_free);
        return 0;
}

int extract_archive(const char *path, const char *dest, const ExtractLimits *limits, char **ret_error)
{
        return extract(open_file, path, 0, dest, limits, ret_error);
}

int extract_archive_memory(const void *data, size_t size, const char *dest, const ExtractLimits *limits,
                           char **ret_error)
{
        return extract(open_memory, data, size, dest, limits, ret_error);
}
