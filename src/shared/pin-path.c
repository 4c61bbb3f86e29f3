/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <limits.h>

#include "pin-path.h"
#include "util.h"

#define PIN_ESCAPE ':'

static bool byte_needs_escape(unsigned char c)
{
        return c < '!' || c > '~' || c == '.' || c == '/' || c == PIN_ESCAPE;
}

char *pin_name_encode(const char *name)
{
        static const char hex[] = "0123456789abcdef";
        GString *s = g_string_sized_new(strlen(name));

        g_warn_if_fail(*name);
        for (const unsigned char *c = (const unsigned char *) name; *c; c++) {
                if (!byte_needs_escape(*c)) {
                        g_string_append_c(s, *c);
                        continue;
                }
                g_string_append_c(s, PIN_ESCAPE);
                g_string_append_c(s, hex[*c >> 4]);
                g_string_append_c(s, hex[*c & 0xf]);
        }
        return g_string_free(s, FALSE);
}

size_t pin_name_encoded_length(const char *name)
{
        size_t n = 0;

        for (const unsigned char *c = (const unsigned char *) name; *c; c++)
                n += byte_needs_escape(*c) ? 3 : 1;
        return n;
}

bool map_name_is_valid(const char *name)
{
        if (isempty(name) || pin_name_encoded_length(name) > NAME_MAX)
                return false;
        for (const char *c = name; *c; c++)
                if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.')
                        return false;
        return true;
}

/* A lower-case hex digit's value, or -1 (upper case would make a second spelling of one name). */
static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int pin_name_decode(const char *component, char **ret)
{
        g_autoptr(GString) s = g_string_sized_new(strlen(component));

        for (const char *c = component; *c; c++) {
                int hi, lo;
                unsigned char b;

                if (*c != PIN_ESCAPE) {
                        if (byte_needs_escape(*c))
                                return -EINVAL;
                        g_string_append_c(s, *c);
                        continue;
                }
                hi = hex_value(c[1]);
                lo = hi < 0 ? -1 : hex_value(c[2]);
                if (lo < 0)
                        return -EINVAL;
                b = (unsigned char) (hi << 4 | lo);
                if (b == 0 || !byte_needs_escape(b))
                        return -EINVAL;
                g_string_append_c(s, (char) b);
                c += 2;
        }
        if (s->len == 0)
                return -EINVAL;
        *ret = g_string_free(TAKE_PTR(s), FALSE);
        return 0;
}

char *pin_chain_dir(const char *pin_root, const char *ifname, Hook hook)
{
        g_autofree char *e = pin_name_encode(ifname);

        return g_build_filename(pin_root, e, hook_to_string(hook), NULL);
}

char *pin_program_dir(const char *chain_dir, const char *program)
{
        g_autofree char *e = pin_name_encode(program);

        return g_build_filename(chain_dir, "programs", e, NULL);
}

char *pin_map_path(const char *chain_dir, const char *program, const char *map, bool shared)
{
        g_autofree char *e = pin_name_encode(map), *pdir = NULL;

        if (shared)
                return g_build_filename(chain_dir, "maps", e, NULL);
        pdir = pin_program_dir(chain_dir, program);
        return g_build_filename(pdir, "maps", e, NULL);
}

char *pin_instance_dir(const char *chain_dir, const char *program, uint64_t gen, const char *digest)
{
        g_autofree char *pdir = pin_program_dir(chain_dir, program);
        g_autofree char *name = g_strdup_printf("%" G_GUINT64_FORMAT "-%s", gen, digest);

        return g_build_filename(pdir, name, NULL);
}

int pin_instance_parse(const char *component, uint64_t *ret_gen, const char **ret_digest)
{
        const char *dash = strchr(component, '-');
        g_autofree char *gen_text = NULL;
        guint64 gen;

        if (!dash || dash == component || dash[1] == 0)
                return -EINVAL;
        for (const char *c = component; c < dash; c++)
                if (!g_ascii_isdigit(*c))
                        return -EINVAL;
        for (const char *c = dash + 1; *c; c++)
                if (hex_value(*c) < 0)
                        return -EINVAL;
        gen_text = g_strndup(component, dash - component);
        if (!g_ascii_string_to_unsigned(gen_text, 10, 0, G_MAXUINT64, &gen, NULL))
                return -EINVAL;
        *ret_gen = gen;
        *ret_digest = dash + 1;
        return 0;
}
