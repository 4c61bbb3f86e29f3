/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "chain.h"
#include "companion.h"
#include "log.h"
#include "model.h"
#include "pin-path.h"
#include "util.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define UNIT_NAME_MAX 255
/* How long a stop may take before l3afd gives up waiting (TimeoutStopSec= of the unit is shorter). */
#define COMPANION_STOP_TIMEOUT_USEC (15 * G_USEC_PER_SEC)
#define COMPANION_TIMEOUT_STOP_USEC (10 * G_USEC_PER_SEC)
/* Where the companion's mount namespace shows its maps, as L3AF pins them (L3AF's bpf.go). */
#define L3AF_BPFFS "/sys/fs/bpf"
#define L3AF_TC_PREFIX "tc/globals"

/* What l3afd knows of a declared companion between reconciles. */
typedef struct CompanionRecord {
        ChainId chain;
        char *program;
        char *reason;    /* why it is not started, or NULL */
        unsigned order;  /* the program's place in its chain */
} CompanionRecord;

static void companion_record_free(CompanionRecord *r)
{
        if (!r)
                return;
        g_free(r->program);
        g_free(r->reason);
        g_free(r);
}

void companion_state_free(CompanionState *s)
{
        if (!s)
                return;
        g_free(s->program);
        g_free(s->unit);
        g_free(s->state);
        g_free(s->reason);
        g_free(s);
}

/* As systemd-escape(1) escapes a string: '/' becomes '-', and every byte not
 * in [A-Za-z0-9:_.] (or a leading '.') becomes \xNN. */
static void escape_append(GString *s, const char *text)
{
        for (const char *c = text; *c; c++) {
                if (*c == '/')
                        g_string_append_c(s, '-');
                else if ((g_ascii_isalnum(*c) || *c == ':' || *c == '_' || *c == '.') && !(c == text && *c == '.'))
                        g_string_append_c(s, *c);
                else
                        g_string_append_printf(s, "\\x%02x", (unsigned char) *c);
        }
}

static char *unit_prefix(const char *ifname, Hook hook)
{
        GString *s = g_string_new(COMPANION_UNIT_PREFIX);

        escape_append(s, ifname);
        g_string_append_c(s, '-');
        escape_append(s, hook_to_string(hook));
        g_string_append_c(s, '-');
        return g_string_free(s, FALSE);
}

int companion_unit_name(const char *ifname, Hook hook, const char *program, char **ret)
{
        g_autofree char *prefix = unit_prefix(ifname, hook);
        GString *s = g_string_new(prefix);

        escape_append(s, program);
        g_string_append(s, ".service");
        if (s->len > UNIT_NAME_MAX) {
                g_string_free(s, TRUE);
                return -ENAMETOOLONG;
        }
        *ret = g_string_free(s, FALSE);
        return 0;
}

/* L3AF's direction argument (--direction=) and pin directory of a hook. */
static const char *l3af_direction(Hook hook)
{
        return hook == HOOK_XDP ? "xdpingress" : hook == HOOK_TC_INGRESS ? "ingress" : "egress";
}

/* /sys/fs/bpf/<iface>/<program>/<version> for XDP, /sys/fs/bpf/tc/globals/<iface>/<program>/<version>
 * for tc, with the version's dots made underscores, as L3AF names them. Without Version=: "0". */
static char *l3af_pin_dir(const char *ifname, Hook hook, const ProgramSpec *p)
{
        g_autofree char *version = g_strdup(p->version ? p->version : "0");

        g_strdelimit(version, ".", '_');
        if (hook == HOOK_XDP)
                return g_build_filename(L3AF_BPFFS, ifname, p->name, version, NULL);
        return g_build_filename(L3AF_BPFFS, L3AF_TC_PREFIX, ifname, p->name, version, NULL);
}

static char *describe(const ProgramSpec *p, const char *key)
{
        g_autofree char *text = companion_spec_to_text(p->companion);
        g_autofree char *all = g_strdup_printf("%s\n%s\n%s\n%s\n", text, strempty(p->version), p->digest, key);
        g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, all, -1);

        digest[16] = 0;
        return g_strdup_printf("l3af companion of %s on %s%s%s [%s]", p->name, key, p->version ? ", version " : "",
                               strempty(p->version), digest);
}

