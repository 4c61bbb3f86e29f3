/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * l3afctl: the command-line client of l3afd, over org.l3af.Chain1 (see
 * l3afctl(1)). Human tables by default, --json for scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "conf-parser.h"
#include "glib.h"
#include "l3afctl-import.h"
#include "l3afctl-package.h"
#include "l3afctl-stats.h"
#include "settings.h"
#include "util.h"

#define CHANGE_TIMEOUT_USEC (120ULL * 1000000ULL)

/* Exit statuses (l3afctl(1), EXIT STATUS). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_FOUND = 3,
        EXIT_DENIED = 4,
        EXIT_UNREACHABLE = 5,
};

static bool arg_json;
static uint64_t arg_watch_usec;
static bool arg_runtime;
static bool arg_legend = true;
static bool arg_ask_password = true;
static char *arg_address;

/* Priority= and the keys AddProgram takes, from the key table, wrapped at 80 columns. */
static void help_add_keys(void)
{
        const char *const *keys = conf_place_keys(conf_keys, CONF_ADD_PROGRAM);
        g_autoptr(GString) line = g_string_new("Priority=");

        for (const char *const *k = keys; *k; k++) {
                size_t more = strlen(*k) + strlen("=, ");

                if (32 + line->len + more > 80) {
                        printf("%32s%s,\n", "", line->str);
                        g_string_truncate(line, 0);
                } else
                        g_string_append(line, ", ");
                g_string_append_printf(line, "%s=", *k);
        }
        printf("%32s%s\n", "", line->str);
}

static void help(void)
{
        printf("l3afctl [OPTIONS...] COMMAND ...\n\n"
               "Shows and changes the eBPF program chains l3afd runs.\n\n"
               "Commands:\n"
               "  status                        Daemon version, mode, chains and problems\n"
               "  list                          List chains\n"
               "  show IFACE [HOOK]             Show the programs of an interface's chains\n"
               "  add IFACE HOOK NAME KEY=VALUE...\n"
               "                                Add or replace a program; keys as in l3af.d(5):\n");
        help_add_keys();
        printf("%32s%s\n", "", "and [Companion] keys as Companion.KEY=");
        printf("  remove IFACE HOOK NAME        Remove a program\n"
               "  reload                        Read the drop-ins again and apply them\n"
               "  probes [IFACE/HOOK]           List probes: beside chain programs (of one chain)\n"
               "                                and on their own\n"
               "  stats [IFACE [HOOK]]          Packets, run time and declared metrics of chains\n"
               "  map list IFACE HOOK PROGRAM MAP\n"
               "  map get IFACE HOOK PROGRAM MAP KEY\n"
               "  map set IFACE HOOK PROGRAM MAP KEY VALUE\n"
               "  map delete IFACE HOOK PROGRAM MAP KEY\n"
               "                                Read or change a program's map entries\n"
               "  package ...                   Build, verify, sign and mirror packages\n"
               "                                (see l3afctl package --help)\n"
               "  import-l3af [--dry-run] [-D DIR] FILE\n"
               "                                Write drop-ins equivalent to an L3AF payload\n\n"
               "Options:\n"
               "  -h --help                     Show this help\n"
               "     --version                  Show the version\n"
               "     --json                     Print JSON instead of tables\n"
               "     --watch[=SEC]              stats: redraw every SEC seconds (default 1), with rates\n"
               "     --runtime                  Change until reboot only (/run/l3af.d), not\n"
               "                                persistently (/etc/l3af.d)\n"
               "     --no-legend                Print tables without headers\n"
               "     --no-ask-password          Do not ask for authentication\n"
               "     --address=ADDRESS          Talk to l3afd on this bus (default:\n"
               "                                $DBUS_SYSTEM_BUS_ADDRESS, else the system bus)\n\n"
               "Exit status: 0 done, 1 failed, 2 invalid arguments, 3 no such interface,\n"
               "chain, program, map or entry, 4 not authorized, 5 l3afd not reachable.\n"
               "See l3afctl(1) and org.l3af.Chain1(5).\n");
}

/* Output: tables and JSON */

typedef struct Table {
        guint ncols;
        GPtrArray *cells;  /* row-major, char* */
} Table;

