/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * l3afctl import-l3af: L3AF's configuration (the JSON payload of its update
 * API, models.L3afBPFPrograms in l3af-project/l3afd) as l3afd drop-ins. See
 * l3afctl(1), "IMPORTING L3AF CONFIGURATION", for the mapping.
 *
 * Everything is read and checked before anything is written: a payload with
 * an error writes nothing. The drop-ins are written under temporary names
 * and renamed into place only when all of them were written.
 */
#include <fcntl.h>
#include <getopt.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf-util.h"
#include "dropin.h"
#include "l3afctl-import.h"
#include "manifest.h"
#include "pin-path.h"
#include "semver.h"
#include "util.h"

#define IMPORT_FILES_MAX 4096

/* One of L3AF's four program lists. */
typedef struct ListKind {
        const char *json;       /* member of bpf_programs */
        const char *hook;       /* Hook=, NULL for probes: from prog_type */
        const char *prog_type;  /* what L3AF's prog_type says for this list */
} ListKind;

static const ListKind lists[] = {
        { "xdp_ingress", "xdp", "xdp" },
        { "tc_ingress", "tc-ingress", "tc" },
        { "tc_egress", "tc-egress", "tc" },
        { "probes", NULL, NULL },
};

/* The probe kinds a drop-in's Hook= names (l3af.d(5)), as L3AF's prog_type may say them. */
static const char *const probe_kinds[] = {
        "tracepoint", "raw_tracepoint", "uprobe", "uretprobe", "kprobe", "kretprobe", NULL,
};

/* Fields of a program that l3afd cannot express yet, and why. */
static const struct {
        const char *field;
        const char *why;
} unexpressed[] = {
        { "cmd_start", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "cmd_stop", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "cmd_status", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "cmd_config", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "cmd_update", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "user_program_daemon", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "is_plugin", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "cpu", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "memory", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "start_args", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "stop_args", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "status_args", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "update_args", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "config_args", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "rules_file", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "rules", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "config_file_path", "not imported: declare the companion in a [Companion] group (l3af.d(5))" },
        { "monitor_maps", "metrics maps are not supported yet" },
        { "id", "L3AF's own bookkeeping; a drop-in needs none" },
        { "cfg_version", "L3AF's own bookkeeping; a drop-in needs none" },
};

typedef struct ImportFile {
        char *name;     /* file name in the target directory */
        char *text;
} ImportFile;

typedef struct Import {
        const char *input;
        const char *host;         /* --host=, or NULL: every host of the payload */
        GPtrArray *files;         /* ImportFile */
        GHashTable *names;        /* file names taken */
        unsigned errors;
} Import;

static void import_file_free(ImportFile *f)
{
        g_free(f->name);
        g_free(f->text);
        g_free(f);
}

_printf_(2, 3) static void import_error(Import *im, const char *format, ...)
                                        {
                                        va_list ap;

        va_start(ap, format);
        fprintf(stderr, "%s: ", im->input);
        vfprintf(stderr, format, ap);
        fputc('\n', stderr);
        va_end(ap);
        im->errors++;
}

/* True for a member that holds nothing: null, "", false, 0, [] or {}. */
static bool node_is_empty(JsonNode *n)
{
        switch (json_node_get_node_type(n)) {
        case JSON_NODE_NULL:
                return true;
        case JSON_NODE_ARRAY:
                return json_array_get_length(json_node_get_array(n)) == 0;
        case JSON_NODE_OBJECT:
                return json_object_get_size(json_node_get_object(n)) == 0;
        case JSON_NODE_VALUE:
                switch (json_node_get_value_type(n)) {
                case G_TYPE_STRING:
                        return isempty(json_node_get_string(n));
                case G_TYPE_BOOLEAN:
                        return !json_node_get_boolean(n);
                case G_TYPE_INT64:
                        return json_node_get_int(n) == 0;
                case G_TYPE_DOUBLE:
                        return json_node_get_double(n) == 0;
                default:
                        return false;
                }
        }
        return false;
}

