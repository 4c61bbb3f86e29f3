/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bpf-util.h"
#include "extract.h"

static char *tmpdir;

typedef struct Item {
        const char *path;
        mode_t type;          /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO; 0: hard link */
        const char *data;     /* file content, or link target */
        size_t size;          /* for files: bytes of 'x' when data is NULL */
} Item;

static GBytes *make_archive(const Item *items, size_t n, bool zip)
{
        struct archive *a = archive_write_new();
        size_t cap = 8 * 1024 * 1024, used = 0;
        char *buf = g_malloc(cap);

        if (zip)
                archive_write_set_format_zip(a);
        else {
                archive_write_add_filter_gzip(a);
                archive_write_set_format_pax_restricted(a);
        }
        g_assert_cmpint(archive_write_open_memory(a, buf, cap, &used), ==, ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                g_autofree char *fill = NULL;

                archive_entry_set_pathname(e, items[i].path);
                archive_entry_set_perm(e, 0644);
                if (items[i].type == 0) {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, items[i].data);
                }
                else {
                        archive_entry_set_filetype(e, items[i].type);
                        if (items[i].type == AE_IFLNK)
                                archive_entry_set_symlink(e, items[i].data);
                        if (items[i].type == AE_IFCHR)
                                archive_entry_set_rdev(e, makedev(1, 3));
                }
                if (items[i].type == AE_IFREG) {
                        size_t size = items[i].data ? strlen(items[i].data) : items[i].size;

                        archive_entry_set_size(e, size);
                        g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
                        if (!items[i].data)
                                fill = g_strnfill(size, 'x');
                        archive_write_data(a, items[i].data ? items[i].data : fill, size);
                } else
                        g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
                archive_entry_free(e);
        }
        g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
        archive_write_free(a);
        return g_bytes_new_take(buf, used);
}

/* Nothing but 'keep' may be in tmpdir. */
static void assert_clean(const char *keep)
{
        g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
        const char *name;

        while ((name = g_dir_read_name(d)))
                if (!keep || strcmp(name, keep) != 0)
                        g_error("left behind: %s", name);
}

static char *extract(const Item *items, size_t n, bool zip, unsigned entries_max, uint64_t size_max, int *ret)
{
        g_autoptr(GBytes) b = make_archive(items, n, zip);
        g_autofree char *dest = g_build_filename(tmpdir, "out", NULL);
        ExtractLimits l = { .entries_max = entries_max, .size_max = size_max };
        char *error = NULL;
        gsize size;
        const void *data = g_bytes_get_data(b, &size);

        *ret = extract_archive_memory(data, size, dest, &l, &error);
        g_assert_true((*ret < 0) == (error != NULL));
        return error;
}

static void refused(const Item *items, size_t n, const char *want)
{
        int r;
        g_autofree char *error = extract(items, n, false, 100, 1 << 20, &r);

        if (r >= 0 || !strstr(error, want))
                g_error("got '%s', want '%s'", error ? error : "(success)", want);
        assert_clean(NULL);
}

static void test_good(void)
{
        static const Item items[] = {
                { "./", AE_IFDIR },
                { "l3af-package.conf", AE_IFREG, "[Package]\n" },
                { "bpf/", AE_IFDIR },
                { "bpf/prog.o", AE_IFREG, "ELF" },
                { "bpf/same.o", 0, "bpf/prog.o" },
                { "bpf/link.o", AE_IFLNK, "prog.o" },
                { "bpf/up.conf", AE_IFLNK, "../l3af-package.conf" },
        };
        g_autofree char *dest = g_build_filename(tmpdir, "out", NULL), *content = NULL, *p = NULL;
        g_autofree char *error = NULL;
        struct stat st;
        int r;

        for (int zip = 0; zip <= 1; zip++) {
                error = extract(items, G_N_ELEMENTS(items) - (zip ? 3 : 0), zip, 100, 1 << 20, &r);
                g_assert_cmpint(r, ==, 0);
                p = g_build_filename(dest, "bpf", "prog.o", NULL);
                g_assert_true(g_file_get_contents(p, &content, NULL, NULL));
                g_assert_cmpstr(content, ==, "ELF");
                g_assert_cmpint(lstat(p, &st), ==, 0);
                g_assert_cmpint(st.st_mode & 07777, ==, 0644);
                g_clear_pointer(&content, g_free);
                g_clear_pointer(&p, g_free);
                assert_clean("out");
                g_assert_cmpint(rm_rf(dest), ==, 0);
        }
}

