/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/stat.h>

#include "attach.h"
#include "bpf-util.h"
#include "chain.h"
#include "grace.h"
#include "l3af/pins.h"
#include "l3af/stats.h"
#include "log.h"
#include "map-entries.h"
#include "pin-path.h"
#include "map-pins.h"
#include "plan.h"
#include "probe.h"
#include "util.h"
#include "xdp-features.h"

#define WALK_MAX 64

Chain *chain_new(const char *pin_root, const ChainId *id)
{
        Chain *c = g_new0(Chain, 1);

        c->id = *id;
        c->dir = pin_chain_dir(pin_root, id->ifname, id->hook);
        c->root_fd = c->slot_fd = c->meta_fd = c->link_fd = -EBADF;
        c->counting_maps = COUNTING_MAPS_NONE;
        c->instances = g_ptr_array_new_with_free_func((GDestroyNotify) instance_free);
        c->sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        c->probes = g_ptr_array_new_with_free_func((GDestroyNotify) probe_free);
        c->metrics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
        return c;
}

static void chain_close(Chain *c)
{
        safe_close(&c->root_fd);
        safe_close(&c->slot_fd);
        safe_close(&c->meta_fd);
        safe_close(&c->link_fd);
        counting_maps_close(&c->counting_maps);
        c->counting = false;
        c->root_id = 0;
        c->ifindex = 0;
        c->head_attached = false;
        g_ptr_array_set_size(c->instances, 0);
        g_clear_pointer(&c->applied, g_ptr_array_unref);
}

void chain_free(Chain *c)
{
        if (!c)
                return;
        chain_close(c);
        g_ptr_array_unref(c->instances);
        g_hash_table_unref(c->sources);
        g_ptr_array_unref(c->probes);
        g_hash_table_unref(c->metrics);
        if (c->applied)
                g_ptr_array_unref(c->applied);
        g_free(c->dir);
        g_free(c->error);
        g_free(c->change);
        g_free(c);
}

static char *pin_path(Chain *c, const char *name)
{
        return g_build_filename(c->dir, name, NULL);
}

/* The head instance; NULL for a chain with no program. */
static Instance *chain_head(const Chain *c)
{
        return c->instances->len > 0 ? c->instances->pdata[0] : NULL;
}

uint32_t chain_attached_id(const Chain *c)
{
        const Instance *head = chain_head(c);

        return c->head_attached && head ? head->prog_id : c->root_id;
}

void chain_entry_counts(const Chain *c, const struct bpf_prog_info *info, uint64_t *ret_packets,
                        uint64_t *ret_run_time_ns)
{
        bool based = info->id == c->counted_id;

        *ret_packets = info->run_cnt - (based ? MIN(c->counted_base_packets, info->run_cnt) : 0);
        *ret_run_time_ns = info->run_time_ns - (based ? MIN(c->counted_base_run_time_ns, info->run_time_ns) : 0);
}

/*
 * From the moment 'info' was read, the counts of the program it describes,
 * which our link runs, are this start's (chain_entry_counts()). Read it
 * before the program starts to run at the hook: an XDP link update runs the
 * new program at once and only then waits for the kernel's grace period.
 */
static void count_entry_from(Chain *c, const struct bpf_prog_info *info)
{
        c->counted_id = info->id;
        c->counted_base_packets = info->run_cnt;
        c->counted_base_run_time_ns = info->run_time_ns;
}

/*
 * Whether our link is to run the head instance 'head_fd' (-EBADF: the chain
 * has none) itself rather than the root: on XDP, where the root only
 * tail-calls its slot, so the chain costs what a bare tail-call chain of its
 * instances costs (bench/README.md, "Our extra hop"). tc keeps its root,
 * which maps the chain's verdict for tcx: without it TC_ACT_STOLEN and
 * TC_ACT_TRAP would let the packet on. A chain with no program keeps the
 * root, whose empty slot passes, and so does a chain that counts each
 * program ('counting', Statistics=programs): its counting root reads the
 * clock when the chain returns (counting.h).
 */
static bool chain_wants_head(const Chain *c, bool counting, int head_fd)
{
        return c->id.hook == HOOK_XDP && !counting && head_fd >= 0;
}

/*
 * The program our link runs (chain_attached_id()): not owned, but a head
 * with no pin of its own (adopted as "?") is opened by id into *owned.
 * Returns the fd or -errno.
 */
static int chain_link_prog(Chain *c, int *owned)
{
        Instance *head = chain_head(c);

        if (!c->head_attached || !head)
                return c->root_fd;
        if (head->prog_fd >= 0)
                return head->prog_fd;
        *owned = bpf_prog_get_fd_by_id(head->prog_id);
        return *owned >= 0 ? *owned : negative_errno();
}

LogFields chain_log_fields(const Chain *c, const char *const *extra)
{
        return (LogFields) {
                .interface = c->id.ifname,
                .hook = hook_to_string(c->id.hook),
                .prog_id = chain_attached_id(c),
                .generation = c->generation,
                .extra = extra,
        };
}

int chain_list_pinned(const char *pin_root, GArray **ret_ids)
{
        g_autoptr(GArray) ids = g_array_new(FALSE, TRUE, sizeof(ChainId));
        g_autoptr(GPtrArray) entries = NULL;
        int r;

        r = dir_list(pin_root, &entries);
        if (r == -ENOENT) {
                *ret_ids = TAKE_PTR(ids);
                return 0;
        }
        if (r < 0)
                return r;
        for (guint i = 0; i < entries->len; i++) {
                const char *e = entries->pdata[i];
                g_autofree char *ifdir = g_build_filename(pin_root, e, NULL), *ifname = NULL;
                g_autoptr(GPtrArray) hooks = NULL;

                if (pin_name_decode(e, &ifname) < 0 || !ifname_is_valid(ifname)) {
                        log_debug("Ignoring %s, which names no interface.", ifdir);
                        continue;
                }
                r = dir_list(ifdir, &hooks);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;
                for (guint j = 0; j < hooks->len; j++) {
                        ChainId id;

                        if (chain_id_init(&id, ifname, hook_from_string(hooks->pdata[j])) < 0)
                                continue;
                        g_array_append_val(ids, id);
                }
        }
        *ret_ids = TAKE_PTR(ids);
        return 0;
}

static void meta_key(struct l3af_meta_key *k, const char *name)
{
        memset(k, 0, sizeof(*k));
        g_strlcpy(k->name, name, sizeof(k->name));
}

/*
 * Reads the chain's record and its programs' sources. A removal's record
 * (L3AF_META_KEY_SWITCH, pins.h) goes to *ret_removal_gen and
 * *ret_removal_id (0 and 0 when there is none).
 */
static int meta_read(Chain *c, uint64_t *ret_removal_gen, uint32_t *ret_removal_id)
{
        struct l3af_meta_key k, next;
        struct l3af_meta v;
        void *prev = NULL;

        *ret_removal_gen = 0;
        *ret_removal_id = 0;
        g_hash_table_remove_all(c->sources);
        for (;;) {
                if (bpf_map_get_next_key(c->meta_fd, prev, &next) < 0) {
                        if (errno == ENOENT)
                                return 0;  /* the last key */
                        return negative_errno();
                }
                k = next;
                prev = &k;
                if (bpf_map_lookup_elem(c->meta_fd, &k, &v) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return negative_errno();
                }
                k.name[sizeof(k.name) - 1] = 0;
                v.source[sizeof(v.source) - 1] = 0;
                if (streq(k.name, L3AF_META_KEY_SWITCH)) {
                        *ret_removal_gen = v.generation;
                        *ret_removal_id = (uint32_t) g_ascii_strtoull(v.source, NULL, 10);
                } else if (k.name[0] == 0) {
                        c->generation = v.generation;
                        c->mode = v.mode < _XDP_MODE_MAX ? (XdpMode) v.mode : XDP_MODE_AUTO;
                        c->frags = v.flags & L3AF_META_F_FRAGS;
                        c->counting = v.flags & L3AF_META_F_COUNTING;  /* as recorded; the root says (adoption) */
                        c->tcx_pass = !(v.flags & L3AF_META_F_TCX_MAPPED) ? _TCX_PASS_POLICY_INVALID :
                                      v.flags & L3AF_META_F_TCX_PASS ? TCX_PASS_POLICY_PASS : TCX_PASS_POLICY_NEXT;
                } else
                        g_hash_table_replace(c->sources, g_strdup(k.name), g_strdup(v.source));
        }
}

int chain_program_meta(const Chain *c, const char *program, struct l3af_meta *ret)
{
        struct l3af_meta_key k;
        struct l3af_meta v = {};

        if (c->meta_fd < 0)
                return -ENOENT;
        meta_key(&k, program);
        if (bpf_map_lookup_elem(c->meta_fd, &k, &v) < 0)
                return negative_errno();
        v.package[sizeof(v.package) - 1] = 0;
        v.version[sizeof(v.version) - 1] = 0;
        v.signer[sizeof(v.signer) - 1] = 0;
        *ret = v;
        return 0;
}

static int meta_write(Chain *c, GPtrArray *programs)
{
        struct l3af_meta_key k, next;
        struct l3af_meta v = { .generation = c->generation, .mode = c->mode,
                               .flags = (c->frags ? L3AF_META_F_FRAGS : 0) |
                                        (c->tcx_pass == TCX_PASS_POLICY_PASS ? L3AF_META_F_TCX_PASS : 0) |
                                        (c->id.hook != HOOK_XDP && c->tcx_pass >= 0 ? L3AF_META_F_TCX_MAPPED : 0) |
                                        (c->counting ? L3AF_META_F_COUNTING : 0) };
        g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);
        void *prev = NULL;

        meta_key(&k, "");
        if (bpf_map_update_elem(c->meta_fd, &k, &v, BPF_ANY) < 0)
                return negative_errno();

        g_hash_table_remove_all(c->sources);
        for (guint i = 0; programs && i < programs->len; i++) {
                ProgramSpec *p = programs->pdata[i];

                memset(&v, 0, sizeof(v));
                g_strlcpy(v.source, p->source, sizeof(v.source));
                if (p->package)
                        g_strlcpy(v.package, p->package, sizeof(v.package));
                if (p->version)
                        g_strlcpy(v.version, p->version, sizeof(v.version));
                if (p->signer)
                        g_strlcpy(v.signer, p->signer, sizeof(v.signer));
                meta_key(&k, p->name);
                if (bpf_map_update_elem(c->meta_fd, &k, &v, BPF_ANY) < 0)
                        return negative_errno();
                g_hash_table_replace(c->sources, g_strdup(p->name), g_strdup(p->source));
        }

        /* Drop records of programs that left the chain. */
        while (bpf_map_get_next_key(c->meta_fd, prev, &next) == 0) {
                k = next;
                prev = &k;
                k.name[sizeof(k.name) - 1] = 0;
                if (k.name[0] && !g_hash_table_contains(c->sources, k.name))
                        g_ptr_array_add(stale, g_strdup(k.name));
        }
        for (guint i = 0; i < stale->len; i++) {
                meta_key(&k, stale->pdata[i]);
                (void) bpf_map_delete_elem(c->meta_fd, &k);
        }
        return 0;
}

/*
 * Before a removal's switch, which loads no instance to carry its
 * generation: records 'gen' and the id of the instance that leaves
 * (L3AF_META_KEY_SWITCH, pins.h), so that a start after a crash knows
 * whether the removal went live. meta_write() drops the record.
 */
