/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The named errors of org.l3af.Chain1 (see org.l3af.Chain1(5)). */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-names.h"


/* Registers the errno mapping of the names above with sd-bus (once). */
int bus_errors_register(void);

/*
 * Sets org.freedesktop.DBus.Error.InvalidArgs quoting 'value' (trimmed when
 * long) after 'what', e.g. "Invalid interface name 'e th0'". Returns -EINVAL.
 */
int bus_error_invalid_arg(sd_bus_error *error, const char *what, const char *value, const char *why);
