/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The key table (src/conf-keys.c): every key of every place is documented in the
 * part of the man page that describes the place, read from the source tree
 * (L3AF_SRCDIR, set by meson), and the table is well formed.
 */
#include <glib.h>

#include "conf-parser.h"
#include "util.h"

/* Where each place is described: the page's part from 'start' to the next heading (or blank line). */
static const struct {
        ConfPlace place;
        const char *start;      /* the heading (or paragraph) that opens the part */
        const char *end;        /* what closes it */
        const char *format;     /* how a key is written there */
} parts[] = {
        { CONF_DROPIN_PROGRAM, "\n# [Program]\n", "\n# ", "*%s=*" },
        { CONF_ADD_PROGRAM, "\n*AddProgram*(", "\n\n", "*%s*" },
        { CONF_MANIFEST_PACKAGE, "\n## [Package]\n", "\n#", "*%s=*" },
        { CONF_MANIFEST_PROGRAM, "\n## [Program NAME]\n", "\n#", "*%s=*" },
        { CONF_DAEMON, "\n# [Daemon]\n", "\n#", "*%s=*" },
        { CONF_PACKAGES, "\n# [Packages]\n", "\n#", "*%s=*" },
};

static char *man_part(ConfPlace place, const char **format)
{
        const char *srcdir = g_getenv("L3AF_SRCDIR");
        g_autofree char *path = NULL, *text = NULL;
        const char *start, *end;

        g_assert_nonnull(srcdir);
        g_assert_nonnull(conf_place_man_page(place));
        path = g_build_filename(srcdir, "man", conf_place_man_page(place), NULL);
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                if (parts[i].place != place)
                        continue;
                start = strstr(text, parts[i].start);
                g_assert_nonnull(start);
                start += strlen(parts[i].start);
                end = strstr(start, parts[i].end);
                *format = parts[i].format;
                return g_strndup(start, end ? (size_t) (end - start) : strlen(start));
        }
        g_assert_not_reached();
}

static void test_documented(void)
{
        for (unsigned place = 1; place < _CONF_PLACE_ALL; place <<= 1) {
                const char *format = NULL;
                g_autofree char *part = man_part(place, &format);
                const char *const *keys = conf_place_keys(place);

                g_assert_nonnull(keys[0]);
                for (const char *const *k = keys; *k; k++) {
                        g_autofree char *mark = g_strdup_printf(format, *k);

                        if (!strstr(part, mark))
                                g_error("%s is not documented in %s (no %s in its part)", *k,
                                        conf_place_man_page(place), mark);
                }
        }
}

static void test_well_formed(void)
{
        for (const ConfKey *k = conf_keys; k->name; k++) {
                g_assert_nonnull(k->parse);
                g_assert_nonnull(k->doc);
                g_assert_cmpuint(k->places, !=, 0);
                g_assert_cmpuint(k->places & ~(unsigned) _CONF_PLACE_ALL, ==, 0);
                /* A name is allowed once per place. */
                for (const ConfKey *o = k + 1; o->name; o++)
                        if (streq(o->name, k->name))
                                g_assert_cmpuint(o->places & k->places, ==, 0);
                for (unsigned place = 1; place < _CONF_PLACE_ALL; place <<= 1)
                        if (k->places & place)
                                g_assert_true(conf_key_lookup(place, k->name) == k);
        }
        g_assert_null(conf_key_lookup(CONF_DAEMON, "Interface"));
        g_assert_null(conf_key_lookup(CONF_ADD_PROGRAM, "Priority"));
}

/* A failing parse reports its problem in the place's words and leaves the field alone. */
static void test_problem_text(void)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *error = NULL;
        ConfContext ctx = { .file = "F", .group = "Daemon", .error = &error };
        ConfKey k = { "Retries", CONF_DAEMON, config_parse_unsigned, &(ConfRange) { 1, 5 }, 0, 0, NULL, "" };
        unsigned v = 3;

        g_assert_true(g_key_file_load_from_data(kf, "[Daemon]\nRetries=9\n", -1, G_KEY_FILE_NONE, NULL));
        g_assert_cmpint(conf_parse_key(kf, &k, &ctx, &v), ==, -EINVAL);
        g_assert_cmpuint(v, ==, 3);
        g_assert_cmpstr(error, ==, "F: [Daemon] Retries=: '9' is not a number from 1 to 5");
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/conf-keys/documented", test_documented);
        g_test_add_func("/conf-keys/well-formed", test_well_formed);
        g_test_add_func("/conf-keys/problem-text", test_problem_text);
        return g_test_run();
}