static int bus_get(Context *c, sd_bus **ret)
{
        int r;

        /* A connection systemd's bus dropped (dbus restarted) is made again. */
        if (c->systemd_bus && sd_bus_is_open(c->systemd_bus) <= 0)
                c->systemd_bus = sd_bus_flush_close_unref(c->systemd_bus);
        if (!c->systemd_bus) {
                r = sd_bus_open_system(&c->systemd_bus);
                if (r < 0)
                        return r;
        }
        *ret = c->systemd_bus;
        return 0;
}

static char *unit_path(const char *unit)
{
        char *path = NULL;

        if (sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, &path) < 0)
                return NULL;
        return path;
}

/* A unit's string property; -ENOENT when no such unit is loaded. */
static int unit_get_string(sd_bus *bus, const char *unit, const char *iface, const char *property, char **ret)
{
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *reply = NULL;
        g_autofree char *path = NULL;
        const char *p;
        char *v;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", &error, &reply, "s",
                               unit);
        if (r < 0)
                return sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit") ? -ENOENT : r;
        r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return r;
        path = g_strdup(p);
        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, iface, property, &error, &v);
        if (r < 0)
                return r;
        *ret = g_strdup(v);
        free(v);
        return 0;
}

static int unit_get_u32(sd_bus *bus, const char *unit, const char *property, uint32_t *ret)
{
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *path = unit_path(unit);

        if (!path)
                return -ENOMEM;
        return sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Service", property,
                                           &error, 'u', ret);
}

/* Stops a unit and waits until systemd has unloaded it (a failed one is reset). */
static int unit_stop(sd_bus *bus, const char *unit, char **ret_error)
{
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t deadline = g_get_monotonic_time() + COMPANION_STOP_TIMEOUT_USEC;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", &error, NULL, "ss", unit,
                               "replace");
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
                *ret_error = g_strdup_printf("StopUnit: %s", error.message ? error.message : g_strerror(-r));
                return r;
        }
        for (;;) {
                g_autofree char *state = NULL;

                r = unit_get_string(bus, unit, "org.freedesktop.systemd1.Unit", "ActiveState", &state);
                if (r == -ENOENT)
                        return 0;
                if (r < 0) {
                        *ret_error = g_strdup_printf("cannot read its state: %s", g_strerror(-r));
                        return r;
                }
                if (streq(state, "failed") || streq(state, "inactive")) {
                        sd_bus_error_free(&error);
                        (void) sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ResetFailedUnit",
                                                  &error, NULL, "s", unit);
                }
                if (g_get_monotonic_time() > deadline) {
                        *ret_error = g_strdup_printf("still %s after %u s", state,
                                                     (unsigned) (COMPANION_STOP_TIMEOUT_USEC / G_USEC_PER_SEC));
                        return -ETIMEDOUT;
                }
                g_usleep(20 * 1000);
        }
}

/* Lets members of COMPANION_GROUP_NAME open a map pin read-write, as BPF_OBJ_GET needs (bpf_obj_get_user(),
 * kernel/bpf/inode.c, checks the pin's permissions). The pins lie under the bpffs root, mode 1700, so only a
 * mount of the pin itself, as a companion's namespace has, reaches them. */
static int share_pin(const char *path, gid_t gid)
{
        if (chown(path, (uid_t) -1, gid) < 0 || chmod(path, 0660) < 0)
                return -errno;
        return 0;
}