/* A member as text: strings as they are, integers in decimal; NULL when absent or empty. */
static char *member_text(JsonObject *o, const char *name, bool *ret_bad)
{
        JsonNode *n = json_object_get_member(o, name);

        if (!n || node_is_empty(n))
                return NULL;
        if (JSON_NODE_HOLDS_VALUE(n)) {
                if (json_node_get_value_type(n) == G_TYPE_STRING)
                        return g_strdup(json_node_get_string(n));
                if (json_node_get_value_type(n) == G_TYPE_INT64)
                        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
        }
        *ret_bad = true;
        return NULL;
}

/* What a node is, in JSON's words. */
static const char *node_kind(JsonNode *n)
{
        switch (json_node_get_node_type(n)) {
        case JSON_NODE_OBJECT:
                return "an object";
        case JSON_NODE_ARRAY:
                return "a list";
        case JSON_NODE_NULL:
                return "null";
        default:
                return json_node_get_value_type(n) == G_TYPE_STRING ? "a string" : "a number or boolean";
        }
}

/* A compact JSON rendering of a member, for messages. */
static char *member_json(JsonNode *n)
{
        g_autofree char *s = json_to_string(n, FALSE);

        if (strlen(s) > 80)
                return g_strdup_printf("%.77s...", s);
        return TAKE_PTR(s);
}

/* An integer or a string as text, 0 and "" included; NULL for anything else. */
static char *scalar_text(JsonNode *n)
{
        if (!n || !JSON_NODE_HOLDS_VALUE(n))
                return NULL;
        if (json_node_get_value_type(n) == G_TYPE_INT64)
                return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
        if (json_node_get_value_type(n) == G_TYPE_STRING)
                return g_strdup(json_node_get_string(n));
        return NULL;
}

/* One element of map_args: {"name": MAP, "args": [{"key": K, "value": V}, ...]} -> [Map MAP] K=V... */
static int map_arg_to_group(Import *im, const char *where, guint i, JsonNode *e, GString *out)
{
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        JsonNode *args = o ? json_object_get_member(o, "args") : NULL;
        JsonArray *a = args && JSON_NODE_HOLDS_ARRAY(args) ? json_node_get_array(args) : NULL;
        g_autofree char *map = NULL;
        bool bad = false;

        map = o ? member_text(o, "name", &bad) : NULL;
        /* The rule the drop-in's [Map NAME] is read by (pin-path.h), so l3afd takes what this writes. */
        if (!map || bad || !map_name_is_valid(map)) {
                import_error(im, "%s: map_args[%u].name: missing or not a map name (%s)", where, i, MAP_NAME_RULE);
                return -EINVAL;
        }
        if (args && !node_is_empty(args) && !a) {
                import_error(im, "%s: map_args[%u].args: expected a list of {\"key\": K, \"value\": V}", where, i);
                return -EINVAL;
        }
        g_string_append_printf(out, "\n[Map %s]\n", map);
        for (guint k = 0; a && k < json_array_get_length(a); k++) {
                JsonNode *kv = json_array_get_element(a, k);
                JsonObject *kvo = JSON_NODE_HOLDS_OBJECT(kv) ? json_node_get_object(kv) : NULL;
                g_autofree char *key = kvo ? scalar_text(json_object_get_member(kvo, "key")) : NULL;
                g_autofree char *value = kvo ? scalar_text(json_object_get_member(kvo, "value")) : NULL;

                if (isempty(key) || !value || strpbrk(key, "=[]\n") || strchr(value, '\n')) {
                        import_error(im, "%s: map_args[%u].args[%u]: expected {\"key\": K, \"value\": V} with K "
                                     "and V integers or strings", where, i, k);
                        return -EINVAL;
                }
                g_string_append_printf(out, "%s=%s\n", key, value);
        }
        return 0;
}

