/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <net/if.h>

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

void program_spec_free(ProgramSpec *p)
{
        if (!p)
                return;
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

char *chain_key(const char *ifname, Hook hook)
{
        return g_strdup_printf("%s/%s", ifname, hook_to_string(hook));
}

static const char *const program_keys[] = {
        "Name", "Interface", "Hook", "Priority", "Object", "Package", "Version",
        "Repository", "Artifact", "RepositoryLayout", "Codename", "Folder", "ObjectFile", "AllowDowngrade", "Entry",
        "Type", "NextMap", "Mode", "OnForeignProgram", "TCXPass", NULL,
};

/* Reads an optional string key; an empty value counts as unset. */
static char *get_string(GKeyFile *kf, const char *key, const char *path, GPtrArray *problems,
                        const char *chain, bool *bad)
{
        g_autofree char *v = g_key_file_get_string(kf, PROGRAM_GROUP, key, NULL);

        if (v && strlen(v) > MAX_VALUE_LENGTH) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, key,
                             "value is %zu bytes long, the limit is %d", strlen(v), MAX_VALUE_LENGTH);
                *bad = true;
                return NULL;
        }
        if (isempty(v))
                return NULL;
        return TAKE_PTR(v);
}

static bool type_matches_hook(const char *type, Hook hook)
{
        if (hook == HOOK_XDP)
                return streq(type, "xdp");
        return streq(type, "tc") || streq(type, "sched_cls") || streq(type, "tcx");
}

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

