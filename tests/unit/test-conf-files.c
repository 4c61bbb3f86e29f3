/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "conf-files.h"
#include "util.h"

typedef struct Fixture {
        char *tmp;
        char *dirs[4];
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
        f->tmp = g_dir_make_tmp("l3af-conf-XXXXXX", NULL);
        g_assert_nonnull(f->tmp);
        f->dirs[0] = g_build_filename(f->tmp, "etc", NULL);
        f->dirs[1] = g_build_filename(f->tmp, "run", NULL);
        f->dirs[2] = g_build_filename(f->tmp, "lib", NULL);
        f->dirs[3] = NULL;
        for (int i = 0; i < 3; i++)
                g_assert_cmpint(g_mkdir(f->dirs[i], 0755), ==, 0);
}

static void rm_tree(const char *path)
{
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *n;

        while (d && (n = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(path, n, NULL);

                if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                        rm_tree(p);
                else
                        g_unlink(p);
        }
        g_rmdir(path);
}

static void teardown(Fixture *f, gconstpointer data)
{
        rm_tree(f->tmp);
        for (int i = 0; i < 3; i++)
                g_free(f->dirs[i]);
        g_free(f->tmp);
}

static void put(Fixture *f, int dir, const char *name, const char *content)
{
        g_autofree char *p = g_build_filename(f->dirs[dir], name, NULL);

        g_assert_true(g_file_set_contents(p, content, -1, NULL));
}

static char *list(Fixture *f)
{
        g_autoptr(GPtrArray) files = NULL;
        GString *s = g_string_new(NULL);

        g_assert_cmpint(conf_files_list(f->dirs, ".conf", &files), ==, 0);
        for (guint i = 0; i < files->len; i++) {
                ConfFile *c = files->pdata[i];
                const char *dir = g_str_has_prefix(c->path, f->dirs[0]) ? "etc" :
                                  g_str_has_prefix(c->path, f->dirs[1]) ? "run" : "lib";

                g_string_append_printf(s, "%s%s:%s%s", s->len ? " " : "", dir, c->name, c->masked ? "!" : "");
        }
        return g_string_free(s, FALSE);
}

static void test_order(Fixture *f, gconstpointer data)
{
        g_autofree char *l = NULL;

        put(f, 2, "30-c.conf", "");
        put(f, 0, "10-a.conf", "");
        put(f, 1, "20-b.conf", "");
        put(f, 0, "ignored.txt", "");
        put(f, 0, ".hidden.conf", "");
        l = list(f);
        g_assert_cmpstr(l, ==, "etc:10-a.conf run:20-b.conf lib:30-c.conf");
}

static void test_override(Fixture *f, gconstpointer data)
{
        g_autofree char *l = NULL;

        put(f, 2, "50-x.conf", "lib");
        put(f, 1, "50-x.conf", "run");
        l = list(f);
        g_assert_cmpstr(l, ==, "run:50-x.conf");
        put(f, 0, "50-x.conf", "etc");
        g_free(l);
        l = list(f);
        g_assert_cmpstr(l, ==, "etc:50-x.conf");
}

static void test_mask(Fixture *f, gconstpointer data)
{
        g_autofree char *l = NULL, *link = g_build_filename(f->dirs[0], "50-x.conf", NULL);

        put(f, 2, "50-x.conf", "lib");
        g_assert_cmpint(symlink("/dev/null", link), ==, 0);
        l = list(f);
        g_assert_cmpstr(l, ==, "etc:50-x.conf!");
}

static void test_missing_dirs(Fixture *f, gconstpointer data)
{
        g_autofree char *l = NULL;

        g_rmdir(f->dirs[1]);
        put(f, 2, "a.conf", "");
        l = list(f);
        g_assert_cmpstr(l, ==, "lib:a.conf");
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add("/conf-files/order", Fixture, NULL, setup, test_order, teardown);
        g_test_add("/conf-files/override", Fixture, NULL, setup, test_override, teardown);
        g_test_add("/conf-files/mask", Fixture, NULL, setup, test_mask, teardown);
        g_test_add("/conf-files/missing-dirs", Fixture, NULL, setup, test_missing_dirs, teardown);
        return g_test_run();
}
