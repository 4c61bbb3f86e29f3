/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "manifest.h"

#define GOOD "[Package]\nName=ratelimiting\nVersion=1.2.0\nDescription=Rate limit\nLicense=GPL-2.0-only\n" \
             "Companion=bin/rl-ctl\n\n[Program ratelimiting]\nObject=bpf/ratelimiting.bpf.o\n"                \
             "Entry=_xdp_ratelimiting\nType=xdp\nNextMap=xdp_rl_next\nConfigMaps=rl_config_map;rl_ports\n"

static char *error_of(const char *text)
{
        g_autoptr(Manifest) m = NULL;
        char *error = NULL;
        int r = manifest_parse(text, strlen(text), "M", &m, &error);

        g_assert_true((r < 0) == (error != NULL));
        g_assert_true((r < 0) == (m == NULL));
        return error;
}

static void test_good(void)
{
        g_autoptr(Manifest) m = NULL;
        g_autofree char *error = NULL;
        const ManifestProgram *p;

        g_assert_cmpint(manifest_parse(GOOD, strlen(GOOD), "M", &m, &error), ==, 0);
        g_assert_cmpstr(m->name, ==, "ratelimiting");
        g_assert_cmpstr(m->version, ==, "1.2.0");
        g_assert_cmpstr(m->license, ==, "GPL-2.0-only");
        g_assert_cmpstr(m->companion, ==, "bin/rl-ctl");
        g_assert_cmpuint(m->programs->len, ==, 1);
        p = manifest_find_program(m, "anything");  /* the only one */
        g_assert_nonnull(p);
        g_assert_cmpstr(p->object, ==, "bpf/ratelimiting.bpf.o");
        g_assert_cmpstr(p->entry, ==, "_xdp_ratelimiting");
        g_assert_cmpstr(p->type, ==, "xdp");
        g_assert_cmpstr(p->next_map, ==, "xdp_rl_next");
        g_assert_cmpuint(g_strv_length(p->config_maps), ==, 2);
        g_assert_cmpuint(m->warnings->len, ==, 0);
}

static void test_several(void)
{
        const char *text = "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=a.o\n[Program b]\nObject=b.o\n"
                           "Colour=blue\n[Extra]\n";
        g_autoptr(Manifest) m = NULL;
        g_autofree char *error = NULL;

        g_assert_cmpint(manifest_parse(text, strlen(text), "M", &m, &error), ==, 0);
        g_assert_cmpstr(manifest_find_program(m, "b")->object, ==, "b.o");
        g_assert_null(manifest_find_program(m, "c"));
        g_assert_cmpuint(m->warnings->len, ==, 2);  /* Colour=, [Extra] */
}

static void test_bad(void)
{
        static const struct { const char *text, *error; } cases[] = {
                { "", "no [Package] group" },
                { "garbage", "cannot parse" },
                { "[Package]\nVersion=1.0.0\n[Program a]\nObject=a.o\n", "Name=: missing" },
                { "[Package]\nName=../x\nVersion=1.0.0\n[Program a]\nObject=a.o\n", "not a valid package name" },
                { "[Package]\nName=p\n[Program a]\nObject=a.o\n", "Version=: missing" },
                { "[Package]\nName=p\nVersion=1.0\n[Program a]\nObject=a.o\n", "not a semantic version" },
                { "[Package]\nName=p\nVersion=1.0.0\n", "no [Program NAME] group" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program a]\n", "Object=: missing" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=../a.o\n", "not a relative path inside" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=/a.o\n", "not a relative path inside" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=x//a.o\n", "not a relative path inside" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=a.o\nType=kprobe\n", "unknown type" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=a.o\nNextMap=not-a-map\n",
                  "not a map name" },
                { "[Package]\nName=p\nVersion=1.0.0\n[Program -a]\nObject=a.o\n", "not a valid program name" },
                { "[Package]\nName=p\nVersion=1.0.0\nCompanion=../bin\n[Program a]\nObject=a.o\n",
                  "Companion=" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *error = error_of(cases[i].text);

                if (!error || !strstr(error, cases[i].error))
                        g_error("case %zu: got '%s', want '%s'", i, error ? error : "(success)", cases[i].error);
        }
}

/* NextMap= and ConfigMaps= name maps as the object does, past the kernel's 15 characters. */
static void test_long_map_names(void)
{
        const char *text = "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=a.o\n"
                           "NextMap=xdp_rl_ingress_next_prog\nConfigMaps=rl_config_map;rl_recv_count_map\n";
        g_autoptr(Manifest) m = NULL;
        g_autofree char *error = NULL;

        g_assert_cmpint(manifest_parse(text, strlen(text), "M", &m, &error), ==, 0);
        g_assert_cmpstr(manifest_find_program(m, "a")->next_map, ==, "xdp_rl_ingress_next_prog");
        g_assert_cmpstr(manifest_find_program(m, "a")->config_maps[1], ==, "rl_recv_count_map");
}