/* Gives group 'gid' read access (and search on directories) to 'path' and everything below it. */
static int share_tree_below(const char *path, gid_t gid, unsigned depth)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return 0;
        if (chown(path, (uid_t) -1, gid) < 0 ||
            chmod(path, (st.st_mode & 07777) | (S_ISDIR(st.st_mode) || (st.st_mode & S_IXUSR) ? 0050 : 0040)) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode) && depth < 64) {
                g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
                const char *name;

                if (!dir)
                        return -EIO;
                while ((name = g_dir_read_name(dir))) {
                        g_autofree char *child = g_build_filename(path, name, NULL);
                        int r = share_tree_below(child, gid, depth + 1);

                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/*
 * A companion shipped in a package runs from the package's extracted tree in
 * the cache (<cache_dir>/trees/<sha256>/), which l3afd writes with its umask
 * 0077: give the companions' group read access to that one tree, and search
 * access to the trees directory above it. Other trees stay l3afd's alone.
 */
static int share_package_tree(const Context *c, const char *exec, gid_t gid, char **ret_error)
{
        g_autofree char *trees = g_build_filename(c->settings.cache_dir, "trees", NULL);
        g_autofree char *prefix = g_strconcat(trees, "/", NULL), *tree = NULL;
        const char *slash;
        struct stat st;
        int r;

        if (!g_str_has_prefix(exec, prefix))
                return 0;
        slash = strchr(exec + strlen(prefix), '/');
        if (!slash)
                return 0;
        tree = g_strndup(exec, (size_t) (slash - exec));
        if (stat(trees, &st) < 0 || chown(trees, (uid_t) -1, gid) < 0 || chmod(trees, (st.st_mode & 07777) | 0010) < 0) {
                r = -errno;
                *ret_error = g_strdup_printf("cannot open %s to companions: %s", trees, g_strerror(-r));
                return r;
        }
        r = share_tree_below(tree, gid, 0);
        if (r < 0)
                *ret_error = g_strdup_printf("cannot give group %s access to the package tree %s: %s",
                                             COMPANION_GROUP_NAME, tree, g_strerror(-r));
        return r;
}

/*
 * Opens the pins of the program's maps (but its next map, the chain's) to
 * the companions' group and lists them in 'binds' as (pin, path under
 * 'pin_dir') pairs; *ret_names gets their names, space-separated.
 */
static int share_maps(const Chain *ch, const ProgramSpec *p, const char *pin_dir, gid_t gid, GPtrArray *binds,
                      char **ret_names, char **ret_error)
{
        g_autoptr(GString) names = g_string_new(NULL);
        int r;

        for (guint i = 0; p->map_defs && i < p->map_defs->len; i++) {
                const MapDef *d = p->map_defs->pdata[i];
                g_autofree char *src = pin_map_path(ch->dir, p->name, d->name, d->shared);
                struct stat st;

                /* The next map is the chain's, not the companion's to change. */
                if (streq_ptr(d->name, p->next_resolved) || stat(src, &st) < 0)
                        continue;
                r = share_pin(src, gid);
                if (r < 0) {
                        *ret_error = g_strdup_printf("cannot give group %s access to %s: %s", COMPANION_GROUP_NAME,
                                                     src, g_strerror(-r));
                        return r;
                }
                g_ptr_array_add(binds, g_steal_pointer(&src));
                g_ptr_array_add(binds, g_build_filename(pin_dir, d->name, NULL));
                g_string_append_printf(names, "%s%s", names->len ? " " : "", d->name);
        }
        *ret_names = g_string_free(g_steal_pointer(&names), FALSE);
        return 0;
}

/* The command line: Exec=, with L3AF's --iface= and --direction= after the binary for Convention=l3af. */
static GPtrArray *companion_argv(const Chain *ch, const CompanionSpec *cs)
{
        GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(argv, g_strdup(cs->exec[0]));
        if (cs->convention == COMPANION_CONVENTION_L3AF) {
                g_ptr_array_add(argv, g_strdup_printf("--iface=%s", ch->id.ifname));
                g_ptr_array_add(argv, g_strdup_printf("--direction=%s", l3af_direction(ch->id.hook)));
        }
        for (char **a = cs->exec + 1; *a; a++)
                g_ptr_array_add(argv, g_strdup(*a));
        g_ptr_array_add(argv, NULL);
        return argv;
}

/* The environment: where the program runs (L3AF_*), then Environment=. */
static GPtrArray *companion_environment(const Chain *ch, const ProgramSpec *p, const char *pin_dir,
                                        const char *map_names)
{
        GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
        uint32_t prog_id = 0;

        for (guint i = 0; i < ch->instances->len; i++) {
                const Instance *inst = ch->instances->pdata[i];

                if (streq(inst->name, p->name))
                        prog_id = inst->prog_id;
        }
        g_ptr_array_add(env, g_strdup_printf("L3AF_INTERFACE=%s", ch->id.ifname));
        g_ptr_array_add(env, g_strdup_printf("L3AF_HOOK=%s", hook_to_string(ch->id.hook)));
        g_ptr_array_add(env, g_strdup_printf("L3AF_DIRECTION=%s", l3af_direction(ch->id.hook)));
        g_ptr_array_add(env, g_strdup_printf("L3AF_PROGRAM=%s", p->name));
        g_ptr_array_add(env, g_strdup_printf("L3AF_PROGRAM_ID=%u", prog_id));
        if (p->version)
                g_ptr_array_add(env, g_strdup_printf("L3AF_VERSION=%s", p->version));
        g_ptr_array_add(env, g_strdup_printf("L3AF_PIN_DIR=%s", pin_dir));
        g_ptr_array_add(env, g_strdup_printf("L3AF_MAPS=%s", map_names));
        for (char **e = p->companion->environment; e && *e; e++)
                g_ptr_array_add(env, g_strdup(*e));
        g_ptr_array_add(env, NULL);
        return env;
}

/* The unit's Description=, Type=, Restart=, ExecStart= and Environment=. */
static int append_exec(sd_bus_message *m, const CompanionSpec *cs, const char *desc, GPtrArray *argv, GPtrArray *env)
{
        int r;

        r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Description", "s", desc, "Type", "s", "simple",
                                  "Restart", "s", cs->restart);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "ExecStart");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", cs->exec[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) argv->pdata);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", false);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Environment");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) env->pdata);
        for (int i = 0; r >= 0 && i < 2; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

/* Who the companion runs as, what it sees (its own /sys/fs/bpf with its maps), its sandbox and its limits. */
static int append_sandbox(sd_bus_message *m, const CompanionSpec *cs, GPtrArray *binds)
{
        int r;

        /* The user: a dynamic one by default, in the group that may open the maps. */
        if (cs->user)
                r = sd_bus_message_append(m, "(sv)", "User", "s", cs->user);
        else
                r = sd_bus_message_append(m, "(sv)", "DynamicUser", "b", true);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "SupplementaryGroups", "as", 1, COMPANION_GROUP_NAME);

        /* Its own /sys/fs/bpf, holding only its maps, at L3AF's paths. */
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "TemporaryFileSystem", "a(ss)", 1, L3AF_BPFFS, "mode=0755");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "BindReadOnlyPaths");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(ssbt)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(ssbt)");
        for (guint i = 0; r >= 0 && i + 1 < binds->len; i += 2)
                r = sd_bus_message_append(m, "(ssbt)", binds->pdata[i], binds->pdata[i + 1], false, (uint64_t) 0);
        for (int i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(m);

        /* Sandboxing (systemd.exec(5)): no capabilities, nothing of the host to write. */
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                          "NoNewPrivileges", "b", true,
                                          "CapabilityBoundingSet", "t", (uint64_t) 0,
                                          "ProtectSystem", "s", "strict",
                                          "ProtectHome", "s", "yes",
                                          "PrivateTmp", "b", true,
                                          "PrivateDevices", "b", true,
                                          "ProtectKernelModules", "b", true,
                                          "ProtectControlGroups", "b", true,
                                          "RestrictRealtime", "b", true,
                                          "LockPersonality", "b", true,
                                          "PrivateNetwork", "b", cs->private_network);
        /* Not ProtectKernelTunables=yes: systemd 252 makes /sys read-only before it creates the maps' mount
         * points in the tmpfs on /sys/fs/bpf ("Permission denied"). Without capabilities /sys is not
         * writable for the companion anyway. */
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                          "ProtectKernelLogs", "b", true,
                                          "ProtectClock", "b", true,
                                          "ProtectHostname", "b", true,
                                          "RestrictSUIDSGID", "b", true,
                                          "ProtectProc", "s", "invisible",
                                          "RestrictNamespaces", "t", (uint64_t) 0,
                                          "UMask", "u", (uint32_t) 0077);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)",
                                          "RestrictAddressFamilies", "(bas)", true, 4, "AF_UNIX", "AF_INET", "AF_INET6",
                                          "AF_NETLINK",
                                          "SystemCallArchitectures", "as", 1, "native",
                                          /* bpf(2), to open and read its maps, is not in @system-service. */
                                          "SystemCallFilter", "(bas)", true, 2, "@system-service", "bpf");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t", (uint64_t) COMPANION_TIMEOUT_STOP_USEC);

        /* Limits (systemd.resource-control(5)). */
        if (r >= 0 && cs->memory_max != UINT64_MAX)
                r = sd_bus_message_append(m, "(sv)(sv)", "MemoryMax", "t", cs->memory_max,
                                          "MemorySwapMax", "t", (uint64_t) 0);
        if (r >= 0 && cs->cpu_quota_usec != UINT64_MAX)
                r = sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", cs->cpu_quota_usec);
        if (r >= 0 && cs->tasks_max != UINT64_MAX)
                r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", cs->tasks_max);
        if (r >= 0 && cs->restart_usec != UINT64_MAX)
                r = sd_bus_message_append(m, "(sv)", "RestartUSec", "t", cs->restart_usec);
        return r;
}

