/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dropin.h"
#include "hook.h"
#include "log.h"
#include "problem.h"
#include "settings.h"
#include "util.h"

#define DAEMON_GROUP "Daemon"

static char *prefixed(const char *root, const char *path)
{
        return isempty(root) ? g_strdup(path) : g_build_filename(root, path, NULL);
}

void settings_init(Settings *s, const char *root)
{
        *s = (Settings) {
                .log_level = -1,
                .require_signatures = true,
                .watchdog_interval_usec = 1000000,
                .on_foreign = 0, /* FOREIGN_POLICY_LOG */
        };
        s->root = g_strdup(root ? root : "");
        s->persistent_dir = prefixed(root, "/etc/l3af.d");
        s->runtime_dir_conf = prefixed(root, "/run/l3af.d");
        s->conf_dirs = g_new0(char *, 4);
        s->conf_dirs[0] = g_strdup(s->persistent_dir);
        s->conf_dirs[1] = g_strdup(s->runtime_dir_conf);
        s->conf_dirs[2] = prefixed(root, "/usr/lib/l3af.d");
        s->config_file = prefixed(root, "/etc/l3af/l3afd.conf");
        s->bpffs = prefixed(root, "/sys/fs/bpf");
        s->pin_root = prefixed(root, "/sys/fs/bpf/l3af");
        s->runtime_dir = prefixed(root, "/run/l3af");
        s->state_dir = prefixed(root, "/var/lib/l3af");
        s->cache_dir = prefixed(root, "/var/cache/l3af");
        s->trust_dir = prefixed(root, "/etc/l3af/trust.d");
        s->fetch_size_max = FETCH_SIZE_MAX_DEFAULT;
        s->connect_timeout_usec = CONNECT_TIMEOUT_USEC_DEFAULT;
        s->fetch_timeout_usec = FETCH_TIMEOUT_USEC_DEFAULT;
        s->stall_timeout_usec = STALL_TIMEOUT_USEC_DEFAULT;
        s->fetch_retries = FETCH_RETRIES_DEFAULT;
        s->cache_keep = CACHE_KEEP_DEFAULT;
        s->extract_entries_max = EXTRACT_ENTRIES_MAX_DEFAULT;
        s->extract_size_max = EXTRACT_SIZE_MAX_DEFAULT;
        (void) os_release_codename(&s->codename);
}

int os_release_codename(char **ret)
{
        const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                g_autofree char *text = NULL;
                g_auto(GStrv) lines = NULL;

                if (!g_file_get_contents(files[i], &text, NULL, NULL))
                        continue;
                lines = g_strsplit(text, "\n", -1);
                for (char **l = lines; *l; l++) {
                        g_autofree char *v = NULL;

                        if (!g_str_has_prefix(*l, "VERSION_CODENAME="))
                                continue;
                        /* Shell-quoted or bare, as os-release(5) allows. */
                        v = g_shell_unquote(*l + strlen("VERSION_CODENAME="), NULL);
                        if (!v || !codename_is_valid(v))
                                return -ENOENT;
                        *ret = TAKE_PTR(v);
                        return 0;
                }
                return -ENOENT;  /* the first file that exists is the one that counts */
        }
        return -ENOENT;
}

void settings_done(Settings *s)
{
        g_free(s->root);
        g_strfreev(s->conf_dirs);
        g_free(s->persistent_dir);
        g_free(s->runtime_dir_conf);
        g_free(s->config_file);
        g_free(s->bpffs);
        g_free(s->pin_root);
        g_free(s->runtime_dir);
        g_free(s->state_dir);
        g_free(s->cache_dir);
        g_free(s->repository);
        g_free(s->codename);
        g_free(s->trust_dir);
        g_free(s->ca_file);
        *s = (Settings) {};
}

static const char *const daemon_keys[] = {
        "PinRoot", "LogLevel", "RequireSignatures", "WatchdogIntervalSec", "OnForeignProgram", "IdleExitSec", "Statistics", NULL,
};

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

/* [Packages] */

#define PACKAGES_GROUP "Packages"

static const char *const packages_keys[] = {
        "Repository", "Codename", "TrustDirectory", "CAFile", "FetchSizeMax", "ConnectTimeoutSec", "FetchTimeoutSec",
        "StallTimeoutSec", "FetchRetries", "CacheKeepVersions", "ExtractEntriesMax", "ExtractSizeMax", NULL,
};

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