int dropin_parse_keyfile(GKeyFile *kf, const char *path, GPtrArray *problems, ProgramSpec **ret)
{
        g_autoptr(ProgramSpec) p = g_new0(ProgramSpec, 1);
        g_autofree char *chain = NULL, *hook_text = NULL, *prio_text = NULL, *mode_text = NULL, *foreign = NULL;
        g_autofree char *tcx_pass = NULL;
        g_autofree char *layout_text = NULL;
        g_auto(GStrv) groups = NULL, keys = NULL;
        bool bad = false;

        p->source = g_strdup(path);
        p->maps = g_ptr_array_new_with_free_func((GDestroyNotify) map_entry_spec_free);
        p->metrics = g_ptr_array_new_with_free_func((GDestroyNotify) metric_spec_free);
        p->hook = _HOOK_INVALID;

        if (!g_key_file_has_group(kf, PROGRAM_GROUP)) {
                problems_add(problems, false, path, NULL, NULL, NULL, "no [Program] group");
                return -EINVAL;
        }

        /* Interface and hook first: they name the chain the other problems block. */
        p->ifname = get_string(kf, "Interface", path, problems, NULL, &bad);
        hook_text = get_string(kf, "Hook", path, problems, NULL, &bad);
        if (hook_text)
                p->hook = hook_from_string(hook_text);
        if (p->ifname && ifname_is_valid(p->ifname) && p->hook >= 0)
                chain = chain_key(p->ifname, p->hook);

        if (!p->ifname) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Interface", "missing");
                bad = true;
        } else if (!ifname_is_valid(p->ifname)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Interface",
                             "'%s' is not a valid interface name", p->ifname);
                bad = true;
        }
        if (!hook_text) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Hook",
                             "missing (one of xdp, tc-ingress, tc-egress)");
                bad = true;
        } else if (p->hook < 0) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Hook",
                             "unknown hook '%s' (one of xdp, tc-ingress, tc-egress)", hook_text);
                bad = true;
        }

        p->name = get_string(kf, "Name", path, problems, chain, &bad);
        if (!p->name) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Name", "missing");
                bad = true;
        } else if (!program_name_is_valid(p->name)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Name",
                             "'%s' is not a valid name (letters, digits, '_', '.', '-'; at most %d)",
                             p->name, PROGRAM_NAME_MAX);
                bad = true;
        }

        prio_text = get_string(kf, "Priority", path, problems, chain, &bad);
        if (prio_text) {
                gint64 v;

                if (!g_ascii_string_to_signed(prio_text, 10, 0, PRIORITY_MAX, &v, NULL)) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "Priority",
                                     "'%s' is not a number from 0 to %d", prio_text, PRIORITY_MAX);
                        bad = true;
                } else
                        p->priority = (int) v;
        } else
                p->priority = 100;

        p->object = get_string(kf, "Object", path, problems, chain, &bad);
        p->package = get_string(kf, "Package", path, problems, chain, &bad);
        p->version = get_string(kf, "Version", path, problems, chain, &bad);
        p->repository = get_string(kf, "Repository", path, problems, chain, &bad);
        if (p->object && p->package) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Object",
                             "give either Object= or Package=, not both");
                bad = true;
        } else if (!p->object && !p->package) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Object",
                             "missing (give Object= or Package=)");
                bad = true;
        } else if (p->package && !p->version) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Version",
                             "missing (Package= needs a Version=)");
                bad = true;
        }
        p->artifact = get_string(kf, "Artifact", path, problems, chain, &bad);
        if (p->artifact && (strchr(p->artifact, '/') || streq(p->artifact, ".") || streq(p->artifact, ".."))) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Artifact",
                             "'%s' is not a file name", p->artifact);
                bad = true;
        }
        layout_text = get_string(kf, "RepositoryLayout", path, problems, chain, &bad);
        if (layout_text) {
                p->layout = package_layout_from_string(layout_text);
                if (p->layout < 0) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "RepositoryLayout",
                                     "unknown layout '%s' (l3afd or l3af)", layout_text);
                        bad = true;
                }
        }
        p->codename = get_string(kf, "Codename", path, problems, chain, &bad);
        if (p->codename && !codename_is_valid(p->codename)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Codename",
                             "'%s' is not a distribution codename (letters, digits, '_', '.', '-')", p->codename);
                bad = true;
        }
        if (p->codename && p->layout != PACKAGE_LAYOUT_L3AF)
                problems_add(problems, true, path, chain, PROGRAM_GROUP, "Codename",
                             "ignored without RepositoryLayout=l3af");
        p->folder = get_string(kf, "Folder", path, problems, chain, &bad);
        if (p->folder && !package_relative_path_is_valid(p->folder)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Folder",
                             "'%s' is not a relative path inside the package (no leading '/', no '..')", p->folder);
                bad = true;
        }
        p->object_file = get_string(kf, "ObjectFile", path, problems, chain, &bad);
        if (p->object_file && !package_relative_path_is_valid(p->object_file)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "ObjectFile",
                             "'%s' is not a relative path inside the package (no leading '/', no '..')",
                             p->object_file);
                bad = true;
        }
        if (g_key_file_has_key(kf, PROGRAM_GROUP, "AllowDowngrade", NULL)) {
                g_autofree char *v = g_key_file_get_string(kf, PROGRAM_GROUP, "AllowDowngrade", NULL);
                int b = parse_boolean(v ? g_strstrip(v) : NULL);

                p->allow_downgrade = b > 0;
                if (b < 0) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "AllowDowngrade",
                                     "not a boolean (yes or no)");
                        bad = true;
                }
        }
        if (!p->package) {
                const char *const keys_need_package[] = { "Repository", "Artifact", "RepositoryLayout", "Codename",
                                                          "Folder", "ObjectFile", "AllowDowngrade" };

                for (size_t i = 0; i < ELEMENTSOF(keys_need_package); i++)
                        if (g_key_file_has_key(kf, PROGRAM_GROUP, keys_need_package[i], NULL))
                                problems_add(problems, true, path, chain, PROGRAM_GROUP, keys_need_package[i],
                                             "ignored without Package=");
        }

        if (p->object && !g_path_is_absolute(p->object)) {
                g_autofree char *dir = g_path_get_dirname(path);
                char *abs = g_build_filename(dir, p->object, NULL);

                g_free(p->object);
                p->object = abs;
        }

        p->entry = get_string(kf, "Entry", path, problems, chain, &bad);
        p->next_map = get_string(kf, "NextMap", path, problems, chain, &bad);
        if (p->next_map && !map_name_is_valid(p->next_map)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "NextMap",
                             "'%s' is not a valid map name (%s)", p->next_map, MAP_NAME_RULE);
                bad = true;
        }
        p->type = get_string(kf, "Type", path, problems, chain, &bad);
        if (p->type && p->hook >= 0 && !type_matches_hook(p->type, p->hook)) {
                problems_add(problems, false, path, chain, PROGRAM_GROUP, "Type",
                             "'%s' cannot run on hook %s (expected %s)", p->type,
                             hook_to_string(p->hook), p->hook == HOOK_XDP ? "xdp" : "tc");
                bad = true;
        }

        mode_text = get_string(kf, "Mode", path, problems, chain, &bad);
        if (mode_text) {
                p->mode = xdp_mode_from_string(mode_text);
                p->mode_set = true;
                if (p->mode < 0) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "Mode",
                                     "unknown mode '%s' (one of auto, native, generic)", mode_text);
                        bad = true;
                } else if (p->hook >= 0 && p->hook != HOOK_XDP && p->mode != XDP_MODE_AUTO) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "Mode",
                                     "only XDP chains have a mode");
                        bad = true;
                }
        }

        foreign = get_string(kf, "OnForeignProgram", path, problems, chain, &bad);
        if (foreign) {
                p->on_foreign = foreign_policy_from_string(foreign);
                p->on_foreign_set = true;
                if (p->on_foreign < 0) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "OnForeignProgram",
                                     "unknown policy '%s' (log or restore)", foreign);
                        bad = true;
                }
        }

        tcx_pass = get_string(kf, "TCXPass", path, problems, chain, &bad);
        if (tcx_pass) {
                p->tcx_pass = tcx_pass_policy_from_string(tcx_pass);
                p->tcx_pass_set = true;
                if (p->tcx_pass < 0) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "TCXPass",
                                     "unknown value '%s' (next: TC_ACT_OK goes on to later tcx programs and tc "
                                     "filters; pass: TC_ACT_OK ends tcx processing)", tcx_pass);
                        bad = true;
                } else if (p->hook == HOOK_XDP) {
                        problems_add(problems, false, path, chain, PROGRAM_GROUP, "TCXPass",
                                     "only chains on tc-ingress and tc-egress have a tcx verdict");
                        bad = true;
                }
        }

        keys = g_key_file_get_keys(kf, PROGRAM_GROUP, NULL, NULL);
        for (char **k = keys; k && *k; k++)
                if (!g_strv_contains(program_keys, *k))
                        problems_add(problems, true, path, chain, PROGRAM_GROUP, *k, "unknown key, ignored");

        groups = g_key_file_get_groups(kf, NULL);
        for (char **g = groups; g && *g; g++) {
                g_auto(GStrv) entries = NULL;
                const char *map;

                if (streq(*g, PROGRAM_GROUP))
                        continue;
                if (g_str_has_prefix(*g, METRIC_GROUP_PREFIX)) {
                        MetricSpec *m = NULL;

                        if (p->metrics->len >= METRICS_PER_PROGRAM_MAX) {
                                problems_add(problems, false, path, chain, *g, NULL,
                                             "more than %d metrics in one file", METRICS_PER_PROGRAM_MAX);
                                bad = true;
                        } else if (metric_spec_parse(kf, *g, path, chain, problems, &m) < 0)
                                bad = true;
                        else if (m->program) {
                                problems_add(problems, false, path, chain, *g, "Program",
                                             "only a package manifest names the program; a drop-in's metrics are "
                                             "its program's");
                                metric_spec_free(m);
                                bad = true;
                        } else
                                g_ptr_array_add(p->metrics, m);
                        continue;
                }
                if (!g_str_has_prefix(*g, MAP_GROUP_PREFIX)) {
                        problems_add(problems, true, path, chain, *g, NULL, "unknown group, ignored");
                        continue;
                }
                map = *g + strlen(MAP_GROUP_PREFIX);
                if (!map_name_is_valid(map)) {
                        problems_add(problems, false, path, chain, *g, NULL, "'%s' is not a valid map name (%s)",
                                     map, MAP_NAME_RULE);
                        bad = true;
                        continue;
                }
                entries = g_key_file_get_keys(kf, *g, NULL, NULL);
                for (char **k = entries; k && *k; k++) {
                        g_autofree char *v = g_key_file_get_value(kf, *g, *k, NULL);
                        MapEntrySpec *m;

                        if (p->maps->len >= MAX_MAP_ENTRIES_PER_FILE) {
                                problems_add(problems, false, path, chain, *g, *k,
                                             "more than %d map entries in one file", MAX_MAP_ENTRIES_PER_FILE);
                                bad = true;
                                break;
                        }
                        if (!v || strlen(v) > MAX_VALUE_LENGTH) {
                                problems_add(problems, false, path, chain, *g, *k, "value missing or too long");
                                bad = true;
                                continue;
                        }
                        m = g_new0(MapEntrySpec, 1);
                        m->map = g_strdup(map);
                        m->key = g_strdup(*k);
                        m->value = g_strstrip(TAKE_PTR(v));
                        g_ptr_array_add(p->maps, m);
                }
        }

        if (bad)
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}
