/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "conf-parser.h"
#include "manifest.h"
#include "pin-path.h"
#include "problem.h"
#include "semver.h"
#include "util.h"

#define PACKAGE_GROUP "Package"
#define PROGRAM_GROUP_PREFIX "Program "
#define TEXT_MAX 1024

static void manifest_program_free(ManifestProgram *p)
{
        if (!p)
                return;
        g_free(p->name);
        g_free(p->object);
        g_free(p->entry);
        g_free(p->type);
        g_free(p->next_map);
        g_strfreev(p->config_maps);
        if (p->metrics)
                g_ptr_array_unref(p->metrics);
        g_free(p);
}

void manifest_free(Manifest *m)
{
        if (!m)
                return;
        g_free(m->name);
        g_free(m->version);
        g_free(m->description);
        g_free(m->license);
        g_free(m->companion);
        companion_spec_free(m->companion_spec);
        if (m->programs)
                g_ptr_array_unref(m->programs);
        if (m->warnings)
                g_ptr_array_unref(m->warnings);
        g_free(m);
}

static bool name_is_valid(const char *s, size_t max)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("_.-", *c))
                        return false;
        return true;
}

bool package_name_is_valid(const char *s)
{
        return name_is_valid(s, PACKAGE_NAME_MAX);
}

bool manifest_entry_is_valid(const char *s)
{
        return name_is_valid(s, 127);
}

bool package_path_is_valid(const char *s)
{
        g_auto(GStrv) parts = NULL;

        if (isempty(s) || s[0] == '/' || strlen(s) > 255)
                return false;
        for (const char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f || *c == '\\')
                        return false;
        parts = g_strsplit(s, "/", -1);
        for (char **p = parts; *p; p++)
                if (isempty(*p) || streq(*p, ".") || streq(*p, ".."))
                        return false;
        return true;
}

/* How manifest values are read: stripped, empty counts as unset, the first error kept. */
static ConfContext manifest_context(const char *origin, const char *group, Manifest *m, char **ret_error)
{
        return (ConfContext) {
                .file = origin,
                .group = group,
                .strip = true,
                .empty_is_unset = true,
                .value_max = TEXT_MAX,
                .value_max_message = "longer than %zu bytes",
                .value_max_limit_only = true,
                .utf8 = true,
                .error = ret_error,
                .warnings = m->warnings,
        };
}

static int parse_program(GKeyFile *kf, const char *group, const char *origin, Manifest *m, char **ret_error)
{
        ConfContext ctx = manifest_context(origin, group, m, ret_error);
        ManifestProgram *p;
        const char *name = group + strlen(PROGRAM_GROUP_PREFIX);
        int r;

        if (!name_is_valid(name, 63)) {
                *ret_error = g_strdup_printf("%s: [%s]: '%s' is not a valid program name", origin, group, name);
                return -EINVAL;
        }
        for (guint i = 0; i < m->programs->len; i++)
                if (streq(((ManifestProgram *) m->programs->pdata[i])->name, name)) {
                        *ret_error = g_strdup_printf("%s: [%s]: program '%s' is declared twice", origin, group, name);
                        return -EINVAL;
                }
        if (m->programs->len >= MANIFEST_PROGRAMS_MAX) {
                *ret_error = g_strdup_printf("%s: more than %d programs", origin, MANIFEST_PROGRAMS_MAX);
                return -E2BIG;
        }

        p = g_new0(ManifestProgram, 1);
        g_ptr_array_add(m->programs, p);
        p->name = g_strdup(name);
        p->metrics = g_ptr_array_new_with_free_func((GDestroyNotify) metric_spec_free);
        r = conf_parse_group(kf, manifest_conf_keys, CONF_MANIFEST_PROGRAM, &ctx, p, NULL);
        if (r < 0)
                return r;
        if (!p->config_maps)
                p->config_maps = g_new0(char *, 1);
        return 0;
}

/* [Metric NAME]: as in a drop-in (metric-decl.h), with Program= naming its program. */
static int parse_metric(GKeyFile *kf, const char *group, const char *origin, Manifest *m, char **ret_error)
{
        g_autoptr(GPtrArray) problems = problems_new();
        g_autoptr(MetricSpec) spec = NULL;
        ManifestProgram *p = NULL;

        if (metric_spec_parse(kf, group, origin, NULL, problems, &spec) < 0) {
                for (guint i = 0; i < problems->len; i++)
                        if (!((Problem *) problems->pdata[i])->warning) {
                                *ret_error = g_strdup(((Problem *) problems->pdata[i])->text);
                                return -EINVAL;
                        }
                *ret_error = g_strdup_printf("%s: [%s]: invalid", origin, group);
                return -EINVAL;
        }
        for (guint i = 0; i < problems->len; i++)
                g_ptr_array_add(m->warnings, g_strdup(((Problem *) problems->pdata[i])->text));
        if (!spec->program && m->programs->len == 1)
                p = m->programs->pdata[0];
        for (guint i = 0; spec->program && i < m->programs->len; i++)
                if (streq(((ManifestProgram *) m->programs->pdata[i])->name, spec->program))
                        p = m->programs->pdata[i];
        if (!p) {
                *ret_error = spec->program ?
                        g_strdup_printf("%s: [%s] Program=: no [Program %s] in the manifest", origin, group,
                                        spec->program) :
                        g_strdup_printf("%s: [%s] Program=: missing (the package has several programs)", origin,
                                        group);
                return -EINVAL;
        }
        if (p->metrics->len >= METRICS_PER_PROGRAM_MAX) {
                *ret_error = g_strdup_printf("%s: [%s]: more than %d metrics for program %s", origin, group,
                                             METRICS_PER_PROGRAM_MAX, p->name);
                return -E2BIG;
        }
        g_ptr_array_add(p->metrics, TAKE_PTR(spec));
        return 0;
}

