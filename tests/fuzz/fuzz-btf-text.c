/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: map values as text (btf-text.c), the syntax of [Map]
 * groups and of the D-Bus map methods. The first byte picks a type from a
 * fixed BTF, or a size for a map without BTF types (key_size/value_size,
 * parsed raw), and whether the text is a key or a value; the rest is the
 * text. Whatever parses must format to text that parses back to the same
 * bytes, since GetMapEntry's answer is what SetMapEntry takes.
 */
#include <bpf/btf.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "btf-text.h"

static struct btf *btf;
static int types[24];
static size_t ntypes;
/* Sizes of maps without BTF types: integers (1, 2, 4, 8) and hex bytes (the others). */
static const size_t raw_sizes[] = { 1, 2, 3, 4, 5, 6, 8, 12, 16 };

static void build_btf(void)
{
        int u8, u16, u32, u64, s32, s64, boolean, chr, be16, be32, en, st, bits, nested;

        btf = btf__new_empty();
        u8 = btf__add_int(btf, "unsigned char", 1, 0);
        u16 = btf__add_int(btf, "unsigned short", 2, 0);
        u32 = btf__add_int(btf, "unsigned int", 4, 0);
        u64 = btf__add_int(btf, "unsigned long long", 8, 0);
        s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
        s64 = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
        boolean = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
        chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
        be16 = btf__add_typedef(btf, "__be16", u16);
        be32 = btf__add_typedef(btf, "__be32", u32);
        en = btf__add_enum(btf, "action", 4);
        btf__add_enum_value(btf, "PASS", 2);
        btf__add_enum_value(btf, "DROP", 1);
        st = btf__add_struct(btf, "cfg", 12);
        btf__add_field(btf, "port", u16, 0, 0);
        btf__add_field(btf, "enabled", u16, 16, 0);
        btf__add_field(btf, "addr", be32, 32, 0);
        btf__add_field(btf, "act", en, 64, 0);
        bits = btf__add_struct(btf, "flags", 4);
        btf__add_field(btf, "a", u32, 0, 3);
        btf__add_field(btf, "b", u32, 3, 5);
        nested = btf__add_struct(btf, "outer", 16);
        btf__add_field(btf, "inner", st, 0, 0);
        btf__add_field(btf, "f", bits, 96, 0);

        int list[] = {
                u8, u16, u32, u64, s32, s64, boolean, chr, be16, be32, en, st, bits, nested,
                btf__add_array(btf, u32, u8, 6),    /* MAC */
                btf__add_array(btf, u32, chr, 8),   /* name */
                btf__add_array(btf, u32, u16, 3),
                btf__add_array(btf, u32, u8, 4),    /* IPv4 */
                btf__add_array(btf, u32, u8, 16),   /* IPv6 */
                btf__add_array(btf, u32, st, 2),
        };
        memcpy(types, list, sizeof(list));
        ntypes = G_N_ELEMENTS(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autofree char *text = NULL, *error = NULL, *formatted = NULL, *error2 = NULL;
        g_autofree uint8_t *value = NULL, *again = NULL;
        size_t choice, type_size;
        MapTextPart part;
        int type = 0;

        if (!btf)
                build_btf();
        if (size < 1)
                return 0;
        part = data[0] & 0x80 ? MAP_TEXT_KEY : MAP_TEXT_VALUE;
        choice = (data[0] & 0x7f) % (ntypes + G_N_ELEMENTS(raw_sizes));
        if (choice < ntypes) {
                __s64 s;

                type = types[choice];
                s = btf__resolve_size(btf, type);
                g_assert(s > 0);
                type_size = s;
        } else
                type_size = raw_sizes[choice - ntypes];  /* type 0: raw */
        text = g_strndup((const char *) data + 1, size - 1);
        value = g_malloc0(type_size);
        again = g_malloc0(type_size);

        if (map_text_parse(btf, type, part, text, value, type_size, &error) < 0) {
                g_assert(error);
                return 0;
        }
        formatted = btf_text_format(btf, type, value, type_size);
        g_assert(formatted);
        if (map_text_parse(btf, type, part, formatted, again, type_size, &error2) < 0)
                g_error("'%s' parsed, but its formatted value '%s' does not: %s", text, formatted, error2);
        if (memcmp(value, again, type_size) != 0)
                g_error("'%s' and its formatted value '%s' parse to different bytes", text, formatted);
        return 0;
}
