/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "semver.h"
#include "util.h"

/* A numeric identifier: digits, no leading zero unless it is "0". */
static bool numeric_ok(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isdigit(s[i]))
                        return false;
        return n == 1 || s[0] != '0';
}

static bool ident_chars_ok(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isalnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool is_all_digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isdigit(s[i]))
                        return false;
        return n > 0;
}

/* Splits a version into the core's three numbers and the pre-release part. */
typedef struct Parts {
        const char *num[3];
        size_t num_len[3];
        const char *pre;      /* NULL: none */
        size_t pre_len;
} Parts;

static bool split(const char *s, Parts *p)
{
        const char *c = s, *end;
        size_t n = strlen(s);

        if (n == 0 || n > SEMVER_LENGTH_MAX)
                return false;
        *p = (Parts) {};
        for (int i = 0; i < 3; i++) {
                size_t len = strspn(c, "0123456789");

                if (!numeric_ok(c, len) || len > 18)
                        return false;
                p->num[i] = c;
                p->num_len[i] = len;
                c += len;
                if (i < 2) {
                        if (*c != '.')
                                return false;
                        c++;
                }
        }
        end = s + n;
        if (*c == '-') {
                const char *plus = strchr(c, '+');
                const char *stop = plus ? plus : end;
                const char *id = c + 1;

                p->pre = id;
                p->pre_len = stop - id;
                /* Dot-separated identifiers; numeric ones without leading zeros. */
                while (id <= stop) {
                        const char *dot = memchr(id, '.', stop - id);
                        size_t len = (dot ? dot : stop) - id;

                        if (!ident_chars_ok(id, len) || (is_all_digits(id, len) && !numeric_ok(id, len)))
                                return false;
                        if (!dot)
                                break;
                        id = dot + 1;
                }
                c = stop;
        }
        if (*c == '+') {
                const char *id = c + 1;

                while (id <= end) {
                        const char *dot = memchr(id, '.', end - id);
                        size_t len = (dot ? dot : end) - id;

                        if (!ident_chars_ok(id, len))
                                return false;
                        if (!dot)
                                break;
                        id = dot + 1;
                }
                c = end;
        }
        return *c == 0;
}

bool semver_is_valid(const char *s)
{
        Parts p;

        return s && split(s, &p);
}

static int compare_numeric(const char *a, size_t an, const char *b, size_t bn)
{
        if (an != bn)
                return an < bn ? -1 : 1;
        return CLAMP(memcmp(a, b, an), -1, 1);
}

static int compare_pre(const char *a, size_t an, const char *b, size_t bn)
{
        const char *ae = a + an, *be = b + bn;

        for (;;) {
                const char *ad = memchr(a, '.', ae - a), *bd = memchr(b, '.', be - b);
                size_t al = (ad ? ad : ae) - a, bl = (bd ? bd : be) - b;
                bool anum = is_all_digits(a, al), bnum = is_all_digits(b, bl);
                int r;

                if (anum && bnum)
                        r = compare_numeric(a, al, b, bl);
                else if (anum != bnum)
                        r = anum ? -1 : 1;  /* numeric identifiers sort first */
                else {
                        r = memcmp(a, b, MIN(al, bl));
                        r = r != 0 ? CLAMP(r, -1, 1) : al == bl ? 0 : al < bl ? -1 : 1;
                }
                if (r != 0)
                        return r;
                if (!ad || !bd)
                        return !ad && !bd ? 0 : !ad ? -1 : 1;  /* fewer identifiers sort first */
                a = ad + 1;
                b = bd + 1;
        }
}

int semver_compare(const char *a, const char *b)
{
        Parts pa, pb;
        int r;

        g_return_val_if_fail(split(a, &pa) && split(b, &pb), 0);
        for (int i = 0; i < 3; i++) {
                r = compare_numeric(pa.num[i], pa.num_len[i], pb.num[i], pb.num_len[i]);
                if (r != 0)
                        return r;
        }
        if (!pa.pre || !pb.pre)
                return !pa.pre && !pb.pre ? 0 : !pa.pre ? 1 : -1;  /* a pre-release is older */
        return compare_pre(pa.pre, pa.pre_len, pb.pre, pb.pre_len);
}
