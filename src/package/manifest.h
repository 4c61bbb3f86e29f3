/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The package manifest: a keyfile named l3af-package.conf at the top of a
 * package, naming the package, its version and, per program, the BPF object
 * and how to load it. See l3af-package(5).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "companion-spec.h"
#include "conf-parser.h"
#include "metric-decl.h"

#define MANIFEST_FILE "l3af-package.conf"
#define MANIFEST_SIZE_MAX (64u * 1024u)
#define MANIFEST_PROGRAMS_MAX 32
#define PACKAGE_NAME_MAX 63

typedef struct ManifestProgram {
        char *name;          /* [Program NAME] */
        char *object;        /* Object=, relative to the package's top */
        char *entry;         /* Entry=, or NULL */
        char *type;          /* Type=, or NULL */
        char *next_map;      /* NextMap=, or NULL */
        char **config_maps;  /* ConfigMaps=, NULL-terminated, never NULL */
        GPtrArray *metrics;  /* MetricSpec*: the [Metric NAME] groups for this program (metric-decl.h) */
} ManifestProgram;

typedef struct Manifest {
        char *name;
        char *version;
        char *description;
        char *license;
        char *companion;     /* Companion=, a user-space binary, or NULL */
        CompanionSpec *companion_spec; /* [Companion], or one made of Companion=; NULL: none */
        GPtrArray *programs; /* ManifestProgram*, in file order */
        GPtrArray *warnings; /* char*: unknown groups and keys */
} Manifest;

void manifest_free(Manifest *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manifest, manifest_free)

/* The manifest's keys ([Package], [Program NAME]), a table of conf-parser.h: manifest-keys.c. */
extern const ConfKey manifest_conf_keys[];

/* Package names: letters, digits, '_', '.', '-'; not starting with '.' or '-'. */
bool package_name_is_valid(const char *s);

/* A program's name in its object, Entry=: letters, digits, '_', '.', '-'; at most 127. */
bool manifest_entry_is_valid(const char *s);

/* A relative path that stays inside the package: no "..", no empty parts. */
bool package_path_is_valid(const char *s);

/*
 * Parses a manifest held in memory. On failure *ret_error says what is wrong
 * (with 'origin' and the group and key).
 */
int manifest_parse(const void *data, size_t size, const char *origin, Manifest **ret, char **ret_error);

/* Reads DIR/l3af-package.conf. -ENOENT when the package has none. */
int manifest_load(const char *dir, Manifest **ret, char **ret_error);

/* The program a drop-in means: by its Name=, or the only one. NULL if none fits. */
const ManifestProgram *manifest_find_program(const Manifest *m, const char *name);
