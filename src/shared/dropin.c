/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <net/if.h>

#include "conf-parser.h"
#include "dropin.h"
#include "pin-path.h"
#include "problem.h"
#include "util.h"

#define PROGRAM_GROUP "Program"
#define MAP_GROUP_PREFIX "Map "
#define MAX_MAP_ENTRIES_PER_FILE 4096
#define MAX_VALUE_LENGTH 4096

void map_entry_spec_free(MapEntrySpec *m)
{
        if (!m)
                return;
        g_free(m->map);
        g_free(m->key);
        g_free(m->value);
        if (m->key_bytes)
                g_bytes_unref(m->key_bytes);
        if (m->value_bytes)
                g_bytes_unref(m->value_bytes);
        g_free(m);
}

ProgramSpec *program_spec_ref(ProgramSpec *p)
{
        g_atomic_int_inc(&p->n_ref);
        return p;
}

void program_spec_free(ProgramSpec *p)
{
        if (!p)
                return;
        for (;;) {
                int old = g_atomic_int_get(&p->n_ref);

                if (old == 0)
                        break;  /* the last reference */
                if (g_atomic_int_compare_and_exchange(&p->n_ref, old, old - 1))
                        return;
        }
        g_free(p->source);
        g_free(p->name);
        g_free(p->ifname);
        g_free(p->object);
        g_free(p->package);
        g_free(p->version);
        g_free(p->repository);
        g_free(p->artifact);
        g_free(p->codename);
        g_free(p->folder);
        g_free(p->object_file);
        g_free(p->entry);
        g_free(p->type);
        g_free(p->next_map);
        if (p->maps)
                g_ptr_array_unref(p->maps);
        if (p->metrics)
                g_ptr_array_unref(p->metrics);
        if (p->elf)
                g_bytes_unref(p->elf);
        g_free(p->entry_resolved);
        g_free(p->next_resolved);
        if (p->shared_maps)
                g_ptr_array_unref(p->shared_maps);
        if (p->map_defs)
                g_ptr_array_unref(p->map_defs);
        g_free(p->signer);
        g_free(p->attach);
        if (p->probes)
                g_ptr_array_unref(p->probes);
        if (p->package_files)
                g_ptr_array_unref(p->package_files);
        companion_spec_free(p->companion);
        g_free(p);
}

bool program_name_is_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > PROGRAM_NAME_MAX || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("_.-", *c))
                        return false;
        return true;
}

static const char *const package_layouts[_PACKAGE_LAYOUT_MAX] = {
        [PACKAGE_LAYOUT_L3AFD] = "l3afd",
        [PACKAGE_LAYOUT_L3AF] = "l3af",
};

const char *package_layout_to_string(PackageLayout l)
{
        return l >= 0 && l < _PACKAGE_LAYOUT_MAX ? package_layouts[l] : NULL;
}

PackageLayout package_layout_from_string(const char *s)
{
        for (int i = 0; s && i < _PACKAGE_LAYOUT_MAX; i++)
                if (streq(s, package_layouts[i]))
                        return i;
        return _PACKAGE_LAYOUT_INVALID;
}

bool codename_is_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64 || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("_.-", *c))
                        return false;
        return true;
}

bool artifact_name_is_valid(const char *s)
{
        return s && !strchr(s, '/') && !streq(s, ".") && !streq(s, "..");
}

bool package_relative_path_is_valid(const char *s)
{
        g_auto(GStrv) parts = NULL;

        if (isempty(s) || s[0] == '/' || strlen(s) > 4096)
                return false;
        parts = g_strsplit(s, "/", -1);
        for (char **c = parts; *c; c++)
                if (streq(*c, ".."))
                        return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isprint(*c))
                        return false;
        return true;
}

bool ifname_is_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n >= IF_NAMESIZE || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *c = s; *c; c++)
                if (*c == '/' || *c == ':' || g_ascii_isspace(*c) || !g_ascii_isprint(*c))
                        return false;
        return true;
}

int program_spec_chain_id(const ProgramSpec *p, ChainId *ret)
{
        if (p->standalone)
                return -ENOENT;
        return chain_id_init(ret, p->ifname, p->hook);
}