static Table *table_new(guint ncols, ...)
{
        Table *t = g_new0(Table, 1);
        va_list ap;

        t->ncols = ncols;
        t->cells = g_ptr_array_new_with_free_func(g_free);
        va_start(ap, ncols);
        for (guint i = 0; i < ncols; i++)
                g_ptr_array_add(t->cells, g_strdup(va_arg(ap, const char *)));
        va_end(ap);
        return t;
}

static void table_free(Table *t)
{
        if (!t)
                return;
        g_ptr_array_unref(t->cells);
        g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)

static void table_add(Table *t, const char *cell)
{
        g_ptr_array_add(t->cells, g_strdup(isempty(cell) ? "-" : cell));
}

static void table_print(Table *t)
{
        g_autofree size_t *width = g_new0(size_t, t->ncols);
        guint first = arg_legend ? 0 : t->ncols;

        for (guint i = first; i < t->cells->len; i++)
                width[i % t->ncols] = MAX(width[i % t->ncols], strlen(t->cells->pdata[i]));
        for (guint i = first; i < t->cells->len; i++) {
                bool last = i % t->ncols == t->ncols - 1;

                if (last)
                        printf("%s\n", (char *) t->cells->pdata[i]);
                else
                        printf("%-*s ", (int) width[i % t->ncols], (char *) t->cells->pdata[i]);
        }
}

static void json_string(GString *s, const char *v)
{
        g_string_append_c(s, '"');
        for (const unsigned char *p = (const unsigned char *) (v ? v : ""); *p; p++) {
                if (*p == '"' || *p == '\\')
                        g_string_append_printf(s, "\\%c", *p);
                else if (*p == '\n')
                        g_string_append(s, "\\n");
                else if (*p < 0x20)
                        g_string_append_printf(s, "\\u%04x", *p);
                else
                        g_string_append_c(s, *p);
        }
        g_string_append_c(s, '"');
}

/* Appends "key": "value" (with a leading comma unless first). */
static void json_member(GString *s, const char *key, const char *value)
{
        if (s->len > 0 && s->str[s->len - 1] != '{')
                g_string_append_c(s, ',');
        json_string(s, key);
        g_string_append_c(s, ':');
        json_string(s, value);
}

static void json_number(GString *s, const char *key, uint64_t value)
{
        if (s->len > 0 && s->str[s->len - 1] != '{')
                g_string_append_c(s, ',');
        json_string(s, key);
        g_string_append_printf(s, ":%" G_GUINT64_FORMAT, value);
}

static void json_print(GString *s)
{
        printf("%s\n", s->str);
}

/* The bus */

static int exit_status_of(const sd_bus_error *e, int r)
{
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                   SD_BUS_ERROR_AUTH_FAILED))
                return EXIT_DENIED;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_INVALID_ARGS))
                return EXIT_USAGE;
        if (sd_bus_error_has_names(e, L3AF_ERROR_NO_SUCH_INTERFACE, L3AF_ERROR_NO_SUCH_CHAIN, L3AF_ERROR_NO_SUCH_PROGRAM,
                                   L3AF_ERROR_NO_SUCH_MAP, L3AF_ERROR_NO_SUCH_ENTRY))
                return EXIT_NOT_FOUND;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED, SD_BUS_ERROR_TIMEOUT))
                return EXIT_UNREACHABLE;
        return EXIT_FAILED;
}

static int fail_call(const char *what, sd_bus_error *e, int r)
{
        if (sd_bus_error_is_set(e))
                fprintf(stderr, "Failed to %s: %s\n", what, e->message ? e->message : e->name);
        if (sd_bus_error_has_name(e, L3AF_ERROR_CONFLICT))
                fprintf(stderr, "Someone else changed that drop-in while l3afd was changing it: l3afd kept their "
                                "version and undid this change. Check the file, then try again.\n");
        if (!sd_bus_error_is_set(e))
                fprintf(stderr, "Failed to %s: %s\n", what, g_strerror(-r));
        return exit_status_of(e, r);
}

static int fail_parse(int r)
{
        fprintf(stderr, "Cannot read the reply: %s\n", g_strerror(-r));
        return EXIT_FAILED;
}

