/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "semver.h"

static void test_valid(void)
{
        const char *good[] = { "0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                               "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
                               "1.0.0-x-y-z.--", NULL };
        const char *bad[] = { "", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3", "1.2.3-",
                              "1.2.3+", "1.2.3-01", "1.2.3-a..b", "1.2.3-a_b", " 1.2.3", "1.2.3 ", "1.2.-3",
                              "-1.2.3", "1.2.3-alpha+", "1.2.3/../x", "1.2.3-123456789012345678901234567890", NULL };

        for (const char **s = good; *s; s++)
                g_assert_true(semver_is_valid(*s));
        for (const char **s = bad; *s; s++) {
                if (semver_is_valid(*s))
                        g_error("'%s' should be invalid", *s);
        }
        g_assert_false(semver_is_valid(NULL));
}

static void test_order(void)
{
        /* semver.org's example precedence, ascending. */
        const char *order[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                                "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0", "2.0.0",
                                "10.0.0" };

        for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
                for (size_t j = 0; j < G_N_ELEMENTS(order); j++) {
                        int want = i < j ? -1 : i > j ? 1 : 0;

                        if (semver_compare(order[i], order[j]) != want)
                                g_error("compare(%s, %s) = %d, want %d", order[i], order[j],
                                        semver_compare(order[i], order[j]), want);
                }
        g_assert_cmpint(semver_compare("1.0.0+a", "1.0.0+b"), ==, 0);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/semver/valid", test_valid);
        g_test_add_func("/semver/order", test_order);
        return g_test_run();
}