/* Keys that mean nothing to a probe on its own. */
static const char *const chain_only_keys[] = {
        "Priority", "Type", "NextMap", "Mode", "OnForeignProgram", NULL,
};

#define CHAIN_HOOKS_TEXT "xdp, tc-ingress, tc-egress"
#define HOOKS_TEXT CHAIN_HOOKS_TEXT "; with no Interface=, a probe: tracepoint, raw_tracepoint, uprobe, uretprobe, " \
        "kprobe, kretprobe"

int dropin_parse(const char *path, GPtrArray *problems, ProgramSpec **ret)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;

        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
                problems_add(problems, false, path, NULL, NULL, NULL, "cannot parse: %s", error->message);
                return -EINVAL;
        }
        return dropin_parse_keyfile(kf, path, problems, ret);
}

/* Object=, Package= and the keys that only mean something with one of them. */
static void check_source(GKeyFile *kf, ProgramSpec *p, const ConfContext *ctx, bool *bad)
{
        static const char *const keys_need_package[] = {
                "Repository", "Artifact", "RepositoryLayout", "Codename", "Folder", "ObjectFile", "AllowDowngrade",
        };

        if (p->object && p->package) {
                conf_error(ctx, "Object", "give either Object= or Package=, not both");
                *bad = true;
        } else if (!p->object && !p->package) {
                conf_error(ctx, "Object", "missing (give Object= or Package=)");
                *bad = true;
        } else if (p->package && !p->version) {
                conf_error(ctx, "Version", "missing (Package= needs a Version=)");
                *bad = true;
        }
        if (p->codename && p->layout != PACKAGE_LAYOUT_L3AF)
                conf_warning(ctx, "Codename", "ignored without RepositoryLayout=l3af");
        if (!p->package)
                for (size_t i = 0; i < ELEMENTSOF(keys_need_package); i++)
                        if (g_key_file_has_key(kf, PROGRAM_GROUP, keys_need_package[i], NULL))
                                conf_warning(ctx, keys_need_package[i], "ignored without Package=");

        if (p->object && !g_path_is_absolute(p->object)) {
                g_autofree char *dir = g_path_get_dirname(ctx->file);
                char *abs = g_build_filename(dir, p->object, NULL);

                g_free(p->object);
                p->object = abs;
        }
}

/* Type=, Mode= and TCXPass= against the hook. */
static void check_hook(ProgramSpec *p, const ConfContext *ctx, bool *bad)
{
        if (p->hook < 0)
                return;
        if (p->type && !program_type_matches_hook(p->type, p->hook)) {
                conf_error(ctx, "Type", "'%s' cannot run on hook %s (expected %s)", p->type,
                           hook_to_string(p->hook), p->hook == HOOK_XDP ? "xdp" : "tc");
                *bad = true;
        }
        if (p->mode_set && p->hook != HOOK_XDP && p->mode != XDP_MODE_AUTO) {
                conf_error(ctx, "Mode", "only XDP chains have a mode");
                *bad = true;
        }
        if (p->tcx_pass_set && p->hook == HOOK_XDP) {
                conf_error(ctx, "TCXPass", "only chains on tc-ingress and tc-egress have a tcx verdict");
                *bad = true;
        }
}

