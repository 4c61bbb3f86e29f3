/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <glib/gstdio.h>

#include "dropin.h"
#include "problem.h"
#include "util.h"

static char *tmpdir;

static char *write_file(const char *name, const char *content)
{
        char *p = g_build_filename(tmpdir, name, NULL);

        g_assert_true(g_file_set_contents(p, content, -1, NULL));
        return p;
}

/* Parses 'content'; returns the problems joined by '\n' ("" if none). */
static char *parse(const char *content, ProgramSpec **ret)
{
        g_autofree char *path = write_file("x.conf", content);
        g_autoptr(GPtrArray) problems = problems_new();
        g_autoptr(GString) s = g_string_new(NULL);
        ProgramSpec *p = NULL;
        int r;

        r = dropin_parse(path, problems, &p);
        for (guint i = 0; i < problems->len; i++) {
                Problem *pr = problems->pdata[i];
                const char *text = strstr(pr->text, ": ") ? strstr(pr->text, ": ") + 2 : pr->text;

                g_string_append_printf(s, "%s%s%s", s->len ? "\n" : "", pr->warning ? "W " : "", text);
        }
        g_assert_true((r >= 0) == (p != NULL));
        if (ret)
                *ret = p;
        else
                program_spec_free(p);
        g_unlink(path);
        return g_string_free(TAKE_PTR(s), FALSE);
}

#define BASE "[Program]\nName=a\nInterface=eth0\nHook=xdp\nObject=/x.o\n"

static void test_good(void)
{
        g_autoptr(ProgramSpec) p = NULL;
        g_autofree char *e = parse(BASE "Priority=7\nEntry=main\nNextMap=nxt\nMode=generic\n"
                                        "[Map cfg]\n0={port=53}\n1 = 2 \n", &p);

        g_assert_cmpstr(e, ==, "");
        g_assert_cmpstr(p->name, ==, "a");
        g_assert_cmpstr(p->ifname, ==, "eth0");
        g_assert_cmpint(p->hook, ==, HOOK_XDP);
        g_assert_cmpint(p->priority, ==, 7);
        g_assert_cmpstr(p->entry, ==, "main");
        g_assert_cmpstr(p->next_map, ==, "nxt");
        g_assert_cmpint(p->mode, ==, XDP_MODE_GENERIC);
        g_assert_cmpuint(p->maps->len, ==, 2);
        g_assert_cmpstr(((MapEntrySpec *) p->maps->pdata[0])->key, ==, "0");
        g_assert_cmpstr(((MapEntrySpec *) p->maps->pdata[0])->value, ==, "{port=53}");
        g_assert_cmpstr(((MapEntrySpec *) p->maps->pdata[1])->key, ==, "1");
        g_assert_cmpstr(((MapEntrySpec *) p->maps->pdata[1])->value, ==, "2");
}

static void test_relative_object(void)
{
        g_autoptr(ProgramSpec) p = NULL;
        g_autofree char *e = parse("[Program]\nName=a\nInterface=eth0\nHook=tc-ingress\nObject=objs/p.o\n", &p);
        g_autofree char *want = g_build_filename(tmpdir, "objs/p.o", NULL);

        g_assert_cmpstr(e, ==, "");
        g_assert_cmpstr(p->object, ==, want);
        g_assert_cmpint(p->hook, ==, HOOK_TC_INGRESS);
        g_assert_cmpint(p->priority, ==, 100);
}

static void test_missing(void)
{
        g_autofree char *e1 = parse("[Program]\nInterface=eth0\nHook=xdp\nObject=/x.o\n", NULL);
        g_autofree char *e2 = parse("[Program]\nName=a\nHook=xdp\nObject=/x.o\n", NULL);
        g_autofree char *e3 = parse("[Program]\nName=a\nInterface=eth0\nObject=/x.o\n", NULL);
        g_autofree char *e4 = parse("[Program]\nName=a\nInterface=eth0\nHook=xdp\n", NULL);
        g_autofree char *e5 = parse("[Other]\nName=a\n", NULL);

        g_assert_cmpstr(e1, ==, "[Program] Name=: missing");
        g_assert_cmpstr(e2, ==, "[Program] Interface=: missing");
        g_assert_cmpstr(e3, ==, "[Program] Hook=: missing (one of xdp, tc-ingress, tc-egress)");
        g_assert_cmpstr(e4, ==, "[Program] Object=: missing (give Object= or Package=)");
        g_assert_cmpstr(e5, ==, "no [Program] group");
}

