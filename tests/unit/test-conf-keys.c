/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The key tables (src/shared/conf-keys.c, src/package/manifest-keys.c): the keys of
 * each place are in one table, every key of every place is documented in the part of
 * the man page that describes the place, read from the source tree
 * (L3AF_SRCDIR, set by meson), l3afctl's add offers every key AddProgram takes
 * (its man page and its bash completion), and the table is well formed.
 */
#include <glib.h>

#include "conf-parser.h"
#include "hook.h"
#include "manifest.h"
#include "settings.h"
#include "util.h"

/* Every table of keys: each library's own (conf-parser.h). */
static const ConfKey *const tables[] = { conf_keys, manifest_conf_keys };

/* The one table that holds the keys of 'place'. */
static const ConfKey *place_table(ConfPlace place)
{
        const ConfKey *found = NULL;

        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
                for (const ConfKey *k = tables[t]; k->name; k++)
                        if (k->places & place) {
                                g_assert_true(!found || found == tables[t]);
                                found = tables[t];
                        }
        g_assert_nonnull(found);
        return found;
}

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
        { CONF_COMPANION, "\n# [Companion]\n", "\n#", "*%s=*" },
        { CONF_METRIC, "\n# [Metric NAME]\n", "\n#", "*%s=*" },
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
                const char *const *keys = conf_place_keys(place_table(place), place);

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
        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
        for (const ConfKey *k = tables[t]; k->name; k++) {
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
                                g_assert_true(conf_key_lookup(place_table(place), place, k->name) == k);
        }
        g_assert_null(conf_key_lookup(place_table(CONF_DAEMON), CONF_DAEMON, "Interface"));
        g_assert_null(conf_key_lookup(place_table(CONF_ADD_PROGRAM), CONF_ADD_PROGRAM, "Priority"));
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

/* Statistics= takes a boolean, as it did before it had a third value, or "programs". */
static void test_statistics(void)
{
        static const struct {
                const char *value;
                int mode;
        } cases[] = {
                { "no", STATISTICS_NO }, { "0", STATISTICS_NO }, { "yes", STATISTICS_CHAINS },
                { "true", STATISTICS_CHAINS }, { "programs", STATISTICS_PROGRAMS }, { "maybe", -EINVAL },
        };
        const ConfKey *k = conf_key_lookup(place_table(CONF_DAEMON), CONF_DAEMON, "Statistics");

        g_assert_nonnull(k);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                g_autoptr(GKeyFile) kf = g_key_file_new();
                g_autofree char *data = g_strdup_printf("[Daemon]\nStatistics=%s\n", cases[i].value);
                g_autofree char *error = NULL;
                ConfContext ctx = { .file = "F", .group = "Daemon", .error = &error };
                Settings settings = { .statistics = 7 };
                int r;

                g_assert_true(g_key_file_load_from_data(kf, data, -1, G_KEY_FILE_NONE, NULL));
                r = conf_parse_key(kf, k, &ctx, &settings);
                if (cases[i].mode < 0) {
                        g_assert_cmpint(r, ==, -EINVAL);
                        g_assert_cmpint(settings.statistics, ==, 7);
                        g_assert_nonnull(strstr(error, "Statistics=: unknown value 'maybe'"));
                } else {
                        g_assert_cmpint(r, ==, 1);
                        g_assert_cmpint(settings.statistics, ==, cases[i].mode);
                }
        }
}

static char *source_file(const char *relative)
{
        g_autofree char *path = g_build_filename(g_getenv("L3AF_SRCDIR"), relative, NULL);
        char *text = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

/* The words of a shell assignment NAME="..." in 'text'. */
static char **shell_words(const char *text, const char *name)
{
        g_autofree char *start = g_strdup_printf("\n%s=\"", name);
        const char *b = strstr(text, start), *e;
        g_autofree char *value = NULL;

        g_assert_nonnull(b);
        b += strlen(start);
        e = strchr(b, '"');
        g_assert_nonnull(e);
        value = g_strndup(b, e - b);
        return g_strsplit_set(value, " \t", -1);
}

/* l3afctl's add: its man page and its bash completion offer Priority=, every AddProgram key and every
 * [Companion] key as Companion.KEY=. */
static void test_l3afctl_add(void)
{
        g_autofree char *man = source_file("man/l3afctl.1.scd");
        g_autofree char *completion = source_file("shell-completion/bash/l3afctl");
        g_autofree char *add = NULL;
        g_auto(GStrv) keys = shell_words(completion, "__l3afctl_keys");
        g_auto(GStrv) hooks = shell_words(completion, "__l3afctl_hooks");
        const char *b = strstr(man, "\n*add* "), *e;

        g_assert_nonnull(b);
        e = strstr(b + 1, "\n\n");
        add = g_strndup(b, e ? (size_t) (e - b) : strlen(b));
        g_assert_nonnull(strstr(add, "*Priority=*"));
        g_assert_true(g_strv_contains((const char *const *) keys, "Priority="));
        for (const char *const *k = conf_place_keys(conf_keys, CONF_ADD_PROGRAM); *k; k++) {
                g_autofree char *mark = g_strdup_printf("*%s=*", *k);
                g_autofree char *word = g_strdup_printf("%s=", *k);

                if (!strstr(add, mark))
                        g_error("l3afctl(1) add does not name %s", mark);
                if (!g_strv_contains((const char *const *) keys, word))
                        g_error("the bash completion of l3afctl add does not offer %s", word);
        }
        /* AddProgram takes the keys of [Companion] as Companion.KEY settings. */
        g_assert_nonnull(strstr(add, "*Companion.*_KEY_*=*"));
        for (const char *const *k = conf_place_keys(conf_keys, CONF_COMPANION); *k; k++) {
                g_autofree char *word = g_strdup_printf("Companion.%s=", *k);

                if (!g_strv_contains((const char *const *) keys, word))
                        g_error("the bash completion of l3afctl add does not offer %s", word);
        }
        for (Hook h = 0; h < _HOOK_MAX; h++)
                if (!g_strv_contains((const char *const *) hooks, hook_to_string(h)))
                        g_error("the bash completion does not offer hook %s", hook_to_string(h));
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/conf-keys/documented", test_documented);
        g_test_add_func("/conf-keys/well-formed", test_well_formed);
        g_test_add_func("/conf-keys/problem-text", test_problem_text);
        g_test_add_func("/conf-keys/statistics", test_statistics);
        g_test_add_func("/conf-keys/l3afctl-add", test_l3afctl_add);
        return g_test_run();
}
