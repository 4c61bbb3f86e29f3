/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "btf-text.h"
#include "util.h"

#define MAX_DEPTH 16

typedef struct Parser {
        const struct btf *btf;
        const char *s;       /* cursor */
        char *error;
} Parser;

static int fail(Parser *p, const char *format, ...) _printf_(2, 3);
static int fail(Parser *p, const char *format, ...)
{
        va_list ap;

        if (p->error)
                return -EINVAL;  /* keep the innermost message */
        va_start(ap, format);
        p->error = g_strdup_vprintf(format, ap);
        va_end(ap);
        return -EINVAL;
}

static void skip_space(Parser *p)
{
        while (*p->s == ' ' || *p->s == '\t')
                p->s++;
}

/* A scalar token runs to the next ',', '}' or ']' at this level. */
static char *next_token(Parser *p)
{
        const char *start;

        skip_space(p);
        start = p->s;
        if (*p->s == '"') {
                p->s++;
                while (*p->s && *p->s != '"') {
                        if (*p->s == '\\' && p->s[1])
                                p->s++;
                        p->s++;
                }
                if (*p->s == '"')
                        p->s++;
        } else
                while (*p->s && !strchr(",}]", *p->s))
                        p->s++;
        return g_strstrip(g_strndup(start, p->s - start));
}

/* Skips modifiers and typedefs; remembers whether a __be* typedef was seen. */
static const struct btf_type *resolve(const struct btf *btf, __u32 *id, bool *big_endian)
{
        const struct btf_type *t = btf__type_by_id(btf, *id);

        for (int i = 0; t && i < MAX_DEPTH; i++) {
                switch (btf_kind(t)) {
                case BTF_KIND_TYPEDEF: {
                        const char *name = btf__name_by_offset(btf, t->name_off);

                        if (big_endian && name &&
                            (g_str_has_prefix(name, "__be") || g_str_has_prefix(name, "be")))
                                *big_endian = true;
                        *id = t->type;
                        t = btf__type_by_id(btf, *id);
                        continue;
                }
                case BTF_KIND_VOLATILE:
                case BTF_KIND_CONST:
                case BTF_KIND_RESTRICT:
                case BTF_KIND_TYPE_TAG:
                        *id = t->type;
                        t = btf__type_by_id(btf, *id);
                        continue;
                default:
                        return t;
                }
        }
        return t;
}

static const char *type_name(const struct btf *btf, __u32 id)
{
        const struct btf_type *t = btf__type_by_id(btf, id);
        const char *n = t ? btf__name_by_offset(btf, t->name_off) : NULL;

        return isempty(n) ? "(anonymous)" : n;
}

static void store_uint(void *out, size_t size, uint64_t v, bool big_endian)
{
        switch (size) {
        case 1: { uint8_t x = v; memcpy(out, &x, 1); break; }
        case 2: { uint16_t x = big_endian ? htobe16(v) : v; memcpy(out, &x, 2); break; }
        case 4: { uint32_t x = big_endian ? htobe32(v) : v; memcpy(out, &x, 4); break; }
        case 8: { uint64_t x = big_endian ? htobe64(v) : v; memcpy(out, &x, 8); break; }
        }
}

static uint64_t load_uint(const void *in, size_t size, bool big_endian)
{
        switch (size) {
        case 1: { uint8_t x; memcpy(&x, in, 1); return x; }
        case 2: { uint16_t x; memcpy(&x, in, 2); return big_endian ? be16toh(x) : x; }
        case 4: { uint32_t x; memcpy(&x, in, 4); return big_endian ? be32toh(x) : x; }
        default: { uint64_t x; memcpy(&x, in, 8); return big_endian ? be64toh(x) : x; }
        }
}

