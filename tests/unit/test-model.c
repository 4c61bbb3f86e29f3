/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * program_prepare() and model_build() against the real sample objects:
 * everything --check reports, without a kernel.
 */
#include <glib.h>
#include <glib/gstdio.h>

#include "dropin.h"
#include "model.h"
#include "problem.h"
#include "program.h"
#include "util.h"

static char *tmpdir;
static const char *samples;

static ProgramSpec *spec_in(const char *dir, const char *name, const char *object, int priority, const char *extra)
{
        g_autofree char *path = g_strdup_printf("%s/%s.conf", tmpdir, name);
        g_autofree char *obj = g_strdup_printf("%s/%s.bpf.o", dir, object);
        g_autofree char *content = g_strdup_printf("[Program]\nName=%s\nInterface=eth9\nHook=xdp\nPriority=%d\n"
                                                   "Object=%s\n%s",
                                                   name, priority, obj, extra ? extra : "");
        g_autoptr(GPtrArray) problems = problems_new();
        ProgramSpec *p = NULL;

        g_assert_true(g_file_set_contents(path, content, -1, NULL));
        g_assert_cmpint(dropin_parse(path, problems, &p), ==, 0);
        g_unlink(path);
        return p;
}

static ProgramSpec *spec(const char *name, const char *object, int priority, const char *extra)
{
        return spec_in(samples, name, object, priority, extra);
}

static char *prepare_errors(ProgramSpec *p)
{
        g_autoptr(GPtrArray) problems = problems_new();
        GString *s = g_string_new(NULL);
        ChainId chain;

        g_assert_cmpint(chain_id_init(&chain, "eth9", HOOK_XDP), ==, 0);
        (void) program_prepare(p, &chain, problems);
        for (guint i = 0; i < problems->len; i++) {
                Problem *pr = problems->pdata[i];
                const char *t = strstr(pr->text, ".conf: ");

                g_assert_cmpstr(pr->chain, ==, "eth9/xdp");
                g_string_append_printf(s, "%s%s", s->len ? "\n" : "", t ? t + 7 : pr->text);
        }
        return g_string_free(s, FALSE);
}

static void test_prepare_good(void)
{
        g_autoptr(ProgramSpec) a = spec("a", "count", 1, NULL);
        g_autoptr(ProgramSpec) s = spec("s", "sink", 1, NULL);
        g_autoptr(ProgramSpec) d = spec("d", "portdrop", 1, "[Map portdrop_config]\n0={port=53, enabled=1}\n");
        g_autofree char *e1 = prepare_errors(a), *e2 = prepare_errors(s), *e3 = prepare_errors(d);

        g_assert_cmpstr(e1, ==, "");
        g_assert_cmpstr(e2, ==, "");
        g_assert_cmpstr(e3, ==, "");
        g_assert_cmpstr(a->entry_resolved, ==, "count");
        g_assert_cmpstr(a->next_resolved, ==, "l3af_next");
        g_assert_null(s->next_resolved);
        g_assert_cmpuint(strlen(a->digest), ==, 64);
        g_assert_cmpuint(g_bytes_get_size(((MapEntrySpec *) d->maps->pdata[0])->value_bytes), ==, 4);
}

static void test_digest(void)
{
        g_autoptr(ProgramSpec) a = spec("a", "count", 1, NULL), b = spec("b", "count", 9, NULL);
        g_autoptr(ProgramSpec) c = spec("c", "count", 1, "NextMap=l3af_next\n");
        g_autoptr(ProgramSpec) d = spec("d", "portdrop", 1, NULL);
        g_autofree char *e1 = prepare_errors(a), *e2 = prepare_errors(b), *e3 = prepare_errors(c),
                        *e4 = prepare_errors(d);

        /* The same code with the same linkage is the same instance spec; priority is not part of it. */
        g_assert_cmpstr(a->digest, ==, b->digest);
        g_assert_cmpstr(a->digest, ==, c->digest);
        g_assert_cmpstr(a->digest, !=, d->digest);
}