static int append_properties(sd_bus_message *m, Context *c, const Chain *ch, const ProgramSpec *p, const char *desc,
                             gid_t gid, char **ret_error)
{
        const CompanionSpec *cs = p->companion;
        g_autofree char *pin_dir = l3af_pin_dir(ch->id.ifname, ch->id.hook, p), *map_names = NULL;
        g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func(g_free), argv = NULL, env = NULL;
        int r;

        r = share_package_tree(c, cs->exec[0], gid, ret_error);
        if (r < 0)
                return r;
        r = share_maps(ch, p, pin_dir, gid, binds, &map_names, ret_error);
        if (r < 0)
                return r;
        argv = companion_argv(ch, cs);
        env = companion_environment(ch, p, pin_dir, map_names);
        r = append_exec(m, cs, desc, argv, env);
        if (r < 0)
                return r;
        return append_sandbox(m, cs, binds);
}

static int unit_start(Context *c, sd_bus *bus, const char *unit, const Chain *ch, const ProgramSpec *p,
                      const char *desc, gid_t gid, char **ret_error)
{
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL;
        g_autofree char *prop_error = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = append_properties(m, c, ch, p, desc, gid, &prop_error);
        if (r < 0) {
                *ret_error = prop_error ? TAKE_PTR(prop_error) : g_strdup_printf("cannot build the call: %s",
                                                                                 g_strerror(-r));
                return r;
        }
        r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, NULL);
        if (r < 0) {
                *ret_error = g_strdup_printf("StartTransientUnit: %s", error.message ? error.message : g_strerror(-r));
                return r;
        }
        return 0;
}

