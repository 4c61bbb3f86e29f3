/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Metrics declared over a program's maps: the [Metric NAME] groups of a
 * drop-in (l3af.d(5), METRICS). A metric reads one integer out of chosen
 * entries of one map, per-CPU copies summed, and is exposed by l3afctl stats,
 * StatisticsOf on D-Bus and the Prometheus endpoint.
 *
 * Its keys, in the order they are written (one table, metric_keys[] in
 * metric-decl.c):
 *   Map=        the map, as the object names it
 *   Key=        keys in the map's text syntax, separated by ';' (one or
 *               several), or "all" (the default): every key the map holds
 *   Field=      a member of the value's struct, through BTF ("a.b" for a
 *               nested one); unset: the value itself, an integer
 *   Type=       counter (default, only grows) or gauge
 *   Aggregate=  none (default: one series per key, labelled key="...")
 *               or sum (one series, the sum over the keys)
 *   Help=       one line of description
 *   Program=    in a package manifest only: the program whose maps it reads
 *               (l3af-package(5)); may be left out when the package has one
 */
#pragma once

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain-id.h"

#define METRIC_GROUP_PREFIX "Metric "
#define METRIC_NAME_MAX 64
#define METRICS_PER_PROGRAM_MAX 64
#define METRIC_KEYS_MAX 256
#define METRIC_VALUE_MAX 4096

typedef enum MetricType {
        METRIC_COUNTER,
        METRIC_GAUGE,
        _METRIC_TYPE_MAX,
        _METRIC_TYPE_INVALID = -EINVAL,
} MetricType;

typedef enum MetricAggregate {
        METRIC_AGGREGATE_NONE,
        METRIC_AGGREGATE_SUM,
        _METRIC_AGGREGATE_MAX,
        _METRIC_AGGREGATE_INVALID = -EINVAL,
} MetricAggregate;

typedef struct MetricSpec {
        char *name;          /* [Metric NAME]: [a-zA-Z_][a-zA-Z0-9_]*, at most METRIC_NAME_MAX */
        char *map;           /* Map= */
        char **keys;         /* Key=, NULL-terminated; NULL: every key */
        char *field;         /* Field=, or NULL */
        MetricType type;
        MetricAggregate aggregate;
        char *help;          /* Help=, or NULL */
        char *program;       /* Program=, manifests only, or NULL */

        /* Filled by metric_spec_check(): */
        GPtrArray *key_bytes;   /* GBytes*, one per Key=, the map's key_size each */
        uint32_t field_offset;  /* bytes into one CPU's value */
        uint32_t field_size;    /* 1, 2, 4 or 8 */
        bool field_signed;
} MetricSpec;

const char *metric_type_to_string(MetricType t);
MetricType metric_type_from_string(const char *s);
const char *metric_aggregate_to_string(MetricAggregate a);
MetricAggregate metric_aggregate_from_string(const char *s);

MetricSpec *metric_spec_copy(const MetricSpec *m);
void metric_spec_free(MetricSpec *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MetricSpec, metric_spec_free)

bool metric_name_is_valid(const char *s);
/* Field=: a member name, letters, digits, '_', '.' between nested members. */
bool metric_field_is_valid(const char *s);
/* Help=: one line of printable ASCII. */
bool metric_help_is_valid(const char *s);
/* Program= (manifests): letters, digits, '_', '.', '-'. */
bool metric_program_is_valid(const char *s);

/*
 * Key= for the key table's CONF_METRIC rows (conf-parser.h): char**, keys
 * separated by ';' (at most METRIC_KEYS_MAX), as text the map's BTF parses
 * later; "all" leaves the field NULL (every key). Returns 0, -EINVAL or
 * -E2BIG after conf_error().
 */
typedef struct ConfContext ConfContext;
typedef struct ConfKey ConfKey;
int config_parse_metric_keys(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);

/*
 * Parses the [Metric NAME] group 'group' of a drop-in or a manifest with the
 * key table's CONF_METRIC rows (conf-keys.c). Problems name 'path', the group
 * and the key, and block 'chain' (may be NULL). Returns 0 and the spec, or -EINVAL.
 */
int metric_spec_parse(GKeyFile *kf, const char *group, const char *path, const ChainId *chain, GPtrArray *problems,
                      MetricSpec **ret);

/*
 * Checks a metric against the object that declares its map ('obj', opened,
 * not loaded): the map exists and holds integers to read (an array or hash
 * map, per-CPU or not), each Key= parses through the map's key type and, in
 * an array, is below max_entries, Field= is a member of the value's BTF
 * struct of integer type, or the value is an integer of 1, 2, 4 or 8 bytes.
 * Problems name 'path', the group and the key. Returns 0, or -ENOENT (no
 * such map), -ERANGE (index out of range), -EINVAL.
 */
int metric_spec_check(MetricSpec *m, struct bpf_object *obj, const char *path, const ChainId *chain,
                      GPtrArray *problems);
