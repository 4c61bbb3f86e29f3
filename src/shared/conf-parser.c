/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "conf-parser.h"
#include "problem.h"
#include "util.h"

/* Parses "1.5", "500ms", "2s", "1min"; returns -EINVAL on anything else. */
int parse_sec(const char *s, uint64_t *ret)
{
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "ms", 1000 }, { "min", 60000000 }, { "s", 1000000 }, { "", 1000000 },
        };
        g_autofree char *t = g_strstrip(g_strdup(s));

        for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
                g_autofree char *num = NULL;
                char *end;
                double v;

                if (!g_str_has_suffix(t, units[i].suffix))
                        continue;
                num = g_strndup(t, strlen(t) - strlen(units[i].suffix));
                if (isempty(num))
                        continue;
                v = g_ascii_strtod(num, &end);
                if (*end || v < 0 || v > 86400.0 * 1000000 / units[i].usec)
                        continue;
                *ret = (uint64_t) (v * units[i].usec);
                return 0;
        }
        return -EINVAL;
}

/* "123", "64K", "64M", "1G" (powers of 1024). */
int parse_size(const char *s, uint64_t *ret)
{
        static const struct { char c; unsigned shift; } units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 } };
        g_autofree char *t = g_strstrip(g_strdup(s));
        size_t n = strlen(t);
        unsigned shift = 0;
        guint64 v;

        if (n > 1 && (t[n - 1] == 'B' || t[n - 1] == 'b') && g_ascii_isalpha(t[n - 2]))
                t[--n] = 0;  /* "64MB" */
        for (size_t i = 0; n > 0 && i < ELEMENTSOF(units); i++)
                if (g_ascii_toupper(t[n - 1]) == units[i].c) {
                        shift = units[i].shift;
                        t[--n] = 0;
                }
        if (n == 0 || !g_ascii_string_to_unsigned(t, 10, 0, UINT64_MAX >> shift, &v, NULL))
                return -EINVAL;
        *ret = v << shift;
        return 0;
}

static const char *const man_pages[] = {
        "l3af.d.5.scd", "org.l3af.Chain1.5.scd", "l3af-package.5.scd", "l3af-package.5.scd",
        "l3afd.conf.5.scd", "l3afd.conf.5.scd", "l3af.d.5.scd", "l3af.d.5.scd",
};

const char *conf_place_man_page(ConfPlace place)
{
        for (size_t i = 0; i < ELEMENTSOF(man_pages); i++)
                if (place == (ConfPlace) (1u << i))
                        return man_pages[i];
        return NULL;
}

const ConfKey *conf_key_lookup(const ConfKey *table, ConfPlace place, const char *name)
{
        for (const ConfKey *k = table; k->name; k++)
                if ((k->places & place) && streq(k->name, name))
                        return k;
        return NULL;
}

const char **conf_place_keys(const ConfKey *table, ConfPlace place)
{
        static const char **cache[ELEMENTSOF(man_pages)];
        static const ConfKey *cache_table[ELEMENTSOF(man_pages)];
        size_t slot = 0;

        while (slot < ELEMENTSOF(man_pages) && place != (ConfPlace) (1u << slot))
                slot++;
        g_assert(slot < ELEMENTSOF(man_pages));
        /* Built once, from any thread, and kept for the life of the process, like the table itself. */
        if (g_once_init_enter(&cache[slot])) {
                GPtrArray *list = g_ptr_array_new();

                for (const ConfKey *k = table; k->name; k++)
                        if (k->places & place)
                                g_ptr_array_add(list, (gpointer) k->name);
                g_ptr_array_add(list, NULL);
                cache_table[slot] = table;
                g_once_init_leave(&cache[slot], (const char **) g_ptr_array_free(list, FALSE));
        }
        /* A place's keys are in one table: asked of another, the cache would answer for the first. */
        g_assert(cache_table[slot] == table);
        return cache[slot];
}

static void report(const ConfContext *ctx, bool warning, const char *key, const char *format, va_list ap)
{
        g_autofree char *message = g_strdup_vprintf(format, ap);

        if (ctx->problems) {
                problems_add(ctx->problems, warning, ctx->file, ctx->chain, ctx->group, key, "%s", message);
                return;
        }
        if (warning ? !ctx->warnings : (!ctx->error || *ctx->error))
                return;
        g_autofree char *text = !ctx->file ? g_strdup(message)
                                : key ? g_strdup_printf("%s: [%s] %s=: %s", ctx->file, ctx->group, key, message)
                                      : g_strdup_printf("%s: [%s]: %s", ctx->file, ctx->group, message);
        if (warning)
                g_ptr_array_add(ctx->warnings, TAKE_PTR(text));
        else
                *ctx->error = TAKE_PTR(text);
}

void conf_error(const ConfContext *ctx, const char *key, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        report(ctx, false, key, format, ap);
        va_end(ap);
}

void conf_warning(const ConfContext *ctx, const char *key, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        report(ctx, true, key, format, ap);
        va_end(ap);
}