static int meta_record_removal(Chain *c, uint64_t gen, const Instance *leaving)
{
        struct l3af_meta_key k;
        struct l3af_meta v = { .generation = gen };

        meta_key(&k, L3AF_META_KEY_SWITCH);
        g_snprintf(v.source, sizeof(v.source), "%" PRIu32, leaving->prog_id);
        if (bpf_map_update_elem(c->meta_fd, &k, &v, BPF_ANY) < 0)
                return negative_errno();
        return 0;
}

static void meta_drop_removal(Chain *c)
{
        struct l3af_meta_key k;

        meta_key(&k, L3AF_META_KEY_SWITCH);
        (void) bpf_map_delete_elem(c->meta_fd, &k);
}

/* Says which pin could not be opened or read, and why; returns r. */
static int pin_error(char **ret_error, const char *what, const char *path, int r)
{
        *ret_error = g_strdup_printf("cannot %s %s: %s", what, path, g_strerror(-r));
        return r;
}

/*
 * Opens every pinned instance of every program, indexed by program id.
 * With 'prune', removes only what is certainly debris: an entry whose name
 * l3afd never gives, an instance whose program pin does not exist (ENOENT);
 * without, it skips them and removes nothing. Any other error is returned,
 * with *ret_error naming the pin.
 */
static int index_instances(Chain *c, bool prune, GHashTable **ret_by_id, char **ret_error)
{
        g_autoptr(GHashTable) by_id = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                            (GDestroyNotify) instance_free);
        g_autofree char *programs = pin_path(c, "programs");
        g_autoptr(GPtrArray) pes = NULL;
        int r;

        r = dir_list(programs, &pes);
        if (r == -ENOENT) {
                *ret_by_id = TAKE_PTR(by_id);
                return 0;
        }
        if (r < 0)
                return pin_error(ret_error, "list", programs, r);
        for (guint i = 0; i < pes->len; i++) {
                const char *pe = pes->pdata[i];
                g_autofree char *pdir = g_build_filename(programs, pe, NULL), *name = NULL;
                g_autoptr(GPtrArray) es = NULL;

                if (pin_name_decode(pe, &name) < 0) {
                        /* Not made by us: no instance of ours can be in it; prune_programs() removes it. */
                        log_warning("Ignoring %s, which names no program.", pdir);
                        continue;
                }
                r = dir_list(pdir, &es);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return pin_error(ret_error, "list", pdir, r);
                for (guint j = 0; j < es->len; j++) {
                        const char *e = es->pdata[j];
                        g_autofree char *idir = g_build_filename(pdir, e, NULL);
                        g_autofree char *prog = g_build_filename(idir, "prog", NULL);
                        g_autofree char *next = g_build_filename(idir, "next", NULL);
                        g_autoptr(Instance) inst = NULL;
                        const char *digest;
                        uint32_t id;
                        uint64_t gen;

                        if (streq(e, "maps") || streq(e, "entries") || streq(e, "probes"))
                                continue;
                        inst = instance_new(name);
                        inst->dir = g_strdup(idir);
                        if (pin_instance_parse(e, &gen, &digest) < 0 || strlen(digest) != DIGEST_SHORT) {
                                if (prune) {
                                        log_warning("Removing unexpected entry %s.", idir);
                                        instance_unpin(inst);
                                }
                                continue;
                        }
                        inst->gen = gen;
                        g_strlcpy(inst->digest, digest, sizeof(inst->digest));
                        inst->prog_fd = bpf_pin_open(prog);
                        if (inst->prog_fd == -ENOENT) {
                                if (prune) {
                                        log_warning("Removing incomplete instance %s.", idir);
                                        instance_unpin(inst);
                                }
                                continue;
                        }
                        if (inst->prog_fd < 0)
                                return pin_error(ret_error, "open pin", prog, inst->prog_fd);
                        r = bpf_prog_id_of_fd(inst->prog_fd, &inst->prog_id);
                        if (r < 0)
                                return pin_error(ret_error, "inspect the program pinned at", prog, r);
                        r = hop_adopt(inst, ret_error);  /* -ENOENT: no counting hop */
                        if (r < 0 && r != -ENOENT)
                                return r;
                        /* No next pin: a program without a next map, which can only be last. */
                        inst->next_fd = bpf_pin_open(next);
                        if (inst->next_fd < 0 && inst->next_fd != -ENOENT)
                                return pin_error(ret_error, "open pin", next, inst->next_fd);
                        id = instance_target_id(inst);  /* what the walk finds in the predecessor */
                        g_hash_table_insert(by_id, GUINT_TO_POINTER(id), TAKE_PTR(inst));
                }
        }
        *ret_by_id = TAKE_PTR(by_id);
        return 0;
}

static int slot_get(int map_fd, uint32_t *ret_id)
{
        uint32_t key = 0, id = 0;

        if (bpf_map_lookup_elem(map_fd, &key, &id) < 0) {
                if (errno == ENOENT) {
                        *ret_id = 0;
                        return 0;
                }
                return negative_errno();
        }
        *ret_id = id;
        return 0;
}

/*
 * Points the switch point 'map_fd' (the root's slot or an instance's next
 * map) at 'prog_fd', or empties it for -EBADF: one map update, which a
 * packet sees whole or not at all. Returns 0 or -errno.
 */
static int switch_point_set(int map_fd, int prog_fd)
{
        uint32_t zero = 0;
        int r = prog_fd >= 0 ? bpf_map_update_elem(map_fd, &zero, &prog_fd, BPF_ANY) :
                               bpf_map_delete_elem(map_fd, &zero);

        return r < 0 ? negative_errno() : 0;
}

/*
 * A crash during chain_swap_root() leaves root-new: if the link already runs
 * it, the swap happened and is completed, and 1 is returned (the chain's
 * kind, multi-buffer on XDP or TCXPass= on tc, is then the other one than
 * recorded); if it certainly does not (no link, or a link running another
 * program), root-new is dropped and 0 returned. A pin that cannot be read is
 * an error, and nothing is touched.
 */
static int chain_recover_swap(Chain *c, char **ret_error)
{
        g_autofree char *root = pin_path(c, "root"), *slot = pin_path(c, "slot"), *link = pin_path(c, "link");
        g_autofree char *root_new = pin_path(c, "root-new"), *slot_new = pin_path(c, "slot-new");
        _cleanup_close_ int new_fd = bpf_pin_open(root_new), link_fd = -EBADF;
        struct bpf_link_info info = {};
        uint32_t new_id = 0;
        int r;

        if (new_fd == -ENOENT) {
                (void) unlink(slot_new);
                return 0;
        }
        if (new_fd < 0)
                return pin_error(ret_error, "open pin", root_new, new_fd);
        r = bpf_prog_id_of_fd(new_fd, &new_id);
        if (r < 0)
                return pin_error(ret_error, "inspect the program pinned at", root_new, r);
        link_fd = bpf_pin_open(link);
        if (link_fd < 0 && link_fd != -ENOENT)
                return pin_error(ret_error, "open pin", link, link_fd);
        if (link_fd >= 0) {
                r = bpf_link_info_of_fd(link_fd, &info);
                if (r < 0)
                        return pin_error(ret_error, "inspect the link pinned at", link, r);
        }
        if (link_fd >= 0 && info.prog_id != new_id && info.prog_id != 0) {
                /* A chain attached by its head: the link runs the head the new root's slot holds. */
                _cleanup_close_ int slot_new_fd = bpf_pin_open(slot_new);
                uint32_t head_id = 0;

                if (slot_new_fd >= 0 && slot_get(slot_new_fd, &head_id) >= 0 && head_id != 0 &&
                    head_id == info.prog_id)
                        new_id = head_id;
        }
        if (link_fd >= 0 && info.prog_id == new_id) {
                log_info("Chain %s: completing a root swap a stop interrupted.", CHAIN_TEXT(c));
                (void) rename(slot_new, slot);  /* ENOENT: renamed already */
                (void) rename(root_new, root);
                return 1;
        }
        log_info("Chain %s: dropping a root swap a stop interrupted before it happened.", CHAIN_TEXT(c));
        (void) unlink(root_new);
        (void) unlink(slot_new);
        return 0;
}

/*
 * A stop during chain_relink() may leave link-new: attached, it is the
 * chain's attachment from then on and replaces link; detached (ifindex 0),
 * it is dropped. A pin that cannot be read is an error, and nothing is
 * touched.
 */
static int chain_recover_link(Chain *c, char **ret_error)
{
        g_autofree char *link = pin_path(c, "link"), *link_new = pin_path(c, "link-new");
        _cleanup_close_ int new_fd = bpf_pin_open(link_new), old_fd = -EBADF;
        uint32_t ifindex = 0;
        int r;

        if (new_fd == -ENOENT)
                return 0;
        if (new_fd < 0)
                return pin_error(ret_error, "open pin", link_new, new_fd);
        r = link_ifindex(new_fd, &ifindex);
        if (r < 0)
                return pin_error(ret_error, "inspect the link pinned at", link_new, r);
        if (ifindex == 0) {
                log_info("Chain %s: dropping a change of mode a stop interrupted before it attached.", CHAIN_TEXT(c));
                (void) unlink(link_new);
                return 0;
        }
        old_fd = bpf_pin_open(link);
        if (old_fd < 0 && old_fd != -ENOENT)
                return pin_error(ret_error, "open pin", link, old_fd);
        log_info("Chain %s: completing a change of mode a stop interrupted.", CHAIN_TEXT(c));
        if (old_fd >= 0)
                (void) bpf_link_detach(old_fd);
        if (rename(link_new, link) < 0)
                log_warning_errno(errno, "Chain %s: cannot rename %s over %s: %m", CHAIN_TEXT(c), link_new, link);
        return 0;
}

/*
 * Walks the chain from the program with id 'head' (0: from its slot, pinned
 * at 'slot'), through each instance's next map, and moves the instances it
 * reaches from 'by_id' (program id -> Instance*) to c->instances, in chain
 * order. A program with no pin ends the walk as a placeholder named "?",
 * which the next plan rebuilds. Returns 0 or -errno with *ret_error set.
 */
static int walk_instances(Chain *c, GHashTable *by_id, const char *slot, uint32_t head, char **ret_error)
{
        uint32_t id = head;
        int r;

        r = head != 0 ? 0 : slot_get(c->slot_fd, &id);
        if (r < 0)
                return pin_error(ret_error, "read the program array pinned at", slot, r);
        for (int n = 0; id != 0; n++) {
                Instance *inst;

                if (n >= WALK_MAX) {
                        log_warning("Chain %s: the chain under %s loops; it will be rebuilt.", CHAIN_TEXT(c), c->dir);
                        break;
                }
                if (!g_hash_table_steal_extended(by_id, GUINT_TO_POINTER(id), NULL, (gpointer *) &inst)) {
                        /* A program we have no pin for: make sure the plan rebuilds it. */
                        inst = instance_new("?");
                        inst->prog_id = id;
                        log_warning("Chain %s: program id %u in the chain has no pin; it will be rebuilt.",
                                    CHAIN_TEXT(c), id);
                        g_ptr_array_add(c->instances, inst);
                        break;
                }
                g_ptr_array_add(c->instances, inst);
                if (inst->next_fd < 0)
                        break;  /* the last program */
                r = slot_get(inst->next_fd, &id);
                if (r < 0) {
                        g_autofree char *next = g_build_filename(inst->dir, "next", NULL);
                        return pin_error(ret_error, "read the program array pinned at", next, r);
                }
        }
        return 0;
}