/* map_args (L3AF's models.L3afDMapArg list) -> [Map] groups. */
static int map_args_to_groups(Import *im, const char *where, JsonNode *n, GString *out)
{
        JsonArray *a;
        int r;

        if (!n || node_is_empty(n))
                return 0;
        if (!JSON_NODE_HOLDS_ARRAY(n)) {
                import_error(im, "%s: map_args: expected a list of {\"name\": MAP, \"args\": [{\"key\": K, "
                             "\"value\": V}]} (L3AF's models.L3afDMapArg), got %s", where, node_kind(n));
                return -EINVAL;
        }
        a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                r = map_arg_to_group(im, where, i, json_array_get_element(a, i), out);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool handled_field(const char *field)
{
        static const char *const handled[] = {
                "name", "seq_id", "artifact", "version", "ebpf_package_repo_url", "map_name", "object_file",
                "entry_function_name", "map_args", "admin_status", "prog_type", NULL,
        };

        return g_strv_contains(handled, field);
}

/* Lists, field by field, what the drop-in does not say. */
static void list_unexpressed(const Import *im, const char *where, JsonObject *o, bool probe)
{
        g_autoptr(GList) members = json_object_get_members(o);

        for (GList *l = members; l; l = l->next) {
                const char *field = l->data;
                JsonNode *n = json_object_get_member(o, field);
                g_autofree char *value = NULL;
                const char *why = NULL;

                if (node_is_empty(n))
                        continue;
                if (probe && (streq(field, "seq_id") || streq(field, "map_name")))
                        why = "a probe is not part of a chain";
                else if (handled_field(field))
                        continue;
                for (size_t i = 0; !why && i < ELEMENTSOF(unexpressed); i++)
                        if (streq(field, unexpressed[i].field))
                                why = unexpressed[i].why;
                value = member_json(n);
                fprintf(stderr, "%s: %s: %s=%s not expressed: %s\n", im->input, where, field, value,
                        why ? why : "unknown field");
        }
}

static void add_file(Import *im, char *name, char *text)
{
        ImportFile *f = g_new0(ImportFile, 1);

        f->name = name;
        f->text = text;
        g_hash_table_add(im->names, g_strdup(name));
        g_ptr_array_add(im->files, f);
}

/* Where in the payload a program is, for messages: "[HOST ]IFACE LIST[INDEX][ NAME]". */
static char *describe_where(const char *host, const char *iface, const ListKind *list, guint index, const char *name)
{
        return g_strdup_printf("%s%s%s%s%s[%u]%s%s", host ? host : "", host ? " " : "", iface ? iface : "",
                               iface ? " " : "", list->json, index, name ? " " : "", name ? name : "");
}

/* The fields that say where the package is: ebpf_package_repo_url, artifact, object_file, each checked. */
static void read_package_fields(Import *im, const char *where, JsonObject *o, bool *bad, char **ret_repo,
                                char **ret_artifact, char **ret_object_file)
{
        char *repo, *artifact, *object_file;

        repo = member_text(o, "ebpf_package_repo_url", bad);
        while (repo && g_str_has_suffix(repo, "/"))
                repo[strlen(repo) - 1] = 0;
        if (repo && !g_str_has_prefix(repo, "file:///") && !g_str_has_prefix(repo, "http://") &&
            !g_str_has_prefix(repo, "https://"))
                import_error(im, "%s: ebpf_package_repo_url: '%s' is not a file:///, http:// or https:// URL", where,
                             repo);

        artifact = member_text(o, "artifact", bad);
        if (artifact && !artifact_name_is_valid(artifact))
                import_error(im, "%s: artifact: '%s' is not a file name", where, artifact);
        object_file = member_text(o, "object_file", bad);
        if (object_file && !package_relative_path_is_valid(object_file))
                import_error(im, "%s: object_file: '%s' is not a relative path in the package", where, object_file);
        *ret_repo = repo;
        *ret_artifact = artifact;
        *ret_object_file = object_file;
}

/* What import_program() read of one L3AF program, for its drop-in. */
typedef struct ImportedProgram {
        const char *input, *where;     /* the file read, and where in it (for the opening comment) */
        const char *name, *iface, *hook, *prog_type;
        const char *version, *repo, *artifact, *object_file, *entry, *next_map;
        bool probe;                    /* a probe on its own: no Interface=, Priority=, Type=, NextMap= */
        bool priority_given;
        gint64 priority;
} ImportedProgram;

/* The drop-in's opening comment and its [Program] group, in l3af.d(5)'s terms. */
static GString *program_group(const ImportedProgram p)
{
        GString *text = g_string_new(NULL);
        g_autofree char *default_artifact = g_strdup_printf("l3af_%s.tar.gz", p.name);

        g_string_append_printf(text, "# Written by l3afctl import-l3af from %s: %s.\n", p.input, p.where);
        if (p.probe)
                g_string_append(text, "# The probe attaches where its object's section names (SEC(\"...\")), as "
                                "in L3AF.\n");
        g_string_append_printf(text, "[Program]\nName=%s\n", p.name);
        if (!p.probe)
                g_string_append_printf(text, "Interface=%s\n", p.iface);
        g_string_append_printf(text, "Hook=%s\n", p.hook);
        if (!p.probe && p.priority_given)
                g_string_append_printf(text, "Priority=%" G_GINT64_FORMAT "\n", p.priority);
        g_string_append_printf(text, "Package=%s\nVersion=%s\n", p.name, strempty(p.version));
        if (p.repo)
                g_string_append_printf(text, "Repository=%s\n", p.repo);
        g_string_append(text, "RepositoryLayout=l3af\n");
        if (p.artifact && !streq(p.artifact, default_artifact))
                g_string_append_printf(text, "Artifact=%s\n", p.artifact);
        if (p.object_file)
                g_string_append_printf(text, "ObjectFile=%s\n", p.object_file);
        if (p.entry)
                g_string_append_printf(text, "Entry=%s\n", p.entry);
        if (!p.probe)
                /* L3AF's lists say the program type; its objects' section names often do not. */
                g_string_append_printf(text, "Type=%s\n", p.prog_type);
        if (p.next_map && !p.probe)
                g_string_append_printf(text, "NextMap=%s\n", p.next_map);
        return text;
}

static int import_program(Import *im, const char *host, const char *iface, const ListKind *list, guint index,
                          JsonNode *node)
{
        g_autofree char *where = NULL, *name = NULL, *version = NULL, *artifact = NULL, *repo = NULL;
        g_autofree char *next_map = NULL, *object_file = NULL, *entry = NULL, *status = NULL, *prog_type = NULL;
        g_autofree char *seq = NULL, *file = NULL;
        const char *hook = list->hook;
        g_autoptr(GString) text = NULL;
        JsonObject *o;
        bool bad = false, probe = !list->hook;
        gint64 priority = 100;
        unsigned errors = im->errors;

        where = describe_where(host, iface, list, index, NULL);
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
                import_error(im, "%s: expected an object, got %s", where, node_kind(node));
                return -EINVAL;
        }
        o = json_node_get_object(node);

        name = member_text(o, "name", &bad);
        if (!name) {
                import_error(im, "%s: name: missing", where);
                return -EINVAL;
        }
        if (!program_name_is_valid(name) || !package_name_is_valid(name)) {
                import_error(im, "%s: name: '%s' is not a valid program and package name (letters, digits, '_', "
                             "'.', '-')", where, name);
                return -EINVAL;
        }
        g_free(where);
        where = describe_where(host, iface, list, index, name);

        status = member_text(o, "admin_status", &bad);
        if (status && !streq(status, "enabled") && !streq(status, "disabled"))
                import_error(im, "%s: admin_status: '%s' is neither enabled nor disabled", where, status);
        if (streq_ptr(status, "disabled")) {
                fprintf(stderr, "%s: %s: admin_status=disabled: no drop-in written (l3afd runs what has a "
                        "drop-in)\n", im->input, where);
                return 0;
        }

        prog_type = member_text(o, "prog_type", &bad);
        if (probe) {
                if (!prog_type || !g_strv_contains(probe_kinds, prog_type)) {
                        import_error(im, "%s: prog_type: '%s' does not say the probe's kind (one of tracepoint, "
                                     "raw_tracepoint, uprobe, uretprobe, kprobe, kretprobe), which Hook= needs", where,
                                     strempty(prog_type));
                        return -EINVAL;
                }
                hook = prog_type;
        } else if (prog_type && !streq(prog_type, list->prog_type))
                import_error(im, "%s: prog_type: '%s' cannot run in %s (expected %s)", where, prog_type, list->json,
                             list->prog_type);

        /* seq_id 0 (or none) is L3AF's "unset": the drop-in's default Priority= applies. */
        seq = member_text(o, "seq_id", &bad);
        if (!probe && seq && !g_ascii_string_to_signed(seq, 10, 0, PRIORITY_MAX, &priority, NULL))
                import_error(im, "%s: seq_id: '%s' is not a number from 0 to %d", where, seq, PRIORITY_MAX);

        version = member_text(o, "version", &bad);
        if (!version)
                import_error(im, "%s: version: missing", where);
        else if (!semver_is_valid(version))
                import_error(im, "%s: version: '%s' is not a semantic version (MAJOR.MINOR.PATCH); l3afd pins versions "
                             "(rollback protection), so name the one 'latest' is now", where, version);

        read_package_fields(im, where, o, &bad, &repo, &artifact, &object_file);
        entry = member_text(o, "entry_function_name", &bad);
        next_map = member_text(o, "map_name", &bad);
        if (next_map && !map_name_is_valid(next_map))
                import_error(im, "%s: map_name: '%s' is not a valid map name (%s)", where, next_map, MAP_NAME_RULE);
        if (bad)
                import_error(im, "%s: a field holds an object or list where text or a number belongs", where);

        text = program_group((const ImportedProgram) {
                .input = im->input, .where = where, .name = name, .iface = iface, .hook = hook,
                .prog_type = list->prog_type, .version = version, .repo = repo, .artifact = artifact,
                .object_file = object_file, .entry = entry, .next_map = next_map, .probe = probe,
                .priority_given = seq != NULL, .priority = priority,
        });
        if (map_args_to_groups(im, where, json_object_get_member(o, "map_args"), text) < 0)
                return -EINVAL;

        list_unexpressed(im, where, o, probe);

        file = probe ? g_strdup_printf("l3af-probe-%s.conf", name)
                     : g_strdup_printf("l3af-%s-%s-%s.conf", iface, hook, name);
        if (g_hash_table_contains(im->names, file)) {
                import_error(im, "%s: a program named %s is already on %s %s%s", where, name, probe ? "the probes" :
                             iface, probe ? "" : hook, probe ? " list" : "");
                return -EEXIST;
        }
        if (im->errors > errors)
                return -EINVAL;
        add_file(im, TAKE_PTR(file), g_string_free(TAKE_PTR(text), FALSE));
        return 0;
}

