/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stamps and conditional writes (file-stamp.h), and the FileEdits built on
 * them: a write or an undo never replaces a file someone else changed. And
 * FileDeps, what a cached result was derived from: every change shows.
 */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-dropin.h"
#include "file-stamp.h"
#include "util.h"

typedef struct Fixture {
        char *tmp;
        char *path;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
        f->tmp = g_dir_make_tmp("l3af-stamp-XXXXXX", NULL);
        g_assert_nonnull(f->tmp);
        f->path = g_build_filename(f->tmp, "10-x.conf", NULL);
}

static void teardown(Fixture *f, gconstpointer data)
{
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmp);

        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->path);
        g_free(f->tmp);
}

static char *slurp(const char *path)
{
        char *text = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

/* Rewrites 'path' in place with 'text', then puts its mtime back: only the digest can tell. */
static void rewrite_keeping_stat(const char *path, const char *text)
{
        struct stat st;
        struct timespec times[2];
        int fd;

        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpuint(strlen(text), ==, (size_t) st.st_size);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t) strlen(text));
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        g_assert_cmpint(futimens(fd, times), ==, 0);
        close(fd);
}

static void test_stamp(Fixture *f, gconstpointer data)
{
        FileStamp a, b, none;
        g_autofree char *text = NULL, *target = NULL;
        g_autofree char *link = g_build_filename(f->tmp, "masked.conf", NULL);

        g_assert_cmpint(file_stamp_read(f->path, &none, NULL), ==, 0);
        g_assert_false(none.exists);
        g_assert_true(g_file_set_contents(f->path, "[Program]\nName=a\n", -1, NULL));
        g_assert_cmpint(file_stamp_read(f->path, &a, &text), ==, 0);
        g_assert_true(a.exists);
        g_assert_cmpstr(text, ==, "[Program]\nName=a\n");
        g_assert_false(file_stamp_equal(&a, &none));

        /* Same inode, size and mtime, other bytes: the digest tells them apart. */
        rewrite_keeping_stat(f->path, "[Program]\nName=b\n");
        g_assert_cmpint(file_stamp_read(f->path, &b, NULL), ==, 0);
        g_assert_true(a.ino == b.ino && a.size == b.size && a.mtime.tv_nsec == b.mtime.tv_nsec);
        g_assert_false(file_stamp_equal(&a, &b));

        /* A symlink is stamped itself, with its target. */
        g_assert_cmpint(symlink("/dev/null", link), ==, 0);
        g_assert_cmpint(file_stamp_read(link, &a, &target), ==, 0);
        g_assert_cmpint(a.type, ==, S_IFLNK);
        g_assert_cmpstr(target, ==, "/dev/null");
}

static void test_replace_if(Fixture *f, gconstpointer data)
{
        FileStamp none, seen, written;
        g_autofree char *text = NULL;

        /* Creating: only while nothing is there. */
        g_assert_cmpint(file_stamp_read(f->path, &none, NULL), ==, 0);
        g_assert_cmpint(file_replace_if(f->path, &none, FILE_CONTENT_BYTES, "ours\n", &written), ==, 0);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "ours\n");
        g_assert_cmpint(file_replace_if(f->path, &none, FILE_CONTENT_BYTES, "again\n", NULL), ==, -ESTALE);
        g_clear_pointer(&text, g_free);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "ours\n");

        /* What file_replace_if() wrote is what it stamped. */
        g_assert_cmpint(file_stamp_read(f->path, &seen, NULL), ==, 0);
        g_assert_true(file_stamp_equal(&seen, &written));

        /* Someone else's edit, however subtle, is never replaced or removed. */
        rewrite_keeping_stat(f->path, "THEM\n");
        g_assert_cmpint(file_replace_if(f->path, &written, FILE_CONTENT_BYTES, "new\n", NULL), ==, -ESTALE);
        g_assert_cmpint(file_replace_if(f->path, &written, FILE_CONTENT_LINK, "/dev/null", NULL), ==, -ESTALE);
        g_assert_cmpint(file_replace_if(f->path, &written, FILE_CONTENT_NONE, NULL, NULL), ==, -ESTALE);
        g_clear_pointer(&text, g_free);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "THEM\n");

        /* With the right stamp: replaced, then removed. */
        g_assert_cmpint(file_stamp_read(f->path, &seen, NULL), ==, 0);
        g_assert_cmpint(file_replace_if(f->path, &seen, FILE_CONTENT_BYTES, "new\n", &written), ==, 0);
        g_assert_cmpint(file_replace_if(f->path, &written, FILE_CONTENT_NONE, NULL, NULL), ==, 0);
        g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
}