/*
 * Reads whether the adopted root (pinned at 'root') counts each program and,
 * if so, opens its counting maps. A swap that turned counting on or off left
 * the other kinds as recorded: *swapped is cleared then. Returns 0, -ENOLINK
 * when a counting root has no counting maps pinned beside it (not l3afd's
 * doing, and the chain may be live), or -errno, with *ret_error.
 */
static int adopt_counting(Chain *c, const char *root, bool *swapped, char **ret_error)
{
        int r;

        r = root_is_counting(c->root_fd);
        if (r < 0)
                return pin_error(ret_error, "inspect the program pinned at", root, r);
        if (*swapped && c->counting != (r > 0))
                *swapped = false;  /* the swap turned counting on or off: the other kinds are as recorded */
        c->counting = r > 0;
        if (!c->counting)
                return 0;
        r = counting_maps_open(c->dir, false, &c->counting_maps);
        if (r == -ENOENT) {
                *ret_error = g_strdup_printf("the root pinned at %s counts each program, but its counting "
                                             "maps are not pinned beside it", root);
                return -ENOLINK;
        }
        if (r < 0)
                return pin_error(ret_error, "open the counting maps pinned in", c->dir, r);
        return 0;
}

/*
 * Unpins the instances of 'by_id' (id -> Instance*) the walk did not reach,
 * left over from an interrupted change, after settling the maps that change
 * staged: they are live if its generation went live. They are pinned after an
 * instance of that generation, and every instance of it is reached once it is
 * live: so they are live exactly when no unreached instance is newer than the
 * running generation.
 */
static void remove_unreached(Chain *c, GHashTable *by_id)
{
        LogFields f = chain_log_fields(c, NULL);
        uint64_t newest_unreached = 0;
        GHashTableIter it;
        Instance *inst;

        g_hash_table_iter_init(&it, by_id);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &inst))
                newest_unreached = MAX(newest_unreached, inst->gen);
        map_pins_settle(c->dir, &f, c->instances->len > 0 && c->generation >= newest_unreached);

        g_hash_table_iter_init(&it, by_id);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &inst)) {
                log_debug("Chain %s: removing unreachable instance %s.", CHAIN_TEXT(c), inst->dir);
                instance_unpin(inst);
        }
}

/*
 * Walks the chain packets run (walk_instances()): from the instance our link
 * runs, 'link_prog', when it is one in 'by_id' (an XDP chain attached by its
 * head), else from the root's slot (pinned at 'slot'). The link is the truth:
 * a stop between the slot's update and the link's leaves the slot ahead of
 * it, and the slot is put back in line. Returns 0 or -errno with *ret_error
 * set.
 */
static int walk_running(Chain *c, GHashTable *by_id, const char *slot, uint32_t link_prog, char **ret_error)
{
        uint32_t head = 0, in_slot = 0;
        int r;

        if (link_prog != 0 && link_prog != c->root_id && g_hash_table_contains(by_id, GUINT_TO_POINTER(link_prog)))
                head = link_prog;
        r = walk_instances(c, by_id, slot, head, ret_error);
        if (r < 0)
                return r;
        c->head_attached = head != 0;
        if (!c->head_attached)
                return 0;
        r = slot_get(c->slot_fd, &in_slot);
        if (r < 0)
                return pin_error(ret_error, "read the program array pinned at", slot, r);
        if (in_slot == head)
                return 0;
        log_info("Chain %s: the root's slot holds program %u, the link runs the head %u: a stop came between "
                 "their updates; the slot follows the link.", CHAIN_TEXT(c), in_slot, head);
        r = switch_point_set(c->slot_fd, instance_target_fd(chain_head(c)));
        if (r < 0)
                return pin_error(ret_error, "update the program array pinned at", slot, r);
        return 0;
}

/*
 * After a switch: the next switch at an instance's next map waits for the
 * grace period that starts now (plan.h). Without one, such a switch is not
 * made (c->grace_unsure): changes take a new prefix instead.
 */
static void note_switch(Chain *c)
{
        c->grace_unsure = grace_period_request(&c->grace_ticket) < 0;
}

/* Whether the walk reached the program with id 'id'. */
static bool walk_reached(Chain *c, uint32_t id)
{
        for (guint i = 0; i < c->instances->len; i++)
                if (((Instance *) c->instances->pdata[i])->prog_id == id)
                        return true;
        return false;
}

/*
 * After the walk, the generation that runs: the record's, unless a stop
 * between a switch and its record left running instances newer than the
 * record, or a removal (which loads none) recorded as 'removal_gen' whose
 * instance (id 'removal_id') no longer runs.
 */
static void running_generation(Chain *c, uint64_t removal_gen, uint32_t removal_id)
{
        for (guint i = 0; i < c->instances->len; i++)
                c->generation = MAX(c->generation, ((Instance *) c->instances->pdata[i])->gen);
        if (removal_gen > c->generation && !walk_reached(c, removal_id))
                c->generation = removal_gen;
}

/*
 * Opens the chain's pins and walks it. Only pins that do not exist (ENOENT)
 * make debris; any other error is returned with *ret_error naming the pin.
 */
static int chain_adopt_pins(Chain *c, char **ret_error)
{
        g_autofree char *root = pin_path(c, "root"), *slot = pin_path(c, "slot"), *meta = pin_path(c, "meta");
        g_autofree char *link = pin_path(c, "link");
        g_autoptr(GHashTable) by_id = NULL;
        uint64_t removal_gen;
        uint32_t removal_id, link_prog = 0;
        bool swapped;
        int r;

        g_ptr_array_set_size(c->probes, 0);
        r = chain_recover_link(c, ret_error);
        if (r < 0)
                return r;
        r = chain_recover_swap(c, ret_error);
        if (r < 0)
                return r;
        swapped = r > 0;
        c->root_fd = bpf_pin_open(root);
        if (c->root_fd < 0 && c->root_fd != -ENOENT)
                return pin_error(ret_error, "open pin", root, c->root_fd);
        c->slot_fd = bpf_pin_open(slot);
        if (c->slot_fd < 0 && c->slot_fd != -ENOENT)
                return pin_error(ret_error, "open pin", slot, c->slot_fd);
        c->meta_fd = bpf_pin_open(meta);
        if (c->meta_fd < 0 && c->meta_fd != -ENOENT)
                return pin_error(ret_error, "open pin", meta, c->meta_fd);
        c->link_fd = bpf_pin_open(link);
        if (c->link_fd < 0 && c->link_fd != -ENOENT)
                return pin_error(ret_error, "open pin", link, c->link_fd);
        if (c->root_fd < 0 || c->slot_fd < 0 || c->meta_fd < 0) {
                /* Debris of a chain that was never completed: nothing references it. */
                if (c->link_fd >= 0)
                        (void) bpf_link_detach(c->link_fd);
                chain_close(c);
                (void) rm_rf(c->dir);
                return -ENOENT;
        }
        r = bpf_prog_id_of_fd(c->root_fd, &c->root_id);
        if (r < 0)
                return pin_error(ret_error, "inspect the program pinned at", root, r);
        if (c->link_fd >= 0) {
                r = link_ifindex(c->link_fd, &c->ifindex);
                if (r >= 0)
                        r = link_prog_id(c->link_fd, &link_prog);
                if (r < 0)
                        return pin_error(ret_error, "inspect the link pinned at", link, r);
        }
        r = meta_read(c, &removal_gen, &removal_id);
        if (r < 0)
                return pin_error(ret_error, "read the map pinned at", meta, r);
        r = adopt_counting(c, root, &swapped, ret_error);
        if (r < 0)
                return r;
        if (swapped && c->id.hook == HOOK_XDP)
                c->frags = !c->frags;  /* a swap always changes the kind; the record was not yet updated */
        else if (swapped && c->tcx_pass >= 0)
                c->tcx_pass = c->tcx_pass == TCX_PASS_POLICY_PASS ? TCX_PASS_POLICY_NEXT : TCX_PASS_POLICY_PASS;

        r = index_instances(c, true, &by_id, ret_error);
        if (r < 0)
                return r;
        r = walk_running(c, by_id, slot, link_prog, ret_error);
        if (r < 0)
                return r;

        /* The probes of the programs the walk found, as their pins show them (kinds come with the next apply). */
        for (guint i = 0; i < c->instances->len; i++) {
                Instance *inst = c->instances->pdata[i];
                g_autofree char *pdir = NULL;

                if (streq(inst->name, "?"))
                        continue;
                pdir = pin_program_dir(c->dir, inst->name);
                probes_describe_pinned(inst->name, pdir, c->probes, NULL);
        }

        running_generation(c, removal_gen, removal_id);

        /* The walk reached the end: whatever it did not reach is left over from an interrupted change. */
        remove_unreached(c, by_id);
        return 0;
}

int chain_adopt(Chain *c, char **ret_error)
{
        g_autofree char *error = NULL;
        int r;

        chain_close(c);
        r = chain_adopt_pins(c, &error);
        if (r >= 0) {
                _cleanup_close_ int entry = bpf_prog_get_fd_by_id(chain_attached_id(c));
                struct bpf_prog_info info = {};

                note_switch(c);  /* packets of a generation the last daemon switched away from may still run */
                if (entry >= 0 && bpf_prog_info_of_fd(entry, &info) >= 0)
                        count_entry_from(c, &info);  /* what it counted under the last daemon is not this start's */
        }
        if (r < 0) {
                /* Whatever it was, nothing was removed: let go of what was opened, and of what was read. */
                chain_close(c);
                g_hash_table_remove_all(c->sources);
                c->generation = 0;
                if (r != -ENOENT)
                        *ret_error = TAKE_PTR(error);
        }
        return r;
}

/*
 * 1: our link is attached to the interface and runs our program
 * (chain_attached_id()); 0: certainly not (a program swapped in behind our
 * link is not ours); -errno: cannot tell.
 */
static int chain_attached(Chain *c)
{
        uint32_t ifindex = 0, prog = 0;
        unsigned now;
        int r;

        if (c->link_fd < 0)
                return 0;
        r = link_ifindex(c->link_fd, &ifindex);
        if (r >= 0)
                r = link_prog_id(c->link_fd, &prog);
        if (r < 0)
                return r;
        if (ifindex == 0 || prog != chain_attached_id(c))
                return 0;
        now = if_nametoindex(c->id.ifname);
        if (now == 0)
                return errno == ENODEV ? 0 : negative_errno();
        return ifindex == now;
}

bool chain_is_attached(Chain *c)
{
        return chain_attached(c) > 0;
}

static int chain_create_root(Chain *c)
{
        g_autofree char *root = pin_path(c, "root"), *slot = pin_path(c, "slot"), *meta = pin_path(c, "meta");
        int r;

        r = mkdir_p(c->dir, 0700);
        if (r < 0)
                return r;
        if (c->counting) {
                r = counting_maps_open(c->dir, true, &c->counting_maps);
                if (r < 0)
                        return r;
        }
        r = root_load(c->id.hook, c->frags, c->tcx_pass, c->counting ? &c->counting_maps : NULL, &c->root_fd,
                      &c->slot_fd);
        if (r < 0)
                return r;
        r = bpf_prog_id_of_fd(c->root_fd, &c->root_id);
        if (r < 0)
                return r;
        c->meta_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "l3af_meta", sizeof(struct l3af_meta_key),
                                     sizeof(struct l3af_meta), 64, NULL);
        if (c->meta_fd < 0)
                return negative_errno();
        if (bpf_obj_pin(c->slot_fd, slot) < 0 || bpf_obj_pin(c->meta_fd, meta) < 0 ||
            bpf_obj_pin(c->root_fd, root) < 0)
                return negative_errno();
        return 0;
}