static void test_bad_values(void)
{
        g_autofree char *e1 = parse(BASE "Hook=xpd\n", NULL);
        g_autofree char *e2 = parse(BASE "Priority=ten\n", NULL);
        g_autofree char *e3 = parse(BASE "Priority=70000\n", NULL);
        g_autofree char *e4 = parse(BASE "Mode=turbo\n", NULL);
        g_autofree char *e5 = parse("[Program]\nName=a/b\nInterface=eth0\nHook=xdp\nObject=/x.o\n", NULL);
        g_autofree char *e6 = parse("[Program]\nName=a\nInterface=eth0/1\nHook=xdp\nObject=/x.o\n", NULL);
        g_autofree char *e7 = parse(BASE "Package=p\nVersion=1\n", NULL);
        g_autofree char *e8 = parse(BASE "Type=tc\n", NULL);
        g_autofree char *e9 = parse("[Program]\nName=a\nInterface=eth0\nHook=tc-egress\nObject=/x.o\nMode=native\n", NULL);

        /* GKeyFile keeps the last Hook= */
        g_assert_cmpstr(e1, ==, "[Program] Hook=: unknown hook 'xpd' (one of xdp, tc-ingress, tc-egress)");
        g_assert_cmpstr(e2, ==, "[Program] Priority=: 'ten' is not a number from 0 to 65535");
        g_assert_cmpstr(e3, ==, "[Program] Priority=: '70000' is not a number from 0 to 65535");
        g_assert_cmpstr(e4, ==, "[Program] Mode=: unknown mode 'turbo' (one of auto, native, generic)");
        g_assert_true(g_str_has_prefix(e5, "[Program] Name=: 'a/b' is not a valid name"));
        g_assert_cmpstr(e6, ==, "[Program] Interface=: 'eth0/1' is not a valid interface name");
        g_assert_cmpstr(e7, ==, "[Program] Object=: give either Object= or Package=, not both");
        g_assert_cmpstr(e8, ==, "[Program] Type=: 'tc' cannot run on hook xdp (expected xdp)");
        g_assert_cmpstr(e9, ==, "[Program] Mode=: only XDP chains have a mode");
}

static void test_tcx_pass(void)
{
        g_autoptr(ProgramSpec) p = NULL, q = NULL;
        g_autofree char *e1 = parse("[Program]\nName=a\nInterface=eth0\nHook=tc-ingress\nObject=/x.o\nTCXPass=pass\n", &p);
        g_autofree char *e2 = parse("[Program]\nName=a\nInterface=eth0\nHook=tc-egress\nObject=/x.o\n", &q);
        g_autofree char *e3 = parse("[Program]\nName=a\nInterface=eth0\nHook=tc-egress\nObject=/x.o\nTCXPass=ok\n", NULL);
        g_autofree char *e4 = parse(BASE "TCXPass=next\n", NULL);

        g_assert_cmpstr(e1, ==, "");
        g_assert_true(p->tcx_pass_set);
        g_assert_cmpint(p->tcx_pass, ==, TCX_PASS_POLICY_PASS);
        g_assert_cmpstr(e2, ==, "");
        g_assert_false(q->tcx_pass_set);
        g_assert_cmpstr(e3, ==, "[Program] TCXPass=: unknown value 'ok' (next: TC_ACT_OK goes on to later tcx programs "
                                "and tc filters; pass: TC_ACT_OK ends tcx processing)");
        g_assert_cmpstr(e4, ==, "[Program] TCXPass=: only chains on tc-ingress and tc-egress have a tcx verdict");
}

