/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One program declaration: a *.conf drop-in with a [Program] group and
 * optional [Map NAME] groups of initial entries. See l3af.d(5).
 */
#pragma once

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain-id.h"
#include "companion-spec.h"
#include "hook.h"
#include "map-def.h"
#include "probe-spec.h"
#include "metric-decl.h"

#define PROGRAM_NAME_MAX 63

/*
 * How a repository lays out its artifacts (l3af-package(5)):
 *   l3afd  <repository>/<package>/<version>/<artifact>
 *   l3af   <repository>/<package>/<version>/<codename>/<artifact>, as L3AF's
 *          repositories do, with <artifact> = l3af_<package>.tar.gz holding a
 *          folder l3af_<package>/ and no manifest.
 */
typedef enum PackageLayout {
        PACKAGE_LAYOUT_L3AFD,
        PACKAGE_LAYOUT_L3AF,
        _PACKAGE_LAYOUT_MAX,
        _PACKAGE_LAYOUT_INVALID = -EINVAL,
} PackageLayout;

const char *package_layout_to_string(PackageLayout l);
PackageLayout package_layout_from_string(const char *s);

/* A distribution codename ("bookworm"): letters, digits, '.', '_', '-'; at most 64. */
bool codename_is_valid(const char *s);

/* An artifact's file name in a repository, Artifact=: no '/', not "." or "..". */
bool artifact_name_is_valid(const char *s);

/* A relative path inside a package: no leading '/', no '..' component, not empty. */
bool package_relative_path_is_valid(const char *s);
#define PRIORITY_MAX 65535

typedef struct MapEntrySpec {
        char *map;         /* map name in the object */
        char *key;         /* text, parsed through the map's BTF */
        char *value;
        /* Filled by program_prepare(): */
        GBytes *key_bytes;
        GBytes *value_bytes;
} MapEntrySpec;

typedef struct ProgramSpec {
        char *source;        /* drop-in path */
        char *name;
        char *ifname;
        Hook hook;           /* _HOOK_INVALID for a probe on its own */
        bool standalone;     /* a probe on its own: Hook= names a kind of probe, no Interface= */
        bool hook_given, hook_known; /* Hook= was given; it names a hook or a kind of probe */
        ProbeKind kind;      /* of a probe on its own */
        char *attach;        /* Attach=: where a probe on its own attaches */
        int priority;
        char *object;        /* absolute path of the BPF object, Object= */
        char *package;       /* Package= (with Version=) instead of Object= */
        char *version;
        char *repository;
        char *artifact;      /* Artifact=, file name in the repository; default <package>.tar.gz */
        PackageLayout layout; /* RepositoryLayout=: l3afd (default) or l3af */
        char *codename;      /* Codename=, the distribution directory of the l3af layout, or NULL */
        char *folder;        /* Folder=, where the object lies in a package without manifest */
        char *object_file;   /* ObjectFile=, the object in Folder= of a package without manifest */
        bool allow_downgrade; /* AllowDowngrade=: may run an older version than already ran */
        char *entry;         /* program in the object, Entry= */
        char *type;          /* Type=, checked against the hook */
        char *next_map;      /* NextMap= */
        XdpMode mode;
        bool mode_set;
        ForeignPolicy on_foreign;  /* OnForeignProgram= */
        bool on_foreign_set;
        TcxPassPolicy tcx_pass;    /* TCXPass=, tc hooks only */
        bool tcx_pass_set;
        GPtrArray *maps;     /* MapEntrySpec, in file order */
        CompanionSpec *companion; /* [Companion], or NULL; a package's manifest may give it (package.c) */
        GPtrArray *metrics;  /* MetricSpec*: [Metric NAME] groups, in file order (metric-decl.h) */

        /* Filled by program_prepare(): */
        GBytes *elf;         /* the exact bytes that are loaded */
        char *entry_resolved;
        bool frags;          /* written for multi-buffer XDP: section "xdp.frags" */
        char *next_resolved; /* NULL: the program has no next map */
        char digest[65];     /* sha256 over everything that defines an instance */
        GPtrArray *shared_maps; /* names of maps pinned by name (chain-wide) */
        GPtrArray *map_defs;    /* MapDef*: every map pinned for the program, its own and chain-wide */
        char *signer;        /* subject of the package signer, if any */
        GPtrArray *probes;   /* ProbeSpec*: the probes to attach (for a chain program: those beside its entry) */
        GPtrArray *package_files; /* FileDep* (file-stamp.h): the package's files it was resolved from, or NULL */

        int n_ref;           /* references beyond the first (program_spec_ref()); 0 for a spec with one owner */
} ProgramSpec;

void map_entry_spec_free(MapEntrySpec *m);
/*
 * Drops one reference; the last frees the spec. A prepared spec is shared
 * (the reload's cache, and the desired state of each reload that uses it)
 * and no longer changed: program_spec_ref() takes another reference.
 */
void program_spec_free(ProgramSpec *p);
ProgramSpec *program_spec_ref(ProgramSpec *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProgramSpec, program_spec_free)

bool program_name_is_valid(const char *s);
bool ifname_is_valid(const char *s);

/* Hook= for the key table (conf-parser.h): a chain's hook, or a kind of probe. */
typedef struct ConfContext ConfContext;
typedef struct ConfKey ConfKey;
int config_parse_hook(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);

/*
 * The chain a spec belongs to. Returns 0, or -ENOENT for a probe on its own
 * (it belongs to no chain), -EINVAL when Interface= or Hook= is missing or bad.
 */
int program_spec_chain_id(const ProgramSpec *p, ChainId *ret);

/*
 * Parses one drop-in. Every problem found is added to 'problems' (with the
 * chain it belongs to when Interface= and Hook= could be read). Returns 0 and
 * the spec, or a negative errno when the file holds an error.
 */
int dropin_parse(const char *path, GPtrArray *problems, ProgramSpec **ret);

/* The same, for a drop-in already loaded (or made) as a key file; 'path' names it in problems. */
int dropin_parse_keyfile(GKeyFile *kf, const char *path, GPtrArray *problems, ProgramSpec **ret);
