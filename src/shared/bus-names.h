/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names of org.l3af.Chain1, shared by l3afd and l3afctl: the bus name,
 * object path and interface, and the named errors (org.l3af.Chain1(5),
 * dbus/org.l3af.Chain1.xml). Only macros: nothing to link.
 */
#pragma once

#define L3AF_BUS_NAME "org.l3af.Chain1"
#define L3AF_BUS_PATH "/org/l3af/Chain1"
#define L3AF_BUS_INTERFACE "org.l3af.Chain1"

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
