/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: the drop-in parser, on arbitrary key files. A drop-in
 * either parses into a spec that names a valid program, interface, hook and
 * object or package, or is refused with at least one error that names the
 * file.
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dropin.h"
#include "problem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GPtrArray) problems = problems_new();
        g_autoptr(ProgramSpec) spec = NULL;
        int r;

        if (!g_key_file_load_from_data(kf, (const char *) data, size, G_KEY_FILE_NONE, NULL))
                return 0;
        r = dropin_parse_keyfile(kf, "/etc/l3af.d/fuzz.conf", problems, &spec);
        if (r < 0) {
                g_assert(problems_count_errors(problems) > 0);
                for (guint i = 0; i < problems->len; i++) {
                        const Problem *p = problems->pdata[i];

                        g_assert(p->text && strstr(p->text, "fuzz.conf"));
                }
                return 0;
        }
        g_assert(spec);
        g_assert(program_name_is_valid(spec->name));
        if (spec->standalone)  /* a probe on its own: a kind of probe, no interface */
                g_assert(spec->kind >= 0 && spec->hook < 0 && !spec->ifname);
        else
                g_assert(ifname_is_valid(spec->ifname) && spec->hook >= 0);
        g_assert(spec->object || spec->package);
        g_assert(problems_count_errors(problems) == 0);
        return 0;
}