static int bus_connect(sd_bus **ret)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (arg_address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, arg_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "Cannot connect to the bus: %s\n", g_strerror(-r));
                return EXIT_UNREACHABLE;
        }
        (void) sd_bus_set_allow_interactive_authorization(bus, arg_ask_password);
        (void) sd_bus_set_method_call_timeout(bus, CHANGE_TIMEOUT_USEC);
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Verbs: each returns the exit status. */

/* The states ListChains reports (bus.c's bus_chain_state()). */
static const char *const chain_states[] = { "live", "displaced", "waiting", "detached", "failed" };




typedef struct ChainRow {
        char *ifname, *hook, *state;
        uint32_t root_id, nprograms;
        uint64_t generation;
} ChainRow;

static void chain_row_free(ChainRow *c)
{
        g_free(c->ifname);
        g_free(c->hook);
        g_free(c->state);
        g_free(c);
}

static int list_chains(sd_bus *bus, GPtrArray **ret, sd_bus_error *e)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) chain_row_free);
        const char *ifname, *hook, *state;
        uint32_t root_id, nprograms;
        uint64_t generation;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "ListChains", e, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sssuut)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sssuut)", &ifname, &hook, &state, &root_id, &nprograms,
                                        &generation)) > 0) {
                ChainRow *c = g_new0(ChainRow, 1);

                c->ifname = g_strdup(ifname);
                c->hook = g_strdup(hook);
                c->state = g_strdup(state);
                c->root_id = root_id;
                c->nprograms = nprograms;
                c->generation = generation;
                g_ptr_array_add(rows, c);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rows);
        return 0;
}

static int verb_status(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autofree char *version = NULL, *mode = NULL;
        g_autoptr(GString) js = g_string_new("{");
        g_autoptr(GHashTable) by_state = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GString) states = g_string_new(NULL), js_states = g_string_new(NULL);
        g_autoptr(GPtrArray) rows = NULL;
        uint32_t nchains = 0, nfailed = 0;
        const char *file, *chain, *text;
        int warning, r;

        r = sd_bus_get_property_string(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "Version", &e, &version);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "Mode", &e, &mode);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "NChains", &e, 'u', &nchains);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "NFailedChains", &e, 'u',
                                                &nfailed);
        if (r >= 0)
                r = list_chains(bus, &rows, &e);
        if (r >= 0)
                r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "ListProblems", &e, &reply, NULL);
        if (r < 0)
                return fail_call("get the status", &e, r);

        /* Each state ListChains reports, in the order of org.l3af.Chain1(5), counted. */
        for (guint i = 0; i < rows->len; i++) {
                const char *state = ((ChainRow *) rows->pdata[i])->state;
                guint n = GPOINTER_TO_UINT(g_hash_table_lookup(by_state, state));

                g_hash_table_insert(by_state, (gpointer) state, GUINT_TO_POINTER(n + 1));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(chain_states); i++) {
                guint n = GPOINTER_TO_UINT(g_hash_table_lookup(by_state, chain_states[i]));

                if (n == 0)
                        continue;
                g_string_append_printf(states, "%s%u %s", states->len ? ", " : "", n, chain_states[i]);
                if (arg_json)
                        g_string_append_printf(js_states, "%s\"%s\":%u", js_states->len ? "," : "", chain_states[i], n);
        }

        if (arg_json) {
                json_member(js, "version", version);
                json_member(js, "mode", mode);
                json_number(js, "chains", nchains);
                json_number(js, "failed_chains", nfailed);
                g_string_append_printf(js, ",\"chain_states\":{%s}", js_states->str);
                g_string_append(js, ",\"problems\":[");
        } else {
                printf("  Version: %s\n     Mode: %s\n   Chains: %u%s%s%s\n", version, mode, nchains,
                       states->len ? " (" : "", states->str, states->len ? ")" : "");
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sssb)");
        if (r < 0)
                return fail_parse(r);
        for (unsigned n = 0; (r = sd_bus_message_read(reply, "(sssb)", &file, &chain, &text, &warning)) > 0; n++) {
                if (arg_json) {
                        g_string_append(js, n ? ",{" : "{");
                        json_member(js, "file", file);
                        json_member(js, "chain", chain);
                        json_member(js, "text", text);
                        json_member(js, "severity", warning ? "warning" : "error");
                        g_string_append_c(js, '}');
                } else
                        printf("%s%s: %s\n", n == 0 ? "Problems:\n  " : "  ", warning ? "warning" : "error", text);
        }
        if (r < 0)
                return fail_parse(r);
        if (arg_json) {
                g_string_append(js, "]}");
                json_print(js);
        }
        return EXIT_OK;
}

