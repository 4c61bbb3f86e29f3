/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf-parser.h"
#include "dropin.h"
#include "hook.h"
#include "log.h"
#include "problem.h"
#include "settings.h"
#include "util.h"

#define DAEMON_GROUP "Daemon"
#define PACKAGES_GROUP "Packages"

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

/* Groups other than [Daemon] and [Packages] are warned about, as in drop-ins. */
static void warn_unknown_groups(GKeyFile *kf, const Settings *s, GPtrArray *problems)
{
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

        for (char **g = groups; g && *g; g++)
                if (!streq(*g, DAEMON_GROUP) && !streq(*g, PACKAGES_GROUP))
                        problems_add(problems, true, s->config_file, NULL, *g, NULL, "unknown group, ignored");
}

int settings_load(Settings *s, GPtrArray *problems)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        ConfContext ctx = {
                .file = s->config_file,
                .root = s->root,
                .strip = true,
                .problems = problems,
        };
        int r = 0;

        if (!g_key_file_load_from_file(kf, s->config_file, G_KEY_FILE_NONE, &error)) {
                if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return 0;
                problems_add(problems, false, s->config_file, NULL, NULL, NULL, "cannot parse: %s", error->message);
                return -EINVAL;
        }

        ctx.group = DAEMON_GROUP;
        if (conf_parse_group(kf, conf_keys, CONF_DAEMON, &ctx, s, NULL) < 0)
                r = -EINVAL;
        ctx.group = PACKAGES_GROUP;
        if (conf_parse_group(kf, conf_keys, CONF_PACKAGES, &ctx, s, NULL) < 0)
                r = -EINVAL;
        warn_unknown_groups(kf, s, problems);
        return r;
}

int statistics_mode_from_string(const char *s)
{
        int b;

        if (streq(s, "programs"))
                return STATISTICS_PROGRAMS;
        b = parse_boolean(s);
        if (b < 0)
                return -EINVAL;
        return b ? STATISTICS_CHAINS : STATISTICS_NO;
}