/* Maps are named as the object names them: past the kernel's 15 characters, up to one pin file name. */
static void test_map_names(void)
{
        g_autofree char *too_long = g_strnfill(256, 'm');
        g_autofree char *text = g_strdup_printf(BASE "[Map %s]\n0=1\n", too_long);
        g_autoptr(ProgramSpec) p = NULL;
        g_autofree char *ok = parse(BASE "NextMap=xdp_rl_ingress_next_prog\n[Map rl_recv_count_map]\n0=0\n", &p);
        g_autofree char *e1 = parse(text, NULL);
        g_autofree char *e2 = parse(BASE "NextMap=next-map\n", NULL);
        g_autofree char *e3 = parse(BASE "[Map a b]\n0=1\n", NULL);

        g_assert_cmpstr(ok, ==, "");
        g_assert_cmpstr(p->next_map, ==, "xdp_rl_ingress_next_prog");
        g_assert_cmpstr(((MapEntrySpec *) p->maps->pdata[0])->map, ==, "rl_recv_count_map");
        g_assert_true(strstr(e1, "is not a valid map name") && strstr(e1, "at most 255 bytes"));
        g_assert_true(g_str_has_prefix(e2, "[Program] NextMap=: 'next-map' is not a valid map name ("));
        if (!strstr(e3, "[Map a b]") || !strstr(e3, "'a b' is not a valid map name ("))
                g_error("%s", e3);
}

#define PKG "[Program]\nName=a\nInterface=eth0\nHook=xdp\nPackage=p\nVersion=1.0.0\n"

/* L3AF's repository layout: the keys that find an artifact and its object. */
static void test_l3af_layout(void)
{
        g_autoptr(ProgramSpec) p = NULL;
        g_autofree char *good = parse(PKG "RepositoryLayout=l3af\nCodename=bookworm\nFolder=l3af_p\n"
                                          "ObjectFile=sub/p.bpf.o\n", &p);
        g_autofree char *e1 = parse(PKG "RepositoryLayout=debian\n", NULL);
        g_autofree char *e2 = parse(PKG "RepositoryLayout=l3af\nCodename=../x\n", NULL);
        g_autofree char *e3 = parse(PKG "Folder=../up\n", NULL);
        g_autofree char *e4 = parse(PKG "ObjectFile=/etc/passwd\n", NULL);
        g_autofree char *e5 = parse(PKG "ObjectFile=a/../../b.o\n", NULL);
        g_autofree char *w1 = parse(PKG "Codename=bookworm\n", NULL);
        g_autofree char *w2 = parse(BASE "RepositoryLayout=l3af\nObjectFile=p.o\n", NULL);

        g_assert_cmpstr(good, ==, "");
        g_assert_cmpint(p->layout, ==, PACKAGE_LAYOUT_L3AF);
        g_assert_cmpstr(p->codename, ==, "bookworm");
        g_assert_cmpstr(p->folder, ==, "l3af_p");
        g_assert_cmpstr(p->object_file, ==, "sub/p.bpf.o");
        g_assert_cmpstr(e1, ==, "[Program] RepositoryLayout=: unknown layout 'debian' (l3afd or l3af)");
        g_assert_true(g_str_has_prefix(e2, "[Program] Codename=: '../x' is not a distribution codename"));
        g_assert_true(g_str_has_prefix(e3, "[Program] Folder=: '../up' is not a relative path inside the package"));
        g_assert_true(g_str_has_prefix(e4, "[Program] ObjectFile=: '/etc/passwd' is not a relative path"));
        g_assert_true(g_str_has_prefix(e5, "[Program] ObjectFile=: 'a/../../b.o' is not a relative path"));
        g_assert_cmpstr(w1, ==, "W [Program] Codename=: ignored without RepositoryLayout=l3af");
        g_assert_cmpstr(w2, ==, "W [Program] RepositoryLayout=: ignored without Package=\n"
                                "W [Program] ObjectFile=: ignored without Package=");
}

static void test_chain_attribution(void)
{
        g_autofree char *path = write_file("y.conf", "[Program]\nInterface=eth1\nHook=xdp\nObject=/x.o\n");
        g_autofree char *path2 = write_file("z.conf", "[Program]\nName=a\nHook=xdp\nObject=/x.o\n");
        g_autoptr(GPtrArray) problems = problems_new();
        ProgramSpec *p = NULL;

        g_assert_cmpint(dropin_parse(path, problems, &p), <, 0);
        g_assert_cmpint(dropin_parse(path2, problems, &p), <, 0);
        g_assert_cmpuint(problems->len, ==, 2);
        /* Interface and Hook readable: the problem blocks that chain. */
        g_assert_cmpstr(((Problem *) problems->pdata[0])->chain, ==, "eth1/xdp");
        /* No Interface: no chain to blame here; reconcile uses what it ran before. */
        g_assert_null(((Problem *) problems->pdata[1])->chain);
        g_assert_cmpstr(((Problem *) problems->pdata[1])->file, ==, path2);
        g_unlink(path);
        g_unlink(path2);
}