static int verb_list(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) rows = NULL;
        g_autoptr(Table) t = table_new(6, "INTERFACE", "HOOK", "STATE", "PROGRAMS", "GENERATION", "ROOT-ID");
        g_autoptr(GString) js = g_string_new("[");
        int r;

        r = list_chains(bus, &rows, &e);
        if (r < 0)
                return fail_call("list chains", &e, r);
        for (guint i = 0; i < rows->len; i++) {
                ChainRow *c = rows->pdata[i];
                g_autofree char *n = g_strdup_printf("%u", c->nprograms);
                g_autofree char *g = g_strdup_printf("%" G_GUINT64_FORMAT, c->generation);
                g_autofree char *id = g_strdup_printf("%u", c->root_id);

                if (arg_json) {
                        g_string_append(js, i ? ",{" : "{");
                        json_member(js, "interface", c->ifname);
                        json_member(js, "hook", c->hook);
                        json_member(js, "state", c->state);
                        json_number(js, "programs", c->nprograms);
                        json_number(js, "generation", c->generation);
                        json_number(js, "root_program_id", c->root_id);
                        g_string_append_c(js, '}');
                        continue;
                }
                table_add(t, c->ifname);
                table_add(t, c->hook);
                table_add(t, c->state);
                table_add(t, n);
                table_add(t, g);
                table_add(t, id);
        }
        if (arg_json) {
                g_string_append_c(js, ']');
                json_print(js);
        } else {
                table_print(t);
                if (arg_legend)
                        printf("\n%u chain(s).\n", rows->len);
        }
        return EXIT_OK;
}

/* The chain's TCXPass= (GetChainSettings), or NULL when it has none or the daemon does not say. */
static char *chain_tcx_pass(sd_bus *bus, const char *ifname, const char *hook)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *key, *value;
        char *ret = NULL;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "GetChainSettings", NULL, &reply, "ss", ifname,
                               hook);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        while (r >= 0 && (r = sd_bus_message_read(reply, "{ss}", &key, &value)) > 0)
                if (streq(key, "TCXPass")) {
                        g_free(ret);
                        ret = g_strdup(value);
                }
        return ret;
}

/* Prints the chain's companions (GetCompanions), one line each; nothing when the daemon has none to say. */
static void show_companions(sd_bus *bus, const char *ifname, const char *hook, GString *js)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *program, *unit, *state, *reason;
        uint32_t restarts, pid;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "GetCompanions", NULL, &reply,
                               "ss", ifname, hook);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sssuus)");
        if (r < 0)
                return;
        if (js)
                g_string_append(js, ",\"companions\":[");
        for (unsigned n = 0; sd_bus_message_read(reply, "(sssuus)", &program, &unit, &state, &restarts, &pid,
                                                 &reason) > 0; n++) {
                if (js) {
                        g_string_append(js, n ? ",{" : "{");
                        json_member(js, "program", program);
                        json_member(js, "unit", unit);
                        json_member(js, "state", state);
                        json_number(js, "restarts", restarts);
                        json_number(js, "main_pid", pid);
                        json_member(js, "reason", reason);
                        g_string_append_c(js, '}');
                        continue;
                }
                printf("companion %s %s %s restarts %u pid %u%s%s\n", program, unit, state, restarts, pid,
                       isempty(reason) ? "" : ": ", reason);
        }
        if (js)
                g_string_append_c(js, ']');
}

/*
 * Prints the probes ListProbes reports, those of chain 'chain' only (NULL:
 * all, "": those on their own); 'js' collects a JSON array when given. With
 * 'heading', a table that is empty prints nothing.
 */