static void test_prepare_errors(void)
{
        struct {
                const char *object, *extra, *error;
        } cases[] = {
                { "count", "Entry=nope\n", "[Program] Entry=: no program 'nope' in " },
                { "count", "NextMap=nope\n", "[Program] NextMap=: no map 'nope' in " },
                { "count", "NextMap=stats\n", "[Program] NextMap=: map 'stats' is not a program array" },
                { "portdrop", "[Map portdrop_config]\n0={port=70000}\n",
                  "[Map portdrop_config] 0=: value '{port=70000}': port: 70000 does not fit in __u16 (0..65535)" },
                { "portdrop", "[Map portdrop_config]\n1={port=1}\n",
                  "[Map portdrop_config] 1=: index 1 is out of range (map 'portdrop_config' has 1 entries)" },
                { "portdrop", "[Map nosuch]\n0=1\n", "[Map nosuch] no map 'nosuch' in " },
                { "portdrop", "[Map l3af_next]\n0=1\n", "[Map l3af_next] 'l3af_next' is the program's next map" },
                { "portdrop", "[Map portdrop_config]\nzero=1\n", "[Map portdrop_config] zero=: key: 'zero' is not a number" },
                { "count", "Type=tc\n", NULL },  /* caught by the parser; not here */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(ProgramSpec) p = NULL;
                g_autofree char *e = NULL;

                if (!cases[i].error)
                        continue;
                p = spec("p", cases[i].object, 1, cases[i].extra);
                e = prepare_errors(p);
                if (!g_str_has_prefix(e, cases[i].error))
                        g_error("case %zu: got '%s', expected '%s...'", i, e, cases[i].error);
        }
}

static void test_object_errors(void)
{
        g_autofree char *notelf = g_build_filename(tmpdir, "notelf.bpf.o", NULL);
        g_autoptr(ProgramSpec) p = spec("p", "count", 1, NULL);
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;

        g_free(p->object);
        p->object = g_strdup("/nonexistent/x.o");
        e1 = prepare_errors(p);
        g_assert_cmpstr(e1, ==, "[Program] Object=: cannot open /nonexistent/x.o: No such file or directory");

        g_assert_true(g_file_set_contents(notelf, "#!/bin/sh\necho not an object\n", -1, NULL));
        g_free(p->object);
        p->object = g_strdup(notelf);
        e2 = prepare_errors(p);
        g_assert_true(g_str_has_suffix(e2, "notelf.bpf.o is not an ELF file"));

        g_free(p->object);
        p->object = g_strdup("/proc/self/exe");  /* an ELF file, not BPF */
        e3 = prepare_errors(p);
        g_assert_true(g_str_has_suffix(e3, "is an ELF file but not a BPF object"));
        g_unlink(notelf);
}

/* Builds a chain of prepared specs and returns the chain-level problems. */
static char *build(GPtrArray *specs, GHashTable **ret)
{
        g_autoptr(GPtrArray) problems = problems_new();
        GString *s = g_string_new(NULL);
        GHashTable *chains;

        for (guint i = 0; i < specs->len; i++) {
                g_autofree char *e = prepare_errors(specs->pdata[i]);
                g_assert_cmpstr(e, ==, "");
        }
        chains = model_build(specs, problems);
        for (guint i = 0; i < problems->len; i++) {
                Problem *pr = problems->pdata[i];
                const char *t = strstr(pr->text, ".conf: ");

                g_string_append_printf(s, "%s%s", s->len ? "\n" : "", t ? t + 7 : pr->text);
        }
        *ret = chains;
        return g_string_free(s, FALSE);
}

static void test_order(void)
{
        g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) chains = NULL;
        g_autofree char *e = NULL;
        ChainSpec *c;
        ChainId id;

        g_assert_cmpint(chain_id_init(&id, "eth9", HOOK_XDP), ==, 0);
        g_ptr_array_add(specs, spec("zeta", "count", 10, NULL));
        g_ptr_array_add(specs, spec("alpha", "count", 10, NULL));
        g_ptr_array_add(specs, spec("last", "sink", 50, NULL));
        g_ptr_array_add(specs, spec("first", "count", 1, NULL));
        e = build(specs, &chains);
        g_assert_cmpstr(e, ==, "");
        c = g_hash_table_lookup(chains, &id);
        g_assert_nonnull(c);
        g_assert_cmpuint(c->programs->len, ==, 4);
        g_assert_cmpstr(((ProgramSpec *) c->programs->pdata[0])->name, ==, "first");
        g_assert_cmpstr(((ProgramSpec *) c->programs->pdata[1])->name, ==, "alpha");
        g_assert_cmpstr(((ProgramSpec *) c->programs->pdata[2])->name, ==, "zeta");
        g_assert_cmpstr(((ProgramSpec *) c->programs->pdata[3])->name, ==, "last");
}