/* Parses an integer token within [min, max] (signed) or [0, umax]. */
static int parse_int_token(Parser *p, const char *tok, bool is_signed, unsigned bits, bool is_bool,
                           const char *what, uint64_t *ret)
{
        if (is_bool || bits == 1) {
                if (streq(tok, "true") || streq(tok, "yes") || streq(tok, "on")) {
                        *ret = 1;
                        return 0;
                }
                if (streq(tok, "false") || streq(tok, "no") || streq(tok, "off")) {
                        *ret = 0;
                        return 0;
                }
        }
        if (is_bool) {
                /* 0 or 1, as it formats back ("true" is 1). */
                is_signed = false;
                bits = 1;
        }
        if (is_signed) {
                int64_t min = bits >= 64 ? INT64_MIN : -((int64_t) 1 << (bits - 1));
                int64_t max = bits >= 64 ? INT64_MAX : ((int64_t) 1 << (bits - 1)) - 1;
                bool neg = tok[0] == '-';
                const char *digits = neg ? tok + 1 : tok;
                guint64 mag;
                gint64 v;
                bool ok;

                if (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X"))
                        ok = digits[2] && g_ascii_string_to_unsigned(digits + 2, 16, 0, G_MAXUINT64, &mag, NULL);
                else
                        ok = g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT64, &mag, NULL);
                if (!ok)
                        return fail(p, "'%s' is not a number (%s)", tok, what);
                if (mag > (guint64) G_MAXINT64 + (neg ? 1 : 0))
                        return fail(p, "%s does not fit in %s (%" PRId64 "..%" PRId64 ")", tok, what, min, max);
                v = neg ? (gint64) (0 - mag) : (gint64) mag;
                if (v < min || v > max)
                        return fail(p, "%s does not fit in %s (%" PRId64 "..%" PRId64 ")", tok, what, min, max);
                *ret = (uint64_t) v;
                return 0;
        } else {
                uint64_t max = bits >= 64 ? UINT64_MAX : ((uint64_t) 1 << bits) - 1;
                guint64 v;
                bool ok;

                if (g_str_has_prefix(tok, "0x") || g_str_has_prefix(tok, "0X"))
                        ok = tok[2] && g_ascii_string_to_unsigned(tok + 2, 16, 0, G_MAXUINT64, &v, NULL);
                else
                        ok = g_ascii_string_to_unsigned(tok, 10, 0, G_MAXUINT64, &v, NULL);
                if (!ok) {
                        if (tok[0] == '-')
                                return fail(p, "%s does not fit in %s (0..%" PRIu64 ")", tok, what, max);
                        return fail(p, "'%s' is not a number (%s)", tok, what);
                }
                if (v > max)
                        return fail(p, "%s does not fit in %s (0..%" PRIu64 ")", tok, what, max);
                *ret = v;
                return 0;
        }
}

static int parse_value(Parser *p, __u32 id, void *out, size_t avail, int depth, bool top);

static int parse_int(Parser *p, __u32 id, const struct btf_type *t, bool big_endian, void *out,
                     size_t avail)
{
        __u32 info = *(const __u32 *) (t + 1);
        unsigned bits = BTF_INT_BITS(info);
        bool is_signed = BTF_INT_ENCODING(info) & BTF_INT_SIGNED;
        bool is_bool = BTF_INT_ENCODING(info) & BTF_INT_BOOL;
        g_autofree char *tok = next_token(p);
        struct in_addr a4;
        uint64_t v;
        int r;

        if (t->size > avail || t->size > 8)
                return fail(p, "type %s is too large", type_name(p->btf, id));
        if (t->size == 4 && strchr(tok, '.') && inet_pton(AF_INET, tok, &a4) == 1) {
                memcpy(out, &a4, 4);  /* as packets carry it */
                return 0;
        }
        r = parse_int_token(p, tok, is_signed, bits, is_bool, type_name(p->btf, id), &v);
        if (r < 0)
                return r;
        store_uint(out, t->size, v, big_endian);
        return 0;
}

static int parse_enum(Parser *p, __u32 id, const struct btf_type *t, void *out, size_t avail)
{
        g_autofree char *tok = next_token(p);
        const struct btf_enum *e = btf_enum(t);
        uint64_t v;
        int r;

        if (t->size > avail || t->size > 8)
                return fail(p, "enum %s is too large", type_name(p->btf, id));
        for (int i = 0; i < btf_vlen(t); i++)
                if (streq(tok, btf__name_by_offset(p->btf, e[i].name_off))) {
                        store_uint(out, t->size, (uint32_t) e[i].val, false);
                        return 0;
                }
        {
                Parser scratch = { .btf = p->btf };

                r = parse_int_token(&scratch, tok, true, t->size * 8 + 1, false, type_name(p->btf, id), &v);
                g_free(scratch.error);
        }
        if (r < 0)
                return fail(p, "'%s' is not a value of enum %s", tok, type_name(p->btf, id));
        store_uint(out, t->size, v, false);
        return 0;
}