static int print_probes(sd_bus *bus, const char *chain, GString *js, bool heading, unsigned *ret_count)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(Table) t = table_new(8, "CHAIN", "NAME", "PROBE", "KIND", "TARGET", "LINK", "ID", "ERROR");
        const char *key, *owner, *program, *kind, *target, *error;
        uint32_t link_id, prog_id;
        unsigned n = 0;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "ListProbes", &e, &reply, NULL);
        if (r < 0)
                return fail_call("list probes", &e, r);
        r = sd_bus_message_enter_container(reply, 'a', "(sssssuus)");
        if (r < 0)
                return fail_parse(r);
        if (js)
                g_string_append_c(js, '[');
        while ((r = sd_bus_message_read(reply, "(sssssuus)", &key, &owner, &program, &kind, &target, &link_id,
                                        &prog_id, &error)) > 0) {
                g_autofree char *l = g_strdup_printf("%u", link_id), *id = g_strdup_printf("%u", prog_id);

                if (chain && !streq(chain, key))
                        continue;
                if (js) {
                        g_string_append(js, n ? ",{" : "{");
                        json_member(js, "chain", key);
                        json_member(js, "name", owner);
                        json_member(js, "probe", program);
                        json_member(js, "kind", kind);
                        json_member(js, "target", target);
                        json_number(js, "link_id", link_id);
                        json_number(js, "program_id", prog_id);
                        json_member(js, "error", error);
                        g_string_append_c(js, '}');
                } else {
                        table_add(t, isempty(key) ? "-" : key);
                        table_add(t, owner);
                        table_add(t, program);
                        table_add(t, isempty(kind) ? "?" : kind);
                        table_add(t, isempty(target) ? "?" : target);
                        table_add(t, l);
                        table_add(t, id);
                        table_add(t, isempty(error) ? "-" : error);
                }
                n++;
        }
        if (r < 0)
                return fail_parse(r);
        if (js)
                g_string_append_c(js, ']');
        else if (n > 0 || !heading) {
                if (heading)
                        printf("\nProbes:\n");
                table_print(t);
        }
        if (ret_count)
                *ret_count = n;
        return EXIT_OK;
}

static int verb_probes(sd_bus *bus, int argc, char **argv)
{
        g_autoptr(GString) js = g_string_new(NULL);
        unsigned n = 0;
        int r;

        r = print_probes(bus, argc > 1 ? argv[1] : NULL, arg_json ? js : NULL, false, &n);
        if (r != EXIT_OK)
                return r;
        if (arg_json)
                json_print(js);
        else if (arg_legend)
                printf("\n%u probe(s).\n", n);
        return EXIT_OK;
}

