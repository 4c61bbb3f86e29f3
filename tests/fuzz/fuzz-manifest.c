/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the package manifest parser, on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(Manifest) m = NULL;
        g_autofree char *error = NULL;

        if (manifest_parse(data, size, "fuzz", &m, &error) < 0) {
                g_assert(error);
                return 0;
        }
        g_assert(m && m->name && semver_is_valid(m->version) && m->programs->len > 0);
        g_assert(semver_compare(m->version, m->version) == 0);
        for (guint i = 0; i < m->programs->len; i++) {
                const ManifestProgram *p = m->programs->pdata[i];

                g_assert(package_path_is_valid(p->object));
                g_assert(manifest_find_program(m, p->name));
        }
        return 0;
}