/*
 * Attaches 'prog_fd' (the head instance with 'head', else the root) with a
 * new pinned link, in place of ours. Returns 0 or -errno with *ret_error set.
 */
static int chain_attach_prog(Chain *c, int prog_fd, bool head, char **ret_error)
{
        g_autofree char *link = pin_path(c, "link");
        _cleanup_close_ int fd = -EBADF;
        unsigned ifindex = if_nametoindex(c->id.ifname);
        int r;

        if (ifindex == 0) {
                c->waiting = true;
                *ret_error = g_strdup_printf("interface %s does not exist", c->id.ifname);
                return -ENODEV;
        }
        c->waiting = false;

        /* A link that is still attached elsewhere (an old ifindex) is let go first. */
        if (c->link_fd >= 0) {
                (void) bpf_link_detach(c->link_fd);
                safe_close(&c->link_fd);
        }
        (void) unlink(link);

        r = hook_attach(prog_fd, c->id.hook, (int) ifindex, c->mode, &fd, ret_error);
        if (r < 0)
                return r;
        if (bpf_obj_pin(fd, link) < 0) {
                r = negative_errno();
                (void) bpf_link_detach(fd);
                *ret_error = g_strdup_printf("cannot pin link at %s: %s", link, g_strerror(-r));
                return r;
        }
        c->link_fd = TAKE_FD(fd);
        c->ifindex = ifindex;
        c->head_attached = head;
        return 0;
}

int chain_attach(Chain *c, char **ret_error)
{
        Instance *head = chain_head(c);
        int head_fd = head ? instance_target_fd(head) : -EBADF;
        bool want = chain_wants_head(c, c->counting, head_fd);

        return chain_attach_prog(c, want ? head_fd : c->root_fd, want, ret_error);
}

/*
 * Makes our attached link run 'prog_fd' (the head instance with 'head', else
 * the root) instead of the program it runs, from one packet to the next:
 * one bpf_link_update() with BPF_F_REPLACE (link_switch()), which fails
 * with -EPERM and changes nothing when something else swapped the program
 * behind our link. Nothing is done when the link runs it already. Returns
 * 0 or -errno with *ret_error set.
 */
static int chain_link_switch(Chain *c, int prog_fd, bool head, char **ret_error)
{
        _cleanup_close_ int owned = -EBADF;
        struct bpf_prog_info old = {}, new = {};
        uint32_t old_id = chain_attached_id(c), new_id = 0;
        int old_fd, r;

        r = bpf_prog_id_of_fd(prog_fd, &new_id);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot inspect the program to attach: %s", g_strerror(-r));
                return r;
        }
        if (new_id == old_id) {
                c->head_attached = head;
                return 0;
        }
        if (bpf_prog_info_of_fd(prog_fd, &new) < 0)
                new = (struct bpf_prog_info) {};  /* then counted whole */
        old_fd = chain_link_prog(c, &owned);
        if (old_fd < 0) {
                *ret_error = g_strdup_printf("cannot open the program our link runs (id %u): %s", old_id,
                                            g_strerror(-old_fd));
                return old_fd;
        }
        r = link_switch(c->link_fd, prog_fd, old_fd, c->id.hook, ret_error);
        if (r < 0)
                return r;
        c->head_attached = head;
        /* The kernel's counts (Statistics=yes) stay with the program our link let go of: keep what it
         * counted in this start, and count the new one from here (it may have run before: the root). */
        if (bpf_prog_info_of_fd(old_fd, &old) >= 0) {
                uint64_t packets, run_time_ns;

                chain_entry_counts(c, &old, &packets, &run_time_ns);
                c->retired_packets += packets;
                c->retired_run_time_ns += run_time_ns;
        }
        count_entry_from(c, &new);
        return 0;
}

/*
 * Makes 'fd', a link just attached at ifindex, the chain's link: pinned as
 * link-new, the old link detached, then renamed over link, so that a start
 * always finds the attachment that runs (chain_recover_link()). On failure
 * the caller still owns 'fd', and the old link is untouched.
 */
static int chain_install_link(Chain *c, int *fd, uint32_t ifindex, char **ret_error)
{
        g_autofree char *link = pin_path(c, "link"), *link_new = pin_path(c, "link-new");
        int r;

        (void) unlink(link_new);
        if (bpf_obj_pin(*fd, link_new) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot pin link at %s: %s", link_new, g_strerror(-r));
                return r;
        }
        crash_point("relink-pinned");
        if (c->link_fd >= 0)
                (void) bpf_link_detach(c->link_fd);
        if (rename(link_new, link) < 0)
                log_warning_errno(errno, "Chain %s: cannot rename %s over %s: %m", CHAIN_TEXT(c), link_new, link);
        safe_close(&c->link_fd);
        c->link_fd = TAKE_FD(*fd);
        c->ifindex = ifindex;
        return 0;
}

/* Attaches prog_fd (the head instance with 'head') in 'mode' and makes it the chain's link; on failure
 * nothing is attached by it. */
static int chain_attach_as(Chain *c, int prog_fd, bool head, XdpMode mode, char **ret_error)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = hook_attach(prog_fd, c->id.hook, (int) c->ifindex, mode, &fd, ret_error);
        if (r < 0)
                return r;
        r = chain_install_link(c, &fd, c->ifindex, ret_error);
        if (r < 0)
                (void) bpf_link_detach(fd);
        else
                c->head_attached = head;
        return r;
}

/*
 * Makes the attached chain's link run prog_fd (its own root or a new one,
 * or with 'head' a head instance) in 'mode' at the XDP hook, never leaving
 * the hook without our chain:
 *
 * - Nothing changes in the kernel when the root already runs the way 'mode'
 *   asks: the same mode, or auto where the kernel already chose native (auto
 *   means native wherever the driver has it, dev_xdp_mode() in
 *   net/core/dev.c), or auto where the kernel would choose the generic slot
 *   the root already holds (it answers EBUSY). A new root is then switched in
 *   by one link update.
 * - Where the kernel lets both attachments coexist, the new one comes first.
 * - Linux runs native or generic XDP on a device, not both ("Native and
 *   generic XDP can't be active at the same time", EEXIST). Native mode on a
 *   driver whose XDP features (xdp_features_query()) lack basic XDP is
 *   refused with the attachment untouched. Otherwise the old link is let go,
 *   and when the new attachment fails (the driver has no native XDP, the MTU
 *   is too large for single-buffer XDP) the old root is attached again in
 *   its old mode, with a new link, before the error is returned.
 *
 * Returns 0 or -errno with *ret_error naming the reason; c->mode is 'mode'
 * only on success.
 */
static int chain_relink(Chain *c, int prog_fd, bool head, XdpMode mode, char **ret_error)
{
        g_autofree char *error = NULL, *back_error = NULL;
        _cleanup_close_ int fd = -EBADF, owned = -EBADF;
        XdpMode cur = mode, now = mode;
        uint64_t features = 0;
        uint32_t id = 0;
        bool was_head = c->head_attached;
        int r, k, old_fd;

        if (c->id.hook != HOOK_XDP || mode == c->mode)
                goto same;

        r = xdp_attached_mode((int) c->ifindex, chain_attached_id(c), &cur);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot tell which XDP mode our program (id %u) runs in: %s",
                                            chain_attached_id(c), g_strerror(-r));
                return r;
        }
        if (mode == cur || (mode == XDP_MODE_AUTO && cur == XDP_MODE_NATIVE))
                goto same;

        r = hook_attach(prog_fd, c->id.hook, (int) c->ifindex, mode, &fd, &error);
        if (r >= 0) {
                r = chain_install_link(c, &fd, c->ifindex, ret_error);
                if (r < 0) {
                        (void) bpf_link_detach(fd);
                        return r;
                }
                c->head_attached = head;
                goto changed;
        }
        if (r == -EBUSY && mode == XDP_MODE_AUTO)
                goto same;  /* auto chose the slot our link holds */
        if (r != -EEXIST) {
                *ret_error = TAKE_PTR(error);
                return r;
        }
        g_clear_pointer(&error, g_free);
        if (mode == XDP_MODE_NATIVE && xdp_features_query((int) c->ifindex, &features) >= 0 &&
            !(features & L3AF_NETDEV_XDP_ACT_BASIC)) {
                /* Known to fail: keep the attachment as it is. */
                *ret_error = g_strdup_printf("cannot attach in native mode: the driver has no native XDP support "
                                             "(the kernel lists no basic XDP among its features; use Mode=generic "
                                             "or auto); the chain runs in %s mode as before, untouched",
                                             xdp_mode_to_string(cur));
                return -EOPNOTSUPP;
        }

        old_fd = chain_link_prog(c, &owned);
        if (old_fd < 0) {
                *ret_error = g_strdup_printf("cannot open the program our link runs (id %u): %s",
                                            chain_attached_id(c), g_strerror(-old_fd));
                return old_fd;
        }
        (void) bpf_link_detach(c->link_fd);
        crash_point("relink-detached");
        r = chain_attach_as(c, prog_fd, head, mode, &error);
        if (r >= 0)
                goto changed;
        k = chain_attach_as(c, old_fd, was_head, cur, &back_error);
        if (k < 0)
                *ret_error = g_strdup_printf("cannot attach in %s mode: %s; attaching again in %s mode failed too "
                                             "(%s): the chain is not attached",
                                             xdp_mode_to_string(mode), error, xdp_mode_to_string(cur), back_error);
        else
                *ret_error = g_strdup_printf("cannot attach in %s mode: %s; the chain runs in %s mode as before",
                                             xdp_mode_to_string(mode), error, xdp_mode_to_string(cur));
        return r;

changed:
        if (bpf_prog_id_of_fd(prog_fd, &id) >= 0)
                (void) xdp_attached_mode((int) c->ifindex, id, &now);
        log_info("Chain %s: the %s runs in %s mode (Mode=%s), was %s.", CHAIN_TEXT(c), head ? "head" : "root",
                 xdp_mode_to_string(now),
                 xdp_mode_to_string(mode), xdp_mode_to_string(cur));
        c->mode = mode;
        return 0;
same:
        r = chain_link_switch(c, prog_fd, head, ret_error);
        if (r < 0)
                return r;
        if (mode != c->mode)
                log_info("Chain %s: Mode=%s changes nothing in the kernel, which runs the %s in %s mode.",
                         CHAIN_TEXT(c), xdp_mode_to_string(mode), head ? "head" : "root", xdp_mode_to_string(cur));
        c->mode = mode;
        return 0;
}

/* chain_relink() of the program our link runs. */
static int chain_relink_same(Chain *c, XdpMode mode, char **ret_error)
{
        _cleanup_close_ int owned = -EBADF;
        int fd = chain_link_prog(c, &owned);

        if (fd < 0) {
                *ret_error = g_strdup_printf("cannot open the program our link runs (id %u): %s",
                                             chain_attached_id(c), g_strerror(-fd));
                return fd;
        }
        return chain_relink(c, fd, c->head_attached, mode, ret_error);
}