static LogFields fields_of(const Chain *ch, const char *program, const char **extra)
{
        return (LogFields) { .interface = ch ? ch->id.ifname : NULL, .hook = ch ? hook_to_string(ch->id.hook) : NULL,
                             .program = program, .extra = extra };
}

/* Every loaded unit named l3af-companion-*.service. */
static int list_units(sd_bus *bus, GHashTable **ret)
{
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL, *reply = NULL;
        g_autoptr(GHashTable) units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        const char *name;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 0);
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, COMPANION_UNIT_PREFIX "*.service");
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL,
                                                  NULL, NULL, NULL)) > 0)
                g_hash_table_add(units, g_strdup(name));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(units);
        return 0;
}

static void record(Context *c, const char *unit, const ChainId *chain, const char *program, unsigned order,
                   const char *reason)
{
        CompanionRecord *rec = g_new0(CompanionRecord, 1);

        rec->chain = *chain;
        rec->program = g_strdup(program);
        rec->reason = g_strdup(reason);
        rec->order = order;
        g_hash_table_replace(c->companions, g_strdup(unit), rec);
}

typedef struct Wanted {
        Chain *ch;
        ProgramSpec *p;
        unsigned order;
} Wanted;

/* Whether 'unit' belongs to a chain whose companions are left as they run (one of 'keep_prefixes'). */
static bool unit_kept(GPtrArray *keep_prefixes, const char *unit)
{
        for (guint i = 0; i < keep_prefixes->len; i++)
                if (g_str_has_prefix(unit, keep_prefixes->pdata[i]))
                        return true;
        return false;
}