static int import_host(Import *im, guint index, JsonNode *node)
{
        g_autofree char *host = NULL, *iface = NULL;
        JsonObject *o, *programs;
        JsonNode *bp;
        bool bad = false;

        if (!JSON_NODE_HOLDS_OBJECT(node)) {
                import_error(im, "[%u]: expected an object with host_name, iface and bpf_programs", index);
                return -EINVAL;
        }
        o = json_node_get_object(node);
        host = member_text(o, "host_name", &bad);
        if (im->host && !streq_ptr(host, im->host))
                return 0;
        iface = member_text(o, "iface", &bad);
        bp = json_object_get_member(o, "bpf_programs");
        if (!bp || node_is_empty(bp))
                return 0;
        if (!JSON_NODE_HOLDS_OBJECT(bp)) {
                import_error(im, "[%u] bpf_programs: expected an object", index);
                return -EINVAL;
        }
        programs = json_node_get_object(bp);

        for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
                JsonNode *ln = json_object_get_member(programs, lists[l].json);
                JsonArray *a;

                if (!ln || node_is_empty(ln))
                        continue;
                if (!JSON_NODE_HOLDS_ARRAY(ln)) {
                        import_error(im, "[%u] bpf_programs.%s: expected a list", index, lists[l].json);
                        continue;
                }
                if (lists[l].hook && (!iface || !ifname_is_valid(iface))) {
                        import_error(im, "[%u] iface: %s%s%s", index, iface ? "'" : "missing", strempty(iface),
                                     iface ? "' is not a valid interface name" : "");
                        return -EINVAL;
                }
                a = json_node_get_array(ln);
                for (guint i = 0; i < json_array_get_length(a); i++)
                        (void) import_program(im, host, lists[l].hook ? iface : NULL, &lists[l], i,
                                              json_array_get_element(a, i));
        }
        {
                g_autoptr(GList) members = json_object_get_members(programs);

                for (GList *m = members; m; m = m->next) {
                        bool known = false;

                        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                                known = known || streq(m->data, lists[l].json);
                        if (!known)
                                fprintf(stderr, "%s: [%u] bpf_programs.%s not expressed: unknown list\n", im->input,
                                        index, (const char *) m->data);
                }
        }
        return 0;
}

