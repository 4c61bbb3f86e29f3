/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The drop-ins org.l3af.Chain1 writes: names, targets, removal plans, undo. */
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "api-dropin.h"
#include "util.h"

typedef struct Fixture {
        Settings s;
        char *tmp;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
        f->tmp = g_dir_make_tmp("l3af-api-XXXXXX", NULL);
        g_assert_nonnull(f->tmp);
        settings_init(&f->s, f->tmp);
        for (int i = 0; f->s.conf_dirs[i]; i++)
                g_assert_cmpint(g_mkdir_with_parents(f->s.conf_dirs[i], 0755), ==, 0);
}

static void teardown(Fixture *f, gconstpointer data)
{
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmp);

        g_assert_cmpint(system(cmd), ==, 0);
        settings_done(&f->s);
        g_free(f->tmp);
}

static char *put(Fixture *f, int dir, const char *name, const char *ifname, const char *prog)
{
        char *path = g_build_filename(f->s.conf_dirs[dir], name, NULL);
        g_autofree char *text = g_strdup_printf("[Program]\nName=%s\nInterface=%s\nHook=xdp\nObject=/x.o\n", prog,
                                                ifname);

        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        return path;
}

static void test_name(void)
{
        g_autofree char *n = api_dropin_name("eth0", HOOK_TC_INGRESS, "rl");

        g_assert_cmpstr(n, ==, "api-eth0:tc-ingress:rl.conf");
}

static void test_find_and_target(Fixture *f, gconstpointer data)
{
        g_autofree char *vendor = put(f, 2, "10-rl.conf", "eth0", "rl");
        g_autofree char *found = NULL, *target = NULL, *admin = NULL;

        g_assert_cmpint(api_dropin_find(f->s.conf_dirs, "eth0", HOOK_XDP, "rl", &found), ==, 1);
        g_assert_cmpstr(found, ==, vendor);
        g_assert_cmpint(api_dropin_find(f->s.conf_dirs, "eth1", HOOK_XDP, "rl", &target), ==, 0);

        /* A runtime change overrides the vendor file under its own name. */
        g_assert_cmpint(api_dropin_target(&f->s, found, NULL, true, &target), ==, 0);
        g_assert_true(g_str_has_prefix(target, f->s.runtime_dir_conf));
        g_assert_true(g_str_has_suffix(target, "/10-rl.conf"));
        g_clear_pointer(&target, g_free);

        /* A program declared in /etc cannot be changed at runtime. */
        admin = put(f, 0, "10-rl.conf", "eth0", "rl");
        g_assert_cmpint(api_dropin_target(&f->s, admin, NULL, true, &target), ==, -EROFS);
        g_assert_null(target);
        g_assert_cmpint(api_dropin_target(&f->s, admin, NULL, false, &target), ==, 0);
        g_assert_cmpstr(target, ==, admin);
        g_clear_pointer(&target, g_free);

        /* Nobody declares it: the API's own name. */
        g_assert_cmpint(api_dropin_target(&f->s, NULL, "api-eth0:xdp:new.conf", false, &target), ==, 0);
        g_assert_true(g_str_has_suffix(target, "/etc/l3af.d/api-eth0:xdp:new.conf"));
}

static void test_remove_masks_vendor(Fixture *f, gconstpointer data)
{
        g_autofree char *vendor = put(f, 2, "10-rl.conf", "eth0", "rl");
        g_autoptr(GPtrArray) edits = g_ptr_array_new_with_free_func((GDestroyNotify) file_edit_free);
        g_autofree char *found = NULL;
        FileEdit *e;

        g_assert_cmpint(api_dropin_plan_remove(&f->s, vendor, true, edits), ==, 0);
        g_assert_cmpuint(edits->len, ==, 1);
        e = edits->pdata[0];
        g_assert_cmpint(e->kind, ==, FILE_EDIT_MASK);
        g_assert_true(g_str_has_prefix(e->path, f->s.runtime_dir_conf));
        g_assert_cmpint(file_edit_apply(e), ==, 0);
        g_assert_cmpint(api_dropin_find(f->s.conf_dirs, "eth0", HOOK_XDP, "rl", &found), ==, 0);
        g_assert_true(g_file_test(vendor, G_FILE_TEST_EXISTS));  /* the vendor file is never touched */

        g_assert_cmpint(file_edit_revert(e), ==, 0);
        g_assert_cmpint(api_dropin_find(f->s.conf_dirs, "eth0", HOOK_XDP, "rl", &found), ==, 1);
}

static void test_remove_deletes_runtime(Fixture *f, gconstpointer data)
{
        g_autofree char *run = put(f, 1, "api-eth0:xdp:rl.conf", "eth0", "rl");
        g_autoptr(GPtrArray) edits = g_ptr_array_new_with_free_func((GDestroyNotify) file_edit_free);
        g_autofree char *before = NULL, *after = NULL;
        FileEdit *e;

        g_assert_cmpint(api_dropin_plan_remove(&f->s, run, false, edits), ==, 0);
        g_assert_cmpuint(edits->len, ==, 1);
        e = edits->pdata[0];
        g_assert_cmpint(e->kind, ==, FILE_EDIT_DELETE);
        g_assert_cmpstr(e->path, ==, run);
        g_assert_true(g_file_get_contents(run, &before, NULL, NULL));
        g_assert_cmpint(file_edit_apply(e), ==, 0);
        g_assert_false(g_file_test(run, G_FILE_TEST_EXISTS));
        g_assert_cmpint(file_edit_revert(e), ==, 0);
        g_assert_true(g_file_get_contents(run, &after, NULL, NULL));
        g_assert_cmpstr(before, ==, after);
}

static void test_text(void)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *a = NULL, *b = NULL;

        g_assert_true(g_key_file_load_from_data(kf, "# mine\n[Program]\nName=x\n", -1, G_KEY_FILE_KEEP_COMMENTS, NULL));
        a = api_dropin_to_text(kf, "AddProgram");
        g_assert_nonnull(strstr(a, "Written by l3afd"));
        g_assert_nonnull(strstr(a, "# mine"));
        g_assert_true(g_key_file_load_from_data(kf, a, -1, G_KEY_FILE_KEEP_COMMENTS, NULL));
        b = api_dropin_to_text(kf, "SetMapEntry");
        g_assert_cmpstr(a, ==, b);  /* our header only once */
        g_assert_true(api_dropin_same(a, "[Program]\nName=x\n"));
        g_assert_false(api_dropin_same(a, "[Program]\nName=y\n"));
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/api-dropin/name", test_name);
        g_test_add_func("/api-dropin/text", test_text);
        g_test_add("/api-dropin/find-and-target", Fixture, NULL, setup, test_find_and_target, teardown);
        g_test_add("/api-dropin/remove-masks-vendor", Fixture, NULL, setup, test_remove_masks_vendor, teardown);
        g_test_add("/api-dropin/remove-deletes-runtime", Fixture, NULL, setup, test_remove_deletes_runtime, teardown);
        return g_test_run();
}