static bool is_byte_type(const struct btf *btf, __u32 id, bool *is_char)
{
        const struct btf_type *t = resolve(btf, &id, NULL);
        const char *name;

        if (!t || btf_kind(t) != BTF_KIND_INT || t->size != 1)
                return false;
        name = btf__name_by_offset(btf, t->name_off);
        *is_char = (BTF_INT_ENCODING(*(const __u32 *) (t + 1)) & BTF_INT_CHAR) ||
                   (name && streq(name, "char"));
        return true;
}

static int parse_string(Parser *p, const char *tok, void *out, size_t n)
{
        g_autofree char *inner = g_strndup(tok + 1, strlen(tok) - 2);
        g_autofree char *s = g_strcompress(inner);

        if (strlen(s) > n)
                return fail(p, "string \"%s\" is longer than %zu bytes", s, n);
        memcpy(out, s, strlen(s));
        return 0;
}

static int parse_mac(const char *tok, uint8_t *out)
{
        unsigned b[6];
        char c;

        if (sscanf(tok, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &c) != 6)
                return -EINVAL;
        for (int i = 0; i < 6; i++)
                out[i] = b[i];
        return 0;
}

static int parse_array(Parser *p, const struct btf_type *t, void *out, size_t avail, int depth)
{
        const struct btf_array *a = btf_array(t);
        __u32 elem_id = a->type;
        __s64 elem_size = btf__resolve_size(p->btf, elem_id);
        bool is_char = false;

        if (elem_size <= 0 || (uint64_t) elem_size * a->nelems > avail)
                return fail(p, "array type is too large");

        skip_space(p);
        if (is_byte_type(p->btf, elem_id, &is_char) && *p->s != '[') {
                g_autofree char *tok = next_token(p);

                if (tok[0] == '"' && strlen(tok) >= 2 && tok[strlen(tok) - 1] == '"')
                        return parse_string(p, tok, out, a->nelems);
                if (a->nelems == 4 && inet_pton(AF_INET, tok, out) == 1)
                        return 0;
                if (a->nelems == 16 && inet_pton(AF_INET6, tok, out) == 1)
                        return 0;
                if (a->nelems == 6 && parse_mac(tok, out) == 0)
                        return 0;
                return fail(p, "'%s' does not fit in a %u-byte array (give \"text\", [bytes], an address)",
                            tok, a->nelems);
        }

        if (*p->s != '[')
                return fail(p, "expected '[' to start an array at '%s'", p->s);
        p->s++;
        for (__u32 i = 0;; i++) {
                int r;

                skip_space(p);
                if (*p->s == ']') {
                        p->s++;
                        return 0;
                }
                if (i >= a->nelems)
                        return fail(p, "more than %u array elements", a->nelems);
                r = parse_value(p, elem_id, (uint8_t *) out + i * elem_size, elem_size, depth + 1, false);
                if (r < 0)
                        return r;
                skip_space(p);
                if (*p->s == ',')
                        p->s++;
                else if (*p->s != ']')
                        return fail(p, "expected ',' or ']' in array at '%s'", p->s);
        }
}

static int find_member(Parser *p, const struct btf_type *t, const char *name)
{
        const struct btf_member *m = btf_members(t);

        for (int i = 0; i < btf_vlen(t); i++)
                if (streq(name, btf__name_by_offset(p->btf, m[i].name_off)))
                        return i;
        return -ENOENT;
}

static int parse_member(Parser *p, const struct btf_type *t, int i, void *out, int depth)
{
        const struct btf_member *m = btf_members(t) + i;
        __u32 bit_off = btf_member_bit_offset(t, i), bit_size = btf_member_bitfield_size(t, i);
        __s64 msize = btf__resolve_size(p->btf, m->type);

        if (msize < 0)
                return fail(p, "member has no size");
        if (bit_size == 0) {
                if (bit_off % 8 || bit_off / 8 + msize > t->size)
                        return fail(p, "member is misaligned");
                return parse_value(p, m->type, (uint8_t *) out + bit_off / 8, msize, depth + 1, false);
        } else {
                /* A bitfield: parse as an integer of bit_size bits, then place it. */
                g_autofree char *tok = next_token(p);
                __u32 mid = m->type;
                const struct btf_type *mt = resolve(p->btf, &mid, NULL);
                bool is_signed = mt && btf_kind(mt) == BTF_KIND_INT &&
                                 (BTF_INT_ENCODING(*(const __u32 *) (mt + 1)) & BTF_INT_SIGNED);
                uint64_t v;
                int r = parse_int_token(p, tok, is_signed, bit_size, false,
                                        btf__name_by_offset(p->btf, m->name_off), &v);

                if (r < 0)
                        return r;
                for (__u32 b = 0; b < bit_size; b++) {
                        __u32 pos = bit_off + b;

                        if (pos / 8 >= t->size)
                                return fail(p, "bitfield is out of range");
                        if (v & ((uint64_t) 1 << b))
                                ((uint8_t *) out)[pos / 8] |= 1u << (pos % 8);
                }
                return 0;
        }
}