/*
 * Attaches a chain nothing of which runs at the hook (its link detached, its
 * interface replaced, a stop in the middle of chain_relink()) in 'mode'.
 * When that fails and the chain was recorded in another mode, it is attached
 * in that mode and the error is still returned: then chain_is_attached().
 */
static int chain_reattach(Chain *c, XdpMode mode, char **ret_error)
{
        g_autofree char *error = NULL, *back_error = NULL;
        XdpMode old = c->mode;
        int r;

        c->mode = mode;
        r = chain_attach(c, &error);
        if (r >= 0)
                return r;
        if (old != mode && r != -ENODEV) {
                c->mode = old;
                if (chain_attach(c, &back_error) >= 0) {
                        *ret_error = g_strdup_printf("cannot attach in %s mode: %s; the chain runs in %s mode as "
                                                     "before", xdp_mode_to_string(mode), error,
                                                     xdp_mode_to_string(old));
                        return r;
                }
                c->mode = mode;
        }
        *ret_error = TAKE_PTR(error);
        return r;
}

/*
 * Puts a new root (with its slot already pointing at a complete chain) in
 * place of the old one. The new root and slot are pinned as root-new and
 * slot-new first, then the link switches in one step, then they are renamed
 * over root and slot: a start that finds root-new knows from the link which
 * side of the switch a crash left (chain_recover_swap()); the switch also
 * changes the XDP mode to 'mode' (chain_relink()). The link switches to
 * 'head_fd', the new slot's head, when the chain is attached by its head
 * (chain_wants_head()), else to the new root. With 'reattach', the caller
 * attaches afresh instead.
 */
static int chain_swap_root(Chain *c, int *root_fd, int *slot_fd, int head_fd, bool frags, TcxPassPolicy tcx_pass,
                           bool counting,
                           bool reattach, XdpMode mode, char **ret_error)
{
        g_autofree char *root = pin_path(c, "root"), *slot = pin_path(c, "slot");
        g_autofree char *root_new = pin_path(c, "root-new"), *slot_new = pin_path(c, "slot-new");
        uint32_t id = 0;
        int r;

        r = bpf_prog_id_of_fd(*root_fd, &id);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot inspect the new root: %s", g_strerror(-r));
                return r;
        }
        (void) unlink(root_new);
        (void) unlink(slot_new);
        if (bpf_obj_pin(*slot_fd, slot_new) < 0 || bpf_obj_pin(*root_fd, root_new) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot pin the new root under %s: %s", c->dir, g_strerror(-r));
                goto fail;
        }
        crash_point("swap-pinned");
        if (!reattach) {
                bool head = chain_wants_head(c, counting, head_fd);

                r = chain_relink(c, head ? head_fd : *root_fd, head, mode, ret_error);
                if (r < 0)
                        goto fail;
        }
        crash_point("swap-switched");
        /* The new root runs from here on. */
        if (rename(slot_new, slot) < 0 || rename(root_new, root) < 0)
                log_warning_errno(errno, "Chain %s: cannot rename the new root's pins under %s: %m", CHAIN_TEXT(c),
                                  c->dir);
        safe_close(&c->root_fd);
        safe_close(&c->slot_fd);
        c->root_fd = TAKE_FD(*root_fd);
        c->slot_fd = TAKE_FD(*slot_fd);
        c->root_id = id;
        c->frags = frags;
        c->tcx_pass = tcx_pass;
        c->counting = counting;
        return 0;
fail:
        (void) unlink(root_new);
        (void) unlink(slot_new);
        return r;
}

/*
 * Takes out the map entries the drop-ins no longer declare, program by
 * program (map-entries.h); run once the chain's programs are the ones given.
 */
static int retract_entries(Chain *c, GPtrArray *programs, char **ret_error)
{
        int r = 0;

        for (guint i = 0; i < programs->len; i++) {
                ProgramSpec *p = programs->pdata[i];
                g_autofree char *error = NULL;
                int k = map_entries_retract(c->dir, p->name, p, &error);

                if (k < 0 && r == 0) {
                        r = k;
                        *ret_error = g_strdup_printf("program '%s': %s", p->name, error);
                }
        }
        return r;
}

/*
 * Drops the pins (state maps included) of programs that left the chain,
 * after taking out the entries they wrote into maps the chain shares. A
 * program whose entries cannot be taken out keeps its pins (and its record),
 * so that the next change tries again.
 */
static bool prune_programs(Chain *c)
{
        g_autofree char *programs = pin_path(c, "programs");
        g_autoptr(GDir) d = g_dir_open(programs, 0, NULL);
        g_autoptr(GHashTable) keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        const char *e;
        bool all = true;

        /* Compared as encoded: a directory that encodes no name of the chain's is not the chain's either. */
        for (guint i = 0; i < c->instances->len; i++)
                g_hash_table_add(keep, pin_name_encode(((Instance *) c->instances->pdata[i])->name));
        while (d && (e = g_dir_read_name(d)))
                if (!g_hash_table_contains(keep, e)) {
                        g_autofree char *path = g_build_filename(programs, e, NULL), *name = NULL, *error = NULL;

                        if (pin_name_decode(e, &name) >= 0 && map_entries_retract(c->dir, name, NULL, &error) < 0) {
                                log_warning("Chain %s: program '%s' left the chain, but its pins stay for now: %s",
                                            CHAIN_TEXT(c), name, error);
                                all = false;
                                continue;
                        }
                        log_debug("Chain %s: removing %s, whose program left the chain.", CHAIN_TEXT(c), path);
                        (void) rm_rf(path);
                }
        return all;
}

/* After the chain runs 'programs': drops what left it, programs and the maps no program declares. */
static bool prune_maps(Chain *c, GPtrArray *programs)
{
        LogFields f = chain_log_fields(c, NULL);
        bool all = prune_programs(c);

        map_pins_prune(c->dir, &f, programs);
        return all;
}

/* Remembers 'programs' as settled completely (c->applied), or forgets what was. */
static void set_applied(Chain *c, GPtrArray *programs, bool settled)
{
        g_clear_pointer(&c->applied, g_ptr_array_unref);
        if (!settled)
                return;
        c->applied = g_ptr_array_new_full(programs->len, (GDestroyNotify) program_spec_free);
        for (guint i = 0; i < programs->len; i++)
                g_ptr_array_add(c->applied, program_spec_ref(programs->pdata[i]));
}

static bool same_as_applied(Chain *c, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass)
{
        if (!c->applied || c->applied->len != programs->len || c->mode != mode ||
            (c->id.hook != HOOK_XDP && c->tcx_pass != tcx_pass) ||
            c->counting != (c->statistics && programs->len <= L3AF_COUNT_PROGRAMS_MAX))
                return false;
        for (guint i = 0; i < programs->len; i++)
                if (c->applied->pdata[i] != programs->pdata[i])
                        return false;
        return true;
}

/*
 * When the chain runs exactly 'programs' as settled before: whether it is
 * still attached where it belongs, and its [Map] entries. Returns 0 when that
 * is all, 1 when the full apply must look (something changed, not attached,
 * or cannot tell; c->applied is forgotten), or -errno with *ret_error set.
 */
static int apply_unchanged(Chain *c, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass, char **ret_error)
{
        int r;

        if (!same_as_applied(c, programs, mode, tcx_pass) || c->root_fd < 0 || chain_attached(c) <= 0) {
                g_clear_pointer(&c->applied, g_ptr_array_unref);
                return 1;
        }
        for (guint i = 0; i < programs->len; i++) {
                const ProgramSpec *p = programs->pdata[i];

                if (p->maps->len == 0)
                        continue;
                r = program_write_map_entries(p, c->dir, ret_error);
                if (r < 0) {
                        g_clear_pointer(&c->applied, g_ptr_array_unref);
                        return r;
                }
        }
        return 0;
}

static char *instance_identity(const char *name, const char *digest)
{
        return g_strdup_printf("%s@%.*s", name, DIGEST_SHORT, digest);
}

static bool program_needs_probes(Chain *c, const ProgramSpec *p)
{
        g_autofree char *pdir = pin_program_dir(c->dir, p->name);

        return p->probes && p->probes->len > 0 && !probes_pinned(pdir, p->digest, p->probes);
}

/*
 * Attaches the probes of each program whose object's probes are not pinned
 * yet, from its fresh instance's load (fresh->pdata[i] is programs[i]'s, for
 * i < fresh->len) or a load of their own. Run before the flip: on failure
 * the probes attached here are let go again, and the old ones still run.
 * 'attached' gets the programs whose probes were attached.
 */
static int attach_probes(Chain *c, GPtrArray *programs, GPtrArray *fresh, GPtrArray *attached, char **ret_error)
{
        for (guint i = 0; i < programs->len; i++) {
                ProgramSpec *p = programs->pdata[i];
                Instance *inst = i < fresh->len ? fresh->pdata[i] : NULL;
                g_autofree char *pdir = pin_program_dir(c->dir, p->name), *error = NULL;
                struct bpf_object *own = NULL;
                int r;

                if (!program_needs_probes(c, p))
                        continue;
                if (!inst || !inst->obj) {
                        r = program_load_probes(p, c->dir, &own, &error);
                        if (r < 0) {
                                *ret_error = g_strdup_printf("program '%s': %s", p->name, error);
                                return r;
                        }
                }
                r = probes_attach(pdir, p->digest, p->probes, own ? own : inst->obj, &error);
                bpf_object__close(own);
                if (inst)
                        g_clear_pointer(&inst->obj, bpf_object__close);
                if (r < 0) {
                        *ret_error = g_strdup_printf("program '%s': %s", p->name, error);
                        return r;
                }
                g_ptr_array_add(attached, p);
        }
        return 0;
}

/* Lets go of the probes attach_probes() attached for a change that failed. */
static void detach_probes(Chain *c, GPtrArray *attached)
{
        for (guint i = 0; i < attached->len; i++) {
                ProgramSpec *p = attached->pdata[i];
                g_autofree char *pdir = pin_program_dir(c->dir, p->name);

                probes_drop(pdir, p->digest);
        }
}

/* Once 'programs' run: drops the probes of their objects' old versions, and describes the ones that run. */
static void settle_probes(Chain *c, GPtrArray *programs)
{
        g_ptr_array_set_size(c->probes, 0);
        for (guint i = 0; i < programs->len; i++) {
                ProgramSpec *p = programs->pdata[i];
                g_autofree char *pdir = pin_program_dir(c->dir, p->name);

                probes_retire(pdir, p->probes && p->probes->len > 0 ? p->digest : NULL);
                probes_describe(p->name, pdir, p->digest, p->probes, c->probes);
        }
}

/*
 * A chain with no root yet: its root program and pins, for an interface that
 * exists (-ENODEV, and c->waiting, otherwise) and pins that were not there
 * (-EEXIST: pins it did not adopt are never built over). On failure nothing
 * of it is left. Returns 0 or -errno with *ret_error set.
 */
static int create_chain(Chain *c, bool frags, TcxPassPolicy tcx_pass, char **ret_error)
{
        struct stat st;
        int r;

        if (if_nametoindex(c->id.ifname) == 0) {
                c->waiting = true;
                *ret_error = g_strdup_printf("interface %s does not exist", c->id.ifname);
                return -ENODEV;
        }
        r = lstat(c->dir, &st) >= 0 ? -EEXIST : errno == ENOENT ? 0 : negative_errno();
        if (r < 0) {
                *ret_error = g_strdup_printf("pins under %s were not adopted (%s); l3afd leaves them as they are",
                                             c->dir, g_strerror(-r));
                return r;
        }
        c->frags = frags;
        c->tcx_pass = tcx_pass;
        r = chain_create_root(c);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot set up the root program under %s: %s", c->dir, g_strerror(-r));
                chain_remove(c);
                return r;
        }
        return 0;
}

