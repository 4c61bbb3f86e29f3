/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdbool.h>

#include "bus-errors.h"

#define QUOTE_MAX 64

static const sd_bus_error_map l3af_errors[] = {
        SD_BUS_ERROR_MAP(L3AF_ERROR_NO_SUCH_INTERFACE, ENODEV),
        SD_BUS_ERROR_MAP(L3AF_ERROR_NO_SUCH_CHAIN, ENOENT),
        SD_BUS_ERROR_MAP(L3AF_ERROR_NO_SUCH_PROGRAM, ENOENT),
        SD_BUS_ERROR_MAP(L3AF_ERROR_NO_SUCH_MAP, ENOENT),
        SD_BUS_ERROR_MAP(L3AF_ERROR_NO_SUCH_ENTRY, ENOENT),
        SD_BUS_ERROR_MAP(L3AF_ERROR_INVALID_CONFIGURATION, EINVAL),
        SD_BUS_ERROR_MAP(L3AF_ERROR_VERIFIER_REJECTED, EACCES),
        SD_BUS_ERROR_MAP(L3AF_ERROR_SHADOWED, EROFS),
        SD_BUS_ERROR_MAP(L3AF_ERROR_CHANGE_FAILED, EIO),
        SD_BUS_ERROR_MAP(L3AF_ERROR_CONFLICT, ESTALE),
        SD_BUS_ERROR_MAP_END
};

int bus_errors_register(void)
{
        static bool done;
        int r;

        if (done)
                return 0;
        r = sd_bus_error_add_map(l3af_errors);
        if (r < 0)
                return r;
        done = true;
        return 0;
}

int bus_error_invalid_arg(sd_bus_error *error, const char *what, const char *value, const char *why)
{
        g_autofree char *quoted = NULL;
        size_t n = value ? strlen(value) : 0;

        if (n > QUOTE_MAX)
                quoted = g_strdup_printf("'%.*s...' (%zu bytes)", QUOTE_MAX, value, n);
        else
                quoted = g_strdup_printf("'%s'", value ? value : "");
        /* Control characters would make the message unreadable. */
        for (char *p = quoted; *p; p++)
                if (g_ascii_iscntrl(*p))
                        *p = '?';
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s %s%s%s", what, quoted, why ? ": " : "",
                                 why ? why : "");
}
