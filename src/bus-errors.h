/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The named errors of org.l3af.Chain1 (see org.l3af.Chain1(5)). */
#pragma once

#include <systemd/sd-bus.h>

#define L3AF_ERROR_NO_SUCH_INTERFACE     "org.l3af.Chain1.Error.NoSuchInterface"
#define L3AF_ERROR_NO_SUCH_CHAIN         "org.l3af.Chain1.Error.NoSuchChain"
#define L3AF_ERROR_NO_SUCH_PROGRAM       "org.l3af.Chain1.Error.NoSuchProgram"
#define L3AF_ERROR_NO_SUCH_MAP           "org.l3af.Chain1.Error.NoSuchMap"
#define L3AF_ERROR_NO_SUCH_ENTRY         "org.l3af.Chain1.Error.NoSuchEntry"
#define L3AF_ERROR_INVALID_CONFIGURATION "org.l3af.Chain1.Error.InvalidConfiguration"
#define L3AF_ERROR_VERIFIER_REJECTED     "org.l3af.Chain1.Error.VerifierRejected"
#define L3AF_ERROR_SHADOWED              "org.l3af.Chain1.Error.Shadowed"
#define L3AF_ERROR_CHANGE_FAILED         "org.l3af.Chain1.Error.ChangeFailed"
#define L3AF_ERROR_CONFLICT              "org.l3af.Chain1.Error.Conflict"

/* Registers the errno mapping of the names above with sd-bus (once). */
int bus_errors_register(void);

/*
 * Sets org.freedesktop.DBus.Error.InvalidArgs quoting 'value' (trimmed when
 * long) after 'what', e.g. "Invalid interface name 'e th0'". Returns -EINVAL.
 */
int bus_error_invalid_arg(sd_bus_error *error, const char *what, const char *value, const char *why);