/*
 * Whether the change needs a new root, and if so loads it: multi-buffer or
 * not is the whole chain's (a new root, and a new instance of everything,
 * so 'plan' changes), and only the root maps the tcx verdict. Returns 1 with
 * the root's fds, 0 if the running root stays, or -errno with *ret_error set.
 */
static int load_new_root(Chain *c, GPtrArray *programs, bool frags, TcxPassPolicy tcx_pass, bool counting,
                         ChainPlan *plan, int *ret_root_fd, int *ret_slot_fd, char **ret_error)
{
        bool new_root = false;
        int r;

        if (frags != c->frags || counting != c->counting) {
                new_root = true;
                *plan = (ChainPlan) { .create = programs->len, .release = c->instances->len };
        }
        if (tcx_pass != c->tcx_pass) {
                /* A new root in front of the same instances (also for a root adopted from a daemon that
                 * predates TCXPass=, which did not map it). */
                new_root = true;
                plan->noop = false;
        }
        if (!new_root)
                return 0;
        if (counting && c->counting_maps.stats_fd < 0) {
                r = counting_maps_open(c->dir, true, &c->counting_maps);
                if (r < 0) {
                        *ret_error = g_strdup_printf("cannot set up the counting maps under %s: %s", c->dir,
                                                     g_strerror(-r));
                        return r;
                }
        }
        r = root_load(c->id.hook, frags, tcx_pass, counting ? &c->counting_maps : NULL, ret_root_fd, ret_slot_fd);
        if (r < 0) {
                *ret_error = c->id.hook == HOOK_XDP ?
                        g_strdup_printf("cannot load a %s root: %s", frags ? "multi-buffer" : "single-buffer",
                                        g_strerror(-r)) :
                        g_strdup_printf("cannot load a root with TCXPass=%s: %s", tcx_pass_policy_to_string(tcx_pass),
                                        g_strerror(-r));
                return r;
        }
        return 1;
}

/* The identities of the running instances and of 'programs', for the planner (plan.h). */
static void plan_identities(Chain *c, GPtrArray *programs, GPtrArray *cur_ids, GPtrArray *want_ids)
{
        for (guint i = 0; i < c->instances->len; i++) {
                Instance *inst = c->instances->pdata[i];
                g_ptr_array_add(cur_ids, instance_identity(inst->name, inst->digest));
        }
        for (guint i = 0; i < programs->len; i++) {
                ProgramSpec *p = programs->pdata[i];
                g_ptr_array_add(want_ids, instance_identity(p->name, p->digest));
        }
}

/* Which instances a change to 'programs' creates, shares and releases as a new prefix (plan.h). */
static void plan_change(Chain *c, GPtrArray *programs, ChainPlan *ret)
{
        g_autoptr(GPtrArray) cur_ids = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) want_ids = g_ptr_array_new_with_free_func(g_free);

        plan_identities(c, programs, cur_ids, want_ids);
        chain_plan((const char *const *) cur_ids->pdata, cur_ids->len, (const char *const *) want_ids->pdata,
                   want_ids->len, ret);
}

/*
 * Where a splice acts on the running chain (plan.h): the switch point, the
 * one instance it loads, what the switch point (or that instance) then
 * points at, and the running instances it releases.
 */
typedef struct SpliceSites {
        ChainSplice splice;
        Instance *pred;       /* the switch point's instance; NULL: the root's slot */
        int load;             /* programs[load] gets a new instance at that position; -1: none */
        Instance *succ;       /* what follows the switch point in the new chain, past 'load'; NULL: nothing */
        size_t release_at;    /* c->instances[release_at, release_at + release) leave after the switch */
        size_t release;
        bool reload_pred;     /* the last program leaves by a new instance of its predecessor */
} SpliceSites;

/*
 * Removing the last program empties its predecessor's next map, and the
 * kernel waits for a grace period in that update (plan.h). A new instance
 * of the predecessor with an empty next map, switched in at the program
 * before it, costs its load instead: taken when this daemon measured that
 * load shorter than its last grace period (grace.h).
 */
static bool reload_cheaper(const Instance *pred)
{
        uint64_t gp = grace_period_last_usec();

        return pred->load_usec > 0 && gp > 0 && pred->load_usec < gp;
}

/*
 * Whether the change is one splice the running chain can take as it is
 * (plan.h): its switch point is the root's slot or an instance with a next
 * map, which can wait for the grace period after the previous switch; the
 * instance it links to is pinned; and the program it loads gives no
 * chain-wide map a new definition (the chain's other instances use that
 * map: they would need new instances too). *ret says where it acts.
 */
static bool plan_splice(Chain *c, GPtrArray *programs, SpliceSites *ret)
{
        g_autoptr(GPtrArray) cur_ids = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) want_ids = g_ptr_array_new_with_free_func(g_free);
        Instance **inst = (Instance **) c->instances->pdata;
        size_t n = c->instances->len, succ_at;
        SpliceSites t = { .load = -1 };
        ChainSplice s;

        plan_identities(c, programs, cur_ids, want_ids);
        if (!chain_plan_splice((const char *const *) cur_ids->pdata, cur_ids->len,
                               (const char *const *) want_ids->pdata, want_ids->len, &s))
                return false;
        t.splice = s;
        t.pred = s.at > 0 ? inst[s.at - 1] : NULL;
        succ_at = s.kind == SPLICE_INSERT ? s.at : s.at + 1;
        t.succ = succ_at < n ? inst[succ_at] : NULL;
        t.release_at = s.at;
        t.release = s.kind != SPLICE_INSERT;
        if (s.kind != SPLICE_REMOVE)
                t.load = (int) s.at;
        else if (!t.succ && t.pred && t.pred->prog_fd >= 0 && reload_cheaper(t.pred)) {
                /* The last leaves: its predecessor's new instance ends the chain, switched in before it. */
                t.reload_pred = true;
                t.load = (int) s.at - 1;
                t.pred = s.at > 1 ? inst[s.at - 2] : NULL;
                t.release_at = s.at - 1;
                t.release = 2;
        }
        if (t.pred && (t.pred->next_fd < 0 || c->grace_unsure))
                return false;
        if (t.succ && instance_target_fd(t.succ) < 0)
                return false;
        if (t.load >= 0 && map_pins_redefine_shared(c->dir, programs->pdata[t.load]) != 0)
                return false;
        *ret = t;
        return true;
}

/*
 * A change that loads nothing: the mode's relink, the missing attachment,
 * probes missing from the pins, and the bookkeeping. Returns 0 or -errno
 * with *ret_error set.
 */
static int apply_without_loading(Chain *c, GPtrArray *programs, XdpMode mode, bool reattach, bool relink,
                                 char **ret_error)
{
        g_autoptr(GPtrArray) none = g_ptr_array_new(), attached = g_ptr_array_new();
        bool pruned, settled;
        int r;

        if (relink) {
                r = chain_relink_same(c, mode, ret_error);
                if (r < 0)
                        return r;
        }
        if (reattach) {
                /* Nothing to load: only the attachment is missing (link detached, new ifindex). */
                r = chain_reattach(c, mode, ret_error);
                if (r < 0 && chain_is_attached(c))
                        return r;  /* runs the old way: the new mode failed */
                if (r < 0) {
                        log_warning("Chain %s: %s; it stays detached for now.", CHAIN_TEXT(c), *ret_error);
                        g_clear_pointer(ret_error, g_free);
                }
        }
        pruned = prune_maps(c, programs);
        /* The same instances; probes missing from the pins (lost, or new to l3afd) attach now. */
        r = attach_probes(c, programs, none, attached, ret_error);
        if (r < 0)
                return r;
        settle_probes(c, programs);
        r = meta_write(c, programs);
        settled = r >= 0 && pruned && chain_is_attached(c);
        r = retract_entries(c, programs, ret_error);
        if (r < 0)
                return r;
        set_applied(c, programs, settled);
        return 0;
}

/*
 * The stats slot for a new instance of 'name' (counting.h): the slot its
 * program's running instance counts into, else the lowest slot no instance
 * of the chain, running or new ('fresh'), uses, zeroed. Returns 0 or -errno.
 */
static int stats_slot_for(Chain *c, const char *name, GPtrArray *fresh, uint32_t *ret)
{
        bool used[L3AF_STATS_SLOTS] = {};
        GPtrArray *lists[] = { c->instances, fresh };

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (guint i = 0; i < lists[l]->len; i++) {
                        const Instance *inst = lists[l]->pdata[i];

                        if (!inst || inst->hop_fd < 0)  /* a splice's 'fresh' has no instance before its own */
                                continue;
                        if (streq(inst->name, name)) {
                                *ret = inst->stats_slot;
                                return 0;
                        }
                        used[inst->stats_slot] = true;
                }
        for (uint32_t slot = 0; slot < L3AF_STATS_SLOTS; slot++)
                if (!used[slot]) {
                        int r = counting_slot_reset(&c->counting_maps, slot);

                        if (r < 0)
                                return r;
                        *ret = slot;
                        return 0;
                }
        return -ENOSPC;  /* 2 x L3AF_COUNT_PROGRAMS_MAX slots cannot all be taken */
}

/* With 'counting', puts a counting hop in front of a fresh instance. Returns 0 or -errno with *ret_error set. */
static int add_hop(Chain *c, Instance *inst, bool frags, GPtrArray *fresh, char **ret_error)
{
        uint32_t slot;
        int r;

        r = stats_slot_for(c, inst->name, fresh, &slot);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot give '%s' a stats slot: %s", inst->name, g_strerror(-r));
                return r;
        }
        return hop_add(inst, c->id.hook, frags, &c->counting_maps, slot, ret_error);
}

/*
 * Loads the new prefix (programs[0, plan->create)) as generation 'gen', back
 * to front, each instance fully linked to its successor before anything
 * points at it; the instances go to 'fresh' in chain order, each behind a
 * counting hop with 'counting'. *ret_head is what the root's slot is to hold
 * (instance_target_fd() of the prefix's first program). Returns 0 or -errno
 * with *ret_error set.
 */
static int build_prefix(Chain *c, GPtrArray *programs, const ChainPlan *plan, uint64_t gen, bool frags,
                        bool counting, GPtrArray *fresh, int *ret_head, char **ret_error)
{
        int r, next_fd = -EBADF;
        uint32_t zero = 0;

        if (plan->shared > 0)
                next_fd = instance_target_fd(c->instances->pdata[c->instances->len - plan->shared]);
        for (size_t i = plan->create; i-- > 0;) {
                ProgramSpec *p = programs->pdata[i];
                Instance *inst = NULL;
                uint64_t start = g_get_monotonic_time();

                r = program_instantiate(p, c->dir, gen, frags, program_needs_probes(c, p), &inst, ret_error,
                                        &c->error_kind);
                if (r < 0)
                        return r;
                inst->load_usec = g_get_monotonic_time() - start;
                g_ptr_array_insert(fresh, 0, inst);
                if (counting) {
                        r = add_hop(c, inst, frags, fresh, ret_error);
                        if (r < 0)
                                return r;
                }
                r = program_write_map_entries(p, c->dir, ret_error);
                if (r < 0)
                        return r;
                if (next_fd >= 0) {
                        if (inst->next_fd < 0) {
                                *ret_error = g_strdup_printf("program '%s' has no next map and cannot precede another",
                                                             p->name);
                                return -EINVAL;
                        }
                        if (bpf_map_update_elem(inst->next_fd, &zero, &next_fd, BPF_ANY) < 0) {
                                r = negative_errno();
                                *ret_error = g_strdup_printf("cannot link '%s' to its successor: %s", p->name,
                                                             g_strerror(-r));
                                return r;
                        }
                }
                next_fd = instance_target_fd(inst);
        }
        *ret_head = next_fd;
        return 0;
}