static void test_limits(void)
{
        g_autoptr(GString) s = g_string_new("[Package]\nName=p\nVersion=1.0.0\n");
        g_autofree char *error = NULL, *e2 = NULL, *big = NULL;

        for (int i = 0; i <= MANIFEST_PROGRAMS_MAX; i++)
                g_string_append_printf(s, "[Program p%d]\nObject=p%d.o\n", i, i);
        error = error_of(s->str);
        g_assert_nonnull(strstr(error, "more than"));

        big = g_strnfill(MANIFEST_SIZE_MAX + 1, '#');
        e2 = error_of(big);
        g_assert_nonnull(strstr(e2, "the limit is"));
        g_assert_false(package_path_is_valid("a/./b"));
        g_assert_true(package_path_is_valid("a/b.o"));
}

static void test_companion(void)
{
        static const char text[] = "[Package]\nName=flows\nVersion=1.0.0\n\n[Program flows]\nObject=f.o\n\n"
                                   "[Companion]\nExecStart=bin/exporter --port=4739\nMemoryMax=32M\n";
        g_autoptr(Manifest) m = NULL, legacy = NULL;
        g_autofree char *error = NULL, *e1 = NULL, *e2 = NULL;

        g_assert_cmpint(manifest_parse(text, strlen(text), "M", &m, &error), ==, 0);
        g_assert_nonnull(m->companion_spec);
        g_assert_cmpstr(m->companion_spec->exec[0], ==, "bin/exporter");
        g_assert_cmpstr(m->companion_spec->exec[1], ==, "--port=4739");
        g_assert_cmpuint(m->companion_spec->memory_max, ==, 32u << 20);

        /* Companion= alone is a [Companion] with that ExecStart=. */
        g_assert_cmpint(manifest_parse(GOOD, strlen(GOOD), "M", &legacy, &error), ==, 0);
        g_assert_cmpstr(legacy->companion_spec->exec[0], ==, "bin/rl-ctl");
        g_assert_null(legacy->companion_spec->exec[1]);

        e1 = error_of("[Package]\nName=f\nVersion=1.0.0\n[Program f]\nObject=f.o\n[Companion]\nExecStart=/usr/bin/x\n");
        g_assert_cmpstr(e1, ==, "M: [Companion] ExecStart=: '/usr/bin/x' is not a relative path inside the package");
        e2 = error_of("[Package]\nName=f\nVersion=1.0.0\n[Program f]\nObject=f.o\n[Companion]\nExecStart=../x\n");
        g_assert_cmpstr(e2, ==, "M: [Companion] ExecStart=: '../x' is not a relative path inside the package");
}

static void test_metrics(void)
{
        g_autoptr(Manifest) m = NULL;
        g_autofree char *error = NULL, *e1 = NULL, *e2 = NULL;
        const char *two = "[Package]\nName=p\nVersion=1.0.0\n[Program a]\nObject=a.o\n[Program b]\nObject=b.o\n";
        g_autofree char *text = g_strdup_printf("%s[Metric pk]\nProgram=b\nMap=stats\nField=packets\n", two);
        g_autofree char *unnamed = g_strdup_printf("%s[Metric pk]\nMap=stats\n", two);
        g_autofree char *bad = g_strdup_printf("%s[Metric pk]\nProgram=b\nMap=stats\nType=x\n", two);
        const ManifestProgram *p;

        g_assert_cmpint(manifest_parse(text, strlen(text), "M", &m, &error), ==, 0);
        p = manifest_find_program(m, "b");
        g_assert_cmpuint(p->metrics->len, ==, 1);
        g_assert_cmpstr(((MetricSpec *) p->metrics->pdata[0])->name, ==, "pk");
        g_assert_cmpuint(manifest_find_program(m, "a")->metrics->len, ==, 0);
        e1 = error_of(unnamed);
        g_assert_cmpstr(e1, ==, "M: [Metric pk] Program=: missing (the package has several programs)");
        e2 = error_of(bad);
        g_assert_cmpstr(e2, ==, "M: [Metric pk] Type=: unknown type 'x' (counter or gauge)");
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/manifest/good", test_good);
        g_test_add_func("/manifest/several", test_several);
        g_test_add_func("/manifest/bad", test_bad);
        g_test_add_func("/manifest/limits", test_limits);
        g_test_add_func("/manifest/long-map-names", test_long_map_names);
        g_test_add_func("/manifest/companion", test_companion);
        g_test_add_func("/manifest/metrics", test_metrics);
        return g_test_run();
}