static int parse_struct(Parser *p, const struct btf_type *t, __u32 id, void *out, size_t avail,
                        int depth, bool top)
{
        bool braces;
        int next_positional = 0;

        if (t->size > avail)
                return fail(p, "struct %s is too large", type_name(p->btf, id));
        skip_space(p);
        braces = *p->s == '{';
        if (!braces && !top)
                return fail(p, "expected '{' to start struct %s at '%s'", type_name(p->btf, id), p->s);
        if (braces)
                p->s++;

        for (;;) {
                const char *eq, *stop;
                int i, r;

                skip_space(p);
                if (braces && *p->s == '}') {
                        p->s++;
                        return 0;
                }
                if (!braces && !*p->s)
                        return 0;
                if (!*p->s)
                        return fail(p, "missing '}' for struct %s", type_name(p->btf, id));

                /* "name=value" or a positional value. */
                stop = p->s + strcspn(p->s, ",}]{[\"");
                eq = memchr(p->s, '=', stop - p->s);
                if (eq) {
                        g_autofree char *name = g_strstrip(g_strndup(p->s, eq - p->s));

                        i = find_member(p, t, name);
                        if (i < 0)
                                return fail(p, "struct %s has no member '%s'", type_name(p->btf, id), name);
                        p->s = eq + 1;
                } else {
                        i = next_positional;
                        if (i >= btf_vlen(t))
                                return fail(p, "struct %s has only %d members", type_name(p->btf, id), btf_vlen(t));
                }
                next_positional = i + 1;
                if (btf_kind(t) == BTF_KIND_UNION)
                        memset(out, 0, t->size);
                r = parse_member(p, t, i, out, depth);
                if (r < 0) {
                        const char *m = btf__name_by_offset(p->btf, btf_members(t)[i].name_off);
                        char *e = p->error;

                        if (e && !isempty(m) && !g_str_has_prefix(e, m)) {
                                p->error = g_strdup_printf("%s: %s", m, e);
                                g_free(e);
                        }
                        return r;
                }
                skip_space(p);
                if (*p->s == ',')
                        p->s++;
                else if (braces && *p->s != '}')
                        return fail(p, "expected ',' or '}' in struct %s at '%s'", type_name(p->btf, id), p->s);
                else if (!braces && *p->s)
                        return fail(p, "unexpected '%s'", p->s);
        }
}

static int parse_value(Parser *p, __u32 id, void *out, size_t avail, int depth, bool top)
{
        bool big_endian = false;
        const struct btf_type *t;
        __u32 declared = id;

        if (depth > MAX_DEPTH)
                return fail(p, "type nests too deeply");
        t = resolve(p->btf, &id, &big_endian);
        if (!t)
                return fail(p, "unknown BTF type %u", id);

        switch (btf_kind(t)) {
        case BTF_KIND_INT:
                return parse_int(p, declared, t, big_endian, out, avail);
        case BTF_KIND_ENUM:
                return parse_enum(p, id, t, out, avail);
        case BTF_KIND_ARRAY:
                return parse_array(p, t, out, avail, depth);
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
                return parse_struct(p, t, id, out, avail, depth, top);
        default:
                return fail(p, "type %s (BTF kind %u) cannot be written as text", type_name(p->btf, id), btf_kind(t));
        }
}

int btf_text_parse(const struct btf *btf, __u32 type_id, const char *text, void *out, size_t size,
                   char **error)
{
        Parser p = { .btf = btf, .s = text };
        __s64 tsize;
        int r;

        if (!btf || type_id == 0)
                return raw_text_parse(text, out, size, error);
        tsize = btf__resolve_size(btf, type_id);
        if (tsize < 0 || (size_t) tsize != size) {
                *error = g_strdup_printf("BTF type size %lld does not match the map's %zu bytes",
                                         (long long) tsize, size);
                return -EINVAL;
        }
        memset(out, 0, size);
        r = parse_value(&p, type_id, out, size, 0, true);
        if (r >= 0) {
                skip_space(&p);
                if (*p.s)
                        r = fail(&p, "unexpected text '%s'", p.s);
        }
        if (r < 0) {
                *error = TAKE_PTR(p.error);
                return r;
        }
        return 0;
}

