/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A companion's declaration: the [Companion] group of a drop-in (l3af.d(5))
 * or of a package manifest (l3af-package(5)). Their rows are in the key
 * table (conf-keys.c, place CONF_COMPANION), which parses both.
 *
 * A companion is the user-space half of a program (an exporter, an agent),
 * run by systemd as a transient service (companion.h).
 */
#pragma once

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define COMPANION_GROUP "Companion"

typedef enum CompanionConvention {
        COMPANION_CONVENTION_L3AFD,  /* its own arguments; L3AF_* environment variables */
        COMPANION_CONVENTION_L3AF,   /* L3AF's: --iface= and --direction= before its own arguments */
        _COMPANION_CONVENTION_MAX,
        _COMPANION_CONVENTION_INVALID = -EINVAL,
} CompanionConvention;

typedef struct CompanionSpec {
        char **exec;            /* ExecStart=: the executable and its arguments, split as a shell would
                                 * (no expansion); the executable absolute, or relative to the package */
        char **environment;     /* Environment=: VAR=value words */
        uint64_t memory_max;    /* MemoryMax=, bytes; UINT64_MAX: unset */
        uint64_t cpu_quota_usec; /* CPUQuota=, CPU time per second of wall time, in µs; UINT64_MAX: unset */
        uint64_t tasks_max;     /* TasksMax=; UINT64_MAX: unset */
        char *restart;          /* Restart=, as systemd.service(5); default on-failure */
        uint64_t restart_usec;  /* RestartSec=; UINT64_MAX: systemd's default */
        char *user;             /* User=; NULL: a dynamic user (DynamicUser=yes) */
        bool private_network;   /* PrivateNetwork= */
        CompanionConvention convention; /* Convention=: l3afd (default) or l3af */
} CompanionSpec;

void companion_spec_free(CompanionSpec *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CompanionSpec, companion_spec_free)
CompanionSpec *companion_spec_copy(const CompanionSpec *c);

const char *companion_convention_to_string(CompanionConvention c);
CompanionConvention companion_convention_from_string(const char *s);

/*
 * The parsers of the [Companion] rows of the key table (conf-parser.h: each
 * returns 0, or -EINVAL after conf_error() and leaves its field alone), in
 * systemd's words (systemd.exec(5), systemd.service(5),
 * systemd.resource-control(5)):
 *   exec         char**: ExecStart=, split as a shell would, without expansion
 *   environment  char**: VAR=value words, no VAR starting L3AF_
 *   memory_max   uint64_t bytes: 4096, 64K, 64M, 1G, 1T (powers of 1024), > 0
 *   cpu_quota    uint64_t µs of CPU time per second: "20%" -> 200000, 1% to 100000%
 *   tasks_max    uint64_t: 1 to 2^32-1
 *   restart      char*: a Restart= value of systemd.service(5)
 *   restart_sec  uint64_t µs: "500ms", "2s", "1min", or whole seconds
 *   user         char*: a user name systemd accepts in its strict mode
 *   yes_no       bool, refused with the value quoted
 */
typedef struct ConfContext ConfContext;
typedef struct ConfKey ConfKey;
int config_parse_exec(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_environment(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_memory_max(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_cpu_quota(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_tasks_max(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_restart(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_restart_sec(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_user(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);
int config_parse_yes_no(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);

/*
 * Parses 'group' of 'kf' with the key table's CONF_COMPANION rows. Returns 0
 * and the spec, or -EINVAL with *ret_error ("[GROUP] KEY=: what is wrong").
 * Unknown keys are appended to 'warnings' (char*, may be NULL).
 */
int companion_spec_parse(GKeyFile *kf, const char *group, GPtrArray *warnings, CompanionSpec **ret,
                         char **ret_error);

/* Whether [Companion] has a key named so (the key table's CONF_COMPANION rows). */
bool companion_spec_key_is_known(const char *key);

/* A canonical text of every field: two specs that differ in anything give different texts. */
char *companion_spec_to_text(const CompanionSpec *c);
