/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.l3af.Chain1: chains and programs (ListChains, GetChain, GetChainSettings, ListProblems, AddProgram,
 * RemoveProgram, Reload).
 */
#include <bpf/bpf.h>
#include <net/if.h>
#include <sys/stat.h>

#include "api-dropin.h"
#include "bus-change.h"
#include "bus-errors.h"
#include "bus-methods.h"
#include "bus.h"
#include "chain.h"
#include "conf-parser.h"
#include "companion.h"
#include "l3af/pins.h"
#include "log.h"
#include "problem.h"
#include "util.h"

#define SETTINGS_MAX 16
#define SETTING_VALUE_MAX 4096

/* AddProgram takes the keys of [Companion] as "Companion.KEY" settings (companion-spec.h), written after
 * the [Program] keys (conf-keys.c) in the order of their names. */
#define COMPANION_SETTING_PREFIX "Companion."

static gint compare_ids(gconstpointer a, gconstpointer b)
{
        return chain_id_compare(&((const Chain *) *(void *const *) a)->id, &((const Chain *) *(void *const *) b)->id);
}

static GPtrArray *sorted_chains(Context *c)
{
        GPtrArray *list = g_ptr_array_new();
        GHashTableIter it;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch))
                g_ptr_array_add(list, ch);
        g_ptr_array_sort(list, compare_ids);
        return list;
}

