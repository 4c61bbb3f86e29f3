/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reload's cache of prepared programs: for each drop-in, the spec a
 * reload prepared from it (parsed, its package resolved and verified, its
 * object read and checked: program_prepare()), kept while every file it was
 * derived from holds as it was (file-stamp.h, FileDep): the drop-in itself,
 * the object, and the package's files (package.h). A later reload takes the
 * very same spec, so that a chain whose specs are all the same objects is
 * known unchanged without comparing anything.
 *
 * Only what prepared without any problem (not even a warning) is kept, so a
 * reload reports exactly what it reported before; probes (which ask the
 * kernel what it supports at every reload) and packages in insecure mode
 * (journaled at every load) are prepared afresh each time. The cache holds
 * the drop-ins of the last reload only (prepare_cache_retain()). Used by the
 * reconcile's worker thread, one reload at a time.
 */
#pragma once

#include <glib.h>

#include "dropin.h"
#include "file-stamp.h"
#include "settings.h"

typedef struct PrepareCache PrepareCache;

PrepareCache *prepare_cache_new(void);
void prepare_cache_free(PrepareCache *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PrepareCache, prepare_cache_free)

/*
 * The spec prepared from the drop-in at 'path' (a new reference, for
 * program_spec_free()), if every file it was prepared from still holds and
 * its package version may still run (package_may_run()); NULL otherwise,
 * and the entry is dropped.
 */
ProgramSpec *prepare_cache_lookup(PrepareCache *c, const Settings *s, const char *path);

/*
 * Parses the drop-in at 'path' as dropin_parse() does, and records what it
 * read (*ret_dep, for prepare_cache_store(); NULL when the bytes could not be
 * read, and then dropin_parse() has said why).
 */
int prepare_cache_parse(const char *path, GPtrArray *problems, ProgramSpec **ret, FileDep **ret_dep);

/*
 * Keeps 'p' (prepared without problems; a reference is taken) for the drop-in
 * 'dropin' recorded (taken), with its object's bytes (p->elf) recorded as read.
 * Does nothing for specs the cache does not keep (above).
 */
void prepare_cache_store(PrepareCache *c, const Settings *s, FileDep *dropin, ProgramSpec *p);

/* Forgets the drop-ins not in 'paths' (a set of drop-in paths). */
void prepare_cache_retain(PrepareCache *c, GHashTable *paths);

/* How many drop-ins it holds. */
unsigned prepare_cache_size(const PrepareCache *c);