/* The [Map NAME] groups: initial entries, in file order; other groups are warned about. */
static void parse_map_groups(GKeyFile *kf, ProgramSpec *p, const ConfContext *ctx, bool *bad)
{
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

        for (char **g = groups; g && *g; g++) {
                g_auto(GStrv) entries = NULL;
                const char *map;

                if (streq(*g, PROGRAM_GROUP))
                        continue;
                if (streq(*g, COMPANION_GROUP)) {
                        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
                        g_autofree char *error = NULL;

                        if (companion_spec_parse(kf, *g, warnings, &p->companion, &error) < 0) {
                                problems_add(ctx->problems, false, ctx->file, ctx->chain, NULL, NULL, "%s", error);
                                *bad = true;
                        } else if (!p->package && !g_path_is_absolute(p->companion->exec[0])) {
                                problems_add(ctx->problems, false, ctx->file, ctx->chain, COMPANION_GROUP, "ExecStart",
                                             "'%s' is relative: only a Package= has files to be relative to",
                                             p->companion->exec[0]);
                                *bad = true;
                        }
                        for (guint i = 0; i < warnings->len; i++)
                                problems_add(ctx->problems, true, ctx->file, ctx->chain, NULL, NULL, "%s",
                                             (char *) warnings->pdata[i]);
                        continue;
                }
                if (g_str_has_prefix(*g, METRIC_GROUP_PREFIX)) {
                        MetricSpec *m = NULL;

                        if (p->metrics->len >= METRICS_PER_PROGRAM_MAX) {
                                problems_add(ctx->problems, false, ctx->file, ctx->chain, *g, NULL,
                                             "more than %d metrics in one file", METRICS_PER_PROGRAM_MAX);
                                *bad = true;
                        } else if (metric_spec_parse(kf, *g, ctx->file, ctx->chain, ctx->problems, &m) < 0)
                                *bad = true;
                        else if (m->program) {
                                problems_add(ctx->problems, false, ctx->file, ctx->chain, *g, "Program",
                                             "only a package manifest names the program; a drop-in's metrics are "
                                             "its program's");
                                metric_spec_free(m);
                                *bad = true;
                        } else
                                g_ptr_array_add(p->metrics, m);
                        continue;
                }
                if (!g_str_has_prefix(*g, MAP_GROUP_PREFIX)) {
                        problems_add(ctx->problems, true, ctx->file, ctx->chain, *g, NULL, "unknown group, ignored");
                        continue;
                }
                map = *g + strlen(MAP_GROUP_PREFIX);
                if (!map_name_is_valid(map)) {
                        problems_add(ctx->problems, false, ctx->file, ctx->chain, *g, NULL,
                                     "'%s' is not a valid map name (%s)", map, MAP_NAME_RULE);
                        *bad = true;
                        continue;
                }
                entries = g_key_file_get_keys(kf, *g, NULL, NULL);
                for (char **k = entries; k && *k; k++) {
                        g_autofree char *v = g_key_file_get_value(kf, *g, *k, NULL);
                        MapEntrySpec *m;

                        if (p->maps->len >= MAX_MAP_ENTRIES_PER_FILE) {
                                problems_add(ctx->problems, false, ctx->file, ctx->chain, *g, *k,
                                             "more than %d map entries in one file", MAX_MAP_ENTRIES_PER_FILE);
                                *bad = true;
                                break;
                        }
                        if (!v || strlen(v) > MAX_VALUE_LENGTH) {
                                problems_add(ctx->problems, false, ctx->file, ctx->chain, *g, *k,
                                             "value missing or too long");
                                *bad = true;
                                continue;
                        }
                        m = g_new0(MapEntrySpec, 1);
                        m->map = g_strdup(map);
                        m->key = g_strdup(*k);
                        m->value = g_strstrip(TAKE_PTR(v));
                        g_ptr_array_add(p->maps, m);
                }
        }
}

/*
 * Hook= as the key table parses it: a chain's hook, or, with no Interface=,
 * a kind of probe. Nothing is reported here: check_target() does, in the
 * order an administrator reads them (the interface first).
 */
int config_parse_hook(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        ProgramSpec *p = container_of(field, ProgramSpec, hook);

        p->hook = hook_from_string(value);
        p->kind = probe_kind_from_string(value);
        p->standalone = p->hook < 0 && p->kind >= 0;
        p->hook_given = true;
        p->hook_known = p->hook >= 0 || p->kind >= 0;
        return 0;
}

