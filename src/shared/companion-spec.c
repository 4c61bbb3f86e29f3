/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "companion-spec.h"
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

static int parse_exec(CompanionSpec *c, const char *v, char **ret_error)
{
        g_autoptr(GError) error = NULL;

        if (!g_shell_parse_argv(v, NULL, &c->exec, &error)) {
                *ret_error = g_strdup_printf("cannot split '%s' into words: %s", v, error->message);
                return -EINVAL;
        }
        return 0;
}

static int parse_environment(CompanionSpec *c, const char *v, char **ret_error)
{
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) words = NULL;

        if (!g_shell_parse_argv(v, NULL, &words, &error)) {
                *ret_error = g_strdup_printf("cannot split '%s' into words: %s", v, error->message);
                return -EINVAL;
        }
        for (char **w = words; *w; w++) {
                const char *eq = strchr(*w, '=');

                if (!eq || eq == *w || g_str_has_prefix(*w, "L3AF_")) {
                        *ret_error = g_strdup_printf("'%s' is not VAR=value with a VAR not starting L3AF_", *w);
                        return -EINVAL;
                }
                for (const char *k = *w; k < eq; k++)
                        if ((!g_ascii_isalnum(*k) && *k != '_') || g_ascii_isdigit(**w)) {
                                *ret_error = g_strdup_printf("'%s': a variable name has letters, digits and '_', "
                                                             "and does not start with a digit", *w);
                                return -EINVAL;
                        }
        }
        c->environment = TAKE_PTR(words);
        return 0;
}

static int parse_memory(CompanionSpec *c, const char *v, char **ret_error)
{
        if (parse_bytes(v, &c->memory_max) < 0) {
                *ret_error = g_strdup_printf("'%s' is not a size in bytes (4096, 64K, 64M, 1G)", v);
                return -EINVAL;
        }
        return 0;
}

static int parse_cpu_quota(CompanionSpec *c, const char *v, char **ret_error)
{
        guint64 percent;
        size_t n = strlen(v);
        g_autofree char *digits = n > 1 ? g_strndup(v, n - 1) : NULL;

        if (n < 2 || v[n - 1] != '%' || !g_ascii_string_to_unsigned(digits, 10, 1, 100000, &percent, NULL)) {
                *ret_error = g_strdup_printf("'%s' is not a percentage of one CPU (\"20%%\", \"200%%\")", v);
                return -EINVAL;
        }
        /* systemd.resource-control(5): CPUQuota= is CPU time per wall-clock second. */
        c->cpu_quota_usec = percent * 10000;
        return 0;
}

static int parse_tasks(CompanionSpec *c, const char *v, char **ret_error)
{
        guint64 n;

        if (!g_ascii_string_to_unsigned(v, 10, 1, UINT32_MAX, &n, NULL)) {
                *ret_error = g_strdup_printf("'%s' is not a number of tasks", v);
                return -EINVAL;
        }
        c->tasks_max = n;
        return 0;
}

static int parse_restart(CompanionSpec *c, const char *v, char **ret_error)
{
        if (!g_strv_contains(restart_values, v)) {
                *ret_error = g_strdup_printf("'%s' is not a Restart= of systemd.service(5) "
                                             "(no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always)", v);
                return -EINVAL;
        }
        g_free(c->restart);
        c->restart = g_strdup(v);
        return 0;
}

static int parse_restart_sec(CompanionSpec *c, const char *v, char **ret_error)
{
        if (parse_usec(v, &c->restart_usec) < 0) {
                *ret_error = g_strdup_printf("'%s' is not a time span (\"500ms\", \"2s\")", v);
                return -EINVAL;
        }
        return 0;
}

static int parse_user(CompanionSpec *c, const char *v, char **ret_error)
{
        /* The user names systemd accepts (valid_user_group_name() in its strict mode). */
        bool ok = strlen(v) <= 31 && (g_ascii_isalpha(v[0]) || v[0] == '_');

        for (const char *k = v; ok && *k; k++)
                ok = g_ascii_isalnum(*k) || *k == '_' || *k == '-';
        if (!ok) {
                *ret_error = g_strdup_printf("'%s' is not a user name", v);
                return -EINVAL;
        }
        c->user = g_strdup(v);
        return 0;
}

static int parse_private_network(CompanionSpec *c, const char *v, char **ret_error)
{
        int b = parse_boolean(v);

        if (b < 0) {
                *ret_error = g_strdup_printf("'%s' is not a boolean (yes or no)", v);
                return -EINVAL;
        }
        c->private_network = b;
        return 0;
}

static int parse_convention(CompanionSpec *c, const char *v, char **ret_error)
{
        for (int i = 0; i < _COMPANION_CONVENTION_MAX; i++)
                if (streq(v, conventions[i])) {
                        c->convention = i;
                        return 0;
                }
        *ret_error = g_strdup_printf("'%s' is not a convention (l3afd or l3af)", v);
        return -EINVAL;
}

/* The keys of [Companion], in one table (l3af.d(5), l3af-package(5)). */
static const struct {
        const char *key;
        int (*parse)(CompanionSpec *c, const char *value, char **ret_error);
} companion_keys[] = {
        { "ExecStart",      parse_exec },
        { "Environment",    parse_environment },
        { "MemoryMax",      parse_memory },
        { "CPUQuota",       parse_cpu_quota },
        { "TasksMax",       parse_tasks },
        { "Restart",        parse_restart },
        { "RestartSec",     parse_restart_sec },
        { "User",           parse_user },
        { "PrivateNetwork", parse_private_network },
        { "Convention",     parse_convention },
};

bool companion_spec_key_is_known(const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(companion_keys); i++)
                if (streq(key, companion_keys[i].key))
                        return true;
        return false;
}

int companion_spec_parse(GKeyFile *kf, const char *group, GPtrArray *warnings, CompanionSpec **ret,
                         char **ret_error)
{
        g_autoptr(CompanionSpec) c = g_new0(CompanionSpec, 1);
        g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

        c->memory_max = c->cpu_quota_usec = c->tasks_max = c->restart_usec = UINT64_MAX;
        c->restart = g_strdup("on-failure");
        for (char **k = keys; k && *k; k++) {
                g_autofree char *v = g_key_file_get_string(kf, group, *k, NULL);
                g_autofree char *error = NULL;
                size_t i;

                for (i = 0; i < ELEMENTSOF(companion_keys); i++)
                        if (streq(*k, companion_keys[i].key))
                                break;
                if (i == ELEMENTSOF(companion_keys)) {
                        if (warnings)
                                g_ptr_array_add(warnings, g_strdup_printf("[%s] %s=: unknown key, ignored", group, *k));
                        continue;
                }
                if (!v || strlen(v) > COMPANION_VALUE_MAX) {
                        *ret_error = g_strdup_printf("[%s] %s=: value missing or longer than %d bytes", group, *k,
                                                     COMPANION_VALUE_MAX);
                        return -EINVAL;
                }
                g_strstrip(v);
                if (isempty(v))
                        continue;
                if (companion_keys[i].parse(c, v, &error) < 0) {
                        *ret_error = g_strdup_printf("[%s] %s=: %s", group, *k, error);
                        return -EINVAL;
                }
        }
        if (!c->exec || !c->exec[0]) {
                *ret_error = g_strdup_printf("[%s] ExecStart=: missing", group);
                return -EINVAL;
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
