/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "plan.h"

static void plan(const char *cur, const char *want, ChainPlan *ret)
{
        g_auto(GStrv) c = g_strsplit(cur, " ", -1), w = g_strsplit(want, " ", -1);

        chain_plan((const char *const *) c, *cur ? g_strv_length(c) : 0, (const char *const *) w,
                   *want ? g_strv_length(w) : 0, ret);
}

#define assert_plan(cur, want, s, c, r, n)                      \
        do {                                                    \
                ChainPlan p;                                    \
                plan(cur, want, &p);                            \
                g_assert_cmpuint(p.shared, ==, s);              \
                g_assert_cmpuint(p.create, ==, c);              \
                g_assert_cmpuint(p.release, ==, r);             \
                g_assert_cmpint(p.noop, ==, n);                 \
        } while (0)

static void test_unchanged(void)
{
        assert_plan("a b c", "a b c", 3, 0, 0, true);
        assert_plan("", "", 0, 0, 0, true);
}

static void test_append(void)
{
        /* Appending changes the successor of the old last: everything is rebuilt. */
        assert_plan("a b", "a b c", 0, 3, 2, false);
}

static void test_prepend(void)
{
        /* Prepending keeps the whole old chain as the shared suffix. */
        assert_plan("b c", "a b c", 2, 1, 0, false);
}

static void test_insert_middle(void)
{
        assert_plan("a b d", "a b c d", 1, 3, 2, false);
}

static void test_remove_head(void)
{
        /* The flip points at the existing second instance: nothing new is loaded. */
        assert_plan("a b c", "b c", 2, 0, 1, false);
}

static void test_remove_tail(void)
{
        assert_plan("a b c", "a b", 0, 2, 3, false);
}

static void test_replace(void)
{
        /* b@2 is a new version of b: b and a are rebuilt, c is shared. */
        assert_plan("a b@1 c", "a b@2 c", 1, 2, 2, false);
}

static void test_reorder(void)
{
        assert_plan("a b c", "b a c", 1, 2, 2, false);
        assert_plan("a b c", "c b a", 0, 3, 3, false);
}

static void test_create_and_clear(void)
{
        assert_plan("", "a b", 0, 2, 0, false);
        assert_plan("a b", "", 0, 0, 2, false);
}

static void splice(const char *cur, const char *want, bool expect, SpliceKind kind, size_t at)
{
        g_auto(GStrv) c = g_strsplit(cur, " ", -1), w = g_strsplit(want, " ", -1);
        ChainSplice s = { .kind = _SPLICE_KIND_MAX, .at = 99 };
        bool r;

        r = chain_plan_splice((const char *const *) c, *cur ? g_strv_length(c) : 0, (const char *const *) w,
                              *want ? g_strv_length(w) : 0, &s);
        g_assert_cmpint(r, ==, expect);
        if (!expect)
                return;
        g_assert_cmpint(s.kind, ==, kind);
        g_assert_cmpuint(s.at, ==, at);
}

static void test_splice(void)
{
        /* One pointer moves: the predecessor of 'at' (or the root's slot) is the switch point. */
        splice("a b c", "a b@2 c", true, SPLICE_REPLACE, 1);
        splice("a b c", "x b c", true, SPLICE_REPLACE, 0);
        splice("a b c", "a b c@2", true, SPLICE_REPLACE, 2);
        splice("a b c", "a x c", true, SPLICE_REPLACE, 1);
        splice("a", "a@2", true, SPLICE_REPLACE, 0);
        splice("a b c", "a b x c", true, SPLICE_INSERT, 2);
        splice("a b c", "x a b c", true, SPLICE_INSERT, 0);
        splice("a b c", "a b c x", true, SPLICE_INSERT, 3);
        splice("", "a", true, SPLICE_INSERT, 0);
        splice("a b c", "a c", true, SPLICE_REMOVE, 1);
        splice("a b c", "b c", true, SPLICE_REMOVE, 0);
        splice("a b c", "a b", true, SPLICE_REMOVE, 2);
        splice("a", "", true, SPLICE_REMOVE, 0);
}

static void test_not_splice(void)
{
        /* Nothing to do, or more than one pointer: a new prefix. */
        splice("a b c", "a b c", false, 0, 0);
        splice("", "", false, 0, 0);
        splice("a b c", "b a c", false, 0, 0);
        splice("a b c", "a c b", false, 0, 0);
        splice("a b c", "a@2 b c@2", false, 0, 0);
        splice("a b c", "a@2 b@2 c", false, 0, 0);
        splice("a b c", "a", false, 0, 0);
        splice("a b c", "x a b c y", false, 0, 0);
        splice("a b c", "a x y c", false, 0, 0);
        splice("a b c d", "a x d", false, 0, 0);
        splice("a b", "c d", false, 0, 0);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/plan/unchanged", test_unchanged);
        g_test_add_func("/plan/append", test_append);
        g_test_add_func("/plan/prepend", test_prepend);
        g_test_add_func("/plan/insert-middle", test_insert_middle);
        g_test_add_func("/plan/remove-head", test_remove_head);
        g_test_add_func("/plan/remove-tail", test_remove_tail);
        g_test_add_func("/plan/replace", test_replace);
        g_test_add_func("/plan/reorder", test_reorder);
        g_test_add_func("/plan/create-and-clear", test_create_and_clear);
        g_test_add_func("/plan/splice", test_splice);
        g_test_add_func("/plan/not-splice", test_not_splice);
        return g_test_run();
}
