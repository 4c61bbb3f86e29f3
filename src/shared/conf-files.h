/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drop-in directory resolution with systemd's rules: directories are given
 * highest priority first; a file name seen in a higher directory hides the same
 * name below it; a symlink to /dev/null masks the name; the result is in
 * lexical order of file names.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct ConfFile {
        char *name;   /* basename, e.g. "10-ratelimit.conf" */
        char *path;   /* the file that wins */
        bool masked;  /* the winning entry is a symlink to /dev/null */
} ConfFile;

void conf_file_free(ConfFile *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConfFile, conf_file_free)

/*
 * Lists the files ending in 'suffix' in 'dirs' (NULL-terminated, highest
 * priority first). Missing directories are skipped. Returns a GPtrArray of
 * ConfFile sorted by name, masked entries included (callers skip them), or
 * -errno (logged) when a directory or an entry cannot be read: a drop-in
 * that may exist is never taken for a missing one.
 */
int conf_files_list(char *const *dirs, const char *suffix, GPtrArray **ret);