/* Prints one chain; 'js' collects JSON when given. */
static int show_chain(sd_bus *bus, const char *ifname, const char *hook, GString *js)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(Table) t = table_new(7, "POS", "NAME", "ID", "PACKAGE", "VERSION", "SIGNER", "SOURCE");
        const char *state, *error, *name, *package, *version, *signer, *source;
        uint32_t root_id, prog_id, pos;
        uint64_t generation;
        g_autofree char *tcx_pass = NULL;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "GetChain", &e, &reply, "ss", ifname, hook);
        if (r < 0)
                return fail_call("get the chain", &e, r);
        r = sd_bus_message_read(reply, "stus", &state, &generation, &root_id, &error);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(suussss)");
        if (r < 0)
                return fail_parse(r);
        tcx_pass = chain_tcx_pass(bus, ifname, hook);
        if (js) {
                json_member(js, "interface", ifname);
                json_member(js, "hook", hook);
                json_member(js, "state", state);
                json_number(js, "generation", generation);
                json_number(js, "root_program_id", root_id);
                json_member(js, "error", error);
                if (tcx_pass)
                        json_member(js, "tcx_pass", tcx_pass);
                g_string_append(js, ",\"programs\":[");
        } else {
                printf("%s/%s: %s, generation %" G_GUINT64_FORMAT ", root program %u\n", ifname, hook, state,
                       generation, root_id);
                if (tcx_pass && streq(tcx_pass, "unmapped"))
                        printf("TCXPass=unmapped: the root predates TCXPass= and gives tcx the chain's verdict as "
                               "it is; the chain's TC_ACT_OK ends tcx processing\n");
                else if (tcx_pass && streq(tcx_pass, "pass"))
                        printf("TCXPass=pass: the chain's TC_ACT_OK ends tcx processing; later tcx programs and tc "
                               "filters do not see the packet\n");
                else if (tcx_pass)
                        printf("TCXPass=%s: the chain's TC_ACT_OK goes on to later tcx programs and tc filters\n",
                               tcx_pass);
                if (!isempty(error))
                        printf("Error: %s\n", error);
        }
        for (unsigned n = 0; (r = sd_bus_message_read(reply, "(suussss)", &name, &prog_id, &pos, &package,
                                                      &version, &signer, &source)) > 0; n++) {
                g_autofree char *p = g_strdup_printf("%u", pos), *id = g_strdup_printf("%u", prog_id);

                if (js) {
                        g_string_append(js, n ? ",{" : "{");
                        json_member(js, "name", name);
                        json_number(js, "program_id", prog_id);
                        json_number(js, "position", pos);
                        json_member(js, "package", package);
                        json_member(js, "version", version);
                        json_member(js, "signer", signer);
                        json_member(js, "source", source);
                        g_string_append_c(js, '}');
                        continue;
                }
                table_add(t, p);
                table_add(t, name);
                table_add(t, id);
                table_add(t, package);
                table_add(t, version);
                table_add(t, signer);
                table_add(t, source);
        }
        if (r < 0)
                return fail_parse(r);
        if (js)
                g_string_append(js, "]");
        else
                table_print(t);
        show_companions(bus, ifname, hook, js);
        {
                g_autofree char *key = g_strdup_printf("%s/%s", ifname, hook);

                if (js)
                        g_string_append(js, ",\"probes\":");
                return print_probes(bus, key, js, true, NULL);
        }
}

static int verb_show(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) rows = NULL;
        g_autoptr(GString) js = g_string_new("[");
        unsigned shown = 0;
        int r, status = EXIT_OK;

        if (argc == 3) {
                g_string_append_c(js, '{');
                r = show_chain(bus, argv[1], argv[2], arg_json ? js : NULL);
                if (r != EXIT_OK)
                        return r;
                g_string_append(js, "}]");
                if (arg_json)
                        json_print(js);
                return EXIT_OK;
        }
        r = list_chains(bus, &rows, &e);
        if (r < 0)
                return fail_call("list chains", &e, r);
        for (guint i = 0; i < rows->len; i++) {
                ChainRow *c = rows->pdata[i];

                if (!streq(c->ifname, argv[1]))
                        continue;
                if (!arg_json && shown > 0)
                        printf("\n");
                g_string_append(js, shown ? ",{" : "{");
                r = show_chain(bus, c->ifname, c->hook, arg_json ? js : NULL);
                g_string_append_c(js, '}');
                if (r != EXIT_OK)
                        status = r;
                shown++;
        }
        if (shown == 0) {
                fprintf(stderr, "No chain on interface %s.\n", argv[1]);
                return EXIT_NOT_FOUND;
        }
        if (arg_json) {
                g_string_append_c(js, ']');
                json_print(js);
        }
        return status;
}

static int verb_add(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *dropin;
        uint64_t generation;
        guint64 priority = 100;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "AddProgram");
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", argv[1], argv[2], argv[3]);
        if (r < 0)
                return fail_call("build the call", &e, r);
        /* Priority= is an argument of its own; the other keys are settings. */
        for (int i = 4; i < argc; i++)
                if (g_str_has_prefix(argv[i], "Priority=") &&
                    !g_ascii_string_to_unsigned(argv[i] + strlen("Priority="), 10, 0, UINT32_MAX, &priority, NULL)) {
                        fprintf(stderr, "Invalid priority '%s'.\n", argv[i] + strlen("Priority="));
                        return EXIT_USAGE;
                }
        r = sd_bus_message_append(m, "u", (uint32_t) priority);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (int i = 4; r >= 0 && i < argc; i++) {
                const char *eq = strchr(argv[i], '=');
                g_autofree char *key = NULL;

                if (!eq || eq == argv[i]) {
                        fprintf(stderr, "Expected KEY=VALUE, got '%s'.\n", argv[i]);
                        return EXIT_USAGE;
                }
                key = g_strndup(argv[i], eq - argv[i]);
                if (streq(key, "Priority"))
                        continue;
                r = sd_bus_message_append(m, "{ss}", key, eq + 1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", arg_runtime);
        if (r < 0)
                return fail_call("build the call", &e, r);

        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r < 0)
                return fail_call("add the program", &e, r);
        r = sd_bus_message_read(reply, "st", &dropin, &generation);
        if (r < 0)
                return fail_parse(r);
        if (arg_json) {
                g_autoptr(GString) js = g_string_new("{");

                json_member(js, "dropin", dropin);
                json_number(js, "generation", generation);
                g_string_append_c(js, '}');
                json_print(js);
        } else
                printf("%s is on %s/%s (generation %" G_GUINT64_FORMAT "), declared in %s.\n", argv[3], argv[1],
                       argv[2], generation, dropin);
        return EXIT_OK;
}

