/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A companion's declaration: the [Companion] group of a drop-in (l3af.d(5))
 * or of a package manifest (l3af-package(5)). One table of keys parses both.
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

/*
 * Parses 'group' of 'kf'. Returns 0 and the spec, or -EINVAL with
 * *ret_error naming the key and what is wrong. Unknown keys are appended to
 * 'warnings' (char*, may be NULL).
 */
int companion_spec_parse(GKeyFile *kf, const char *group, GPtrArray *warnings, CompanionSpec **ret,
                         char **ret_error);

/* Whether [Companion] has a key named so. */
bool companion_spec_key_is_known(const char *key);

/* A canonical text of every field: two specs that differ in anything give different texts. */
char *companion_spec_to_text(const CompanionSpec *c);
