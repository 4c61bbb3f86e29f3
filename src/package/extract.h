/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Safe extraction of a package (tar, optionally gzip-compressed, or zip) into
 * a new directory. Refused: absolute paths, "..", links that leave the tree,
 * device nodes, FIFOs and sockets, and archives over the entry-count or
 * unpacked-size limits. Extraction happens in a temporary sibling directory
 * that is renamed into place only when everything succeeded; on failure
 * nothing is left behind.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct ExtractLimits {
        unsigned entries_max;
        uint64_t size_max;   /* bytes, all entries together */
} ExtractLimits;

/* Extracts the archive file 'path' into 'dest', which must not exist yet. */
int extract_archive(const char *path, const char *dest, const ExtractLimits *limits, char **ret_error);

/* The same, from memory. */
int extract_archive_memory(const void *data, size_t size, const char *dest, const ExtractLimits *limits,
                           char **ret_error);
