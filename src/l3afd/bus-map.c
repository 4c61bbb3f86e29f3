/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.l3af.Chain1: map entries of a program in a live chain, as text typed
 * through the map's BTF (the syntax of [Map NAME] entries in l3af.d(5)).
 * Writes are [Map NAME] entries in the program's drop-in, so a reload keeps
 * them; reads come from the kernel.
 */
#include <bpf/btf.h>

#include "api-dropin.h"
#include "bpf-util.h"
#include "btf-text.h"
#include "bus-change.h"
#include "bus-errors.h"
#include "bus-methods.h"
#include "bus.h"
#include "chain.h"
#include "log.h"
#include "map-access.h"
#include "pin-path.h"
#include "program.h"
#include "util.h"

#define MAP_TEXT_MAX 4096
#define LIST_ENTRIES_MAX 65536

/* Opens the pinned map 'map' of 'program' in the chain on (ifname, hook); sets the named error. */
static int map_open(Context *c, const char *ifname, Hook hook, const char *program, const char *map,
                    MapHandle *ret, sd_bus_error *error)
{
        Chain *ch;
        int r;

        ch = bus_find_chain(c, ifname, hook, error);
        if (!ch)
                return -ENOENT;
        r = map_handle_open(ch, program, map, ret);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_PROGRAM, "No program %s in chain %s.", program,
                                         CHAIN_TEXT(ch));
        if (r == -ENOENT)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_MAP, "Program %s in chain %s has no map %s.",
                                         program, CHAIN_TEXT(ch), map);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Cannot read map %s: %m", map);
        return 0;
}