/* Interface=, Hook= and Attach=: a chain program, or a probe on its own. */
static void check_target(GKeyFile *kf, ProgramSpec *p, const ConfContext *ctx, bool interface_bad, bool *bad)
{
        g_autofree char *hook_text = g_key_file_get_string(kf, PROGRAM_GROUP, "Hook", NULL);

        if (p->standalone) {
                for (const char *const *k = chain_only_keys; *k; k++)
                        if (g_key_file_has_key(kf, PROGRAM_GROUP, *k, NULL)) {
                                conf_error(ctx, *k, "a probe on its own (Hook=%s) takes no %s=", hook_text, *k);
                                *bad = true;
                        }
                if (p->attach) {
                        g_autofree char *why = NULL;

                        if (!probe_target_is_valid(p->kind, p->attach, &why)) {
                                conf_error(ctx, "Attach", "%s", why);
                                *bad = true;
                        }
                }
        } else if (!p->ifname && !interface_bad) {
                /* Absent, empty, or not text (a value GKeyFile cannot read as UTF-8). */
                conf_error(ctx, "Interface", "missing");
                *bad = true;
        }
        if (!p->standalone && g_key_file_has_key(kf, PROGRAM_GROUP, "Attach", NULL)) {
                conf_error(ctx, "Attach", "only a probe on its own (Hook=tracepoint, uprobe, ...) takes Attach=");
                *bad = true;
        }
        if (!p->hook_given) {
                conf_error(ctx, "Hook", "missing (one of %s)", p->ifname ? CHAIN_HOOKS_TEXT : HOOKS_TEXT);
                *bad = true;
        } else if (!p->hook_known) {
                conf_error(ctx, "Hook", "unknown hook '%s' (one of %s)", hook_text,
                           p->ifname ? CHAIN_HOOKS_TEXT : HOOKS_TEXT);
                *bad = true;
        } else if (p->standalone && p->ifname) {
                conf_error(ctx, "Interface", "a probe (Hook=%s) attaches to no interface; remove Interface=",
                           hook_text);
                *bad = true;
        }
}

int dropin_parse_keyfile(GKeyFile *kf, const char *path, GPtrArray *problems, ProgramSpec **ret)
{
        static const char *const chain_keys[] = { "Interface", "Hook", "Attach", "Name", NULL };
        g_autoptr(ProgramSpec) p = g_new0(ProgramSpec, 1);
        g_autofree char *probe = NULL;
        guint probe_since = 0;
        ChainId chain;
        ConfContext ctx = {
                .file = path,
                .group = PROGRAM_GROUP,
                .empty_is_unset = true,
                .value_max = MAX_VALUE_LENGTH,
                .value_max_message = "value is %zu bytes long, the limit is %zu",
                .problems = problems,
        };
        bool bad = false, interface_bad;

        p->source = g_strdup(path);
        p->maps = g_ptr_array_new_with_free_func((GDestroyNotify) map_entry_spec_free);
        p->metrics = g_ptr_array_new_with_free_func((GDestroyNotify) metric_spec_free);
        p->hook = _HOOK_INVALID;
        p->kind = _PROBE_KIND_INVALID;
        p->priority = 100;

        if (!g_key_file_has_group(kf, PROGRAM_GROUP)) {
                problems_add(problems, false, path, NULL, NULL, NULL, "no [Program] group");
                return -EINVAL;
        }

        /* Interface and hook first: they name the chain the other problems block. */
        interface_bad = conf_parse_key(kf, conf_key_lookup(conf_keys, CONF_DROPIN_PROGRAM, "Interface"), &ctx, p) < 0;
        if (conf_parse_key(kf, conf_key_lookup(conf_keys, CONF_DROPIN_PROGRAM, "Hook"), &ctx, p) < 0 || interface_bad)
                bad = true;
        if (p->standalone) {
                g_autofree char *name = g_key_file_get_string(kf, PROGRAM_GROUP, "Name", NULL);

                if (name && program_name_is_valid(g_strstrip(name))) {
                        probe = TAKE_PTR(name);
                        probe_since = problems->len;
                }
        } else if (program_spec_chain_id(p, &chain) >= 0)
                ctx.chain = &chain;
        if (conf_parse_key(kf, conf_key_lookup(conf_keys, CONF_DROPIN_PROGRAM, "Attach"), &ctx, p) < 0)
                bad = true;
        check_target(kf, p, &ctx, interface_bad, &bad);
        if (conf_parse_key(kf, conf_key_lookup(conf_keys, CONF_DROPIN_PROGRAM, "Name"), &ctx, p) < 0)
                bad = true;

        if (conf_parse_group(kf, conf_keys, CONF_DROPIN_PROGRAM, &ctx, p, chain_keys) < 0)
                bad = true;
        check_source(kf, p, &ctx, &bad);
        check_hook(p, &ctx, &bad);
        parse_map_groups(kf, p, &ctx, &bad);
        /* What a probe on its own's drop-in gets wrong holds back that probe. */
        if (probe)
                problems_set_probe(problems, probe_since, probe);

        if (bad)
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}
