/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.l3af.Chain1 at /org/l3af/Chain1 (see org.l3af.Chain1(5) and
 * dbus/org.l3af.Chain1.xml, the contract). The object is served on the
 * system bus and, through bus_serve(), on any other connection (direct
 * peer-to-peer ones included): nothing in the handlers is per connection.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "context.h"
#include "hook.h"


#define L3AF_ACTION_MANAGE_CHAINS "org.l3af.Chain1.manage-chains"
#define L3AF_ACTION_CONFIGURE_MAPS "org.l3af.Chain1.configure-maps"

/*
 * Connects to the system bus (or c->bus_address), serves the object and
 * takes the name. Does nothing with c->bus_disabled.
 */
int bus_setup(Context *c);

/* Serves the object on one more connection, attached to the daemon's loop. */
int bus_serve(Context *c, sd_bus *bus);

/* Drops pending changes and closes every connection. */
void bus_done(Context *c);

/*
 * Signals, sent on every connection; no-ops without one. The daemon's
 * dispatcher (daemon.c) sends them for the core's marks (context.h).
 */
void bus_emit_chain_changed(Context *c, const char *ifname, Hook hook, uint64_t generation);
/*
 * A program that is not ours displaced or precedes our root on (ifname,
 * hook), as the watchdog found. 'action' says what l3afd did: "reported" or
 * "restored".
 */
void bus_emit_foreign_program(Context *c, const char *ifname, Hook hook, uint32_t prog_id,
                              const char *prog_name, const char *action);
/* After an apply phase: PropertiesChanged for the counts that changed. */
void bus_emit_reconciled(Context *c);

/* Helpers for the method handlers (bus-chain.c, bus-map.c, bus-stats.c). Each sets a named error. */
int bus_check_interface(const char *ifname, sd_bus_error *error);
int bus_check_hook(const char *text, Hook *ret, sd_bus_error *error);
int bus_check_program_name(const char *name, sd_bus_error *error);
/* The chain on (ifname, hook), or NULL and NoSuchInterface / NoSuchChain. */
struct Chain *bus_find_chain(Context *c, const char *ifname, Hook hook, sd_bus_error *error);
/*
 * Reads a method's (s interface, s hook) arguments, checks them and finds
 * the chain: 0 and *ret, or a negative errno with the named error set
 * (InvalidArgs, NoSuchInterface, NoSuchChain).
 */
int bus_read_chain(sd_bus_message *m, Context *c, struct Chain **ret, sd_bus_error *error);
/*
 * Sets the error for a change api_dropin_target() refused (-errno 'r') of
 * 'what', declared in 'declared': Shadowed (-EROFS), ChangeFailed (-EXDEV),
 * else the errno's. Returns a negative errno.
 */
int bus_error_dropin_target(int r, const char *declared, const char *what, sd_bus_error *error);
/* "live", "displaced", "failed", "waiting" or "detached". */
const char *bus_chain_state(struct Chain *ch);
