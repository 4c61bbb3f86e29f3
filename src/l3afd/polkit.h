/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Asks polkit whether the sender of a method call may perform an action,
 * without blocking the event loop. uid 0 is let through without asking.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/*
 * Called on the loop with r = 1 when the caller (uid, or (uid_t) -1 when
 * unknown) is authorized, or r < 0 and
 * 'error' saying why not (org.freedesktop.DBus.Error.AccessDenied or
 * .InteractiveAuthorizationRequired, or why polkit could not be asked).
 */
typedef void (*PolkitDone)(int r, uid_t uid, const sd_bus_error *error, void *userdata);

/*
 * Starts the check for 'request', which arrived on any connection; polkit is
 * asked on 'polkit_bus' (the system bus). The caller is the request's sender
 * on a bus connection, or the peer of a direct connection. The
 * interactive-authorization flag of the request is passed on to polkit.
 * Returns 0 when 'done' will be called (possibly before this returns), or a
 * negative errno (and 'done' is never called).
 */
int polkit_check_async(sd_bus *polkit_bus, sd_bus_message *request, const char *action, PolkitDone done,
                       void *userdata);