static void test_refusals(void)
{
        const Item conf = { "l3af-package.conf", AE_IFREG, "[Package]\n" };
        const Item dotdot[] = { conf, { "a/../../escaped", AE_IFREG, "x" } };
        const Item absolute[] = { conf, { "/tmp/escaped", AE_IFREG, "x" } };
        const Item sym_out[] = { conf, { "a/link", AE_IFLNK, "../../x" } };
        const Item sym_abs[] = { conf, { "link", AE_IFLNK, "/etc/passwd" } };
        const Item hard_out[] = { conf, { "h", 0, "../x" } };
        const Item hard_sym[] = { conf, { "a/in", AE_IFLNK, "../x" }, { "out", 0, "a/in" } };
        const Item through[] = { conf, { "d", AE_IFLNK, "." }, { "d/file", AE_IFREG, "x" } };
        const Item device[] = { conf, { "null", AE_IFCHR } };
        const Item fifo[] = { conf, { "pipe", AE_IFIFO } };
        const Item big[] = { conf, { "big", AE_IFREG, NULL, (1 << 20) + 1 } };

        refused(dotdot, G_N_ELEMENTS(dotdot), "'..' is not allowed");
        refused(absolute, G_N_ELEMENTS(absolute), "absolute paths are not allowed");
        refused(sym_out, G_N_ELEMENTS(sym_out), "symbolic link to '../../x' leaves the package");
        refused(sym_abs, G_N_ELEMENTS(sym_abs), "symbolic link to '/etc/passwd' leaves the package");
        refused(hard_out, G_N_ELEMENTS(hard_out), "'..' is not allowed");
        refused(hard_sym, G_N_ELEMENTS(hard_sym), "which is not a file extracted before it");
        refused(through, G_N_ELEMENTS(through), "entry 'd/file'");
        refused(device, G_N_ELEMENTS(device), "is a character device");
        refused(fifo, G_N_ELEMENTS(fifo), "is a FIFO");
        refused(big, G_N_ELEMENTS(big), "unpacks to more than 1048576 bytes");
}

static void test_limits(void)
{
        Item many[30];
        g_autofree char *error = NULL, *e2 = NULL;
        int r;

        for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
                many[i] = (Item) { g_strdup_printf("f%zu", i), AE_IFREG, "x" };
        error = extract(many, G_N_ELEMENTS(many), false, 29, 1 << 20, &r);
        g_assert_cmpint(r, <, 0);
        g_assert_nonnull(strstr(error, "more than 29 entries"));
        assert_clean(NULL);
        /* The total counts, not one entry: 30 bytes over a 29-byte limit. */
        e2 = extract(many, G_N_ELEMENTS(many), false, 100, 29, &r);
        g_assert_cmpint(r, <, 0);
        g_assert_nonnull(strstr(e2, "unpacks to more than 29 bytes"));
        assert_clean(NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
                g_free((char *) many[i].path);
}

static void test_garbage(void)
{
        g_autofree char *dest = g_build_filename(tmpdir, "out", NULL), *error = NULL;
        ExtractLimits l = { .entries_max = 10, .size_max = 1000 };
        const char junk[] = "this is not an archive at all, not even close";

        g_assert_cmpint(extract_archive_memory(junk, sizeof(junk), dest, &l, &error), <, 0);
        g_assert_nonnull(strstr(error, "not a valid tar or zip archive"));
        assert_clean(NULL);
}

int main(int argc, char **argv)
{
        int r;

        g_test_init(&argc, &argv, NULL);
        tmpdir = g_dir_make_tmp("test-extract-XXXXXX", NULL);
        g_test_add_func("/extract/good", test_good);
        g_test_add_func("/extract/refusals", test_refusals);
        g_test_add_func("/extract/limits", test_limits);
        g_test_add_func("/extract/garbage", test_garbage);
        r = g_test_run();
        rm_rf(tmpdir);
        return r;
}
