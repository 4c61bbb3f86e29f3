/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <bpf/btf.h>
#include <glib.h>
#include <stdint.h>

#include "btf-text.h"
#include "util.h"

static struct btf *btf;
static int t_u8, t_u16, t_u32, t_u64, t_s32, t_bool, t_char, t_be16, t_be32, t_enum, t_mac, t_name, t_arr3, t_struct,
        t_ip4arr, t_ip6arr, t_bitfield;

static void build_btf(void)
{
        int id;

        btf = btf__new_empty();
        t_u8 = btf__add_int(btf, "unsigned char", 1, 0);
        t_u16 = btf__add_int(btf, "unsigned short", 2, 0);
        t_u32 = btf__add_int(btf, "unsigned int", 4, 0);
        t_u64 = btf__add_int(btf, "unsigned long long", 8, 0);
        t_s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
        t_bool = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
        t_char = btf__add_int(btf, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
        t_be16 = btf__add_typedef(btf, "__be16", t_u16);
        t_be32 = btf__add_typedef(btf, "__be32", t_u32);
        t_enum = btf__add_enum(btf, "action", 4);
        btf__add_enum_value(btf, "PASS", 2);
        btf__add_enum_value(btf, "DROP", 1);
        t_mac = btf__add_array(btf, t_u32, t_u8, 6);
        t_name = btf__add_array(btf, t_u32, t_char, 8);
        t_arr3 = btf__add_array(btf, t_u32, t_u16, 3);
        t_ip4arr = btf__add_array(btf, t_u32, t_u8, 4);
        t_ip6arr = btf__add_array(btf, t_u32, t_u8, 16);
        /* struct cfg { __u16 port; __u16 enabled; __be32 addr; enum action act; }; */
        t_struct = btf__add_struct(btf, "cfg", 12);
        btf__add_field(btf, "port", t_u16, 0, 0);
        btf__add_field(btf, "enabled", t_u16, 16, 0);
        btf__add_field(btf, "addr", t_be32, 32, 0);
        btf__add_field(btf, "act", t_enum, 64, 0);
        /* struct flags { u32 a:3; u32 b:5; }; */
        t_bitfield = btf__add_struct(btf, "flags", 4);
        btf__add_field(btf, "a", t_u32, 0, 3);
        btf__add_field(btf, "b", t_u32, 3, 5);
        id = t_bitfield;
        g_assert_cmpint(id, >, 0);
}

static char *parse_error(int type, size_t size, const char *text)
{
        g_autofree uint8_t *buf = g_malloc0(size);
        char *error = NULL;

        g_assert_cmpint(btf_text_parse(btf, type, text, buf, size, &error), <, 0);
        g_assert_nonnull(error);
        return error;
}

static void parse_ok(int type, size_t size, const char *text, void *out)
{
        g_autofree char *error = NULL;
        int r = btf_text_parse(btf, type, text, out, size, &error);

        if (r < 0)
                g_error("'%s': %s", text, error);
}

static void roundtrip(int type, size_t size, const char *text, const char *formatted)
{
        g_autofree uint8_t *buf = g_malloc0(size);
        g_autofree char *s = NULL;

        parse_ok(type, size, text, buf);
        s = btf_text_format(btf, type, buf, size);
        g_assert_cmpstr(s, ==, formatted);
}

static void test_integers(void)
{
        uint32_t u32;
        uint16_t u16;
        uint8_t u8;
        uint64_t u64;
        int32_t s32;
        g_autofree char *e1 = parse_error(t_u16, 2, "70000");
        g_autofree char *e2 = parse_error(t_u8, 1, "-1");
        g_autofree char *e3 = parse_error(t_u32, 4, "12abc");
        g_autofree char *e4 = parse_error(t_s32, 4, "3000000000");

        parse_ok(t_u32, 4, "42", &u32);
        g_assert_cmpuint(u32, ==, 42);
        parse_ok(t_u32, 4, "0x2a", &u32);
        g_assert_cmpuint(u32, ==, 42);
        parse_ok(t_u16, 2, "65535", &u16);
        g_assert_cmpuint(u16, ==, 65535);
        parse_ok(t_u8, 1, "255", &u8);
        g_assert_cmpuint(u8, ==, 255);
        parse_ok(t_u64, 8, "18446744073709551615", &u64);
        g_assert_cmpuint(u64, ==, G_MAXUINT64);
        parse_ok(t_s32, 4, "-7", &s32);
        g_assert_cmpint(s32, ==, -7);
        g_assert_cmpstr(e1, ==, "70000 does not fit in unsigned short (0..65535)");
        g_assert_cmpstr(e2, ==, "-1 does not fit in unsigned char (0..255)");
        g_assert_cmpstr(e3, ==, "'12abc' is not a number (unsigned int)");
        g_assert_cmpstr(e4, ==, "3000000000 does not fit in int (-2147483648..2147483647)");
        roundtrip(t_s32, 4, "-12", "-12");
        roundtrip(t_bool, 1, "yes", "true");
        roundtrip(t_bool, 1, "0", "false");
        {
                /* Found by fuzz-btf-text: 4 was stored, and formatted back as "true" (1). */
                g_autofree char *e5 = parse_error(t_bool, 1, "4");

                g_assert_cmpstr(e5, ==, "4 does not fit in _Bool (0..1)");
        }
}

static void test_network_order(void)
{
        uint16_t be16;
        uint32_t be32, u32;

        parse_ok(t_be16, 2, "53", &be16);
        g_assert_cmpuint(be16, ==, htons(53));
        roundtrip(t_be16, 2, "8080", "8080");
        parse_ok(t_be32, 4, "10.1.2.3", &be32);
        g_assert_cmpuint(be32, ==, htonl(0x0a010203));
        /* An IPv4 address is stored as packets carry it, whatever the typedef. */
        parse_ok(t_u32, 4, "192.168.0.1", &u32);
        g_assert_cmpuint(u32, ==, htonl(0xc0a80001));
}

static void test_enum(void)
{
        uint32_t v;
        g_autofree char *e = parse_error(t_enum, 4, "REDIRECT");

        parse_ok(t_enum, 4, "DROP", &v);
        g_assert_cmpuint(v, ==, 1);
        roundtrip(t_enum, 4, "2", "PASS");
        g_assert_cmpstr(e, ==, "'REDIRECT' is not a value of enum action");
}

static void test_arrays(void)
{
        uint8_t mac[6], ip4[4], ip6[16];
        char name[8];
        g_autofree char *e1 = parse_error(t_name, 8, "\"much too long\"");
        g_autofree char *e2 = parse_error(t_arr3, 6, "[1, 2, 3, 4]");
        g_autofree char *e3 = parse_error(t_mac, 6, "aa:bb");

        parse_ok(t_mac, 6, "aa:bb:cc:00:11:22", mac);
        g_assert_cmpuint(mac[0], ==, 0xaa);
        g_assert_cmpuint(mac[5], ==, 0x22);
        roundtrip(t_mac, 6, "02:00:00:00:00:01", "02:00:00:00:00:01");
        parse_ok(t_name, 8, "\"eth0\"", name);
        g_assert_cmpstr(name, ==, "eth0");
        roundtrip(t_name, 8, "\"lo\"", "\"lo\"");
        /* Found by fuzz-btf-text: bytes after the string's end were lost in the text. */
        roundtrip(t_name, 8, "[0, 2, 3]", "[0, 2, 3, 0, 0, 0, 0, 0]");
        roundtrip(t_arr3, 6, "[1, 2]", "[1, 2, 0]");
        parse_ok(t_ip4arr, 4, "10.0.0.9", ip4);
        g_assert_cmpuint(ip4[3], ==, 9);
        parse_ok(t_ip6arr, 16, "fe80::1", ip6);
        g_assert_cmpuint(ip6[0], ==, 0xfe);
        g_assert_cmpuint(ip6[15], ==, 1);
        g_assert_cmpstr(e1, ==, "string \"much too long\" is longer than 8 bytes");
        g_assert_cmpstr(e2, ==, "more than 3 array elements");
        g_assert_true(g_str_has_prefix(e3, "'aa:bb' does not fit in a 6-byte array"));
}

static void test_structs(void)
{
        struct {
                uint16_t port, enabled;
                uint32_t addr;
                uint32_t act;
        } v;
        g_autofree char *e1 = parse_error(t_struct, 12, "{port=53, colour=3}");
        g_autofree char *e2 = parse_error(t_struct, 12, "{port=70000}");
        g_autofree char *e3 = parse_error(t_struct, 12, "{port=53");
        g_autofree char *e4 = parse_error(t_struct, 12, "{1,2,3,4,5}");

        parse_ok(t_struct, 12, "{port=53, enabled=1}", &v);
        g_assert_cmpuint(v.port, ==, 53);
        g_assert_cmpuint(v.enabled, ==, 1);
        g_assert_cmpuint(v.addr, ==, 0);
        parse_ok(t_struct, 12, "port=5353, addr=10.0.0.1, act=DROP", &v);  /* braces optional at top level */
        g_assert_cmpuint(v.port, ==, 5353);
        g_assert_cmpuint(v.addr, ==, htonl(0x0a000001));
        g_assert_cmpuint(v.act, ==, 1);
        parse_ok(t_struct, 12, "{7, 1, 0x0a000001, PASS}", &v);  /* positional */
        g_assert_cmpuint(v.port, ==, 7);
        g_assert_cmpuint(v.addr, ==, htonl(0x0a000001));
        roundtrip(t_struct, 12, "{port=80, enabled=1, addr=10.0.0.2, act=PASS}",
                  "{port=80, enabled=1, addr=167772162, act=PASS}");
        g_assert_cmpstr(e1, ==, "struct cfg has no member 'colour'");
        g_assert_cmpstr(e2, ==, "port: 70000 does not fit in unsigned short (0..65535)");
        g_assert_cmpstr(e3, ==, "expected ',' or '}' in struct cfg at ''");
        g_assert_cmpstr(e4, ==, "struct cfg has only 4 members");
}

static void test_bitfields(void)
{
        uint32_t v = 0;
        g_autofree char *e = parse_error(t_bitfield, 4, "{a=8}");

        parse_ok(t_bitfield, 4, "{a=5, b=17}", &v);
        g_assert_cmpuint(v, ==, 5u | (17u << 3));
        roundtrip(t_bitfield, 4, "{a=1, b=31}", "{a=1, b=31}");
        g_assert_cmpstr(e, ==, "a: 8 does not fit in a (0..7)");
}

static void test_raw(void)
{
        uint8_t buf[5];
        uint32_t u32;
        char *error = NULL;

        g_assert_cmpint(btf_text_parse(NULL, 0, "77", &u32, 4, &error), ==, 0);
        g_assert_cmpuint(u32, ==, 77);
        g_assert_cmpint(raw_text_parse("0x0102030405", buf, 5, &error), ==, 0);
        g_assert_cmpuint(buf[4], ==, 5);
        g_assert_cmpint(raw_text_parse("0x01", buf, 5, &error), <, 0);
        g_assert_cmpstr(error, ==, "'0x01' is not 5 bytes of hex (0x...)");
        g_free(error);
}

/* Maps declared with key_size/value_size: no BTF type, map_text_parse() parses raw and names the size. */
static char *raw_error(MapTextPart part, size_t size, const char *text)
{
        g_autofree uint8_t *buf = g_malloc0(size);
        char *error = NULL;

        g_assert_cmpint(map_text_parse(NULL, 0, part, text, buf, size, &error), ==, -EINVAL);
        g_assert_nonnull(error);
        return error;
}

static void raw_roundtrip(size_t size, const char *text, const char *formatted, const uint8_t *bytes)
{
        g_autofree uint8_t *buf = g_malloc0(size), *again = g_malloc0(size);
        g_autofree char *error = NULL, *s = NULL;

        if (map_text_parse(btf, 0, MAP_TEXT_VALUE, text, buf, size, &error) < 0)
                g_error("'%s': %s", text, error);
        if (bytes)
                g_assert_cmpmem(buf, size, bytes, size);
        s = btf_text_format(btf, 0, buf, size);
        g_assert_cmpstr(s, ==, formatted);
        g_assert_cmpint(map_text_parse(NULL, 0, MAP_TEXT_VALUE, s, again, size, &error), ==, 0);
        g_assert_cmpmem(buf, size, again, size);
}

static void test_raw_sizes(void)
{
        uint32_t ip = 0x0a000001, hexip;
        uint16_t u16 = 65535;
        uint64_t u64 = UINT64_MAX;
        const uint8_t mac[6] = { 0xaa, 0xbb, 0xcc, 0x00, 0x11, 0x22 };
        const uint8_t be[4] = { 0x0a, 0x00, 0x00, 0x01 };
        g_autofree char *e1 = raw_error(MAP_TEXT_VALUE, 2, "70000");
        g_autofree char *e2 = raw_error(MAP_TEXT_KEY, 4, "-1");
        g_autofree char *e3 = raw_error(MAP_TEXT_VALUE, 1, "ten");
        g_autofree char *e4 = raw_error(MAP_TEXT_KEY, 6, "0xaabb");
        g_autofree char *e5 = raw_error(MAP_TEXT_VALUE, 4, "hex:0a0000");
        g_autofree char *e6 = raw_error(MAP_TEXT_VALUE, 3, "hex:0a00zz");
        g_autofree char *e7 = raw_error(MAP_TEXT_VALUE, 8, "18446744073709551616");
        g_autofree char *hexip_text = NULL;

        /* Sizes 1, 2, 4, 8: unsigned integers in host order; 0x is a number, hex: is bytes. */
        raw_roundtrip(4, "0x0a000001", "167772161", (const uint8_t *) &ip);
        raw_roundtrip(2, "65535", "65535", (const uint8_t *) &u16);
        raw_roundtrip(8, "18446744073709551615", "18446744073709551615", (const uint8_t *) &u64);
        memcpy(&hexip, be, 4);
        hexip_text = g_strdup_printf("%u", hexip);
        raw_roundtrip(4, "hex:0a000001", hexip_text, be);
        raw_roundtrip(1, "hex:FF", "255", (const uint8_t *) "\xff");
        /* Other sizes: hex bytes, written hex: (or 0x as before). */
        raw_roundtrip(6, "hex:aabbcc001122", "hex:aabbcc001122", mac);
        raw_roundtrip(6, "0xaabbcc001122", "hex:aabbcc001122", mac);
        raw_roundtrip(3, "hex:000000", "hex:000000", (const uint8_t *) "\0\0\0");

        g_assert_cmpstr(e1, ==, "70000 does not fit in the map's 2-byte value (0..65535)");
        g_assert_cmpstr(e2, ==, "-1 does not fit in the map's 4-byte key (0..4294967295)");
        g_assert_cmpstr(e3, ==, "'ten' is not a number (the map's 1-byte value)");
        g_assert_cmpstr(e4, ==, "'0xaabb' is not the map's 6-byte key: give hex: and 12 hex digits");
        g_assert_cmpstr(e5, ==, "'hex:0a0000' is not 4 bytes of hex for the map's 4-byte value (hex: and 8 hex digits)");
        g_assert_cmpstr(e6, ==, "'hex:0a00zz' is not 3 bytes of hex for the map's 3-byte value (hex: and 6 hex digits)");
        g_assert_cmpstr(e7, ==, "'18446744073709551616' is not a number (the map's 8-byte value)");
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        build_btf();
        g_test_add_func("/btf-text/integers", test_integers);
        g_test_add_func("/btf-text/network-order", test_network_order);
        g_test_add_func("/btf-text/enum", test_enum);
        g_test_add_func("/btf-text/arrays", test_arrays);
        g_test_add_func("/btf-text/structs", test_structs);
        g_test_add_func("/btf-text/bitfields", test_bitfields);
        g_test_add_func("/btf-text/raw", test_raw);
        g_test_add_func("/btf-text/raw-sizes", test_raw_sizes);
        return g_test_run();
}