int method_list_chains(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(GPtrArray) chains = sorted_chains(userdata);
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssuut)");
        for (guint i = 0; r >= 0 && i < chains->len; i++) {
                Chain *ch = chains->pdata[i];

                r = sd_bus_message_append(reply, "(sssuut)", ch->id.ifname, hook_to_string(ch->id.hook),
                                          bus_chain_state(ch), chain_attached_id(ch), (uint32_t) ch->instances->len,
                                          (uint64_t) ch->generation);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_get_chain(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        Chain *ch;
        int r;

        r = bus_read_chain(m, c, &ch, error);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "stus", bus_chain_state(ch), (uint64_t) ch->generation,
                                          chain_attached_id(ch), ch->error ? ch->error : "");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(suussss)");
        for (guint i = 0; r >= 0 && i < ch->instances->len; i++) {
                Instance *inst = ch->instances->pdata[i];
                const char *source = g_hash_table_lookup(ch->sources, inst->name);
                struct l3af_meta meta = {};

                (void) chain_program_meta(ch, inst->name, &meta);  /* none recorded: empty fields */
                r = sd_bus_message_append(reply, "(suussss)", inst->name, inst->prog_id, (uint32_t) i, meta.package,
                                          meta.version, meta.signer, source ? source : "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/*
 * The companions declared in a chain that applied, in program order, with
 * what systemd says of each: (program, unit, state, restarts, main pid,
 * reason). state is the unit's ActiveState ("active", "activating",
 * "failed", ...) or "not-started", and then reason says why.
 */
int method_get_companions(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(GPtrArray) list = NULL;
        Context *c = userdata;
        Chain *ch;
        int r;

        r = bus_read_chain(m, c, &ch, error);
        if (r < 0)
                return r;

        list = companion_list(c, &ch->id);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssuus)");
        for (guint i = 0; r >= 0 && i < list->len; i++) {
                const CompanionState *s = list->pdata[i];

                r = sd_bus_message_append(reply, "(sssuus)", s->program, s->unit, s->state, s->restarts, s->main_pid,
                                          s->reason);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/*
 * The chain-wide settings a chain runs with, as drop-in keys of l3af.d(5):
 * OnForeignProgram always; Mode and MultiBuffer on xdp; TCXPass on tc hooks
 * ("unmapped" for a root adopted from a daemon that predates TCXPass=, until
 * the chain's next change replaces it).
 */
int method_get_chain_settings(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        Chain *ch;
        int r;

        r = bus_read_chain(m, c, &ch, error);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{ss}", "OnForeignProgram", foreign_policy_to_string(ch->on_foreign));
        if (r >= 0 && ch->id.hook == HOOK_XDP)
                r = sd_bus_message_append(reply, "{ss}{ss}", "Mode", xdp_mode_to_string(ch->mode), "MultiBuffer",
                                          ch->frags ? "yes" : "no");
        if (r >= 0 && ch->id.hook != HOOK_XDP)
                r = sd_bus_message_append(reply, "{ss}", "TCXPass", ch->tcx_pass >= 0 ?
                                          tcx_pass_policy_to_string(ch->tcx_pass) : "unmapped");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int method_list_problems(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssb)");
        for (guint i = 0; r >= 0 && c->problems && i < c->problems->len; i++) {
                Problem *p = c->problems->pdata[i];

                r = sd_bus_message_append(reply, "(sssb)", p->file ?: "", p->chain ?: "", p->text, (int) p->warning);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* AddProgram and RemoveProgram */

typedef struct ProgramCall {
        char *ifname;
        Hook hook;
        char *name;
        uint32_t priority;
        GPtrArray *settings;  /* "Key", "value", ... in the key table's order (conf-keys.c) */
        bool runtime;
        char *dropin;         /* the drop-in AddProgram writes */
} ProgramCall;

static void program_call_free(ProgramCall *d)
{
        if (!d)
                return;
        g_free(d->ifname);
        g_free(d->name);
        if (d->settings)
                g_ptr_array_unref(d->settings);
        g_free(d->dropin);
        g_free(d);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProgramCall, program_call_free)

static int find_declaration(Context *c, ProgramCall *d, char **ret, sd_bus_error *error)
{
        int r = api_dropin_find(c->settings.conf_dirs, d->ifname, d->hook, d->name, ret);

        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the drop-ins: %m");
        return r;
}

/* Copies the [Map NAME] groups of 'old' into 'kf'. */
static void copy_map_groups(GKeyFile *kf, GKeyFile *old)
{
        g_auto(GStrv) groups = g_key_file_get_groups(old, NULL);

        for (char **g = groups; *g; g++) {
                g_auto(GStrv) keys = NULL;

                if (!g_str_has_prefix(*g, "Map "))
                        continue;
                keys = g_key_file_get_keys(old, *g, NULL, NULL);
                for (char **k = keys; k && *k; k++) {
                        g_autofree char *v = g_key_file_get_value(old, *g, *k, NULL);

                        g_key_file_set_value(kf, *g, *k, v);
                }
        }
}

static int build_add(Change *ch, sd_bus_error *error)
{
        ProgramCall *d = ch->data;
        Context *c = ch->ctx;
        g_autofree char *declared = NULL, *target = NULL, *fallback = NULL, *text = NULL, *old_text = NULL;
        g_autofree char *prio = g_strdup_printf("%u", d->priority);
        g_autoptr(GKeyFile) kf = g_key_file_new(), old = NULL;
        FileStamp seen = {};
        g_autoptr(GPtrArray) problems = problems_new();
        g_autoptr(ProgramSpec) spec = NULL;
        int r;

        if (if_nametoindex(d->ifname) == 0)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_INTERFACE, "No interface %s.", d->ifname);
        r = find_declaration(c, d, &declared, error);
        if (r < 0)
                return r;
        fallback = api_dropin_name(d->ifname, d->hook, d->name);
        r = api_dropin_target(&c->settings, declared, fallback, d->runtime, &target);
        if (r < 0)
                return bus_error_dropin_target(r, declared, d->name, error);

        g_key_file_set_string(kf, "Program", "Name", d->name);
        g_key_file_set_string(kf, "Program", "Interface", d->ifname);
        g_key_file_set_string(kf, "Program", "Hook", hook_to_string(d->hook));
        g_key_file_set_string(kf, "Program", "Priority", prio);
        for (guint i = 0; i + 1 < d->settings->len; i += 2) {
                const char *key = d->settings->pdata[i];

                if (g_str_has_prefix(key, COMPANION_SETTING_PREFIX))
                        g_key_file_set_string(kf, COMPANION_GROUP, key + strlen(COMPANION_SETTING_PREFIX),
                                              d->settings->pdata[i + 1]);
                else
                        g_key_file_set_string(kf, "Program", key, d->settings->pdata[i + 1]);
        }
        /* Replacing a program keeps the map entries declared for it. */
        if (declared) {
                r = api_dropin_load_stamped(declared, &old, &seen);
                if (r < 0)
                        return sd_bus_error_setf(error, L3AF_ERROR_INVALID_CONFIGURATION, "Cannot read %s: %s",
                                                 declared, g_strerror(-r));
                copy_map_groups(kf, old);
        }

        r = dropin_parse_keyfile(kf, target, problems, &spec);
        if (r < 0 || problems_count_errors(problems) > 0) {
                for (guint i = 0; i < problems->len; i++) {
                        Problem *p = problems->pdata[i];

                        if (!p->warning)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s", p->text);
                }
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid program declaration.");
        }

        text = api_dropin_to_text(kf, "AddProgram");
        g_free(d->dropin);
        d->dropin = g_strdup(target);
        change_set_chain(ch, d->ifname, d->hook);
        if (declared) {
                old_text = g_key_file_to_data(old, NULL, NULL);
                if (api_dropin_same(old_text, text)) {
                        g_free(d->dropin);
                        d->dropin = g_strdup(declared);
                        return 0;
                }
        }
        /* The text is computed from 'declared': written there only while it is still what was read. */
        g_ptr_array_add(ch->edits, file_edit_new(FILE_EDIT_WRITE, target, text,
                                                 declared && streq(declared, target) ? &seen : NULL));
        return 1;
}

static uint64_t chain_generation(Context *c, const ChainId *id)
{
        Chain *ch = id ? g_hash_table_lookup(c->chains, id) : NULL;

        return ch ? ch->generation : 0;
}

static int finish_add(Change *ch, sd_bus_message *reply, sd_bus_error *error)
{
        ProgramCall *d = ch->data;

        return sd_bus_message_append(reply, "st", d->dropin, chain_generation(ch->ctx, ch->chain));
}

static int read_program_args(sd_bus_message *m, ProgramCall *d, sd_bus_error *error)
{
        const char *ifname, *hook, *name;
        int r;

        r = sd_bus_message_read(m, "sss", &ifname, &hook, &name);
        if (r < 0)
                return r;
        r = bus_check_interface(ifname, error);
        if (r < 0)
                return r;
        r = bus_check_hook(hook, &d->hook, error);
        if (r < 0)
                return r;
        r = bus_check_program_name(name, error);
        if (r < 0)
                return r;
        d->ifname = g_strdup(ifname);
        d->name = g_strdup(name);
        return 0;
}

/*
 * A setting's value as the drop-in parser would read it (the key table's parser, l3af.d(5)),
 * so a value the drop-in would refuse is refused here, quoted, before any drop-in is written.
 * Checks between keys (Object= or Package=, Type= against the hook) stay with the drop-in.
 */
static int check_setting(const char *key, const char *value, sd_bus_error *error)
{
        const ConfKey *k = conf_key_lookup(conf_keys, CONF_ADD_PROGRAM, key);
        g_autoptr(ProgramSpec) scratch = g_new0(ProgramSpec, 1);
        g_autofree char *why = NULL;
        ConfContext ctx = { .group = "Program", .error = &why };

        if (isempty(value) || !k)
                return 0;  /* not written: the key is unset; or a Companion.KEY, which the reload checks */
        if (k->parse(&ctx, k, value, (uint8_t *) scratch + k->offset) < 0)
                return bus_error_invalid_arg(error, key, value, why);
        return 0;
}

static int read_settings(sd_bus_message *m, ProgramCall *d, sd_bus_error *error)
{
        g_autoptr(GHashTable) given = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        const char *const *setting_keys = conf_place_keys(conf_keys, CONF_ADD_PROGRAM);
        const char *key, *value;
        unsigned n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{ss}", &key, &value)) > 0) {
                if (++n > SETTINGS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Too many settings (at most %d).", SETTINGS_MAX);
                if (!g_strv_contains(setting_keys, key) &&
                    !(g_str_has_prefix(key, COMPANION_SETTING_PREFIX) &&
                      companion_spec_key_is_known(key + strlen(COMPANION_SETTING_PREFIX)))) {
                        g_autofree char *known = g_strjoinv(", ", (char **) setting_keys);

                        return bus_error_invalid_arg(error, "Unknown setting", key, known);
                }
                if (strlen(value) > SETTING_VALUE_MAX)
                        return bus_error_invalid_arg(error, key, value, "too long");
                for (const char *p = value; *p; p++)
                        if (g_ascii_iscntrl(*p))
                                return bus_error_invalid_arg(error, key, value, "control characters");
                if (g_hash_table_contains(given, key))
                        return bus_error_invalid_arg(error, "Setting given twice:", key, NULL);
                r = check_setting(key, value, error);
                if (r < 0)
                        return r;
                if (streq(key, "Object")) {
                        struct stat st;

                        if (!g_path_is_absolute(value))
                                return bus_error_invalid_arg(error, "Object", value, "not an absolute path");
                        if (stat(value, &st) < 0 || !S_ISREG(st.st_mode))
                                return bus_error_invalid_arg(error, "Object", value, "no such file");
                }
                g_hash_table_insert(given, g_strdup(key), g_strdup(value));
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        d->settings = g_ptr_array_new_with_free_func(g_free);
        for (const char *const *k = setting_keys; *k; k++) {
                value = g_hash_table_lookup(given, *k);
                if (!isempty(value)) {
                        g_ptr_array_add(d->settings, g_strdup(*k));
                        g_ptr_array_add(d->settings, g_strdup(value));
                }
        }
        {
                g_autoptr(GPtrArray) companion_keys = g_ptr_array_new();
                GHashTableIter it;
                const char *key;

                g_hash_table_iter_init(&it, given);
                while (g_hash_table_iter_next(&it, (gpointer *) &key, (gpointer *) &value))
                        if (g_str_has_prefix(key, COMPANION_SETTING_PREFIX) && !isempty(value))
                                g_ptr_array_add(companion_keys, (gpointer) key);
                g_ptr_array_sort(companion_keys, strptr_compare);
                for (guint i = 0; i < companion_keys->len; i++) {
                        g_ptr_array_add(d->settings, g_strdup(companion_keys->pdata[i]));
                        g_ptr_array_add(d->settings, g_strdup(g_hash_table_lookup(given, companion_keys->pdata[i])));
                }
        }
        return 0;
}

int method_add_program(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        g_autoptr(ProgramCall) d = g_new0(ProgramCall, 1);
        Change *ch;
        int runtime, r;

        r = read_program_args(m, d, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "u", &d->priority);
        if (r < 0)
                return r;
        if (d->priority > PRIORITY_MAX) {
                g_autofree char *text = g_strdup_printf("%u", d->priority);

                return bus_error_invalid_arg(error, "Priority", text, "out of range (0 to 65535)");
        }
        r = read_settings(m, d, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "b", &runtime);
        if (r < 0)
                return r;
        d->runtime = runtime;

        ch = change_new(userdata, m, "AddProgram", L3AF_ACTION_MANAGE_CHAINS, build_add, finish_add);
        ch->data = TAKE_PTR(d);
        ch->free_data = (GDestroyNotify) program_call_free;
        return change_submit(ch, error);
}

static int build_remove(Change *ch, sd_bus_error *error)
{
        ProgramCall *d = ch->data;
        Context *c = ch->ctx;
        g_autofree char *declared = NULL;
        int r;

        r = find_declaration(c, d, &declared, error);
        if (r < 0)
                return r;
        if (r == 0) {
                if (if_nametoindex(d->ifname) == 0 && (!ch->chain || !g_hash_table_contains(c->chains, ch->chain)))
                        return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_INTERFACE, "No interface %s.",
                                                 d->ifname);
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_PROGRAM, "No drop-in declares program %s on %s.",
                                         d->name, ch->chain ? CHAIN_ID_TO_STRING(ch->chain) : d->ifname);
        }
        r = api_dropin_plan_remove(&c->settings, declared, d->runtime, ch->edits);
        if (r < 0)
                return bus_error_dropin_target(r, declared, d->name, error);
        return 1;
}

static int finish_remove(Change *ch, sd_bus_message *reply, sd_bus_error *error)
{
        return sd_bus_message_append(reply, "t", chain_generation(ch->ctx, ch->chain));
}

int method_remove_program(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        g_autoptr(ProgramCall) d = g_new0(ProgramCall, 1);
        Change *ch;
        int runtime, r;

        r = read_program_args(m, d, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "b", &runtime);
        if (r < 0)
                return r;
        d->runtime = runtime;

        ch = change_new(userdata, m, "RemoveProgram", L3AF_ACTION_MANAGE_CHAINS, build_remove, finish_remove);
        change_set_chain(ch, d->ifname, d->hook);
        ch->data = TAKE_PTR(d);
        ch->free_data = (GDestroyNotify) program_call_free;
        return change_submit(ch, error);
}

static int build_reload(Change *ch, sd_bus_error *error)
{
        return 0;
}

static int finish_reload(Change *ch, sd_bus_message *reply, sd_bus_error *error)
{
        if (ch->result < 0)
                return sd_bus_error_setf(error, L3AF_ERROR_CHANGE_FAILED, "Cannot read the drop-ins: %s",
                                         g_strerror(-ch->result));
        return sd_bus_message_append(reply, "u", (uint32_t) ch->result);
}

int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Change *ch = change_new(userdata, m, "Reload", L3AF_ACTION_MANAGE_CHAINS, build_reload, finish_reload);

        ch->reconcile = true;
        return change_submit(ch, error);
}
