/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packages: turning a drop-in's Package= and Version= into a verified BPF
 * object on disk. See l3af-package(5).
 *
 *   URL       <repository>/<name>/<version>/<artifact>, and <artifact>.p7s
 *   cache     <cache_dir>/artifacts/<sha256>         artifacts and signatures, by content
 *             <cache_dir>/index/<name>/<version>/<artifact>   which sha256 the URL gave
 *             <cache_dir>/trees/<sha256>/            the extracted package
 *   state     <state_dir>/packages/<name>            the highest version that ran
 *
 * package_resolve() blocks (downloads): it runs in the reconcile worker
 * thread and touches nothing but the cache and its arguments.
 * package_record_applied() runs on the loop once a chain (or a probe on its
 * own) went live, and writes the state directory.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "dropin.h"
#include "settings.h"

/*
 * Fetches (or takes from the cache, after re-checking its digest), verifies,
 * and extracts the package a spec names, then sets p->object, p->signer and
 * whatever of Entry=, Type= and NextMap= the drop-in left unset, from the
 * manifest. Every refusal is added to 'problems' against 'chain' (NULL for
 * a probe on its own: the caller marks those, problems_set_probe()) and
 * journaled. Returns 0 or a negative errno.
 */
int package_resolve(const Settings *s, ProgramSpec *p, const ChainId *chain, GPtrArray *problems);

/*
 * Remembers that the spec's package version ran (rollback protection):
 * records it when it is newer than the highest recorded. Called after a
 * chain went live. No-op for specs without Package=.
 */
int package_record_applied(const Settings *s, const ProgramSpec *p);


/*
 * The verified packages a resolve reuses (secure mode only): a package stays
 * verified, and its extracted tree in use, while every file it was resolved
 * from holds as it was (file-stamp.h): the artifact and its signature in the
 * cache, the index entry, the trust directory and each certificate in it,
 * each file and directory of the tree. A certificate added, removed or
 * changed therefore undoes every verification. The resolve that uses one sets
 * p->package_files to those files. package_cache_begin() starts a reload;
 * package_cache_sweep(), at its end, forgets the packages it did not use
 * (package_resolve() or package_keep()).
 * Called from the reconcile's worker thread (one at a time).
 */
void package_cache_begin(void);
void package_cache_sweep(void);

/*
 * A resolved spec taken from a cache (prepare-cache.h) as it was: keeps the
 * verification its package came from for this reload, so that another
 * drop-in of the same package resolves without verifying or extracting it
 * again, and journals the package as still verified (no verification took
 * place).
 */
void package_keep(const ProgramSpec *p, const ChainId *chain);

/* Whether every file of a resolved spec's p->package_files still holds (file_dep_holds()). */
bool package_files_hold(GPtrArray *files);

/*
 * Whether the rollback protection still lets the resolved spec's version run:
 * false when a higher version ran since and AllowDowngrade= is not set.
 */
bool package_may_run(const Settings *s, const ProgramSpec *p);

/* Makes a running resolve give up its download (shutdown); false allows downloads again. */
void package_cancel(bool cancel);

/* sha256 of a file, as 64 hex digits. */
int package_file_sha256(const char *path, char **ret);

/*
 * Counters since the process started: signature verifications begun (one per
 * package artifact checked, unsigned ones included) and packages refused
 * (any reason: signature, fetch, manifest, layout). Safe from any thread.
 */
void package_counters(uint64_t *ret_verifications, uint64_t *ret_refusals);