static void unlink_all(GPtrArray *tmps)
{
        for (guint i = 0; i < tmps->len; i++)
                (void) unlink(tmps->pdata[i]);
}

/* Writes every file under a temporary name, then renames them all; on failure, nothing stays. */
static int write_all(Import *im, const char *dir)
{
        g_autoptr(GPtrArray) tmps = g_ptr_array_new_with_free_func(g_free);
        _cleanup_close_ int dfd = -EBADF;
        int r;

        r = mkdir_p(dir, 0755);
        if (r < 0) {
                fprintf(stderr, "Cannot create %s: %s\n", dir, g_strerror(-r));
                return r;
        }
        for (guint i = 0; i < im->files->len; i++) {
                const ImportFile *f = im->files->pdata[i];
                g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, f->name);
                _cleanup_close_ int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
                size_t n = strlen(f->text);

                if (fd < 0) {
                        r = -errno;
                        fprintf(stderr, "Cannot create a file in %s: %s\n", dir, g_strerror(-r));
                        unlink_all(tmps);
                        return r;
                }
                g_ptr_array_add(tmps, g_strdup(tmp));
                if (write(fd, f->text, n) != (ssize_t) n || fsync(fd) < 0) {
                        r = errno ? -errno : -EIO;
                        fprintf(stderr, "Cannot write %s: %s\n", tmp, g_strerror(-r));
                        unlink_all(tmps);
                        return r;
                }
        }
        for (guint i = 0; i < im->files->len; i++) {
                const ImportFile *f = im->files->pdata[i];
                g_autofree char *path = g_build_filename(dir, f->name, NULL);

                if (rename(tmps->pdata[i], path) < 0) {
                        r = -errno;
                        /* Only reachable when the directory itself fails us; say exactly what is in place. */
                        fprintf(stderr, "Cannot rename %s to %s: %s; %u of %u drop-ins are in place\n",
                                (char *) tmps->pdata[i], path, g_strerror(-r), i, im->files->len);
                        for (guint k = i; k < tmps->len; k++)
                                (void) unlink(tmps->pdata[k]);
                        return r;
                }
                printf("Wrote %s\n", path);
        }
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;
}