/*
 * What the chains that applied declare, into 'wanted' (unit name ->
 * Wanted*); the unit prefixes of the others, which keep whatever runs, into
 * 'keep_prefixes'. Returns how many companions cannot even be named.
 */
static unsigned collect_wanted(Context *c, GHashTable *desired, GHashTable *wanted, GPtrArray *keep_prefixes)
{
        unsigned failures = 0;
        GHashTableIter it;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch)) {
                ChainSpec *want = desired ? g_hash_table_lookup(desired, &ch->id) : NULL;

                if (ch->error || ch->adopt_error < 0 || ch->root_fd < 0) {
                        g_ptr_array_add(keep_prefixes, unit_prefix(ch->id.ifname, ch->id.hook));
                        continue;
                }
                for (guint i = 0; want && i < want->programs->len; i++) {
                        ProgramSpec *p = want->programs->pdata[i];
                        char *name = NULL;
                        Wanted *w;

                        if (!p->companion)
                                continue;
                        if (companion_unit_name(ch->id.ifname, ch->id.hook, p->name, &name) < 0) {
                                const char *extra[] = { NULL };
                                LogFields f = fields_of(ch, p->name, extra);

                                log_structured(LOG_ERR, ENAMETOOLONG, L3AF_MSG_COMPANION, &f,
                                               "Companion of %s on %s not started: its unit name would be longer "
                                               "than %d bytes.", p->name, CHAIN_TEXT(ch), UNIT_NAME_MAX);
                                failures++;
                                continue;
                        }
                        w = g_new0(Wanted, 1);
                        *w = (Wanted) { .ch = ch, .p = p, .order = i };
                        g_hash_table_replace(wanted, name, w);
                }
        }
        return failures;
}

/*
 * Whether companions can run here: systemd as PID 1, the system bus (*ret_bus),
 * the units it runs (*ret_running) and the companions' group (*ret_gid).
 * Returns NULL, or why not.
 */
static char *why_not_run(Context *c, sd_bus **ret_bus, GHashTable **ret_running, gid_t *ret_gid)
{
        struct group *gr;
        int r;

        if (sd_booted() <= 0)
                return g_strdup("no service manager (systemd is not PID 1)");
        r = bus_get(c, ret_bus);
        if (r < 0)
                return g_strdup_printf("cannot connect to the system bus: %s", g_strerror(-r));
        r = list_units(*ret_bus, ret_running);
        if (r < 0)
                return g_strdup_printf("cannot list units: %s", g_strerror(-r));
        gr = getgrnam(COMPANION_GROUP_NAME);
        if (!gr)
                return g_strdup_printf("group %s does not exist (systemd-sysusers l3afd.conf creates it)",
                                       COMPANION_GROUP_NAME);
        *ret_gid = gr->gr_gid;
        return NULL;
}

/* Records every wanted companion as not started, for 'why_not', in one journal line. */
static void report_not_started(Context *c, GHashTable *wanted, GPtrArray *sorted, const char *why_not)
{
        g_autoptr(GString) list = g_string_new(NULL);

        for (guint i = 0; i < sorted->len; i++) {
                Wanted *w = g_hash_table_lookup(wanted, sorted->pdata[i]);

                g_string_append_printf(list, "%s%s", i ? ", " : "", (char *) sorted->pdata[i]);
                record(c, sorted->pdata[i], &w->ch->id, w->p->name, w->order, why_not);
        }
        if (sorted->len > 0)
                log_structured(LOG_WARNING, 0, L3AF_MSG_COMPANION, NULL, "Companions not started: %s: %s.", why_not,
                               list->str);
}