static void test_edit_undo_keeps_their_edit(Fixture *f, gconstpointer data)
{
        g_autoptr(FileEdit) e = NULL;
        g_autofree char *text = NULL;

        g_assert_true(g_file_set_contents(f->path, "old\n", -1, NULL));
        e = file_edit_new(FILE_EDIT_WRITE, f->path, "ours\n", NULL);
        g_assert_cmpint(file_edit_apply(e), ==, 0);
        g_assert_cmpint(file_edit_check(e), ==, 0);

        /* An editor saving a new file over ours (a rename). */
        g_assert_true(g_file_set_contents(f->path, "theirs\n", -1, NULL));
        g_assert_cmpint(file_edit_check(e), ==, -ESTALE);
        g_assert_cmpint(file_edit_revert(e), ==, -ESTALE);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "theirs\n");
}

static void test_edit_not_applied_over_unseen_edit(Fixture *f, gconstpointer data)
{
        g_autoptr(FileEdit) e = NULL;
        g_autofree char *text = NULL;
        FileStamp seen;

        /* The caller computed its text from what it read; the file changed after. */
        g_assert_true(g_file_set_contents(f->path, "read\n", -1, NULL));
        g_assert_cmpint(file_stamp_read(f->path, &seen, NULL), ==, 0);
        g_assert_true(g_file_set_contents(f->path, "edited since\n", -1, NULL));
        e = file_edit_new(FILE_EDIT_WRITE, f->path, "from what was read\n", &seen);
        g_assert_cmpint(file_edit_apply(e), ==, -ESTALE);
        g_assert_false(e->applied);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "edited since\n");
}

static void test_delete_and_mask_undo(Fixture *f, gconstpointer data)
{
        g_autoptr(FileEdit) del = NULL, mask = NULL;
        g_autofree char *text = NULL;
        char target[64] = {};

        /* A deletion is undone only while the name is still free. */
        g_assert_true(g_file_set_contents(f->path, "old\n", -1, NULL));
        del = file_edit_new(FILE_EDIT_DELETE, f->path, NULL, NULL);
        g_assert_cmpint(file_edit_apply(del), ==, 0);
        g_assert_true(g_file_set_contents(f->path, "recreated\n", -1, NULL));
        g_assert_cmpint(file_edit_revert(del), ==, -ESTALE);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "recreated\n");

        /* A mask is undone while it is still our symlink, and the old bytes come back. */
        mask = file_edit_new(FILE_EDIT_MASK, f->path, NULL, NULL);
        g_assert_cmpint(file_edit_apply(mask), ==, 0);
        g_assert_cmpint(readlink(f->path, target, sizeof(target) - 1), ==, strlen("/dev/null"));
        g_assert_cmpstr(target, ==, "/dev/null");
        g_assert_cmpint(file_edit_revert(mask), ==, 0);
        g_clear_pointer(&text, g_free);
        text = slurp(f->path);
        g_assert_cmpstr(text, ==, "recreated\n");
}

