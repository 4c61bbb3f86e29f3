/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: pin name encoding. Any name encodes to a component the
 * bpffs takes and decodes back to itself; any component that decodes is the
 * encoding of what it decodes to (one spelling per name).
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pin-path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autofree char *s = g_strndup((const char *) data, size);
        g_autofree char *encoded = NULL, *back = NULL, *decoded = NULL, *again = NULL;

        if (*s == 0)
                return 0;
        encoded = pin_name_encode(s);
        g_assert(!strchr(encoded, '.') && !strchr(encoded, '/'));
        g_assert(pin_name_decode(encoded, &back) == 0);
        g_assert(strcmp(back, s) == 0);

        if (pin_name_decode(s, &decoded) < 0)
                return 0;
        again = pin_name_encode(decoded);
        g_assert(strcmp(again, s) == 0);
        return 0;
}