/* Stops the companions whose program left (or whose chain did). Returns how many could not be stopped. */
static unsigned stop_undeclared(sd_bus *bus, GHashTable *running, GHashTable *wanted, GPtrArray *keep_prefixes)
{
        unsigned failures = 0;
        GHashTableIter it;
        const char *unit;
        int r;

        g_hash_table_iter_init(&it, running);
        while (g_hash_table_iter_next(&it, (gpointer *) &unit, NULL)) {
                g_autofree char *error = NULL;

                if (unit_kept(keep_prefixes, unit) || g_hash_table_contains(wanted, unit))
                        continue;
                r = unit_stop(bus, unit, &error);
                if (r < 0) {
                        log_error_errno(-r, "Companion %s could not be stopped: %s.", unit, error);
                        failures++;
                } else
                        log_structured(LOG_INFO, 0, L3AF_MSG_COMPANION, NULL,
                                       "Companion %s stopped: its program is no longer declared.", unit);
        }
        return failures;
}

/*
 * Runs one wanted companion as declared: adopts it when it runs so already
 * (the same Description=), else (re)starts it. Returns 0, or -errno when it
 * does not run as declared (journaled and recorded).
 */
static int run_wanted(Context *c, sd_bus *bus, GHashTable *running, const char *unit, const Wanted *w, gid_t gid)
{
        g_autofree char *desc = describe(w->p, CHAIN_TEXT(w->ch)), *have = NULL, *error = NULL;
        g_autofree char *unit_field = g_strdup_printf("UNIT=%s", unit);
        const char *extra[] = { unit_field, NULL };
        const char *verb = "started";
        LogFields f = fields_of(w->ch, w->p->name, extra);
        int r;

        r = g_hash_table_contains(running, unit) ?
                unit_get_string(bus, unit, "org.freedesktop.systemd1.Unit", "Description", &have) : -ENOENT;
        if (r >= 0 && streq(have, desc)) {
                CompanionRecord *rec = g_hash_table_lookup(c->companions, unit);

                if (!rec || rec->reason)
                        log_structured(LOG_INFO, 0, L3AF_MSG_COMPANION, &f,
                                       "Companion %s of %s on %s adopted: it runs as declared.", unit, w->p->name,
                                       CHAIN_TEXT(w->ch));
                record(c, unit, &w->ch->id, w->p->name, w->order, NULL);
                return 0;
        }
        if (r >= 0) {
                verb = "restarted: its program or declaration changed";
                r = unit_stop(bus, unit, &error);
                if (r < 0) {
                        log_structured(LOG_ERR, -r, L3AF_MSG_COMPANION, &f,
                                       "Companion %s could not be stopped for a restart: %s.", unit, error);
                        record(c, unit, &w->ch->id, w->p->name, w->order, error);
                        return r;
                }
        }
        r = unit_start(c, bus, unit, w->ch, w->p, desc, gid, &error);
        if (r < 0) {
                log_structured(LOG_ERR, -r, L3AF_MSG_COMPANION, &f, "Companion %s of %s on %s not started: %s.", unit,
                               w->p->name, CHAIN_TEXT(w->ch), error);
                record(c, unit, &w->ch->id, w->p->name, w->order, error);
                return r;
        }
        log_structured(LOG_INFO, 0, L3AF_MSG_COMPANION, &f, "Companion %s of %s on %s %s.", unit, w->p->name,
                       CHAIN_TEXT(w->ch), verb);
        record(c, unit, &w->ch->id, w->p->name, w->order, NULL);
        return 0;
}

int companion_reconcile(Context *c, GHashTable *desired)
{
        g_autoptr(GHashTable) wanted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_autoptr(GPtrArray) keep_prefixes = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GHashTable) running = NULL;
        g_autoptr(GPtrArray) sorted = g_ptr_array_new();
        g_autofree char *why_not = NULL;
        GHashTableIter it;
        const char *unit;
        unsigned failures;
        gid_t gid = (gid_t) -1;
        sd_bus *bus = NULL;

        if (!c->companions)
                c->companions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) companion_record_free);

        failures = collect_wanted(c, desired, wanted, keep_prefixes);
        /* Forget what is no longer declared; what is, is recorded below. */
        g_hash_table_iter_init(&it, c->companions);
        while (g_hash_table_iter_next(&it, (gpointer *) &unit, NULL))
                if (!unit_kept(keep_prefixes, unit) && !g_hash_table_contains(wanted, unit))
                        g_hash_table_iter_remove(&it);

        why_not = why_not_run(c, &bus, &running, &gid);

        g_hash_table_iter_init(&it, wanted);
        while (g_hash_table_iter_next(&it, (gpointer *) &unit, NULL))
                g_ptr_array_add(sorted, (gpointer) unit);
        g_ptr_array_sort(sorted, strptr_compare);

        if (why_not) {
                report_not_started(c, wanted, sorted, why_not);
                return (int) sorted->len;
        }
        failures += stop_undeclared(bus, running, wanted, keep_prefixes);
        for (guint i = 0; i < sorted->len; i++)
                if (run_wanted(c, bus, running, sorted->pdata[i], g_hash_table_lookup(wanted, sorted->pdata[i]),
                               gid) < 0)
                        failures++;
        return (int) failures;
}

