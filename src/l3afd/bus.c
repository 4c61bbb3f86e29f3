/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <net/if.h>
#include <stdarg.h>

#include "bus-change.h"
#include "bus-errors.h"
#include "bus-methods.h"
#include "bus.h"
#include "chain.h"
#include "log.h"
#include "util.h"

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        return sd_bus_message_append(reply, "s", L3AF_VERSION);
}

static int property_get_mode(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;

        return sd_bus_message_append(reply, "s", c->settings.require_signatures ? "secure" : "insecure");
}

static uint32_t count_failed(Context *c)
{
        GHashTableIter it;
        Chain *ch;
        uint32_t n = 0;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch))
                if (ch->error && !ch->waiting)
                        n++;
        return n;
}

static int property_get_nchains(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) g_hash_table_size(c->chains));
}

static int property_get_nfailed(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        return sd_bus_message_append(reply, "u", count_failed(userdata));
}

/*
 * Reads are open to all, and every change asks polkit itself (bus-change.c), so no method is restricted
 * by sd-bus: all are SD_BUS_VTABLE_UNPRIVILEGED.
 */

static const sd_bus_vtable chain_vtable[] = {
        SD_BUS_VTABLE_START(0),

        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Mode", "s", property_get_mode, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NChains", "u", property_get_nchains, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NFailedChains", "u", property_get_nfailed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),

        SD_BUS_METHOD_WITH_ARGS("ListChains",
               SD_BUS_NO_ARGS,
               SD_BUS_RESULT("a(sssuut)", chains),
               method_list_chains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetChain",
               SD_BUS_ARGS("s", interface, "s", hook),
               SD_BUS_RESULT("s", state, "t", generation, "u", root_program_id, "s", error,
                             "a(suussss)", programs),
               method_get_chain, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetChainSettings",
               SD_BUS_ARGS("s", interface, "s", hook),
               SD_BUS_RESULT("a{ss}", settings),
               method_get_chain_settings, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProbes",
               SD_BUS_NO_ARGS,
               SD_BUS_RESULT("a(sssssuus)", probes),
               method_list_probes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCompanions",
               SD_BUS_ARGS("s", interface, "s", hook),
               SD_BUS_RESULT("a(sssuus)", companions),
               method_get_companions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStatistics",
               SD_BUS_ARGS("s", interface, "s", hook),
               SD_BUS_RESULT("b", kernel, "t", generation, "t", packets, "t", run_time_ns, "a(su)", programs,
                             "a(sssbsd)", metrics, "as", errors, "a(stt)", program_runs, "s", program_runs_note),
               method_get_statistics, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProblems",
               SD_BUS_NO_ARGS,
               SD_BUS_RESULT("a(sssb)", problems),
               method_list_problems, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddProgram",
               SD_BUS_ARGS("s", interface, "s", hook, "s", name, "u", priority, "a{ss}", settings, "b", runtime),
               SD_BUS_RESULT("s", dropin, "t", generation),
               method_add_program, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveProgram",
               SD_BUS_ARGS("s", interface, "s", hook, "s", name, "b", runtime),
               SD_BUS_RESULT("t", generation),
               method_remove_program, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload",
               SD_BUS_NO_ARGS,
               SD_BUS_RESULT("u", errors),
               method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetMapEntry",
               SD_BUS_ARGS("s", interface, "s", hook, "s", program, "s", map, "s", key),
               SD_BUS_RESULT("s", value),
               method_get_map_entry, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListMapEntries",
               SD_BUS_ARGS("s", interface, "s", hook, "s", program, "s", map),
               SD_BUS_RESULT("a(ss)", entries),
               method_list_map_entries, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetMapEntry",
               SD_BUS_ARGS("s", interface, "s", hook, "s", program, "s", map, "s", key, "s", value, "b", runtime),
               SD_BUS_NO_RESULT,
               method_set_map_entry, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DeleteMapEntry",
               SD_BUS_ARGS("s", interface, "s", hook, "s", program, "s", map, "s", key, "b", runtime),
               SD_BUS_NO_RESULT,
               method_delete_map_entry, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("ChainChanged",
                                SD_BUS_ARGS("s", interface, "s", hook, "t", generation), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ForeignProgramDetected",
                                SD_BUS_ARGS("s", interface, "s", hook, "u", program_id, "s", program_name,
                                            "s", action), 0),

        SD_BUS_VTABLE_END
};

int bus_serve(Context *c, sd_bus *bus)
{
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, chain_vtable, c);
        if (r < 0)
                return log_error_errno(r, "Cannot serve %s: %m", L3AF_BUS_PATH);
        if (!sd_bus_get_event(bus)) {
                r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0)
                        return log_error_errno(r, "Cannot attach a bus connection to the event loop: %m");
        }
        if (!c->bus_connections)
                c->bus_connections = g_ptr_array_new();
        g_ptr_array_add(c->bus_connections, sd_bus_ref(bus));
        return 0;
}

