/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: safe extraction of arbitrary bytes as tar, tar.gz or zip.
 * Whatever the input, extraction either succeeds into the destination or
 * fails leaving nothing behind, and nothing lands outside the destination.
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bpf-util.h"
#include "extract.h"

static char *top;

static unsigned count_entries(const char *dir)
{
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        unsigned n = 0;

        while (d && g_dir_read_name(d))
                n++;
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ExtractLimits limits = { .entries_max = 64, .size_max = 1 << 20 };
        g_autofree char *dest = NULL, *error = NULL;
        int r;

        if (!top) {
                top = g_dir_make_tmp("l3af-fuzz-extract-XXXXXX", NULL);
                g_assert(top);
        }
        dest = g_build_filename(top, "out", NULL);
        r = extract_archive_memory(data, size, dest, &limits, &error);
        if (r < 0) {
                g_assert(error);
                g_assert(count_entries(top) == 0);  /* nothing half-extracted */
        } else {
                g_assert(count_entries(top) == 1);  /* only the destination */
                g_assert(rm_rf(dest) == 0);
        }
        return 0;
}
