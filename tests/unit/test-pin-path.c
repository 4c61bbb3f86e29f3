/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "dropin.h"
#include "pin-path.h"

/* What the kernel takes as a bpffs file name: no '.' (bpf_lookup()), no '/', not empty. */
static bool bpffs_takes(const char *s)
{
        return *s && !strchr(s, '.') && !strchr(s, '/');
}

static void check_round_trip(const char *name)
{
        g_autofree char *e = pin_name_encode(name), *d = NULL;

        if (!bpffs_takes(e))
                g_error("'%s' encodes as '%s', which the bpffs refuses", name, e);
        g_assert_cmpint(pin_name_decode(e, &d), ==, 0);
        g_assert_cmpstr(d, ==, name);
}

static void test_encode(void)
{
        const struct { const char *name, *encoded; } cases[] = {
                { "eth0", "eth0" },                     /* names without dots keep their pins' paths */
                { "l3af_next", "l3af_next" },
                { "rate-limit_2", "rate-limit_2" },
                { "eth0.100", "eth0:2e100" },
                { "veth-a.100", "veth-a:2e100" },
                { "rate.limit", "rate:2elimit" },
                { ".", ":2e" },
                { "..", ":2e:2e" },
                { "a:b", "a:3ab" },
                { "a/b", "a:2fb" },
                { "a b", "a:20b" },
                { "%x\\", "%x\\" },
                { "\x7f\xc3\xa9", ":7f:c3:a9" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *e = pin_name_encode(cases[i].name);

                g_assert_cmpstr(e, ==, cases[i].encoded);
                check_round_trip(cases[i].name);
        }
}

/* Every byte, alone and between others, encodes to a bpffs name and decodes back. */
static void test_every_byte(void)
{
        for (int b = 1; b < 256; b++) {
                char one[2] = { (char) b, 0 }, three[4] = { 'x', (char) b, 'y', 0 };

                check_round_trip(one);
                check_round_trip(three);
        }
}

/* Every valid interface and program name, with a dot or not, is its own encoding unless it has a dot. */
static void test_valid_names(void)
{
        const char *ifnames[] = { "eth0", "veth-a.100", "bond0.4094", "br-lan", "wg0", "%x", "a\\b", "@x" };
        const char *programs[] = { "count", "rate.limit", "a.b.c", "x-y_z", "_a." };

        for (size_t i = 0; i < G_N_ELEMENTS(ifnames); i++) {
                g_autofree char *e = pin_name_encode(ifnames[i]);

                g_assert_true(ifname_is_valid(ifnames[i]));
                check_round_trip(ifnames[i]);
                if (!strchr(ifnames[i], '.'))
                        g_assert_cmpstr(e, ==, ifnames[i]);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(programs); i++) {
                g_autofree char *e = pin_name_encode(programs[i]);

                g_assert_true(program_name_is_valid(programs[i]));
                check_round_trip(programs[i]);
                if (!strchr(programs[i], '.'))
                        g_assert_cmpstr(e, ==, programs[i]);
        }
}

/* Only an encoder's output decodes: one name, one spelling. */
static void test_map_names(void)
{
        g_autofree char *longest = g_strnfill(255, 'm'), *too_long = g_strnfill(256, 'm');
        g_autofree char *dots = g_strnfill(85, '.'), *dots_too_long = g_strnfill(86, '.');

        /* Names as the object gives them, past the kernel's 15 characters. */
        g_assert_true(map_name_is_valid("rl_recv_count_map"));
        g_assert_true(map_name_is_valid("xdp_rl_ingress_next_prog"));
        g_assert_true(map_name_is_valid("cfg.map"));
        g_assert_true(map_name_is_valid(longest));
        g_assert_true(map_name_is_valid(dots));  /* 85 dots encode to 255 bytes */
        /* Not one file name once encoded, or not a name. */
        g_assert_false(map_name_is_valid(too_long));
        g_assert_false(map_name_is_valid(dots_too_long));
        g_assert_false(map_name_is_valid(""));
        g_assert_false(map_name_is_valid(NULL));
        g_assert_false(map_name_is_valid("a-b"));
        g_assert_false(map_name_is_valid("a/b"));
        g_assert_false(map_name_is_valid("a b"));
        g_assert_cmpuint(pin_name_encoded_length("eth0.100"), ==, strlen("eth0:2e100"));
}

static void test_decode_refuses(void)
{
        const char *bad[] = { "", "a.b", "a/b", "a b", "a:", "a:2", "a:2E", "a:zz", "a:41", "a:00", ":3", "x\x7f",
                              "a::2e" };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                char *d = (char *) 0x1;

                if (pin_name_decode(bad[i], &d) != -EINVAL)
                        g_error("'%s' should not decode", bad[i]);
                g_assert_true(d == (char *) 0x1);  /* untouched on failure */
        }
}

static void test_paths(void)
{
        g_autofree char *chain = pin_chain_dir("/sys/fs/bpf/l3af", "eth0.100", HOOK_TC_INGRESS);
        g_autofree char *plain = pin_chain_dir("/sys/fs/bpf/l3af", "eth0", HOOK_XDP);
        g_autofree char *pdir = pin_program_dir(chain, "rate.limit");
        g_autofree char *own = pin_map_path(chain, "rate.limit", "cfg.map", false);
        g_autofree char *shared = pin_map_path(chain, "rate.limit", "hits.total", true);
        g_autofree char *inst = pin_instance_dir(plain, "count", 12, "0123456789abcdef");
        const char *digest = NULL;
        uint64_t gen = 0;

        g_assert_cmpstr(chain, ==, "/sys/fs/bpf/l3af/eth0:2e100/tc-ingress");
        g_assert_cmpstr(plain, ==, "/sys/fs/bpf/l3af/eth0/xdp");
        g_assert_cmpstr(pdir, ==, "/sys/fs/bpf/l3af/eth0:2e100/tc-ingress/programs/rate:2elimit");
        g_assert_cmpstr(own, ==, "/sys/fs/bpf/l3af/eth0:2e100/tc-ingress/programs/rate:2elimit/maps/cfg:2emap");
        g_assert_cmpstr(shared, ==, "/sys/fs/bpf/l3af/eth0:2e100/tc-ingress/maps/hits:2etotal");
        g_assert_cmpstr(inst, ==, "/sys/fs/bpf/l3af/eth0/xdp/programs/count/12-0123456789abcdef");

        g_assert_cmpint(pin_instance_parse("12-0123456789abcdef", &gen, &digest), ==, 0);
        g_assert_cmpuint(gen, ==, 12);
        g_assert_cmpstr(digest, ==, "0123456789abcdef");
        for (const char *const *s = (const char *const[]) { "maps", "-ab", "1-", "1-AB", "x1-ab", "1-ab-c", "1ab",
                                                             "99999999999999999999999-ab", NULL };
             *s; s++)
                if (pin_instance_parse(*s, &gen, &digest) != -EINVAL)
                        g_error("'%s' should not parse as an instance", *s);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/pin-path/encode", test_encode);
        g_test_add_func("/pin-path/every-byte", test_every_byte);
        g_test_add_func("/pin-path/valid-names", test_valid_names);
        g_test_add_func("/pin-path/decode-refuses", test_decode_refuses);
        g_test_add_func("/pin-path/map-names", test_map_names);
        g_test_add_func("/pin-path/paths", test_paths);
        return g_test_run();
}