static int get_path(GKeyFile *kf, const Settings *s, const char *key, char **path, GPtrArray *problems)
{
        g_autofree char *v = g_key_file_get_string(kf, PACKAGES_GROUP, key, NULL);

        if (!v)
                return 0;
        g_strstrip(v);
        if (!g_path_is_absolute(v)) {
                problems_add(problems, false, s->config_file, NULL, PACKAGES_GROUP, key,
                             "'%s' is not an absolute path", v);
                return -EINVAL;
        }
        g_free(*path);
        *path = prefixed(s->root, v);
        return 0;
}

static int get_unsigned(GKeyFile *kf, const Settings *s, const char *key, unsigned min, unsigned max,
                        unsigned *ret, GPtrArray *problems)
{
        g_autofree char *v = g_key_file_get_string(kf, PACKAGES_GROUP, key, NULL);
        guint64 u;

        if (!v)
                return 0;
        g_strstrip(v);
        if (!g_ascii_string_to_unsigned(v, 10, min, max, &u, NULL)) {
                problems_add(problems, false, s->config_file, NULL, PACKAGES_GROUP, key,
                             "'%s' is not a number from %u to %u", v, min, max);
                return -EINVAL;
        }
        *ret = (unsigned) u;
        return 0;
}

/* A time span as parse_sec() reads it; at least 1 ms. */
static int get_timespan(GKeyFile *kf, const Settings *s, const char *key, uint64_t *ret, GPtrArray *problems)
{
        g_autofree char *v = g_key_file_get_string(kf, PACKAGES_GROUP, key, NULL);
        uint64_t usec;

        if (!v)
                return 0;
        if (parse_sec(v, &usec) < 0 || usec < 1000) {
                problems_add(problems, false, s->config_file, NULL, PACKAGES_GROUP, key,
                             "'%s' is not a time span of at least 1ms (e.g. 10, 2.5s, 500ms, 1min)", g_strstrip(v));
                return -EINVAL;
        }
        *ret = usec;
        return 0;
}

static int get_size(GKeyFile *kf, const Settings *s, const char *key, uint64_t *ret, GPtrArray *problems)
{
        g_autofree char *v = g_key_file_get_string(kf, PACKAGES_GROUP, key, NULL);
        uint64_t u;

        if (!v)
                return 0;
        if (parse_size(v, &u) < 0 || u == 0) {
                problems_add(problems, false, s->config_file, NULL, PACKAGES_GROUP, key,
                             "'%s' is not a size (bytes, or a number followed by K, M or G)", v);
                return -EINVAL;
        }
        *ret = u;
        return 0;
}

static int settings_load_packages(Settings *s, GKeyFile *kf, GPtrArray *problems)
{
        g_autofree char *repository = NULL, *codename = NULL;
        g_auto(GStrv) keys = NULL;
        int r = 0;

        repository = g_key_file_get_string(kf, PACKAGES_GROUP, "Repository", NULL);
        if (repository) {
                g_strstrip(repository);
                if (!g_str_has_prefix(repository, "file:///") && !g_str_has_prefix(repository, "http://") &&
                    !g_str_has_prefix(repository, "https://")) {
                        problems_add(problems, false, s->config_file, NULL, PACKAGES_GROUP, "Repository",
                                     "'%s' is not a file:///, http:// or https:// URL", repository);
                        r = -EINVAL;
                } else {
                        g_free(s->repository);
                        s->repository = TAKE_PTR(repository);
                }
        }
        codename = g_key_file_get_string(kf, PACKAGES_GROUP, "Codename", NULL);
        if (codename) {
                g_strstrip(codename);
                if (!codename_is_valid(codename)) {
                        problems_add(problems, false, s->config_file, NULL, PACKAGES_GROUP, "Codename",
                                     "'%s' is not a distribution codename (letters, digits, '_', '.', '-')",
                                     codename);
                        r = -EINVAL;
                } else {
                        g_free(s->codename);
                        s->codename = TAKE_PTR(codename);
                }
        }
        if (get_path(kf, s, "TrustDirectory", &s->trust_dir, problems) < 0)
                r = -EINVAL;
        if (get_path(kf, s, "CAFile", &s->ca_file, problems) < 0)
                r = -EINVAL;
        if (get_size(kf, s, "FetchSizeMax", &s->fetch_size_max, problems) < 0)
                r = -EINVAL;
        if (get_size(kf, s, "ExtractSizeMax", &s->extract_size_max, problems) < 0)
                r = -EINVAL;
        if (get_timespan(kf, s, "ConnectTimeoutSec", &s->connect_timeout_usec, problems) < 0)
                r = -EINVAL;
        if (get_timespan(kf, s, "FetchTimeoutSec", &s->fetch_timeout_usec, problems) < 0)
                r = -EINVAL;
        if (get_timespan(kf, s, "StallTimeoutSec", &s->stall_timeout_usec, problems) < 0)
                r = -EINVAL;
        if (get_unsigned(kf, s, "FetchRetries", 0, 10, &s->fetch_retries, problems) < 0)
                r = -EINVAL;
        if (get_unsigned(kf, s, "CacheKeepVersions", 1, 1000, &s->cache_keep, problems) < 0)
                r = -EINVAL;
        if (get_unsigned(kf, s, "ExtractEntriesMax", 1, 1000000, &s->extract_entries_max, problems) < 0)
                r = -EINVAL;

        keys = g_key_file_get_keys(kf, PACKAGES_GROUP, NULL, NULL);
        for (char **k = keys; k && *k; k++)
                if (!g_strv_contains(packages_keys, *k))
                        problems_add(problems, true, s->config_file, NULL, PACKAGES_GROUP, *k, "unknown key, ignored");
        return r;
}