int conf_parse_key(GKeyFile *kf, const ConfKey *k, const ConfContext *ctx, void *target)
{
        g_autofree char *v = g_key_file_get_string(kf, ctx->group, k->name, NULL);
        int r;

        if (v && ctx->strip)
                g_strstrip(v);
        /* A list is bounded by its item count and each item's rule, not by the length of one value. */
        if (v && ctx->value_max > 0 && strlen(v) > ctx->value_max && k->parse != config_parse_strv) {
                if (ctx->value_max_limit_only)
                        conf_error(ctx, k->name, ctx->value_max_message, ctx->value_max);
                else
                        conf_error(ctx, k->name, ctx->value_max_message, strlen(v), ctx->value_max);
                return -EINVAL;
        }
        if (v && ctx->utf8 && !g_utf8_validate(v, -1, NULL)) {
                conf_error(ctx, k->name, "not valid UTF-8");
                return -EINVAL;
        }
        /* A boolean is never empty: "AllowDowngrade=" is refused, as "yes" or "no" is asked for. */
        if (!v || (ctx->empty_is_unset && isempty(v) && k->parse != config_parse_bool)) {
                if (!k->missing)
                        return 0;
                conf_error(ctx, k->name, "%s", k->missing);
                return -EINVAL;
        }
        r = k->parse(ctx, k, v, (uint8_t *) target + k->offset);
        if (r < 0)
                return r;
        if (k->offset_given)
                *(bool *) ((uint8_t *) target + k->offset_given) = true;
        return 1;
}

int conf_parse_group(GKeyFile *kf, const ConfKey *table, ConfPlace place, const ConfContext *ctx, void *target,
                     const char *const *skip)
{
        g_auto(GStrv) keys = NULL;
        int ret = 0;

        for (const ConfKey *k = table; k->name; k++)
                if ((k->places & place) && !(skip && g_strv_contains(skip, k->name)) &&
                    conf_parse_key(kf, k, ctx, target) < 0)
                        ret = -EINVAL;

        keys = g_key_file_get_keys(kf, ctx->group, NULL, NULL);
        for (char **k = keys; k && *k; k++)
                if (!conf_key_lookup(table, place, *k))
                        conf_warning(ctx, *k, "unknown key, ignored");
        return ret;
}

static int check(const ConfContext *ctx, const ConfKey *key, const ConfCheck *c, const char *value)
{
        if (c && !c->valid(value)) {
                conf_error(ctx, key->name, c->message, value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_string(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        char **s = field;

        if (check(ctx, key, key->arg, value) < 0)
                return -EINVAL;
        g_free(*s);
        *s = g_strdup(value);
        return 0;
}

int config_parse_path(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        char **s = field;

        if (!g_path_is_absolute(value)) {
                conf_error(ctx, key->name, "'%s' is not an absolute path", value);
                return -EINVAL;
        }
        g_free(*s);
        *s = isempty(ctx->root) ? g_strdup(value) : g_build_filename(ctx->root, value, NULL);
        return 0;
}

int config_parse_enum(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        const ConfEnum *e = key->arg;
        int v = e->from_string(value);

        if (v < 0) {
                conf_error(ctx, key->name, e->message, value);
                return -EINVAL;
        }
        *(int *) field = v;
        return 0;
}

int config_parse_bool(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        g_autofree char *t = g_strstrip(g_strdup(value));
        int b = parse_boolean(t);

        if (b < 0) {
                conf_error(ctx, key->name, "not a boolean (yes or no)");
                return -EINVAL;
        }
        *(bool *) field = b;
        return 0;
}

int config_parse_int(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        const ConfRange *range = key->arg;
        gint64 v;

        if (!g_ascii_string_to_signed(value, 10, range->min, range->max, &v, NULL)) {
                conf_error(ctx, key->name, "'%s' is not a number from %u to %u", value, range->min, range->max);
                return -EINVAL;
        }
        *(int *) field = (int) v;
        return 0;
}

int config_parse_unsigned(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        const ConfRange *range = key->arg;
        guint64 v;

        if (!g_ascii_string_to_unsigned(value, 10, range->min, range->max, &v, NULL)) {
                conf_error(ctx, key->name, "'%s' is not a number from %u to %u", value, range->min, range->max);
                return -EINVAL;
        }
        *(unsigned *) field = (unsigned) v;
        return 0;
}

int config_parse_timespan(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        const ConfTimespan *t = key->arg;
        uint64_t usec;

        if (parse_sec(value, &usec) < 0 || usec < t->min_usec) {
                conf_error(ctx, key->name, t->message, value);
                return -EINVAL;
        }
        *(uint64_t *) field = usec;
        return 0;
}

int config_parse_size(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        uint64_t bytes;

        if (parse_size(value, &bytes) < 0 || bytes == 0) {
                conf_error(ctx, key->name, "'%s' is not a size (bytes, or a number followed by K, M or G)", value);
                return -EINVAL;
        }
        *(uint64_t *) field = bytes;
        return 0;
}

int config_parse_strv(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        const ConfList *list = key->arg;
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) parts = g_strsplit(value, ";", -1);
        char ***strv = field;

        for (char **c = parts; *c; c++) {
                g_strstrip(*c);
                if (isempty(*c))
                        continue;
                if (!list->check.valid(*c) || items->len >= list->max) {
                        conf_error(ctx, key->name, list->check.message, *c);
                        return -EINVAL;
                }
                g_ptr_array_add(items, g_strdup(*c));
        }
        g_ptr_array_add(items, NULL);
        g_strfreev(*strv);
        *strv = (char **) g_ptr_array_free(g_steal_pointer(&items), FALSE);
        return 0;
}