static int parse_text(const MapHandle *h, bool key, const char *text, void **ret, char **error)
{
        size_t size = key ? h->info.key_size : h->info.value_size;
        uint32_t type_id = key ? h->info.btf_key_type_id : h->info.btf_value_type_id;
        g_autofree void *buf = g_malloc0(size ? size : 1);
        int r;

        r = map_text_parse(h->btf, type_id, key ? MAP_TEXT_KEY : MAP_TEXT_VALUE, text, buf, size, error);
        if (r < 0)
                return r;
        if (key && map_handle_is_array(h) && *(uint32_t *) buf >= h->info.max_entries) {
                *error = g_strdup_printf("index %u is out of range (the map has %u entries)", *(uint32_t *) buf,
                                         h->info.max_entries);
                return -ERANGE;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_arg(const MapHandle *h, bool key, const char *text, void **ret, sd_bus_error *error)
{
        g_autofree char *why = NULL;

        if (parse_text(h, key, text, ret, &why) < 0)
                return bus_error_invalid_arg(error, key ? "Invalid map key" : "Invalid map value", text, why);
        return 0;
}

static char *format_key(const MapHandle *h, const void *key)
{
        return btf_text_format(h->btf, h->info.btf_key_type_id, key, h->info.key_size);
}

/* One value, or "[cpu0, cpu1, ...]" for a per-CPU map. */
static char *format_value(const MapHandle *h, const uint8_t *value)
{
        GString *s;

        if (!h->layout.percpu)
                return btf_text_format(h->btf, h->info.btf_value_type_id, value, h->info.value_size);
        s = g_string_new("[");
        for (int i = 0; i < h->layout.ncpus; i++) {
                g_autofree char *v = btf_text_format(h->btf, h->info.btf_value_type_id, value + i * h->layout.stride,
                                                     h->info.value_size);

                g_string_append_printf(s, "%s%s", i ? ", " : "", v);
        }
        g_string_append_c(s, ']');
        return g_string_free(s, FALSE);
}

typedef struct MapArgs {
        char *ifname;
        Hook hook;
        char *program;
        char *map;
        char *key;
        char *value;
        bool runtime;
} MapArgs;

static void map_args_free(MapArgs *a)
{
        if (!a)
                return;
        g_free(a->ifname);
        g_free(a->program);
        g_free(a->map);
        g_free(a->key);
        g_free(a->value);
        g_free(a);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MapArgs, map_args_free)

static int check_text(const char *what, const char *text, bool key, sd_bus_error *error)
{
        if (isempty(text))
                return bus_error_invalid_arg(error, what, text, "empty");
        if (strlen(text) > MAP_TEXT_MAX)
                return bus_error_invalid_arg(error, what, text, "too long");
        for (const char *p = text; *p; p++)
                if (g_ascii_iscntrl(*p))
                        return bus_error_invalid_arg(error, what, text, "control characters");
        /* A key is also a key of a [Map] group in a drop-in. */
        if (key && (strpbrk(text, "=[]") || text[0] == '#' || g_ascii_isspace(text[0]) ||
                    g_ascii_isspace(text[strlen(text) - 1])))
                return bus_error_invalid_arg(error, what, text,
                                             "a key cannot hold '=', '[' or ']', start with '#' or be padded "
                                             "(write structs positionally: {53, 1})");
        return 0;
}

/* Reads (interface, hook, program, map[, key[, value]]) and checks their form. */
static int read_map_args(sd_bus_message *m, MapArgs *a, bool key, bool value, sd_bus_error *error)
{
        const char *ifname, *hook, *program, *map, *k = NULL, *v = NULL;
        int r;

        r = sd_bus_message_read(m, "ssss", &ifname, &hook, &program, &map);
        if (r >= 0 && key)
                r = sd_bus_message_read(m, "s", &k);
        if (r >= 0 && value)
                r = sd_bus_message_read(m, "s", &v);
        if (r < 0)
                return r;
        r = bus_check_interface(ifname, error);
        if (r >= 0)
                r = bus_check_hook(hook, &a->hook, error);
        if (r >= 0)
                r = bus_check_program_name(program, error);
        if (r < 0)
                return r;
        if (!map_name_is_valid(map))
                return bus_error_invalid_arg(error, "Invalid map name", map, MAP_NAME_RULE);
        if (key) {
                r = check_text("Invalid map key", k, true, error);
                if (r < 0)
                        return r;
        }
        if (value) {
                r = check_text("Invalid map value", v, false, error);
                if (r < 0)
                        return r;
        }
        a->ifname = g_strdup(ifname);
        a->program = g_strdup(program);
        a->map = g_strdup(map);
        a->key = g_strdup(k);
        a->value = v ? g_strstrip(g_strdup(v)) : NULL;
        return 0;
}

int method_get_map_entry(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        g_autoptr(MapArgs) a = g_new0(MapArgs, 1);
        _cleanup_(map_handle_done) MapHandle h = { .fd = -EBADF };
        g_autofree void *key = NULL;
        g_autofree uint8_t *value = NULL;
        g_autofree char *text = NULL;
        int r;

        r = read_map_args(m, a, true, false, error);
        if (r < 0)
                return r;
        r = map_open(userdata, a->ifname, a->hook, a->program, a->map, &h, error);
        if (r < 0)
                return r;
        r = parse_arg(&h, true, a->key, &key, error);
        if (r < 0)
                return r;
        value = g_malloc0(map_value_layout_size(&h.layout));
        r = map_handle_lookup(&h, key, value);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_ENTRY, "No entry %s in map %s.", a->key, a->map);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Cannot read map %s: %m", a->map);
        text = format_value(&h, value);
        return sd_bus_reply_method_return(m, "s", text);
}

int method_list_map_entries(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(MapArgs) a = g_new0(MapArgs, 1);
        _cleanup_(map_handle_done) MapHandle h = { .fd = -EBADF };
        g_autofree uint8_t *key = NULL, *next = NULL, *value = NULL;
        bool first = true;
        int r;

        r = read_map_args(m, a, false, false, error);
        if (r < 0)
                return r;
        r = map_open(userdata, a->ifname, a->hook, a->program, a->map, &h, error);
        if (r < 0)
                return r;
        key = g_malloc0(h.info.key_size ? h.info.key_size : 1);
        next = g_malloc0(h.info.key_size ? h.info.key_size : 1);
        value = g_malloc0(map_value_layout_size(&h.layout));

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (unsigned n = 0; r >= 0 && n < LIST_ENTRIES_MAX; n++) {
                g_autofree char *k = NULL, *v = NULL;

                if (map_handle_next_key(&h, first ? NULL : key, next) < 0)
                        break;
                first = false;
                memcpy(key, next, h.info.key_size);
                if (map_handle_lookup(&h, key, value) < 0)
                        continue;  /* deleted meanwhile */
                k = format_key(&h, key);
                v = format_value(&h, value);
                r = sd_bus_message_append(reply, "(ss)", k, v);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* SetMapEntry and DeleteMapEntry */

/*
 * The program's drop-in, loaded for editing, with the stamp of what was read,
 * and where the edited copy goes. Returns 1 when that is the file read, 0
 * when it is a new file in a higher directory, < 0 with 'error' set.
 */
static int load_declaration(Change *ch, MapArgs *a, GKeyFile **ret_kf, char **ret_target, FileStamp *ret_seen,
                            sd_bus_error *error)
{
        g_autofree char *declared = NULL, *target = NULL;
        g_autoptr(GKeyFile) kf = NULL;
        FileStamp seen = {};
        int r;

        r = api_dropin_find(ch->ctx->settings.conf_dirs, a->ifname, a->hook, a->program, &declared);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the drop-ins: %m");
        if (r == 0)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_PROGRAM, "No drop-in declares program %s on %s.",
                                         a->program, ch->chain ? CHAIN_ID_TO_STRING(ch->chain) : a->ifname);
        r = api_dropin_target(&ch->ctx->settings, declared, NULL, a->runtime, &target);
        if (r < 0)
                return bus_error_dropin_target(r, declared, a->program, error);
        r = api_dropin_load_stamped(declared, &kf, &seen);
        if (r < 0)
                return sd_bus_error_setf(error, L3AF_ERROR_INVALID_CONFIGURATION, "Cannot parse %s: %s", declared,
                                         g_strerror(-r));
        *ret_kf = TAKE_PTR(kf);
        *ret_seen = seen;
        r = streq(declared, target);
        *ret_target = TAKE_PTR(target);
        return r;
}

/*
 * Removes the entries of [Map NAME] whose key means the same bytes as 'key'.
 * Returns how many; *ret_same tells whether one of them also had 'value'.
 */
static unsigned remove_entries(GKeyFile *kf, const char *group, const MapHandle *h, const void *key,
                               const void *value, bool *ret_same)
{
        g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
        unsigned n = 0;

        *ret_same = false;
        for (char **k = keys; k && *k; k++) {
                g_autofree void *kb = NULL, *vb = NULL;
                g_autofree char *why = NULL, *v = NULL;

                if (parse_text(h, true, *k, &kb, &why) < 0 || memcmp(kb, key, h->info.key_size) != 0)
                        continue;
                v = g_key_file_get_value(kf, group, *k, NULL);
                if (value && v && parse_text(h, false, g_strstrip(v), &vb, &why) >= 0 &&
                    memcmp(vb, value, h->info.value_size) == 0)
                        *ret_same = true;
                g_key_file_remove_key(kf, group, *k, NULL);
                n++;
        }
        return n;
}

static int build_set(Change *ch, sd_bus_error *error)
{
        MapArgs *a = ch->data;
        _cleanup_(map_handle_done) MapHandle h = { .fd = -EBADF };
        g_autofree void *key = NULL, *value = NULL;
        g_autofree uint8_t *want = NULL, *have = NULL;
        g_autofree char *target = NULL, *group = g_strdup_printf("Map %s", a->map);
        g_autoptr(GKeyFile) kf = NULL;
        FileStamp seen = {};
        bool same, in_place;
        unsigned n;
        int r;

        r = map_open(ch->ctx, a->ifname, a->hook, a->program, a->map, &h, error);
        if (r < 0)
                return r;
        r = parse_arg(&h, true, a->key, &key, error);
        if (r >= 0)
                r = parse_arg(&h, false, a->value, &value, error);
        if (r < 0)
                return r;
        r = load_declaration(ch, a, &kf, &target, &seen, error);
        if (r < 0)
                return r;
        in_place = r > 0;

        n = remove_entries(kf, group, &h, key, value, &same);
        want = map_value_replicate(&h.layout, value);
        have = g_malloc0(map_value_layout_size(&h.layout));
        if (n == 1 && same && map_handle_lookup(&h, key, have) == 0 &&
            memcmp(have, want, map_value_layout_size(&h.layout)) == 0)
                return 0;  /* declared and in the kernel already */

        g_key_file_set_value(kf, group, a->key, a->value);
        {
                g_autofree char *text = api_dropin_to_text(kf, "SetMapEntry");

                g_ptr_array_add(ch->edits, file_edit_new(FILE_EDIT_WRITE, target, text, in_place ? &seen : NULL));
        }
        return 1;
}

/* SetMapEntry and DeleteMapEntry: read the arguments and the runtime flag, queue the change. */
static int submit_map_change(sd_bus_message *m, Context *c, const char *method, bool with_value, ChangeBuild build,
                             ChangeFinish finish, sd_bus_error *error)
{
        g_autoptr(MapArgs) a = g_new0(MapArgs, 1);
        Change *ch;
        int runtime, r;

        r = read_map_args(m, a, true, with_value, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "b", &runtime);
        if (r < 0)
                return r;
        a->runtime = runtime;

        ch = change_new(c, m, method, L3AF_ACTION_CONFIGURE_MAPS, build, finish);
        change_set_chain(ch, a->ifname, a->hook);
        ch->data = TAKE_PTR(a);
        ch->free_data = (GDestroyNotify) map_args_free;
        return change_submit(ch, error);
}

int method_set_map_entry(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return submit_map_change(m, userdata, "SetMapEntry", true, build_set, NULL, error);
}

static int build_delete(Change *ch, sd_bus_error *error)
{
        MapArgs *a = ch->data;
        _cleanup_(map_handle_done) MapHandle h = { .fd = -EBADF };
        g_autofree void *key = NULL;
        g_autofree uint8_t *have = NULL;
        g_autofree char *target = NULL, *group = g_strdup_printf("Map %s", a->map);
        g_autoptr(GKeyFile) kf = NULL;
        FileStamp seen = {};
        bool same, in_kernel, in_place;
        unsigned n;
        int r;

        r = map_open(ch->ctx, a->ifname, a->hook, a->program, a->map, &h, error);
        if (r < 0)
                return r;
        r = parse_arg(&h, true, a->key, &key, error);
        if (r < 0)
                return r;
        r = load_declaration(ch, a, &kf, &target, &seen, error);
        if (r < 0)
                return r;
        in_place = r > 0;
        n = remove_entries(kf, group, &h, key, NULL, &same);
        have = g_malloc0(map_value_layout_size(&h.layout));
        in_kernel = map_handle_lookup(&h, key, have) == 0;
        if (n == 0 && !in_kernel)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_ENTRY, "No entry %s in map %s.", a->key, a->map);
        if (n > 0) {
                g_auto(GStrv) left = g_key_file_get_keys(kf, group, NULL, NULL);
                g_autofree char *text = NULL;

                if (!left || !left[0])
                        g_key_file_remove_group(kf, group, NULL);
                text = api_dropin_to_text(kf, "DeleteMapEntry");
                g_ptr_array_add(ch->edits, file_edit_new(FILE_EDIT_WRITE, target, text, in_place ? &seen : NULL));
        }
        return 1;
}

/* After the drop-in no longer declares the entry: take it out of the kernel. */
static int finish_delete(Change *ch, sd_bus_message *reply, sd_bus_error *error)
{
        MapArgs *a = ch->data;
        _cleanup_(map_handle_done) MapHandle h = { .fd = -EBADF };
        g_autofree void *key = NULL;
        g_autofree uint8_t *zero = NULL;
        int r;

        r = map_open(ch->ctx, a->ifname, a->hook, a->program, a->map, &h, error);
        if (r < 0)
                return r;
        r = parse_arg(&h, true, a->key, &key, error);
        if (r < 0)
                return r;
        r = map_handle_clear(&h, key);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Cannot delete the entry %s of map %s: %m", a->key,
                                               a->map);
        return 0;
}

int method_delete_map_entry(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return submit_map_change(m, userdata, "DeleteMapEntry", false, build_delete, finish_delete, error);
}