static int verb_remove(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t generation;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "RemoveProgram", &e, &reply, "sssb", argv[1],
                               argv[2], argv[3], arg_runtime);
        if (r < 0)
                return fail_call("remove the program", &e, r);
        r = sd_bus_message_read(reply, "t", &generation);
        if (r < 0)
                return fail_parse(r);
        if (arg_json)
                printf("{\"generation\":%" G_GUINT64_FORMAT "}\n", generation);
        else if (generation == 0)
                printf("%s removed; no program is left on %s/%s.\n", argv[3], argv[1], argv[2]);
        else
                printf("%s removed from %s/%s (generation %" G_GUINT64_FORMAT ").\n", argv[3], argv[1], argv[2],
                       generation);
        return EXIT_OK;
}

static int verb_reload(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t errors;
        int r;

        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "Reload", &e, &reply, NULL);
        if (r < 0)
                return fail_call("reload", &e, r);
        r = sd_bus_message_read(reply, "u", &errors);
        if (r < 0)
                return fail_parse(r);
        if (arg_json)
                printf("{\"errors\":%u}\n", errors);
        else if (errors > 0) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *problems = NULL;
                const char *file, *chain, *text;
                int warning;

                /* Say what went wrong: systemctl reload shows this when ExecReload fails. */
                fprintf(stderr, "Reload found %u error(s); the chains they concern keep running as they were:\n",
                        errors);
                if (sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "ListProblems", NULL, &problems, NULL) >= 0 &&
                    sd_bus_message_enter_container(problems, 'a', "(sssb)") >= 0)
                        while (sd_bus_message_read(problems, "(sssb)", &file, &chain, &text, &warning) > 0)
                                if (!warning)
                                        fprintf(stderr, "  %s\n", text);
        }
        return errors > 0 ? EXIT_FAILED : EXIT_OK;
}

static int verb_map(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *sub = argv[1], *key, *value;
        char **a = argv + 2;  /* IFACE HOOK PROGRAM MAP ... */
        int r;

        if (streq(sub, "list") && argc == 6) {
                g_autoptr(Table) t = table_new(2, "KEY", "VALUE");
                g_autoptr(GString) js = g_string_new("[");

                r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "ListMapEntries", &e, &reply, "ssss",
                                       a[0], a[1], a[2], a[3]);
                if (r < 0)
                        return fail_call("list the map", &e, r);
                r = sd_bus_message_enter_container(reply, 'a', "(ss)");
                if (r < 0)
                        return fail_parse(r);
                for (unsigned n = 0; (r = sd_bus_message_read(reply, "(ss)", &key, &value)) > 0; n++) {
                        g_string_append(js, n ? ",{" : "{");
                        json_member(js, "key", key);
                        json_member(js, "value", value);
                        g_string_append_c(js, '}');
                        table_add(t, key);
                        table_add(t, value);
                }
                if (r < 0)
                        return fail_parse(r);
                g_string_append_c(js, ']');
                if (arg_json)
                        json_print(js);
                else
                        table_print(t);
                return EXIT_OK;
        }
        if (streq(sub, "get") && argc == 7) {
                r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "GetMapEntry", &e, &reply, "sssss", a[0],
                                       a[1], a[2], a[3], a[4]);
                if (r < 0)
                        return fail_call("read the map entry", &e, r);
                r = sd_bus_message_read(reply, "s", &value);
                if (r < 0)
                        return fail_parse(r);
                if (arg_json) {
                        g_autoptr(GString) js = g_string_new("{");

                        json_member(js, "key", a[4]);
                        json_member(js, "value", value);
                        g_string_append_c(js, '}');
                        json_print(js);
                } else
                        printf("%s\n", value);
                return EXIT_OK;
        }
        if (streq(sub, "set") && argc == 8) {
                r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "SetMapEntry", &e, NULL, "ssssssb", a[0],
                                       a[1], a[2], a[3], a[4], a[5], arg_runtime);
                if (r < 0)
                        return fail_call("set the map entry", &e, r);
                return EXIT_OK;
        }
        if (streq(sub, "delete") && argc == 7) {
                r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "DeleteMapEntry", &e, NULL, "sssssb",
                                       a[0], a[1], a[2], a[3], a[4], arg_runtime);
                if (r < 0)
                        return fail_call("delete the map entry", &e, r);
                return EXIT_OK;
        }
        fprintf(stderr, "Usage: l3afctl map list|get|set|delete IFACE HOOK PROGRAM MAP [KEY [VALUE]]. See --help.\n");
        return EXIT_USAGE;
}