static void test_warnings(void)
{
        g_autoptr(ProgramSpec) p = NULL;
        g_autofree char *e = parse(BASE "Prioirty=3\n[Mapp x]\na=1\n", &p);

        g_assert_nonnull(p);
        g_assert_cmpstr(e, ==, "W [Program] Prioirty=: unknown key, ignored\nW [Mapp x] unknown group, ignored");
}

static void test_oversized(void)
{
        g_autofree char *big = g_strnfill(5000, 'x');
        g_autofree char *content = g_strdup_printf(BASE "Entry=%s\n", big);
        g_autofree char *e = parse(content, NULL);

        g_assert_cmpstr(e, ==, "[Program] Entry=: value is 5000 bytes long, the limit is 4096");
}

static void test_names(void)
{
        g_assert_true(program_name_is_valid("rate-limit_v2.1"));
        g_assert_false(program_name_is_valid(""));
        g_assert_false(program_name_is_valid(".hidden"));
        g_assert_false(program_name_is_valid("a b"));
        g_assert_false(program_name_is_valid("ä"));
        g_assert_true(ifname_is_valid("eth0"));
        g_assert_true(ifname_is_valid("veth-a.100"));
        g_assert_false(ifname_is_valid("0123456789abcdef"));
        g_assert_false(ifname_is_valid(".."));
        g_assert_false(ifname_is_valid("a:b"));
}

/* Probes on their own: Hook= names the kind, Attach= the target, no Interface=. */
static void test_probes(void)
{
        g_autoptr(ProgramSpec) p = NULL, u = NULL;
        g_autofree char *e1 = parse("[Program]\nName=tp\nHook=tracepoint\nAttach=sock/inet_sock_set_state\n"
                                    "Object=/x.o\n", &p);
        g_autofree char *e2 = parse("[Program]\nName=u\nHook=uretprobe\nAttach=/usr/bin/foo:main+0x10\n"
                                    "Object=/x.o\n", &u);
        g_autofree char *e3 = parse("[Program]\nName=tp\nInterface=eth0\nHook=tracepoint\nObject=/x.o\n", NULL);
        g_autofree char *e4 = parse("[Program]\nName=tp\nHook=tracepoint\nAttach=inet_sock_set_state\n"
                                    "Object=/x.o\n", NULL);
        g_autofree char *e5 = parse("[Program]\nName=u\nHook=uprobe\nAttach=foo:main\nObject=/x.o\n", NULL);
        g_autofree char *e6 = parse(BASE "Attach=sock/x\n", NULL);
        g_autofree char *e7 = parse("[Program]\nName=k\nHook=kprobe\nAttach=tcp_v4_connect\nNextMap=n\n"
                                    "Object=/x.o\n", NULL);
        g_autofree char *e8 = parse("[Program]\nName=a\nHook=probe\nObject=/x.o\n", NULL);

        g_assert_cmpstr(e1, ==, "");
        g_assert_true(p->standalone);
        g_assert_cmpint(p->kind, ==, PROBE_TRACEPOINT);
        g_assert_cmpstr(p->attach, ==, "sock/inet_sock_set_state");
        g_assert_cmpint(p->hook, <, 0);
        g_assert_cmpstr(e2, ==, "");
        g_assert_cmpint(u->kind, ==, PROBE_URETPROBE);
        g_assert_cmpstr(e3, ==, "[Program] Interface=: a probe (Hook=tracepoint) attaches to no interface; "
                                "remove Interface=");
        g_assert_cmpstr(e4, ==, "[Program] Attach=: 'inet_sock_set_state' is not a tracepoint (CATEGORY/NAME, as "
                                "in sock/inet_sock_set_state)");
        g_assert_cmpstr(e5, ==, "[Program] Attach=: 'foo:main' is not a uprobe target "
                                "(/PATH/TO/BINARY:FUNCTION[+OFFSET])");
        g_assert_cmpstr(e6, ==, "[Program] Attach=: only a probe on its own (Hook=tracepoint, uprobe, ...) takes "
                                "Attach=");
        g_assert_cmpstr(e7, ==, "[Program] NextMap=: a probe on its own (Hook=kprobe) takes no NextMap=");
        g_assert_cmpstr(e8, ==, "[Program] Interface=: missing\n[Program] Hook=: unknown hook 'probe' (one of xdp, "
                                "tc-ingress, tc-egress; with no Interface=, a probe: tracepoint, raw_tracepoint, "
                                "uprobe, uretprobe, kprobe, kretprobe)");
}