static int bus_connect(Context *c, sd_bus **ret)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!c->bus_address) {
                r = sd_bus_open_system_with_description(&bus, "l3afd");
                if (r < 0)
                        return log_error_errno(r, "Cannot connect to the system bus: %m");
        } else {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_description(bus, "l3afd");
                if (r >= 0)
                        r = sd_bus_set_address(bus, c->bus_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
                if (r < 0)
                        return log_error_errno(r, "Cannot connect to the bus at %s: %m", c->bus_address);
        }
        /* Without its bus the daemon is unreachable: leave (the chains stay) and be started again. */
        r = sd_bus_set_exit_on_disconnect(bus, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_setup(Context *c)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (c->bus_disabled)
                return 0;
        r = bus_errors_register();
        if (r < 0)
                return log_error_errno(r, "Cannot register the bus errors: %m");
        r = bus_connect(c, &bus);
        if (r >= 0)
                r = bus_serve(c, bus);
        if (r >= 0) {
                r = sd_bus_request_name(bus, L3AF_BUS_NAME, 0);
                if (r < 0)
                        log_error_errno(r, "Cannot take the bus name %s: %m", L3AF_BUS_NAME);
        }
        if (r < 0) {
                for (guint i = 0; c->bus_connections && i < c->bus_connections->len; i++)
                        sd_bus_flush_close_unref(c->bus_connections->pdata[i]);
                if (c->bus_connections)
                        g_ptr_array_set_size(c->bus_connections, 0);
                if (c->bus_address)
                        return r;
                /* The data path does not need the bus: keep going; drop-ins and SIGHUP still work. */
                log_warning("Running without the system bus: org.l3af.Chain1 is not served.");
                return 0;
        }
        c->bus = TAKE_PTR(bus);
        c->bus_announced[0] = g_hash_table_size(c->chains);
        c->bus_announced[1] = count_failed(c);
        log_debug("Serving %s on the bus as %s.", L3AF_BUS_PATH, L3AF_BUS_NAME);
        return 0;
}

void bus_done(Context *c)
{
        changes_drop(c);
        if (c->bus_connections) {
                for (guint i = 0; i < c->bus_connections->len; i++)
                        sd_bus_flush_close_unref(c->bus_connections->pdata[i]);
                g_ptr_array_unref(c->bus_connections);
                c->bus_connections = NULL;
        }
        c->bus = sd_bus_flush_close_unref(c->bus);
        g_clear_pointer(&c->bus_address, g_free);
}

/*
 * A client that says Hello, as busctl and gdbus do, drops the connection if
 * anything but the answer to it comes first. So a direct peer gets no signal
 * until it has sent its first message (bus-server.c keeps c->p2p_unheard).
 */
static bool may_signal(Context *c, sd_bus *bus)
{
        return !c->p2p_unheard || !g_hash_table_contains(c->p2p_unheard, bus);
}

/* Sends a signal on every connection serving the interface that may get one now. */
static void emit_signal(Context *c, const char *member, const char *types, ...)
{
        for (guint i = 0; c->bus_connections && i < c->bus_connections->len; i++) {
                sd_bus *bus = c->bus_connections->pdata[i];
                va_list ap;
                int r;

                if (!may_signal(c, bus))
                        continue;
                va_start(ap, types);
                r = sd_bus_emit_signalv(bus, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, member, types, ap);
                va_end(ap);
                if (r < 0)
                        log_debug_errno(r, "Cannot send %s: %m", member);
        }
}

void bus_emit_chain_changed(Context *c, const char *ifname, Hook hook, uint64_t generation)
{
        emit_signal(c, "ChainChanged", "sst", ifname, hook_to_string(hook), generation);
}

void bus_emit_foreign_program(Context *c, const char *ifname, Hook hook, uint32_t prog_id,
                              const char *prog_name, const char *action)
{
        emit_signal(c, "ForeignProgramDetected", "ssuss", ifname, hook_to_string(hook), prog_id,
                    prog_name ? prog_name : "", action ? action : "reported");
}

void bus_emit_reconciled(Context *c)
{
        uint32_t now[2] = { g_hash_table_size(c->chains), count_failed(c) };
        const char *names[3] = {};
        size_t n = 0;

        if (!c->bus_connections || c->bus_connections->len == 0)
                return;
        if (now[0] != c->bus_announced[0])
                names[n++] = "NChains";
        if (now[1] != c->bus_announced[1])
                names[n++] = "NFailedChains";
        if (n == 0)
                return;
        c->bus_announced[0] = now[0];
        c->bus_announced[1] = now[1];
        for (guint i = 0; i < c->bus_connections->len; i++) {
                sd_bus *bus = c->bus_connections->pdata[i];
                int r;

                if (!may_signal(c, bus))
                        continue;
                r = sd_bus_emit_properties_changed_strv(bus, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, (char **) names);
                if (r < 0)
                        log_debug_errno(r, "Cannot send PropertiesChanged: %m");
        }
}

int bus_check_interface(const char *ifname, sd_bus_error *error)
{
        if (!ifname_is_valid(ifname))
                return bus_error_invalid_arg(error, "Invalid interface name", ifname, NULL);
        return 0;
}

int bus_check_hook(const char *text, Hook *ret, sd_bus_error *error)
{
        Hook h = hook_from_string(text);

        if (h < 0)
                return bus_error_invalid_arg(error, "Unknown hook", text, "one of xdp, tc-ingress, tc-egress");
        *ret = h;
        return 0;
}

int bus_check_program_name(const char *name, sd_bus_error *error)
{
        if (!program_name_is_valid(name))
                return bus_error_invalid_arg(error, "Invalid program name", name,
                                             "letters, digits, '_', '.', '-', at most 63");
        return 0;
}

int bus_read_chain(sd_bus_message *m, Context *c, Chain **ret, sd_bus_error *error)
{
        const char *ifname, *hook_text;
        Chain *ch;
        Hook hook;
        int r;

        r = sd_bus_message_read(m, "ss", &ifname, &hook_text);
        if (r < 0)
                return r;
        r = bus_check_interface(ifname, error);
        if (r < 0)
                return r;
        r = bus_check_hook(hook_text, &hook, error);
        if (r < 0)
                return r;
        ch = bus_find_chain(c, ifname, hook, error);
        if (!ch)
                return -ENOENT;
        *ret = ch;
        return 0;
}

Chain *bus_find_chain(Context *c, const char *ifname, Hook hook, sd_bus_error *error)
{
        ChainId id;
        Chain *ch;

        if (chain_id_init(&id, ifname, hook) < 0) {
                sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid interface name or hook.");
                return NULL;
        }
        ch = g_hash_table_lookup(c->chains, &id);
        if (ch)
                return ch;
        if (if_nametoindex(ifname) == 0)
                sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_INTERFACE, "No interface %s.", ifname);
        else
                sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_CHAIN, "No chain on %s.", CHAIN_ID_TO_STRING(&id));
        return NULL;
}

const char *bus_chain_state(Chain *ch)
{
        return chain_state(ch);
}

/* Sets the error for a target api_dropin_target() refused. */
int bus_error_dropin_target(int r, const char *declared, const char *what, sd_bus_error *error)
{
        if (r == -EROFS)
                return sd_bus_error_setf(error, L3AF_ERROR_SHADOWED,
                                         "%s is declared in %s, which a runtime change cannot override; make a "
                                         "persistent change instead.", what, declared);
        if (r == -EXDEV)
                return sd_bus_error_setf(error, L3AF_ERROR_CHANGE_FAILED,
                                         "The directory for API changes is not among the drop-in directories "
                                         "this daemon reads (--conf-dir).");
        return sd_bus_error_set_errnof(error, r, "Cannot plan the change of %s: %m", what);
}