typedef struct Verb {
        const char *name;
        int min_args, max_args;   /* including the verb; -1: any */
        int (*run)(sd_bus *bus, int argc, char **argv);
} Verb;

static int verb_stats_main(sd_bus *bus, int argc, char **argv)
{
        return verb_stats(bus, argc, argv, arg_json, arg_watch_usec);
}

static const Verb verbs[] = {
        { "status", 1, 1, verb_status },
        { "list",   1, 1, verb_list },
        { "show",   2, 3, verb_show },
        { "add",    5, -1, verb_add },
        { "remove", 4, 4, verb_remove },
        { "reload", 1, 1, verb_reload },
        { "map",    6, 8, verb_map },
        { "probes", 1, 2, verb_probes },
        { "stats",  1, 3, verb_stats_main },
};

int main(int argc, char **argv)
{
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_RUNTIME, ARG_NO_LEGEND, ARG_NO_ASK_PASSWORD, ARG_ADDRESS, ARG_WATCH };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "runtime", no_argument, NULL, ARG_RUNTIME },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "watch", optional_argument, NULL, ARG_WATCH },
                {}
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const Verb *verb = NULL;
        int opt, r, n;

        /* "package" has options of its own: hand it everything after the verb. */
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "package"))
                        return verb_package(argc - i, argv + i);
                if (streq(argv[i], "import-l3af"))
                        return verb_import_l3af(argc - i, argv + i);
                if (argv[i][0] != '-')
                        break;
        }

        /* Options may follow the command; "--" ends them (for values that start with '-'). */
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("l3afctl %s\n", L3AF_VERSION);
                        return EXIT_OK;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_RUNTIME:
                        arg_runtime = true;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case ARG_WATCH: {
                        uint64_t usec = G_USEC_PER_SEC;

                        if (optarg && (parse_sec(optarg, &usec) < 0 || usec < 100000)) {
                                fprintf(stderr, "--watch=%s: not a time span of at least 0.1 s.\n", optarg);
                                return EXIT_USAGE;
                        }
                        arg_watch_usec = usec;
                        break;
                }
                case ARG_ADDRESS:
                        g_free(arg_address);
                        arg_address = g_strdup(optarg);
                        break;
                default:
                        return EXIT_USAGE;
                }

        n = argc - optind;
        if (n == 0) {
                /* Like networkctl: no command shows the overview. */
                argv[--optind] = (char *) "list";
                n = 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind]))
                        verb = &verbs[i];
        if (!verb) {
                fprintf(stderr, "Unknown command '%s'. See --help.\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (n < verb->min_args || (verb->max_args >= 0 && n > verb->max_args)) {
                fprintf(stderr, "Wrong number of arguments for '%s'. See --help.\n", verb->name);
                return EXIT_USAGE;
        }
        r = bus_connect(&bus);
        if (r != 0)
                return r;
        r = verb->run(bus, n, argv + optind);
        g_free(arg_address);
        return r;
}