int settings_load(Settings *s, GPtrArray *problems)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *pin_root = NULL, *level = NULL;
        g_auto(GStrv) keys = NULL;
        int r = 0;

        if (!g_key_file_load_from_file(kf, s->config_file, G_KEY_FILE_NONE, &error)) {
                if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return 0;
                problems_add(problems, false, s->config_file, NULL, NULL, NULL, "cannot parse: %s", error->message);
                return -EINVAL;
        }

        pin_root = g_key_file_get_string(kf, DAEMON_GROUP, "PinRoot", NULL);
        if (pin_root) {
                if (!g_path_is_absolute(pin_root)) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "PinRoot",
                                     "'%s' is not an absolute path", pin_root);
                        r = -EINVAL;
                } else {
                        g_free(s->pin_root);
                        s->pin_root = prefixed(s->root, pin_root);
                }
        }
        level = g_key_file_get_string(kf, DAEMON_GROUP, "LogLevel", NULL);
        if (level) {
                int l = log_level_from_string(level);

                if (l < 0) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "LogLevel",
                                     "unknown level '%s' (err, warning, notice, info, debug)", level);
                        r = -EINVAL;
                } else
                        s->log_level = l;
        }

        if (g_key_file_has_key(kf, DAEMON_GROUP, "RequireSignatures", NULL)) {
                g_autofree char *v = g_key_file_get_string(kf, DAEMON_GROUP, "RequireSignatures", NULL);
                int b = parse_boolean(v ? g_strstrip(v) : NULL);

                if (b < 0) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "RequireSignatures",
                                     "not a boolean (yes or no)");
                        r = -EINVAL;
                } else
                        s->require_signatures = b;
        }

        if (g_key_file_has_key(kf, DAEMON_GROUP, "Statistics", NULL)) {
                g_autofree char *v = g_key_file_get_string(kf, DAEMON_GROUP, "Statistics", NULL);
                int b = parse_boolean(v ? g_strstrip(v) : NULL);

                if (b < 0) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "Statistics",
                                     "not a boolean (yes or no)");
                        r = -EINVAL;
                } else
                        s->statistics = b;
        }

        {
                g_autofree char *v = g_key_file_get_string(kf, DAEMON_GROUP, "WatchdogIntervalSec", NULL);

                if (v && parse_sec(v, &s->watchdog_interval_usec) < 0) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "WatchdogIntervalSec",
                                     "'%s' is not a time span (e.g. 1s, 500ms, 0 to disable the sweep)", v);
                        r = -EINVAL;
                }
        }
        {
                g_autofree char *v = g_key_file_get_string(kf, DAEMON_GROUP, "IdleExitSec", NULL);

                if (v && parse_sec(v, &s->idle_exit_usec) < 0) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "IdleExitSec",
                                     "'%s' is not a time span (e.g. 30s, 5min; 0 never exits)", v);
                        r = -EINVAL;
                }
        }
        {
                g_autofree char *v = g_key_file_get_string(kf, DAEMON_GROUP, "OnForeignProgram", NULL);

                if (v) {
                        int p = foreign_policy_from_string(v);

                        if (p < 0) {
                                problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "OnForeignProgram",
                                             "unknown policy '%s' (log or restore)", v);
                                r = -EINVAL;
                        } else
                                s->on_foreign = p;
                }
        }

        keys = g_key_file_get_keys(kf, DAEMON_GROUP, NULL, NULL);
        for (char **k = keys; k && *k; k++)
                if (!g_strv_contains(daemon_keys, *k))
                        problems_add(problems, true, s->config_file, NULL, DAEMON_GROUP, *k, "unknown key, ignored");
        if (settings_load_packages(s, kf, problems) < 0)
                r = -EINVAL;
        return r;
}
