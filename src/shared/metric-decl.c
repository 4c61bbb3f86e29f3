/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf-text.h"
#include "conf-parser.h"
#include "metric-decl.h"
#include "pin-path.h"
#include "problem.h"
#include "util.h"

static const char *const metric_types[_METRIC_TYPE_MAX] = {
        [METRIC_COUNTER] = "counter",
        [METRIC_GAUGE] = "gauge",
};

static const char *const metric_aggregates[_METRIC_AGGREGATE_MAX] = {
        [METRIC_AGGREGATE_NONE] = "none",
        [METRIC_AGGREGATE_SUM] = "sum",
};

const char *metric_type_to_string(MetricType t)
{
        return t >= 0 && t < _METRIC_TYPE_MAX ? metric_types[t] : NULL;
}

MetricType metric_type_from_string(const char *s)
{
        for (int i = 0; s && i < _METRIC_TYPE_MAX; i++)
                if (streq(s, metric_types[i]))
                        return i;
        return _METRIC_TYPE_INVALID;
}

const char *metric_aggregate_to_string(MetricAggregate a)
{
        return a >= 0 && a < _METRIC_AGGREGATE_MAX ? metric_aggregates[a] : NULL;
}

MetricAggregate metric_aggregate_from_string(const char *s)
{
        for (int i = 0; s && i < _METRIC_AGGREGATE_MAX; i++)
                if (streq(s, metric_aggregates[i]))
                        return i;
        return _METRIC_AGGREGATE_INVALID;
}

void metric_spec_free(MetricSpec *m)
{
        if (!m)
                return;
        g_free(m->name);
        g_free(m->map);
        g_strfreev(m->keys);
        g_free(m->field);
        g_free(m->help);
        g_free(m->program);
        if (m->key_bytes)
                g_ptr_array_unref(m->key_bytes);
        g_free(m);
}

MetricSpec *metric_spec_copy(const MetricSpec *m)
{
        MetricSpec *c = g_new0(MetricSpec, 1);

        *c = *m;
        c->name = g_strdup(m->name);
        c->map = g_strdup(m->map);
        c->keys = g_strdupv(m->keys);
        c->field = g_strdup(m->field);
        c->help = g_strdup(m->help);
        c->program = g_strdup(m->program);
        c->key_bytes = m->key_bytes ? g_ptr_array_ref(m->key_bytes) : NULL;
        return c;
}

bool metric_name_is_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > METRIC_NAME_MAX || g_ascii_isdigit(s[0]))
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && *c != '_')
                        return false;
        return true;
}

/* The keys of a [Metric NAME] group, as a table: the setter parses one value into the spec. */
bool metric_field_is_valid(const char *s)
{
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("_.", *c))
                        return false;
        return true;
}

bool metric_help_is_valid(const char *s)
{
        for (const char *c = s; *c; c++)
                if (!g_ascii_isprint(*c))
                        return false;
        return true;
}

bool metric_program_is_valid(const char *s)
{
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("_.-", *c))
                        return false;
        return true;
}

int config_parse_metric_keys(const ConfContext *ctx, const ConfKey *key, const char *value, void *field)
{
        g_auto(GStrv) parts = NULL;
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
        char ***ret = field;

        if (streq(value, "all"))
                return 0;
        parts = g_strsplit(value, ";", -1);
        for (char **p = parts; *p; p++) {
                char *k = g_strstrip(*p);

                if (isempty(k))
                        continue;
                if (keys->len >= METRIC_KEYS_MAX) {
                        conf_error(ctx, key->name, "more than %d keys", METRIC_KEYS_MAX);
                        return -E2BIG;
                }
                g_ptr_array_add(keys, g_strdup(k));
        }
        if (keys->len == 0) {
                conf_error(ctx, key->name, "no key (give keys separated by ';', or all)");
                return -EINVAL;
        }
        g_ptr_array_add(keys, NULL);
        g_strfreev(*ret);
        *ret = (char **) g_ptr_array_free(TAKE_PTR(keys), FALSE);
        return 0;
}