static void test_no_next_in_middle(void)
{
        g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) chains = NULL;
        g_autofree char *e = NULL;

        g_ptr_array_add(specs, spec("a", "count", 1, NULL));
        g_ptr_array_add(specs, spec("s", "sink", 2, NULL));
        g_ptr_array_add(specs, spec("b", "count", 3, NULL));
        e = build(specs, &chains);
        g_assert_true(g_str_has_prefix(e, "[Program] NextMap=: program 's' has no next map, so it can only be last, "
                                          "but 'b' ("));
}

static void test_too_long(void)
{
        g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) chains = NULL;
        g_autofree char *e = NULL;

        for (int i = 0; i < 33; i++) {
                g_autofree char *name = g_strdup_printf("p%02d", i);
                g_ptr_array_add(specs, spec(name, "count", i, NULL));
        }
        e = build(specs, &chains);
        g_assert_cmpstr(e, ==, "[Program] Name=: chain eth9/xdp would have 33 programs; the kernel allows 33 tail "
                               "calls, so a chain holds at most 32 programs ('p32' is number 33)");
}

static void test_duplicates_and_modes(void)
{
        g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) chains = NULL;
        g_autofree char *e = NULL;

        g_ptr_array_add(specs, spec("a", "count", 1, "Mode=native\n"));
        g_ptr_array_add(specs, spec("a", "count", 2, "Mode=generic\n"));
        e = build(specs, &chains);
        g_assert_true(strstr(e, "[Program] Name=: program 'a' is also declared by "));
        g_assert_true(strstr(e, "[Program] Mode=: 'generic' conflicts with Mode=native in "));
}

/* Programs that pin one map by name share it: their definitions must agree (tests/bpf/mapdef.bpf.c). */
static void test_shared_maps_agree(void)
{
        const char *testbpf = g_getenv("L3AF_TESTBPF");
        const char *l3af = "Type=xdp\nEntry=mapdef\nNextMap=md_next_prog\n";
        g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GPtrArray) other = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) chains1 = NULL, chains2 = NULL;
        g_autofree char *e1 = NULL, *e2 = NULL;

        if (!testbpf) {
                g_test_skip("L3AF_TESTBPF is not set");
                return;
        }
        g_ptr_array_add(same, spec_in(testbpf, "md", "mapdef", 1, l3af));
        g_ptr_array_add(same, spec_in(testbpf, "md2", "mapdef", 2, l3af));
        e1 = build(same, &chains1);
        g_assert_cmpstr(e1, ==, "");

        g_ptr_array_add(other, spec_in(testbpf, "md", "mapdef", 1, l3af));
        g_ptr_array_add(other, spec_in(testbpf, "wide", "mapdef_seen16", 2, l3af));
        e2 = build(other, &chains2);
        g_assert_true(g_str_has_prefix(e2, "[Program] programs 'wide' and 'md' ("));
        g_assert_true(g_str_has_suffix(e2, "both pin map 'md_seen' by name, which makes it one map for the chain, "
                                           "but define it differently ('md' -> 'wide': value size 8 -> 16)"));
}

