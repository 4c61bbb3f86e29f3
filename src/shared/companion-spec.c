/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "companion-spec.h"
#include "conf-parser.h"
#include "problem.h"
#include "util.h"

#define COMPANION_VALUE_MAX 4096

void companion_spec_free(CompanionSpec *c)
{
        if (!c)
                return;
        g_strfreev(c->exec);
        g_strfreev(c->environment);
        g_free(c->restart);
        g_free(c->user);
        g_free(c);
}

CompanionSpec *companion_spec_copy(const CompanionSpec *c)
{
        CompanionSpec *n;

        if (!c)
                return NULL;
        n = g_memdup2(c, sizeof(*c));
        n->exec = g_strdupv(c->exec);
        n->environment = g_strdupv(c->environment);
        n->restart = g_strdup(c->restart);
        n->user = g_strdup(c->user);
        return n;
}

static const char *const conventions[_COMPANION_CONVENTION_MAX] = {
        [COMPANION_CONVENTION_L3AFD] = "l3afd",
        [COMPANION_CONVENTION_L3AF] = "l3af",
};

const char *companion_convention_to_string(CompanionConvention c)
{
        return c >= 0 && c < _COMPANION_CONVENTION_MAX ? conventions[c] : NULL;
}

/* Restart= values of systemd.service(5). */
static const char *const restart_values[] = {
        "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always", NULL,
};

/* "4096", "64K", "64M", "1G", "1T": bytes, suffixes in powers of 1024 (as systemd.resource-control(5)). */
static int parse_bytes(const char *v, uint64_t *ret)
{
        static const char suffixes[] = "KMGT";
        g_autofree char *digits = g_strdup(v);
        size_t n = strlen(digits);
        const char *s;
        guint64 x;
        unsigned shift = 0;

        if (n > 0 && (s = strchr(suffixes, g_ascii_toupper(digits[n - 1]))) && *s) {
                shift = 10 * (unsigned) (s - suffixes + 1);
                digits[n - 1] = 0;
        }
        if (!g_ascii_string_to_unsigned(digits, 10, 1, UINT64_MAX >> shift, &x, NULL))
                return -EINVAL;
        *ret = x << shift;
        return 0;
}

/* "250ms", "2s", "1min", or seconds: µs. */
static int parse_usec(const char *v, uint64_t *ret)
{
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "ms", 1000 }, { "min", 60 * G_USEC_PER_SEC }, { "s", G_USEC_PER_SEC }, { "", G_USEC_PER_SEC },
        };
        guint64 x;

        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                g_autofree char *digits = NULL;

                if (!g_str_has_suffix(v, units[i].suffix))
                        continue;
                digits = g_strndup(v, strlen(v) - strlen(units[i].suffix));
                if (!g_ascii_string_to_unsigned(digits, 10, 0, UINT32_MAX, &x, NULL))
                        continue;
                *ret = x * units[i].usec;
                return 0;
        }
        return -EINVAL;
}

int config_parse_exec(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) words = NULL;
        char ***exec = field;

        if (!g_shell_parse_argv(value, NULL, &words, &error)) {
                conf_error(ctx, key->name, "cannot split '%s' into words: %s", value, error->message);
                return -EINVAL;
        }
        g_strfreev(*exec);
        *exec = TAKE_PTR(words);
        return 0;
}

int config_parse_environment(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) words = NULL;
        char ***environment = field;

        if (!g_shell_parse_argv(value, NULL, &words, &error)) {
                conf_error(ctx, key->name, "cannot split '%s' into words: %s", value, error->message);
                return -EINVAL;
        }
        for (char **w = words; *w; w++) {
                const char *eq = strchr(*w, '=');

                if (!eq || eq == *w || g_str_has_prefix(*w, "L3AF_")) {
                        conf_error(ctx, key->name, "'%s' is not VAR=value with a VAR not starting L3AF_", *w);
                        return -EINVAL;
                }
                for (const char *k = *w; k < eq; k++)
                        if ((!g_ascii_isalnum(*k) && *k != '_') || g_ascii_isdigit(**w)) {
                                conf_error(ctx, key->name, "'%s': a variable name has letters, digits and '_', "
                                           "and does not start with a digit", *w);
                                return -EINVAL;
                        }
        }
        g_strfreev(*environment);
        *environment = TAKE_PTR(words);
        return 0;
}