int manifest_parse(const void *data, size_t size, const char *origin, Manifest **ret, char **ret_error)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(Manifest) m = g_new0(Manifest, 1);
        g_auto(GStrv) groups = NULL;
        ConfContext ctx;
        int r;

        m->programs = g_ptr_array_new_with_free_func((GDestroyNotify) manifest_program_free);
        m->warnings = g_ptr_array_new_with_free_func(g_free);

        if (size > MANIFEST_SIZE_MAX) {
                *ret_error = g_strdup_printf("%s: %zu bytes, the limit is %u", origin, size, MANIFEST_SIZE_MAX);
                return -EFBIG;
        }
        if (memchr(data, 0, size)) {
                *ret_error = g_strdup_printf("%s: not a text file", origin);
                return -EINVAL;
        }
        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, &error)) {
                *ret_error = g_strdup_printf("%s: cannot parse: %s", origin, error->message);
                return -EINVAL;
        }
        if (!g_key_file_has_group(kf, PACKAGE_GROUP)) {
                *ret_error = g_strdup_printf("%s: no [%s] group", origin, PACKAGE_GROUP);
                return -EINVAL;
        }
        ctx = manifest_context(origin, PACKAGE_GROUP, m, ret_error);
        r = conf_parse_group(kf, manifest_conf_keys, CONF_MANIFEST_PACKAGE, &ctx, m, NULL);
        if (r < 0)
                return r;

        groups = g_key_file_get_groups(kf, NULL);
        for (char **g = groups; g && *g; g++) {
                if (streq(*g, PACKAGE_GROUP) || g_str_has_prefix(*g, METRIC_GROUP_PREFIX))
                        continue;
                if (streq(*g, COMPANION_GROUP)) {
                        g_autofree char *error = NULL;

                        if (companion_spec_parse(kf, *g, m->warnings, &m->companion_spec, &error) < 0) {
                                *ret_error = g_strdup_printf("%s: %s", origin, error);
                                return -EINVAL;
                        }
                        if (g_path_is_absolute(m->companion_spec->exec[0]) ||
                            !package_path_is_valid(m->companion_spec->exec[0])) {
                                *ret_error = g_strdup_printf("%s: [%s] ExecStart=: '%s' is not a relative path "
                                                             "inside the package", origin, COMPANION_GROUP,
                                                             m->companion_spec->exec[0]);
                                return -EINVAL;
                        }
                        continue;
                }
                if (!g_str_has_prefix(*g, PROGRAM_GROUP_PREFIX)) {
                        g_ptr_array_add(m->warnings, g_strdup_printf("%s: [%s]: unknown group, ignored", origin, *g));
                        continue;
                }
                r = parse_program(kf, *g, origin, m, ret_error);
                if (r < 0)
                        return r;
        }
        if (m->programs->len == 0) {
                *ret_error = g_strdup_printf("%s: no [Program NAME] group", origin);
                return -EINVAL;
        }
        if (m->companion && !m->companion_spec) {
                /* Companion= alone: that binary, with the defaults of [Companion]. */
                g_autoptr(GKeyFile) ckf = g_key_file_new();
                g_autofree char *quoted = g_shell_quote(m->companion), *error = NULL;

                g_key_file_set_string(ckf, COMPANION_GROUP, "ExecStart", quoted);
                if (companion_spec_parse(ckf, COMPANION_GROUP, NULL, &m->companion_spec, &error) < 0) {
                        *ret_error = g_strdup_printf("%s: [%s] Companion=: %s", origin, PACKAGE_GROUP, error);
                        return -EINVAL;
                }
        }
        for (char **g = groups; g && *g; g++)
                if (g_str_has_prefix(*g, METRIC_GROUP_PREFIX)) {
                        r = parse_metric(kf, *g, origin, m, ret_error);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(m);
        return 0;
}

int manifest_load(const char *dir, Manifest **ret, char **ret_error)
{
        g_autofree char *path = g_build_filename(dir, MANIFEST_FILE, NULL);
        g_autofree char *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        /* O_NOFOLLOW: a package's manifest is a plain file, never a link. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                *ret_error = g_strdup_printf("%s: cannot open: %s", MANIFEST_FILE, g_strerror(errno));
                return negative_errno();
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_SIZE_MAX) {
                *ret_error = g_strdup_printf("%s: not a regular file of at most %u bytes", MANIFEST_FILE,
                                             MANIFEST_SIZE_MAX);
                return -EINVAL;
        }
        data = g_malloc(st.st_size + 1);
        n = read(fd, data, st.st_size);
        if (n != st.st_size) {
                *ret_error = g_strdup_printf("%s: short read", MANIFEST_FILE);
                return -EIO;
        }
        return manifest_parse(data, n, MANIFEST_FILE, ret, ret_error);
}

const ManifestProgram *manifest_find_program(const Manifest *m, const char *name)
{
        if (m->programs->len == 1)
                return m->programs->pdata[0];
        for (guint i = 0; i < m->programs->len; i++) {
                const ManifestProgram *p = m->programs->pdata[i];

                if (streq_ptr(p->name, name))
                        return p;
        }
        return NULL;
}