static void write_file(const char *path, const char *text)
{
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A look in a round of its own, as the next reload takes. */
static bool holds(FileDep *d)
{
        file_dep_round();
        return file_dep_holds(d);
}

/* A fresh file: the same size and mtime after a rewrite in place, yet it does not hold. */
static void test_dep_fresh(Fixture *f, gconstpointer data)
{
        g_autoptr(FileDep) d = NULL;

        write_file(f->path, "port=7777\n");
        g_assert_cmpint(file_dep_record(f->path, "port=7777\n", 10, &d), ==, 0);
        g_assert_false(d->settled);
        g_assert_true(holds(d));
        rewrite_keeping_stat(f->path, "port=7778\n");
        g_assert_false(holds(d));
}

/* Bytes read before a write that the record does not see: the digest is of what was used. */
static void test_dep_record_after_write(Fixture *f, gconstpointer data)
{
        g_autoptr(FileDep) d = NULL;

        write_file(f->path, "port=7777\n");
        rewrite_keeping_stat(f->path, "port=7778\n");
        g_assert_cmpint(file_dep_record(f->path, "port=7777\n", 10, &d), ==, 0);
        g_assert_false(holds(d));
}

/* Settled: identity alone is proof, and st_ctim, which touch -d cannot set back, shows the edit. */
static void test_dep_settled(Fixture *f, gconstpointer data)
{
        g_autoptr(FileDep) d = NULL;

        write_file(f->path, "port=7777\n");
        g_assert_cmpint(file_dep_record(f->path, NULL, 0, &d), ==, 0);
        g_usleep(FILE_DEP_SETTLE_NSEC / 1000 + 100000);
        g_assert_true(holds(d));
        g_assert_true(d->settled);
        g_assert_true(holds(d));
        rewrite_keeping_stat(f->path, "port=7778\n");
        g_assert_false(holds(d));
}

/* Within one round a file is looked at once: every result sharing it gets one answer. */
static void test_dep_round(Fixture *f, gconstpointer data)
{
        g_autoptr(FileDep) d = NULL;

        write_file(f->path, "port=7777\n");
        g_assert_cmpint(file_dep_record(f->path, NULL, 0, &d), ==, 0);
        g_assert_true(file_dep_holds(d));  /* recorded in this round */
        rewrite_keeping_stat(f->path, "port=7778\n");
        g_assert_true(file_dep_holds(d));
        g_assert_false(holds(d));           /* the next round sees it */
}

/* Replaced by rename (same bytes, same mtime), removed, or a directory's entries changed. */
static void test_dep_replaced(Fixture *f, gconstpointer data)
{
        g_autofree char *other = g_build_filename(f->tmp, "new", NULL);
        g_autoptr(FileDep) d = NULL, dir = NULL, gone = NULL;
        struct stat st;
        struct timespec times[2];

        write_file(f->path, "x\n");
        g_assert_cmpint(file_dep_record(f->path, NULL, 0, &d), ==, 0);
        g_assert_cmpint(file_dep_record(f->tmp, NULL, 0, &dir), ==, 0);
        g_assert_true(holds(d));
        g_assert_true(holds(dir));

        write_file(other, "x\n");
        g_assert_cmpint(stat(f->path, &st), ==, 0);
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        g_assert_cmpint(utimensat(AT_FDCWD, other, times, 0), ==, 0);
        g_assert_false(holds(dir));  /* a new entry */
        g_assert_false(file_dep_holds(dir));  /* the same round: the same answer, no second look */
        g_assert_cmpint(rename(other, f->path), ==, 0);
        g_assert_false(holds(d));

        g_clear_pointer(&d, file_dep_free);
        g_assert_cmpint(file_dep_record(f->path, NULL, 0, &d), ==, 0);
        g_assert_cmpint(unlink(f->path), ==, 0);
        g_assert_false(holds(d));
        g_assert_cmpint(file_dep_record(f->path, NULL, 0, &gone), ==, -ENOENT);
        g_assert_null(gone);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add("/file-stamp/stamp", Fixture, NULL, setup, test_stamp, teardown);
        g_test_add("/file-stamp/replace-if", Fixture, NULL, setup, test_replace_if, teardown);
        g_test_add("/file-stamp/edit-undo-keeps-their-edit", Fixture, NULL, setup, test_edit_undo_keeps_their_edit,
                   teardown);
        g_test_add("/file-stamp/edit-not-applied-over-unseen-edit", Fixture, NULL, setup,
                   test_edit_not_applied_over_unseen_edit, teardown);
        g_test_add("/file-stamp/delete-and-mask-undo", Fixture, NULL, setup, test_delete_and_mask_undo, teardown);
        g_test_add("/file-stamp/dep-fresh", Fixture, NULL, setup, test_dep_fresh, teardown);
        g_test_add("/file-stamp/dep-record-after-write", Fixture, NULL, setup, test_dep_record_after_write, teardown);
        g_test_add("/file-stamp/dep-settled", Fixture, NULL, setup, test_dep_settled, teardown);
        g_test_add("/file-stamp/dep-replaced", Fixture, NULL, setup, test_dep_replaced, teardown);
        g_test_add("/file-stamp/dep-round", Fixture, NULL, setup, test_dep_round, teardown);
        return g_test_run();
}
