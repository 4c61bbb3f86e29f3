/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
        *s = (Settings) {};
}

static const char *const daemon_keys[] = {
        "PinRoot", "LogLevel", "RequireSignatures", "WatchdogIntervalSec", "OnForeignProgram", "IdleExitSec", NULL,
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
                g_autoptr(GError) e = NULL;
                gboolean b = g_key_file_get_boolean(kf, DAEMON_GROUP, "RequireSignatures", &e);

                if (e) {
                        problems_add(problems, false, s->config_file, NULL, DAEMON_GROUP, "RequireSignatures",
                                     "not a boolean (yes or no)");
                        r = -EINVAL;
                } else
                        s->require_signatures = b;
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
        return r;
}