static void help_import(void)
{
        printf("l3afctl import-l3af [OPTIONS...] FILE\n\n"
               "Reads an L3AF configuration payload (the JSON list of hosts with iface and\n"
               "bpf_programs) and writes the equivalent drop-ins. What they cannot express\n"
               "is listed on stderr, field by field. A payload with an error writes nothing.\n\n"
               "  -n --dry-run            Print the drop-ins instead of writing them\n"
               "  -D --directory=DIR      Write them here (default /etc/l3af.d)\n"
               "     --host=NAME          Only the entries whose host_name is NAME\n"
               "  -h --help               Show this help\n\n"
               "FILE may be '-' for standard input. Exit status: 0 when every drop-in was\n"
               "written (or printed), 1 when the payload was refused, 2 on usage errors.\n"
               "See l3afctl(1), IMPORTING L3AF CONFIGURATION.\n");
}

/* Parses the payload in 'input' ("-": standard input, at most 64 MiB). Returns 0, or -1 after saying why. */
static int load_payload(JsonParser *parser, const char *input)
{
        g_autoptr(GError) error = NULL;

        if (streq(input, "-")) {
                g_autoptr(GString) in = g_string_new(NULL);
                char buf[65536];
                ssize_t n;

                while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0 || in->len > 64 * 1024 * 1024) {
                                fprintf(stderr, "%s: cannot read: %s\n", input,
                                        n < 0 ? g_strerror(errno) : "more than 64 MiB");
                                return -1;
                        }
                        g_string_append_len(in, buf, n);
                }
                if (!json_parser_load_from_data(parser, in->str, in->len, &error)) {
                        fprintf(stderr, "%s: %s\n", input, error->message);
                        return -1;
                }
        } else if (!json_parser_load_from_file(parser, input, &error)) {
                fprintf(stderr, "%s: %s\n", input, error->message);
                return -1;
        }
        return 0;
}