int companion_stop_all(Context *c)
{
        g_autoptr(GHashTable) running = NULL;
        GHashTableIter it;
        const char *unit;
        sd_bus *bus;
        int r, ret = 0;

        if (sd_booted() <= 0)
                return 0;
        r = bus_get(c, &bus);
        if (r < 0)
                return log_error_errno(-r, "Cannot connect to the system bus to stop companions: %s", g_strerror(-r));
        r = list_units(bus, &running);
        if (r < 0)
                return log_error_errno(-r, "Cannot list companion units: %s", g_strerror(-r));
        g_hash_table_iter_init(&it, running);
        while (g_hash_table_iter_next(&it, (gpointer *) &unit, NULL)) {
                g_autofree char *error = NULL;

                r = unit_stop(bus, unit, &error);
                if (r < 0) {
                        log_error_errno(-r, "Companion %s could not be stopped: %s.", unit, error);
                        if (ret == 0)
                                ret = r;
                } else
                        log_structured(LOG_INFO, 0, L3AF_MSG_COMPANION, NULL, "Companion %s stopped (flush).", unit);
        }
        return ret;
}

static gint state_compare(gconstpointer a, gconstpointer b, gpointer userdata)
{
        GHashTable *order = userdata;
        const CompanionState *x = *(CompanionState *const *) a, *y = *(CompanionState *const *) b;

        return (int) GPOINTER_TO_UINT(g_hash_table_lookup(order, x->unit)) -
               (int) GPOINTER_TO_UINT(g_hash_table_lookup(order, y->unit));
}

GPtrArray *companion_list(Context *c, const ChainId *chain)
{
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify) companion_state_free);
        g_autoptr(GHashTable) order = g_hash_table_new(g_str_hash, g_str_equal);
        GHashTableIter it;
        const char *unit;
        CompanionRecord *rec;
        sd_bus *bus = NULL;

        if (!c->companions)
                return list;
        if (sd_booted() > 0)
                (void) bus_get(c, &bus);
        g_hash_table_iter_init(&it, c->companions);
        while (g_hash_table_iter_next(&it, (gpointer *) &unit, (gpointer *) &rec)) {
                CompanionState *s;
                int r;

                if (!chain_id_equal(&rec->chain, chain))
                        continue;
                s = g_new0(CompanionState, 1);
                s->program = g_strdup(rec->program);
                s->unit = g_strdup(unit);
                g_hash_table_insert(order, s->unit, GUINT_TO_POINTER(rec->order));
                g_ptr_array_add(list, s);
                if (rec->reason || !bus) {
                        s->state = g_strdup("not-started");
                        s->reason = g_strdup(rec->reason ? rec->reason : "no connection to systemd");
                        continue;
                }
                r = unit_get_string(bus, unit, "org.freedesktop.systemd1.Unit", "ActiveState", &s->state);
                if (r == -ENOENT) {
                        s->state = g_strdup("inactive");
                        s->reason = g_strdup("the unit is not loaded");
                        continue;
                }
                if (r < 0) {
                        s->state = g_strdup("unknown");
                        s->reason = g_strdup_printf("cannot read its state: %s", g_strerror(-r));
                        continue;
                }
                (void) unit_get_u32(bus, unit, "NRestarts", &s->restarts);
                (void) unit_get_u32(bus, unit, "MainPID", &s->main_pid);
                s->reason = g_strdup("");
        }
        g_ptr_array_sort_with_data(list, state_compare, order);
        return list;
}