/* [Metric NAME] groups, checked against the objects' BTF (metric-decl.h). */
static void test_metrics(void)
{
        const char *testbpf = g_getenv("L3AF_TESTBPF");
        g_autoptr(ProgramSpec) good = spec("a", "count", 1, "[Metric pk]\nMap=stats\nKey=0\nField=packets\n"
                                                           "[Metric all]\nMap=stats\nField=bytes\nType=gauge\n");
        g_autofree char *e = prepare_errors(good);
        const MetricSpec *m;
        static const struct { const char *group, *error; } bad[] = {
                { "[Metric x]\nMap=nope\n", "[Metric x] Map=: no map 'nope' in the object" },
                { "[Metric x]\nMap=stats\nKey=1\nField=packets\n",
                  "[Metric x] Key=: index 1 is out of range (map 'stats' has 1 entries)" },
                { "[Metric x]\nMap=stats\nField=nope\n",
                  "[Metric x] Field=: no member 'nope' in the map's value (members: packets, bytes)" },
                { "[Metric x]\nMap=stats\n",
                  "[Metric x] Field=: missing: the value of map 'stats' is not an integer; name the member to read" },
                { "[Metric x]\nMap=l3af_next\n",
                  "[Metric x] Map=: map 'l3af_next' is of type prog_array; metrics read arrays and hash maps" },
        };

        g_assert_cmpstr(e, ==, "");
        g_assert_cmpuint(good->metrics->len, ==, 2);
        m = good->metrics->pdata[0];
        g_assert_cmpstr(m->name, ==, "pk");
        g_assert_cmpuint(m->key_bytes->len, ==, 1);
        g_assert_cmpuint(m->field_offset, ==, 0);
        g_assert_cmpuint(m->field_size, ==, 8);
        m = good->metrics->pdata[1];
        g_assert_null(m->keys);
        g_assert_cmpuint(m->field_offset, ==, 8);
        g_assert_cmpint(m->type, ==, METRIC_GAUGE);

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(ProgramSpec) p = spec("a", "count", 1, bad[i].group);
                g_autofree char *err = prepare_errors(p);

                g_assert_cmpstr(err, ==, bad[i].error);
        }
        if (testbpf) {
                g_autoptr(ProgramSpec) p = spec_in(testbpf, "pc", "portcount", 1,
                                                   "[Metric x]\nMap=port_stats\nKey=53;5001\nField=last_len\n");
                g_autofree char *err = prepare_errors(p);

                g_assert_cmpstr(err, ==, "");
                m = p->metrics->pdata[0];
                g_assert_cmpuint(m->key_bytes->len, ==, 2);
                g_assert_cmpuint(m->field_offset, ==, 16);
                g_assert_true(m->field_signed);
        }
}

/* Bad groups are refused while the drop-in is read, naming group and key. */
static void test_metrics_parse(void)
{
        static const struct { const char *group, *error; } bad[] = {
                { "[Metric 1x]\nMap=stats\n", "[Metric 1x] '1x' is not a metric name" },
                { "[Metric x]\nKey=0\n", "[Metric x] Map=: missing" },
                { "[Metric x]\nMap=stats\nType=histogram\n", "[Metric x] Type=: unknown type 'histogram'" },
                { "[Metric x]\nMap=stats\nAggregate=avg\n", "[Metric x] Aggregate=: unknown aggregation 'avg'" },
                { "[Metric x]\nMap=stats\nKey=;\n", "[Metric x] Key=: no key" },
                { "[Metric x]\nMap=stats\nProgram=y\n", "[Metric x] Program=: only a package manifest" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *dir = g_dir_make_tmp("l3af-test-XXXXXX", NULL);
                g_autofree char *path = g_build_filename(dir, "m.conf", NULL);
                g_autofree char *content = g_strdup_printf("[Program]\nName=a\nInterface=eth9\nHook=xdp\n"
                                                           "Object=/x.o\n%s", bad[i].group);
                g_autoptr(GPtrArray) problems = problems_new();
                ProgramSpec *p = NULL;
                bool found = false;

                g_assert_true(g_file_set_contents(path, content, -1, NULL));
                g_assert_cmpint(dropin_parse(path, problems, &p), ==, -EINVAL);
                for (guint k = 0; k < problems->len; k++)
                        found |= strstr(((Problem *) problems->pdata[k])->text, bad[i].error) != NULL;
                if (!found)
                        g_error("'%s' not among the problems of %s", bad[i].error, bad[i].group);
                g_unlink(path);
                g_rmdir(dir);
        }
}

int main(int argc, char **argv)
{
        int r;

        g_test_init(&argc, &argv, NULL);
        samples = g_getenv("L3AF_SAMPLES");
        if (!samples) {
                g_test_skip("L3AF_SAMPLES is not set");
                return 77;
        }
        tmpdir = g_dir_make_tmp("l3af-model-XXXXXX", NULL);
        g_test_add_func("/model/prepare-good", test_prepare_good);
        g_test_add_func("/model/digest", test_digest);
        g_test_add_func("/model/prepare-errors", test_prepare_errors);
        g_test_add_func("/model/object-errors", test_object_errors);
        g_test_add_func("/model/order", test_order);
        g_test_add_func("/model/no-next-in-middle", test_no_next_in_middle);
        g_test_add_func("/model/too-long", test_too_long);
        g_test_add_func("/model/duplicates-and-modes", test_duplicates_and_modes);
        g_test_add_func("/model/shared-maps-agree", test_shared_maps_agree);
        g_test_add_func("/model/metrics", test_metrics);
        g_test_add_func("/model/metrics-parse", test_metrics_parse);
        r = g_test_run();
        g_rmdir(tmpdir);
        g_free(tmpdir);
        return r;
}