#define RAW_HEX_PREFIX "hex:"

/* Exactly 2 * size hex digits (either case) into 'out', in the order written. */
static int parse_hex_bytes(const char *digits, void *out, size_t size)
{
        if (strlen(digits) != 2 * size)
                return -EINVAL;
        for (size_t i = 0; i < size; i++) {
                int hi = g_ascii_xdigit_value(digits[2 * i]), lo = g_ascii_xdigit_value(digits[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return -EINVAL;
                ((uint8_t *) out)[i] = hi << 4 | lo;
        }
        return 0;
}

/*
 * Without BTF. 'part' names what the text is ("key", "value") in errors,
 * which then name the map's size; NULL keeps the older, partless wording.
 */
static int raw_parse(const char *text, void *out, size_t size, const char *part, char **error)
{
        g_autofree char *t = g_strstrip(g_strdup(text));
        g_autofree char *what = part ? g_strdup_printf("the map's %zu-byte %s", size, part) : NULL;

        memset(out, 0, size);
        if (g_str_has_prefix(t, RAW_HEX_PREFIX)) {
                if (parse_hex_bytes(t + strlen(RAW_HEX_PREFIX), out, size) < 0) {
                        memset(out, 0, size);
                        *error = g_strdup_printf("'%s' is not %zu bytes of hex for %s (hex: and %zu hex digits)", t,
                                                 size, what ? what : "a raw value", 2 * size);
                        return -EINVAL;
                }
                return 0;
        }
        if (size == 1 || size == 2 || size == 4 || size == 8) {
                Parser p = {};
                uint64_t v;

                if (parse_int_token(&p, t, false, size * 8, false,
                                    what ? what : size == 1 ? "u8" : size == 2 ? "u16" : size == 4 ? "u32" : "u64",
                                    &v) < 0) {
                        *error = TAKE_PTR(p.error);
                        return -EINVAL;
                }
                store_uint(out, size, v, false);
                return 0;
        }
        /* Odd sizes: "0x" and the bytes, as hex: does (the spelling before hex:). */
        if (!g_str_has_prefix(t, "0x") || parse_hex_bytes(t + 2, out, size) < 0) {
                memset(out, 0, size);
                if (what)
                        *error = g_strdup_printf("'%s' is not %s: give hex: and %zu hex digits", t, what, 2 * size);
                else
                        *error = g_strdup_printf("'%s' is not %zu bytes of hex (0x...)", t, size);
                return -EINVAL;
        }
        return 0;
}

int raw_text_parse(const char *text, void *out, size_t size, char **error)
{
        return raw_parse(text, out, size, NULL, error);
}

int map_text_parse(const struct btf *btf, __u32 type_id, MapTextPart part, const char *text, void *out, size_t size,
                   char **error)
{
        if (!btf || type_id == 0)
                return raw_parse(text, out, size, part == MAP_TEXT_KEY ? "key" : "value", error);
        return btf_text_parse(btf, type_id, text, out, size, error);
}

/* Formatting */

static void format_value(const struct btf *btf, __u32 id, const uint8_t *data, GString *s, int depth);

static void format_raw(const void *data, size_t size, GString *s)
{
        if (size == 1 || size == 2 || size == 4 || size == 8) {
                g_string_append_printf(s, "%" PRIu64, load_uint(data, size, false));
                return;
        }
        g_string_append(s, RAW_HEX_PREFIX);
        for (size_t i = 0; i < size; i++)
                g_string_append_printf(s, "%02x", ((const uint8_t *) data)[i]);
}

static void format_array(const struct btf *btf, const struct btf_type *t, const uint8_t *data, GString *s,
                         int depth)
{
        const struct btf_array *a = btf_array(t);
        __s64 es = btf__resolve_size(btf, a->type);
        bool is_char = false;

        if (es <= 0) {
                g_string_append(s, "?");
                return;
        }
        if (is_byte_type(btf, a->type, &is_char) && is_char) {
                size_t n = strnlen((const char *) data, a->nelems);
                bool text = true;

                /* A string only if nothing follows its end: else the numbers, which parse back the same. */
                for (size_t i = n; i < a->nelems; i++)
                        text = text && data[i] == 0;
                if (text) {
                        g_autofree char *str = g_strndup((const char *) data, n);
                        g_autofree char *esc = g_strescape(str, NULL);

                        g_string_append_printf(s, "\"%s\"", esc);
                        return;
                }
        } else if (is_byte_type(btf, a->type, &is_char) && a->nelems == 6) {
                g_string_append_printf(s, "%02x:%02x:%02x:%02x:%02x:%02x", data[0], data[1], data[2], data[3],
                                       data[4], data[5]);
                return;
        }
        g_string_append_c(s, '[');
        for (__u32 i = 0; i < a->nelems; i++) {
                if (i)
                        g_string_append(s, ", ");
                format_value(btf, a->type, data + i * es, s, depth + 1);
        }
        g_string_append_c(s, ']');
}

static void format_struct(const struct btf *btf, const struct btf_type *t, const uint8_t *data, GString *s,
                          int depth)
{
        const struct btf_member *m = btf_members(t);

        g_string_append_c(s, '{');
        for (int i = 0; i < btf_vlen(t); i++) {
                __u32 off = btf_member_bit_offset(t, i), bits = btf_member_bitfield_size(t, i);
                const char *name = btf__name_by_offset(btf, m[i].name_off);

                if (i)
                        g_string_append(s, ", ");
                if (!isempty(name))
                        g_string_append_printf(s, "%s=", name);
                if (bits) {
                        uint64_t v = 0;

                        for (__u32 b = 0; b < bits && (off + b) / 8 < t->size; b++)
                                if (data[(off + b) / 8] & (1u << ((off + b) % 8)))
                                        v |= (uint64_t) 1 << b;
                        g_string_append_printf(s, "%" PRIu64, v);
                } else
                        format_value(btf, m[i].type, data + off / 8, s, depth + 1);
        }
        g_string_append_c(s, '}');
}

static void format_value(const struct btf *btf, __u32 id, const uint8_t *data, GString *s, int depth)
{
        bool big_endian = false;
        const struct btf_type *t;

        if (depth > MAX_DEPTH) {
                g_string_append(s, "...");
                return;
        }
        t = resolve(btf, &id, &big_endian);
        if (!t) {
                g_string_append(s, "?");
                return;
        }
        switch (btf_kind(t)) {
        case BTF_KIND_INT: {
                __u32 info = *(const __u32 *) (t + 1);
                uint64_t v;

                if (t->size > 8) {
                        format_raw(data, t->size, s);
                        break;
                }
                v = load_uint(data, t->size, big_endian);
                if (BTF_INT_ENCODING(info) & BTF_INT_BOOL)
                        g_string_append(s, v ? "true" : "false");
                else if (BTF_INT_ENCODING(info) & BTF_INT_SIGNED) {
                        int64_t sv = t->size == 1 ? (int8_t) v : t->size == 2 ? (int16_t) v :
                                     t->size == 4 ? (int32_t) v : (int64_t) v;
                        g_string_append_printf(s, "%" PRId64, sv);
                } else
                        g_string_append_printf(s, "%" PRIu64, v);
                break;
        }
        case BTF_KIND_ENUM: {
                const struct btf_enum *e = btf_enum(t);
                uint64_t v = load_uint(data, t->size, false);

                for (int i = 0; i < btf_vlen(t); i++)
                        if ((uint32_t) e[i].val == (uint32_t) v) {
                                g_string_append(s, btf__name_by_offset(btf, e[i].name_off));
                                return;
                        }
                g_string_append_printf(s, "%" PRIu64, v);
                break;
        }
        case BTF_KIND_ARRAY:
                format_array(btf, t, data, s, depth);
                break;
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
                format_struct(btf, t, data, s, depth);
                break;
        default:
                format_raw(data, t->size, s);
        }
}

char *btf_text_format(const struct btf *btf, __u32 type_id, const void *data, size_t size)
{
        GString *s = g_string_new(NULL);

        if (!btf || type_id == 0 || btf__resolve_size(btf, type_id) != (__s64) size)
                format_raw(data, size, s);
        else
                format_value(btf, type_id, data, s, 0);
        return g_string_free(s, FALSE);
}