int metric_spec_parse(GKeyFile *kf, const char *group, const char *path, const ChainId *chain, GPtrArray *problems,
                      MetricSpec **ret)
{
        g_autoptr(MetricSpec) m = g_new0(MetricSpec, 1);
        const char *name = group + strlen(METRIC_GROUP_PREFIX);
        ConfContext ctx = {
                .file = path,
                .chain = chain,
                .group = group,
                .strip = true,
                .value_max = METRIC_VALUE_MAX,
                .value_max_message = "value missing or too long",
                .value_max_limit_only = true,
                .problems = problems,
        };

        if (!metric_name_is_valid(name)) {
                problems_add(problems, false, path, chain, group, NULL,
                             "'%s' is not a metric name (letters, digits, '_', not starting with a digit; at most %d)",
                             name, METRIC_NAME_MAX);
                return -EINVAL;
        }
        m->name = g_strdup(name);
        if (conf_parse_group(kf, conf_keys, CONF_METRIC, &ctx, m, NULL) < 0)
                return -EINVAL;
        /* Map= is asked for only when the rest is right, so one mistake makes one problem. */
        if (!m->map) {
                problems_add(problems, false, path, chain, group, "Map", "missing");
                return -EINVAL;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

static bool map_type_has_metrics(enum bpf_map_type t)
{
        switch (t) {
        case BPF_MAP_TYPE_ARRAY:
        case BPF_MAP_TYPE_PERCPU_ARRAY:
        case BPF_MAP_TYPE_HASH:
        case BPF_MAP_TYPE_PERCPU_HASH:
        case BPF_MAP_TYPE_LRU_HASH:
        case BPF_MAP_TYPE_LRU_PERCPU_HASH:
                return true;
        default:
                return false;
        }
}

/* An integer type (int or enum) of 1, 2, 4 or 8 bytes, after typedefs and qualifiers. */
static int btf_integer(const struct btf *btf, uint32_t id, uint32_t *ret_size, bool *ret_signed)
{
        int rid = btf__resolve_type(btf, id);
        const struct btf_type *t = rid < 0 ? NULL : btf__type_by_id(btf, rid);

        if (!t)
                return -EINVAL;
        if (btf_is_int(t)) {
                if (btf_int_offset(t) != 0 || btf_int_bits(t) != t->size * 8)
                        return -EINVAL;
                *ret_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
        } else if (btf_is_enum(t) || btf_is_enum64(t))
                *ret_signed = false;
        else
                return -EINVAL;
        if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
                return -EINVAL;
        *ret_size = t->size;
        return 0;
}

static char *list_members(const struct btf *btf, const struct btf_type *t)
{
        GString *s = g_string_new(NULL);
        const struct btf_member *mb = btf_members(t);

        for (int i = 0; i < btf_vlen(t); i++)
                g_string_append_printf(s, "%s%s", s->len ? ", " : "", btf__name_by_offset(btf, mb[i].name_off));
        return g_string_free(s, FALSE);
}

/* Finds 'field' ("a" or "a.b") in struct type 'id': its byte offset and integer type. */
static int btf_find_field(const struct btf *btf, uint32_t id, const char *field, uint32_t *ret_offset,
                          uint32_t *ret_size, bool *ret_signed, char **error)
{
        g_auto(GStrv) path = g_strsplit(field, ".", -1);
        uint32_t offset = 0;

        for (char **p = path; *p; p++) {
                int rid = btf__resolve_type(btf, id);
                const struct btf_type *t = rid < 0 ? NULL : btf__type_by_id(btf, rid);
                const struct btf_member *mb;
                bool found = false;

                if (!t || !btf_is_composite(t)) {
                        *error = g_strdup_printf("'%s' is not in a struct", *p);
                        return -EINVAL;
                }
                mb = btf_members(t);
                for (int i = 0; i < btf_vlen(t) && !found; i++) {
                        if (!streq(btf__name_by_offset(btf, mb[i].name_off), *p))
                                continue;
                        if (btf_member_bitfield_size(t, i) != 0 || btf_member_bit_offset(t, i) % 8 != 0) {
                                *error = g_strdup_printf("member '%s' is a bit field", *p);
                                return -EINVAL;
                        }
                        offset += btf_member_bit_offset(t, i) / 8;
                        id = mb[i].type;
                        found = true;
                }
                if (!found) {
                        g_autofree char *members = list_members(btf, t);

                        *error = g_strdup_printf("no member '%s' in the map's value (members: %s)", *p, members);
                        return -ENOENT;
                }
        }
        if (btf_integer(btf, id, ret_size, ret_signed) < 0) {
                *error = g_strdup_printf("member '%s' is not an integer of 1, 2, 4 or 8 bytes", field);
                return -EINVAL;
        }
        *ret_offset = offset;
        return 0;
}

int metric_spec_check(MetricSpec *m, struct bpf_object *obj, const char *path, const ChainId *chain,
                      GPtrArray *problems)
{
        g_autofree char *group = g_strdup_printf(METRIC_GROUP_PREFIX "%s", m->name);
        const struct btf *btf = bpf_object__btf(obj);
        struct bpf_map *map = bpf_object__find_map_by_name(obj, m->map);
        g_autoptr(GPtrArray) key_bytes = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        uint32_t value_type, ksize;
        int r;

        if (!map || bpf_map__is_internal(map)) {
                problems_add(problems, false, path, chain, group, "Map", "no map '%s' in the object", m->map);
                return -ENOENT;
        }
        if (!map_type_has_metrics(bpf_map__type(map))) {
                problems_add(problems, false, path, chain, group, "Map",
                             "map '%s' is of type %s; metrics read arrays and hash maps", m->map,
                             libbpf_bpf_map_type_str(bpf_map__type(map)));
                return -EINVAL;
        }
        ksize = bpf_map__key_size(map);
        for (char **k = m->keys; k && *k; k++) {
                g_autofree void *key = g_malloc0(ksize);
                g_autofree char *error = NULL;

                r = map_text_parse(btf, bpf_map__btf_key_type_id(map), MAP_TEXT_KEY, *k, key, ksize, &error);
                if (r < 0) {
                        problems_add(problems, false, path, chain, group, "Key", "key '%s': %s", *k, error);
                        return r;
                }
                if ((bpf_map__type(map) == BPF_MAP_TYPE_ARRAY || bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY) &&
                    *(uint32_t *) key >= bpf_map__max_entries(map)) {
                        problems_add(problems, false, path, chain, group, "Key",
                                     "index %u is out of range (map '%s' has %u entries)", *(uint32_t *) key, m->map,
                                     bpf_map__max_entries(map));
                        return -ERANGE;
                }
                g_ptr_array_add(key_bytes, g_bytes_new_take(TAKE_PTR(key), ksize));
        }

        value_type = bpf_map__btf_value_type_id(map);
        if (m->field) {
                g_autofree char *error = NULL;

                if (!btf || value_type == 0) {
                        problems_add(problems, false, path, chain, group, "Field",
                                     "map '%s' has no BTF type for its value, so it has no members", m->map);
                        return -EINVAL;
                }
                r = btf_find_field(btf, value_type, m->field, &m->field_offset, &m->field_size, &m->field_signed,
                                   &error);
                if (r < 0) {
                        problems_add(problems, false, path, chain, group, "Field", "%s", error);
                        return r;
                }
        } else if (btf && value_type != 0) {
                if (btf_integer(btf, value_type, &m->field_size, &m->field_signed) < 0) {
                        problems_add(problems, false, path, chain, group, "Field",
                                     "missing: the value of map '%s' is not an integer; name the member to read",
                                     m->map);
                        return -EINVAL;
                }
                m->field_offset = 0;
        } else {
                uint32_t vs = bpf_map__value_size(map);

                if (vs != 1 && vs != 2 && vs != 4 && vs != 8) {
                        problems_add(problems, false, path, chain, group, "Map",
                                     "the value of map '%s' is %u bytes, not an integer of 1, 2, 4 or 8", m->map, vs);
                        return -EINVAL;
                }
                m->field_offset = 0;
                m->field_size = vs;
                m->field_signed = false;
        }
        if (m->key_bytes)
                g_ptr_array_unref(m->key_bytes);
        m->key_bytes = TAKE_PTR(key_bytes);
        return 0;
}