int config_parse_memory_max(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        if (parse_bytes(value, field) < 0) {
                conf_error(ctx, key->name, "'%s' is not a size in bytes (4096, 64K, 64M, 1G)", value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_cpu_quota(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        guint64 percent;
        size_t n = strlen(value);
        g_autofree char *digits = n > 1 ? g_strndup(value, n - 1) : NULL;

        if (n < 2 || value[n - 1] != '%' || !g_ascii_string_to_unsigned(digits, 10, 1, 100000, &percent, NULL)) {
                conf_error(ctx, key->name, "'%s' is not a percentage of one CPU (\"20%%\", \"200%%\")", value);
                return -EINVAL;
        }
        /* systemd.resource-control(5): CPUQuota= is CPU time per wall-clock second. */
        *(uint64_t *) field = percent * 10000;
        return 0;
}

int config_parse_tasks_max(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        guint64 n;

        if (!g_ascii_string_to_unsigned(value, 10, 1, UINT32_MAX, &n, NULL)) {
                conf_error(ctx, key->name, "'%s' is not a number of tasks", value);
                return -EINVAL;
        }
        *(uint64_t *) field = n;
        return 0;
}

int config_parse_restart(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        char **restart = field;

        if (!g_strv_contains(restart_values, value)) {
                conf_error(ctx, key->name, "'%s' is not a Restart= of systemd.service(5) "
                           "(no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always)", value);
                return -EINVAL;
        }
        g_free(*restart);
        *restart = g_strdup(value);
        return 0;
}

int config_parse_restart_sec(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        if (parse_usec(value, field) < 0) {
                conf_error(ctx, key->name, "'%s' is not a time span (\"500ms\", \"2s\")", value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_user(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        /* The user names systemd accepts (valid_user_group_name() in its strict mode). */
        bool ok = strlen(value) <= 31 && (g_ascii_isalpha(value[0]) || value[0] == '_');
        char **user = field;

        for (const char *k = value; ok && *k; k++)
                ok = g_ascii_isalnum(*k) || *k == '_' || *k == '-';
        if (!ok) {
                conf_error(ctx, key->name, "'%s' is not a user name", value);
                return -EINVAL;
        }
        g_free(*user);
        *user = g_strdup(value);
        return 0;
}

int config_parse_yes_no(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        int b = parse_boolean(value);

        if (b < 0) {
                conf_error(ctx, key->name, "'%s' is not a boolean (yes or no)", value);
                return -EINVAL;
        }
        *(bool *) field = b;
        return 0;
}

CompanionConvention companion_convention_from_string(const char *s)
{
        for (int i = 0; s && i < _COMPANION_CONVENTION_MAX; i++)
                if (streq(s, conventions[i]))
                        return (CompanionConvention) i;
        return _COMPANION_CONVENTION_INVALID;
}

bool companion_spec_key_is_known(const char *key)
{
        return conf_key_lookup(conf_keys, CONF_COMPANION, key) != NULL;
}

int companion_spec_parse(GKeyFile *kf, const char *group, GPtrArray *warnings, CompanionSpec **ret,
                         char **ret_error)
{
        g_autoptr(CompanionSpec) c = g_new0(CompanionSpec, 1);
        g_autoptr(GPtrArray) problems = problems_new();
        /* No file: the problems read "[GROUP] KEY=: message", as the callers quote them. */
        ConfContext ctx = {
                .group = group,
                .strip = true,
                .empty_is_unset = true,
                .value_max = COMPANION_VALUE_MAX,
                .value_max_message = "value missing or longer than %zu bytes",
                .value_max_limit_only = true,
                .problems = problems,
        };
        int r;

        c->memory_max = c->cpu_quota_usec = c->tasks_max = c->restart_usec = UINT64_MAX;
        c->restart = g_strdup("on-failure");
        r = conf_parse_group(kf, conf_keys, CONF_COMPANION, &ctx, c, NULL);
        for (guint i = 0; i < problems->len; i++) {
                const Problem *p = problems->pdata[i];

                if (!p->warning && r < 0) {
                        *ret_error = g_strdup(p->text);
                        return -EINVAL;
                }
                if (p->warning && warnings)
                        g_ptr_array_add(warnings, g_strdup(p->text));
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static void append_strv(GString *s, const char *name, char **v)
{
        g_string_append_printf(s, "%s", name);
        for (char **w = v; w && *w; w++) {
                g_autofree char *q = g_shell_quote(*w);

                g_string_append_printf(s, " %s", q);
        }
        g_string_append_c(s, '\n');
}

char *companion_spec_to_text(const CompanionSpec *c)
{
        GString *s = g_string_new(NULL);

        append_strv(s, "ExecStart", c->exec);
        append_strv(s, "Environment", c->environment);
        g_string_append_printf(s, "MemoryMax %" G_GUINT64_FORMAT "\nCPUQuota %" G_GUINT64_FORMAT
                               "\nTasksMax %" G_GUINT64_FORMAT "\nRestart %s\nRestartSec %" G_GUINT64_FORMAT
                               "\nUser %s\nPrivateNetwork %d\nConvention %s\n",
                               c->memory_max, c->cpu_quota_usec, c->tasks_max, c->restart, c->restart_usec,
                               strempty(c->user), c->private_network, companion_convention_to_string(c->convention));
        return g_string_free(s, FALSE);
}