static void test_sections(void)
{
        g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL;
        ProbeKind k;

        g_assert_cmpint(probe_from_section("tp/sock/inet_sock_set_state", &k, &t1), ==, 0);
        g_assert_cmpint(k, ==, PROBE_TRACEPOINT);
        g_assert_cmpstr(t1, ==, "sock/inet_sock_set_state");
        g_assert_cmpint(probe_from_section("uprobe", &k, &t2), ==, 0);
        g_assert_cmpint(k, ==, PROBE_UPROBE);
        g_assert_null(t2);
        g_assert_cmpint(probe_from_section("kretprobe/tcp_v4_connect", &k, &t3), ==, 0);
        g_assert_cmpint(k, ==, PROBE_KRETPROBE);
        g_assert_cmpint(probe_from_section("xdp", &k, &t3), ==, -ENOENT);
        g_assert_cmpint(probe_from_section("tpx/a/b", &k, &t3), ==, -ENOENT);
}

static void test_companion(void)
{
        g_autoptr(ProgramSpec) p = NULL;
        g_autofree char *e = parse(BASE "[Companion]\nExecStart=/usr/bin/exporter --to='a b' -v\n"
                                        "Environment=A=1 'B=x y'\nMemoryMax=64M\nCPUQuota=20%\nTasksMax=16\n"
                                        "Restart=always\nRestartSec=500ms\nUser=flows\nPrivateNetwork=yes\n"
                                        "Convention=l3af\nBogus=1\n", &p);
        const CompanionSpec *c;

        g_assert_cmpstr(e, ==, "W [Companion] Bogus=: unknown key, ignored");
        c = p->companion;
        g_assert_nonnull(c);
        g_assert_cmpuint(g_strv_length(c->exec), ==, 3);
        g_assert_cmpstr(c->exec[0], ==, "/usr/bin/exporter");
        g_assert_cmpstr(c->exec[1], ==, "--to=a b");
        g_assert_cmpstr(c->environment[1], ==, "B=x y");
        g_assert_cmpuint(c->memory_max, ==, 64u << 20);
        g_assert_cmpuint(c->cpu_quota_usec, ==, 200000);
        g_assert_cmpuint(c->tasks_max, ==, 16);
        g_assert_cmpstr(c->restart, ==, "always");
        g_assert_cmpuint(c->restart_usec, ==, 500000);
        g_assert_cmpstr(c->user, ==, "flows");
        g_assert_true(c->private_network);
        g_assert_cmpint(c->convention, ==, COMPANION_CONVENTION_L3AF);
        program_spec_free(g_steal_pointer(&p));

        /* Defaults: on-failure, a dynamic user, nothing limited. */
        g_free(e);
        e = parse(BASE "[Companion]\nExecStart=/bin/x\n", &p);
        g_assert_cmpstr(e, ==, "");
        g_assert_cmpstr(p->companion->restart, ==, "on-failure");
        g_assert_null(p->companion->user);
        g_assert_cmpuint(p->companion->memory_max, ==, UINT64_MAX);
        g_assert_cmpint(p->companion->convention, ==, COMPANION_CONVENTION_L3AFD);

        static const char *const bad[][2] = {
                { "MemoryMax=0", "[Companion] MemoryMax=: '0' is not a size in bytes (4096, 64K, 64M, 1G)" },
                { "MemoryMax=99999999999999999999", "[Companion] MemoryMax=: '99999999999999999999' is not a size in bytes (4096, 64K, 64M, 1G)" },
                { "CPUQuota=0%", "[Companion] CPUQuota=: '0%' is not a percentage of one CPU (\"20%\", \"200%\")" },
                { "RestartSec=soon", "[Companion] RestartSec=: 'soon' is not a time span (\"500ms\", \"2s\")" },
                { "User=root user", "[Companion] User=: 'root user' is not a user name" },
                { "Environment=1A=x", "[Companion] Environment=: '1A=x': a variable name has letters, digits and '_', and does not start with a digit" },
                { "PrivateNetwork=maybe", "[Companion] PrivateNetwork=: 'maybe' is not a boolean (yes or no)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                g_autofree char *text = g_strdup_printf(BASE "[Companion]\nExecStart=/bin/x\n%s\n", bad[i][0]);
                g_autofree char *err = parse(text, NULL);

                g_assert_cmpstr(err, ==, bad[i][1]);
        }
        g_free(e);
        e = parse(BASE "[Companion]\nMemoryMax=1G\n", NULL);
        g_assert_cmpstr(e, ==, "[Companion] ExecStart=: missing");
        g_free(e);
        e = parse(BASE "[Companion]\nExecStart=bin/x\n", NULL);
        g_assert_cmpstr(e, ==, "[Companion] ExecStart=: 'bin/x' is relative: only a Package= has files to be relative to");
}

/* A chain's identity: checked on the way in, hashed and ordered as its text, "IFACE/HOOK", is. */
static void test_chain_id(void)
{
        ChainId a, b, c, d;
        char buf[CHAIN_ID_STRING_MAX];

        g_assert_cmpint(chain_id_init(&a, "eth0", HOOK_XDP), ==, 0);
        g_assert_cmpint(chain_id_init(&b, "eth0", HOOK_TC_INGRESS), ==, 0);
        g_assert_cmpint(chain_id_init(&c, "eth0.100", HOOK_XDP), ==, 0);
        g_assert_cmpint(chain_id_init(&d, "eth0", HOOK_XDP), ==, 0);
        g_assert_cmpstr(chain_id_to_string(&b, buf), ==, "eth0/tc-ingress");
        g_assert_cmpstr(CHAIN_ID_TO_STRING(&c), ==, "eth0.100/xdp");
        g_assert_true(chain_id_equal(&a, &d));
        g_assert_cmpuint(chain_id_hash(&a), ==, chain_id_hash(&d));
        g_assert_false(chain_id_equal(&a, &b));
        g_assert_false(chain_id_equal(&a, &c));
        /* "eth0.100/xdp" < "eth0/tc-ingress" < "eth0/xdp", as strcmp() orders the texts. */
        g_assert_cmpint(chain_id_compare(&c, &b), <, 0);
        g_assert_cmpint(chain_id_compare(&b, &a), <, 0);
        g_assert_cmpint(chain_id_compare(&a, &d), ==, 0);
        /* IF_NAMESIZE - 1 bytes fit, IF_NAMESIZE do not; nor does an empty name or a hook that is none. */
        g_assert_cmpint(chain_id_init(&d, "abcdefghijklmno", HOOK_XDP), ==, 0);
        g_assert_cmpint(chain_id_init(&d, "abcdefghijklmnop", HOOK_XDP), ==, -EINVAL);
        g_assert_cmpint(chain_id_init(&d, "", HOOK_XDP), ==, -EINVAL);
        g_assert_cmpint(chain_id_init(&d, NULL, HOOK_XDP), ==, -EINVAL);
        g_assert_cmpint(chain_id_init(&d, "eth0", _HOOK_MAX), ==, -EINVAL);
        g_assert_cmpint(chain_id_init(&d, "eth0", _HOOK_INVALID), ==, -EINVAL);
        g_assert_cmpstr(d.ifname, ==, "abcdefghijklmno");
}

int main(int argc, char **argv)
{
        int r;

        g_test_init(&argc, &argv, NULL);
        tmpdir = g_dir_make_tmp("l3af-dropin-XXXXXX", NULL);
        g_test_add_func("/dropin/good", test_good);
        g_test_add_func("/dropin/relative-object", test_relative_object);
        g_test_add_func("/dropin/missing", test_missing);
        g_test_add_func("/dropin/bad-values", test_bad_values);
        g_test_add_func("/dropin/tcx-pass", test_tcx_pass);
        g_test_add_func("/dropin/l3af-layout", test_l3af_layout);
        g_test_add_func("/dropin/chain-attribution", test_chain_attribution);
        g_test_add_func("/dropin/map-names", test_map_names);
        g_test_add_func("/dropin/warnings", test_warnings);
        g_test_add_func("/dropin/oversized", test_oversized);
        g_test_add_func("/dropin/names", test_names);
        g_test_add_func("/dropin/probes", test_probes);
        g_test_add_func("/dropin/probe-sections", test_sections);
        g_test_add_func("/dropin/companion", test_companion);
        g_test_add_func("/dropin/chain-id", test_chain_id);
        r = g_test_run();
        g_rmdir(tmpdir);
        g_free(tmpdir);
        return r;
}