/*
 * Before the flip. Nothing of ours runs at the hook of a chain this change
 * did not create: its root is attached first, so that a mode that fails
 * leaves the old generation running the old way (not attachable at all,
 * *reattach stays true and attaching is tried again after the flip). An
 * attached chain with a new mode is relinked, unless a new root takes the
 * hook anyway. Returns 0 or -errno with *ret_error set.
 */
static int ready_hook(Chain *c, XdpMode mode, bool created, bool relink, bool new_root, bool *reattach,
                      char **ret_error)
{
        int r;

        if (*reattach && !created) {
                r = chain_reattach(c, mode, ret_error);
                if (r < 0 && chain_is_attached(c))
                        return r;
                g_clear_pointer(ret_error, g_free);
                *reattach = !chain_is_attached(c);
        } else if (relink && !new_root) {
                r = chain_relink_same(c, mode, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * Once the chain runs 'programs' as generation 'gen': takes out the entries
 * they no longer declare (only now that the old generation is gone: it may
 * still have been using them), drops the programs and maps that left and the
 * probes of old objects, and records the generation.
 */
static void settle_generation(Chain *c, GPtrArray *programs, uint64_t gen, char **ret_error)
{
        bool settled = true;
        int r;

        c->generation = gen;
        if (retract_entries(c, programs, ret_error) < 0) {
                log_warning("Chain %s: %s; retried at the next reload.", CHAIN_TEXT(c), *ret_error);
                g_clear_pointer(ret_error, g_free);
                settled = false;
        }
        settled = prune_maps(c, programs) && settled;
        settle_probes(c, programs);
        if (!c->counting && c->counting_maps.stats_fd >= 0) {
                counting_maps_close(&c->counting_maps);
                counting_maps_unpin(c->dir);
        }
        r = meta_write(c, programs);
        if (r < 0) {
                log_warning_errno(r, "Chain %s: cannot record generation %" PRIu64 ": %m", CHAIN_TEXT(c), gen);
                settled = false;
        }
        set_applied(c, programs, settled && chain_is_attached(c));
}

/*
 * Whether a chain of 'n' programs counts per program: Statistics=programs and
 * the root and 2 n tail calls fit in the kernel's 33 (l3af/stats.h). A
 * chain that cannot is said so in the journal once, when it starts not to.
 */
static bool chain_counts(Chain *c, size_t n)
{
        if (!c->statistics)
                return false;
        if (n <= L3AF_COUNT_PROGRAMS_MAX) {
                c->uncounted_logged = false;
                return true;
        }
        if (!c->uncounted_logged) {
                g_autofree char *field = g_strdup_printf("L3AF_PROGRAMS=%zu", n);
                const char *extra[] = { field, NULL };
                LogFields f = chain_log_fields(c, extra);

                log_structured(LOG_WARNING, 0, L3AF_MSG_CHAIN_NOT_COUNTED, &f,
                               "Chain %s: %zu programs are too many to count each (Statistics=programs): a packet "
                               "may make 33 tail calls, and the root and a counting hop before each of %d programs "
                               "take them all. The chain runs without counting hops; its root still counts the "
                               "chain.", CHAIN_TEXT(c), n, L3AF_COUNT_PROGRAMS_MAX);
        }
        c->uncounted_logged = true;
        return false;
}

/*
 * How the change reaches the hook. Not attached (new, link detached, interface replaced): *ret_reattach,
 * attach afresh. Attached: a new mode is *ret_relink, a relink that never leaves the hook without our
 * root, made before the flip, so that on failure the old generation keeps running the old way. Returns 0,
 * or -errno with *ret_error when whether the chain is attached cannot be told: re-attaching on a guess
 * could take a running chain off the wire.
 */
static int plan_attach(Chain *c, XdpMode mode, bool created, bool *ret_reattach, bool *ret_relink, char **ret_error)
{
        int r = created ? 0 : chain_attached(c);

        if (r < 0) {
                *ret_error = g_strdup_printf("cannot tell whether the chain is attached: %s", g_strerror(-r));
                return r;
        }
        *ret_reattach = created || r == 0;
        *ret_relink = !*ret_reattach && c->mode != mode;
        return 0;
}

/* How the change that went live was made, for its journal line (chain.h). */
static void describe_change(Chain *c, char *what, unsigned loaded)
{
        g_free(c->change);
        c->change = what;
        c->loaded = loaded;
}

/*
 * After the flip: releases the old prefix (packets still inside it keep it
 * alive until they leave), takes the new instances from 'fresh', and records
 * generation 'gen' (in front of a new root, with 'new_root').
 */
static void commit_generation(Chain *c, GPtrArray *programs, const ChainPlan *plan, GPtrArray *fresh, uint64_t gen,
                              XdpMode mode, bool new_root, char **ret_error)
{
        for (size_t i = 0; i < plan->release; i++)
                instance_unpin(c->instances->pdata[i]);
        g_ptr_array_remove_range(c->instances, 0, plan->release);
        for (guint i = fresh->len; i-- > 0;)
                g_ptr_array_insert(c->instances, 0, g_ptr_array_steal_index(fresh, i));
        c->mode = mode;
        describe_change(c, g_strdup(!new_root ? "new prefix" : plan->create > 0 ? "new root and new prefix" :
                                    "new root"), (unsigned) plan->create);
        settle_generation(c, programs, gen, ret_error);
}

/* Ends the staging of maps for generation 'gen' (map_pins_settle()): they take their place, or with !commit go. */
static void settle_staged_maps(Chain *c, uint64_t gen, bool commit)
{
        LogFields f = chain_log_fields(c, NULL);

        f.generation = gen;
        map_pins_settle(c->dir, &f, commit);
}

/* "splice, replace 'b' after 'a'": what splice 't' of the running chain to 'programs' does. */
static char *splice_describe(Chain *c, GPtrArray *programs, const SpliceSites *t)
{
        const ChainSplice *s = &t->splice;
        const Instance *pred = s->at > 0 ? c->instances->pdata[s->at - 1] : NULL;
        const char *name = s->kind == SPLICE_REMOVE ? ((Instance *) c->instances->pdata[s->at])->name :
                                                      ((ProgramSpec *) programs->pdata[s->at])->name;

        return g_strdup_printf("splice, %s '%s' %s%s%s%s", splice_kind_to_string(s->kind), name,
                               pred ? "after '" : "at the head", pred ? pred->name : "", pred ? "'" : "",
                               t->reload_pred ? " (a new instance of it ends the chain)" : "");
}

/*
 * Loads the one new instance of splice 't' (programs[t->load]) as
 * generation 'gen', with its entries, behind a counting hop when the chain
 * counts, and links it to t->succ (NULL: it is last). It goes to 'fresh' at
 * its position. Returns 0 or -errno with
 * *ret_error set.
 */
static int build_splice(Chain *c, GPtrArray *programs, const SpliceSites *t, uint64_t gen, GPtrArray *fresh,
                        char **ret_error)
{
        ProgramSpec *p = programs->pdata[t->load];
        Instance *inst = NULL;
        uint64_t start = g_get_monotonic_time();
        uint32_t zero = 0;
        int r, target;

        r = program_instantiate(p, c->dir, gen, c->frags, program_needs_probes(c, p), &inst, ret_error,
                                &c->error_kind);
        if (r < 0)
                return r;
        inst->load_usec = g_get_monotonic_time() - start;
        g_ptr_array_set_size(fresh, t->load);
        g_ptr_array_add(fresh, inst);
        if (c->counting) {
                r = add_hop(c, inst, c->frags, fresh, ret_error);  /* the slot of the instance it replaces, if any */
                if (r < 0)
                        return r;
        }
        r = program_write_map_entries(p, c->dir, ret_error);
        if (r < 0)
                return r;
        if (!t->succ)
                return 0;
        if (inst->next_fd < 0) {
                *ret_error = g_strdup_printf("program '%s' has no next map and cannot precede another", p->name);
                return -EINVAL;
        }
        target = instance_target_fd(t->succ);
        if (bpf_map_update_elem(inst->next_fd, &zero, &target, BPF_ANY) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot link '%s' to its successor: %s", p->name, g_strerror(-r));
                return r;
        }
        return 0;
}

/*
 * A single splice (plan.h) to a chain that stays attached with its root and
 * mode: at most one new instance, fully linked, then one update of the switch
 * point, after the grace period since the previous switch when that is an
 * instance's next map. Returns 1, or -errno with *ret_error set and nothing
 * the packets see changed.
 */
static int apply_splice(Chain *c, GPtrArray *programs, const SpliceSites *t, char **ret_error)
{
        g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func((GDestroyNotify) instance_free);
        g_autoptr(GPtrArray) attached = g_ptr_array_new();
        Instance *inst = NULL;
        uint64_t gen = c->generation + 1;
        LogFields f = chain_log_fields(c, NULL);
        int r, target;

        if (t->load < 0)
                r = meta_record_removal(c, gen, c->instances->pdata[t->release_at]);
        else
                r = build_splice(c, programs, t, gen, fresh, ret_error);
        if (r < 0) {
                if (!*ret_error)
                        *ret_error = g_strdup_printf("cannot record the change: %s", g_strerror(-r));
                goto fail;
        }
        inst = t->load >= 0 ? fresh->pdata[t->load] : NULL;
        crash_point("change-staged");

        /* Probes of a new object attach before the switch: if one cannot, the old generation runs on, with its own. */
        r = attach_probes(c, programs, fresh, attached, ret_error);
        if (r < 0)
                goto fail;
        if (t->pred) {
                r = grace_period_wait(c->grace_ticket);
                if (r < 0) {
                        *ret_error = g_strdup_printf("cannot wait for the packets of the previous generation to "
                                                     "leave the chain: %s", g_strerror(-r));
                        goto fail;
                }
        }
        /* The switch: one update of the predecessor's next map (or the root's slot, and our link's program for
         * a chain attached by its head) makes the generation live. */
        target = inst ? instance_target_fd(inst) : t->succ ? instance_target_fd(t->succ) : -EBADF;
        r = switch_point_set(t->pred ? t->pred->next_fd : c->slot_fd, target);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot switch %s to the new generation: %s",
                                             t->pred ? "the predecessor's next map" : "the root", g_strerror(-r));
                goto fail;
        }
        if (!t->pred && (c->head_attached || chain_wants_head(c, c->counting, target))) {
                bool head = chain_wants_head(c, c->counting, target);

                crash_point("switch-slot");
                r = chain_link_switch(c, head ? target : c->root_fd, head, ret_error);
                if (r < 0) {
                        (void) switch_point_set(c->slot_fd, instance_target_fd(chain_head(c)));
                        goto fail;
                }
        }
        note_switch(c);
        crash_point("change-switched");
        settle_staged_maps(c, gen, true);

        describe_change(c, splice_describe(c, programs, t), inst ? 1 : 0);
        /* Packets still inside the instances that leave keep them alive until they leave. */
        for (size_t i = 0; i < t->release; i++)
                instance_unpin(c->instances->pdata[t->release_at + i]);
        g_ptr_array_remove_range(c->instances, t->release_at, t->release);
        crash_point("change-released");
        if (inst)
                g_ptr_array_insert(c->instances, t->load, g_ptr_array_steal_index(fresh, t->load));
        settle_generation(c, programs, gen, ret_error);
        return 1;

fail:
        detach_probes(c, attached);
        if (t->load >= 0 && fresh->len > (guint) t->load && fresh->pdata[t->load])
                instance_unpin(fresh->pdata[t->load]);
        if (t->load < 0)
                meta_drop_removal(c);
        map_pins_settle(c->dir, &f, false);
        prune_programs(c);
        return r;
}

/*
 * Config first: the [Map] entries of the programs whose instances keep
 * running are in place before any new instance is reachable. A new
 * instance's (programs[0, plan->create), or the one of splice 't' when not
 * NULL) are written once it is loaded. Returns 0 or -errno with *ret_error set.
 */
static int write_running_entries(Chain *c, GPtrArray *programs, const SpliceSites *t, const ChainPlan *plan,
                                 char **ret_error)
{
        for (guint i = 0; i < programs->len; i++) {
                int r;

                if (t ? (int) i == t->load : i < plan->create)
                        continue;
                r = program_write_map_entries(programs->pdata[i], c->dir, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * The flip of a new prefix whose head is 'head_fd', in front of the running
 * root: the root's slot first, which is the switch while the root is
 * attached; then, for a chain attached by its head or to be
 * (chain_wants_head()), our link's program, which is the switch then. On
 * failure the slot holds the running head again. Returns 0 or -errno with
 * *ret_error set.
 */
static int flip_prefix(Chain *c, int head_fd, bool counting, bool reattach, char **ret_error)
{
        bool head = chain_wants_head(c, counting, head_fd);
        Instance *old = chain_head(c);
        int r;

        r = switch_point_set(c->slot_fd, head_fd);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot switch the root to the new generation: %s", g_strerror(-r));
                return r;
        }
        if (reattach || (!c->head_attached && !head))
                return 0;
        crash_point("switch-slot");
        r = chain_link_switch(c, head ? head_fd : c->root_fd, head, ret_error);
        if (r < 0)
                (void) switch_point_set(c->slot_fd, old ? instance_target_fd(old) : -EBADF);
        return r;
}

/*
 * Attaches a chain whose new generation is live but which was not attached, in 'mode': its head instance
 * 'head_fd' on XDP (chain_wants_head()), else its root.
 * Returns 0, or -errno when a chain this change 'created' cannot attach (it goes). A chain that existed
 * stays pinned whatever happens, and attaching is retried when the interface is back.
 */
static int attach_live(Chain *c, int head_fd, XdpMode mode, bool created, char **ret_error)
{
        bool head = chain_wants_head(c, c->counting, head_fd);
        int r;

        c->mode = mode;
        r = chain_attach_prog(c, head ? head_fd : c->root_fd, head, ret_error);
        if (r < 0 && created)
                return r;
        if (r < 0) {
                log_warning("Chain %s: %s; the chain is kept and attached when possible.", CHAIN_TEXT(c), *ret_error);
                g_clear_pointer(ret_error, g_free);
        }
        return 0;
}

/* A change that is not known to be none (chain_apply()): a splice, a new prefix, a new root, or no load. */
static int apply_change(Chain *c, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass, char **ret_error)
{
        g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func((GDestroyNotify) instance_free);
        g_autoptr(GPtrArray) attached = g_ptr_array_new();
        _cleanup_close_ int new_root_fd = -EBADF, new_slot_fd = -EBADF;
        bool frags = program_chain_frags(c->id.hook, programs), created = false, reattach, relink, new_root = false;
        bool counting = chain_counts(c, programs->len), splice;
        SpliceSites sites = { .load = -1 };
        ChainPlan plan;
        uint64_t gen;
        int r, head_fd = -EBADF;

        if (c->root_fd < 0) {
                c->counting = counting;
                r = create_chain(c, frags, tcx_pass, ret_error);
                if (r < 0)
                        return r;
                created = true;
        }

        plan_change(c, programs, &plan);

        r = plan_attach(c, mode, created, &reattach, &relink, ret_error);
        if (r < 0)
                goto fail;

        if (c->id.hook == HOOK_XDP)
                tcx_pass = c->tcx_pass;
        r = load_new_root(c, programs, frags, tcx_pass, counting, &plan, &new_root_fd, &new_slot_fd, ret_error);
        if (r < 0)
                goto fail;
        new_root = r > 0;
        splice = !plan.noop && !reattach && !relink && !new_root && plan_splice(c, programs, &sites);  /* plan.h */

        /* Config first: entries are in place before any new instance is reachable. */
        r = write_running_entries(c, programs, splice ? &sites : NULL, &plan, ret_error);
        if (r < 0)
                goto fail;
        if (plan.noop)
                return apply_without_loading(c, programs, mode, reattach, relink, ret_error);
        if (splice)
                return apply_splice(c, programs, &sites, ret_error);

        gen = c->generation + 1;
        r = build_prefix(c, programs, &plan, gen, frags, counting, fresh, &head_fd, ret_error);
        if (r < 0)
                goto fail;
        crash_point("change-staged");

        /* Probes of new objects attach before the flip: if one cannot, the old generation runs on, with its own. */
        r = attach_probes(c, programs, fresh, attached, ret_error);
        if (r < 0)
                goto fail;

        r = ready_hook(c, mode, created, relink, new_root, &reattach, ret_error);
        if (r < 0)
                goto fail;

        /* The flip: one update makes the new generation live (flip_prefix(), or a new root's link update). */
        if (new_root) {
                r = switch_point_set(new_slot_fd, head_fd);
                if (r < 0)
                        *ret_error = g_strdup_printf("cannot link the new root to the new generation: %s",
                                                    g_strerror(-r));
                else
                        r = chain_swap_root(c, &new_root_fd, &new_slot_fd, head_fd, frags, tcx_pass, counting,
                                            reattach, mode, ret_error);
        } else
                r = flip_prefix(c, head_fd, counting, reattach, ret_error);
        if (r < 0)
                goto fail;
        note_switch(c);
        crash_point("change-switched");
        settle_staged_maps(c, gen, true);  /* maps staged for the new generation take their place */

        if (reattach) {
                r = attach_live(c, head_fd, mode, created, ret_error);
                if (r < 0)
                        goto fail_new;
        }

        commit_generation(c, programs, &plan, fresh, gen, mode, new_root, ret_error);
        return 1;

fail:
        detach_probes(c, attached);
        for (guint i = 0; i < fresh->len; i++)
                instance_unpin(fresh->pdata[i]);
        if (!created) {
                settle_staged_maps(c, c->generation, false);
                prune_programs(c);
                return r;
        }
fail_new:
        chain_remove(c);
        return r;
}

int chain_apply(Chain *c, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass, char **ret_error)
{
        int r;

        g_return_val_if_fail(programs->len > 0, -EINVAL);
        c->error_kind = PROBLEM_INVALID_CONFIGURATION;
        r = apply_unchanged(c, programs, mode, c->id.hook == HOOK_XDP ? c->tcx_pass : tcx_pass, ret_error);
        if (r <= 0)
                return r;
        return apply_change(c, programs, mode, tcx_pass, ret_error);
}

int chain_predict(const char *pin_root, const ChainId *id, GPtrArray *programs, XdpMode mode, TcxPassPolicy tcx_pass,
                  char **ret_text)
{
        g_autoptr(Chain) c = chain_new(pin_root, id);
        Hook hook = id->hook;
        g_autoptr(GHashTable) by_id = NULL;
        g_autofree char *slot = pin_path(c, "slot"), *meta = pin_path(c, "meta"), *error = NULL;
        bool frags = program_chain_frags(hook, programs);
        uint64_t removal_gen;
        uint32_t removal_id;
        SpliceSites t;
        ChainPlan plan;
        int r;

        c->slot_fd = bpf_pin_open(slot);
        if (c->slot_fd < 0)
                return c->slot_fd;
        c->meta_fd = bpf_pin_open(meta);
        if (c->meta_fd < 0)
                return c->meta_fd;
        r = meta_read(c, &removal_gen, &removal_id);
        if (r < 0)
                return r;
        r = index_instances(c, false, &by_id, &error);
        if (r >= 0)
                r = walk_instances(c, by_id, slot, 0, &error);
        if (r < 0)
                return r;

        plan_change(c, programs, &plan);
        if (frags != c->frags)
                *ret_text = g_strdup_printf("new root and new prefix, %u instance%s to load", programs->len,
                                            programs->len == 1 ? "" : "s");
        else if (hook != HOOK_XDP && tcx_pass != c->tcx_pass)
                *ret_text = g_strdup_printf("new root%s, %zu instance%s to load", plan.create > 0 ? " and new prefix" : "",
                                            plan.create, plan.create == 1 ? "" : "s");
        else if (plan.noop)
                *ret_text = NULL;
        else if (mode == c->mode && plan_splice(c, programs, &t)) {
                g_autofree char *what = splice_describe(c, programs, &t);

                /* The instances were not loaded by this process: a removal of the last program is predicted
                 * as its map update, which the daemon may trade for a load it measured cheaper. */
                *ret_text = g_strdup_printf("%s, %u instance%s to load", what, t.load >= 0 ? 1 : 0,
                                            t.load >= 0 ? "" : "s");
        } else
                *ret_text = g_strdup_printf("new prefix, %zu instance%s to load", plan.create,
                                            plan.create == 1 ? "" : "s");
        return 0;
}

int chain_remove(Chain *c)
{
        g_autofree char *ifdir = g_path_get_dirname(c->dir);
        int r;

        if (c->link_fd < 0) {
                g_autofree char *link = pin_path(c, "link");
                c->link_fd = bpf_pin_open(link);
        }
        if (c->link_fd >= 0)
                (void) bpf_link_detach(c->link_fd);
        chain_close(c);
        r = rm_rf(c->dir);
        (void) rmdir(ifdir);  /* only if no other hook of the interface remains */
        c->generation = 0;
        g_hash_table_remove_all(c->sources);
        g_ptr_array_set_size(c->probes, 0);
        return r;
}

void chain_set_metrics(Chain *c, GPtrArray *programs)
{
        g_hash_table_remove_all(c->metrics);
        for (guint i = 0; i < programs->len; i++) {
                const ProgramSpec *p = programs->pdata[i];
                GPtrArray *list;

                if (!p->metrics || p->metrics->len == 0)
                        continue;
                list = g_ptr_array_new_with_free_func((GDestroyNotify) metric_spec_free);
                for (guint j = 0; j < p->metrics->len; j++)
                        g_ptr_array_add(list, metric_spec_copy(p->metrics->pdata[j]));
                g_hash_table_replace(c->metrics, g_strdup(p->name), list);
        }
}

const char *chain_state(Chain *ch)
{
        if (ch->waiting)
                return "waiting";
        if (ch->displaced)
                return "displaced";
        if (ch->error || ch->root_fd < 0)
                return "failed";
        if (!chain_is_attached(ch))
                return "detached";
        return "live";
}