int verb_import_l3af(int argc, char **argv)
{
        enum { ARG_HOST = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "dry-run", no_argument, NULL, 'n' },
                { "directory", required_argument, NULL, 'D' },
                { "host", required_argument, NULL, ARG_HOST },
                {}
        };
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) import_file_free);
        g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        Import im = { .files = files, .names = names };
        const char *dir = "/etc/l3af.d";
        bool dry_run = false;
        JsonNode *root;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "hnD:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help_import();
                        return 0;
                case 'n':
                        dry_run = true;
                        break;
                case 'D':
                        dir = optarg;
                        break;
                case ARG_HOST:
                        im.host = optarg;
                        break;
                default:
                        return 2;
                }
        if (optind != argc - 1) {
                fprintf(stderr, "l3afctl import-l3af takes one FILE. See --help.\n");
                return 2;
        }
        im.input = argv[optind];
        if (load_payload(parser, im.input) < 0)
                return 1;
        root = json_parser_get_root(parser);
        if (root && JSON_NODE_HOLDS_OBJECT(root))
                (void) import_host(&im, 0, root);   /* one host, not in a list */
        else if (root && JSON_NODE_HOLDS_ARRAY(root)) {
                JsonArray *a = json_node_get_array(root);

                for (guint i = 0; i < json_array_get_length(a); i++)
                        (void) import_host(&im, i, json_array_get_element(a, i));
        } else {
                fprintf(stderr, "%s: expected L3AF's list of hosts ([{\"host_name\": ..., \"iface\": ..., "
                        "\"bpf_programs\": {...}}])\n", im.input);
                return 1;
        }
        if (im.files->len > IMPORT_FILES_MAX)
                import_error(&im, "%u programs, more than %d", im.files->len, IMPORT_FILES_MAX);
        if (im.errors > 0) {
                fprintf(stderr, "%s: refused (%u error%s); nothing written.\n", im.input, im.errors,
                        im.errors == 1 ? "" : "s");
                return 1;
        }
        if (im.files->len == 0) {
                fprintf(stderr, "%s: no enabled program%s; nothing to write.\n", im.input,
                        im.host ? " for this host" : "");
                return 0;
        }
        if (dry_run) {
                for (guint i = 0; i < im.files->len; i++) {
                        const ImportFile *f = im.files->pdata[i];

                        printf("%s# %s/%s\n%s", i ? "\n" : "", dir, f->name, f->text);
                }
                return 0;
        }
        if (write_all(&im, dir) < 0)
                return 1;
        printf("Apply them with: l3afctl reload (or systemctl reload l3afd)\n");
        return 0;
}
