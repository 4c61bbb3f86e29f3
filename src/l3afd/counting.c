/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include "bpf-util.h"
#include "counting.h"
#include "hop.skel.h"
#include "l3af/stats.h"
#include "util.h"

static int map_open_or_create(const char *dir, const char *name, uint32_t value_size, uint32_t max_entries,
                              bool create, int *ret)
{
        g_autofree char *path = g_build_filename(dir, name, NULL);
        int fd = bpf_pin_open(path);

        if (fd == -ENOENT && create) {
                g_autofree char *kname = g_strdup_printf("l3af_%s", name);

                fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, kname, sizeof(uint32_t), value_size, max_entries,
                                    NULL);
                if (fd < 0)
                        return negative_errno();
                if (bpf_obj_pin(fd, path) < 0) {
                        int r = negative_errno();

                        closep(&fd);
                        return r;
                }
        }
        if (fd < 0)
                return fd;
        *ret = fd;
        return 0;
}

int counting_maps_open(const char *chain_dir, bool create, CountingMaps *ret)
{
        CountingMaps m = COUNTING_MAPS_NONE;
        int r;

        r = map_open_or_create(chain_dir, "stats", sizeof(struct l3af_prog_stats), L3AF_STATS_SLOTS, create,
                               &m.stats_fd);
        if (r >= 0)
                r = map_open_or_create(chain_dir, "clock", sizeof(struct l3af_stats_clock), 1, create, &m.clock_fd);
        if (r < 0) {
                counting_maps_close(&m);
                return r;
        }
        *ret = m;
        return 0;
}

void counting_maps_close(CountingMaps *m)
{
        safe_close(&m->stats_fd);
        safe_close(&m->clock_fd);
}

void counting_maps_unpin(const char *chain_dir)
{
        g_autofree char *stats = g_build_filename(chain_dir, "stats", NULL);
        g_autofree char *clock = g_build_filename(chain_dir, "clock", NULL);

        (void) unlink(stats);
        (void) unlink(clock);
}

static int slot_layout(const CountingMaps *m, MapValueLayout *ret)
{
        struct bpf_map_info info;
        int r;

        r = bpf_map_info_of_fd(m->stats_fd, &info);
        return r < 0 ? r : map_value_layout(&info, ret);
}

int counting_slot_read(const CountingMaps *m, uint32_t slot, uint64_t *ret_runs, uint64_t *ret_run_time_ns)
{
        g_autofree uint8_t *buf = NULL;
        uint64_t runs = 0, ns = 0;
        MapValueLayout l;
        int r;

        r = slot_layout(m, &l);
        if (r < 0)
                return r;
        buf = g_malloc0(map_value_layout_size(&l));
        if (bpf_map_lookup_elem(m->stats_fd, &slot, buf) < 0)
                return negative_errno();
        for (int cpu = 0; cpu < l.ncpus; cpu++) {
                struct l3af_prog_stats s;

                memcpy(&s, buf + (size_t) cpu * l.stride, sizeof(s));
                runs += s.runs;
                ns += s.run_time_ns;
        }
        *ret_runs = runs;
        *ret_run_time_ns = ns;
        return 0;
}

int counting_slot_reset(const CountingMaps *m, uint32_t slot)
{
        g_autofree uint8_t *zero = NULL;
        MapValueLayout l;
        int r;

        r = slot_layout(m, &l);
        if (r < 0)
                return r;
        zero = g_malloc0(map_value_layout_size(&l));
        return bpf_map_update_elem(m->stats_fd, &slot, zero, BPF_ANY) < 0 ? negative_errno() : 0;
}

typedef struct hop_bpf HopBpf;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HopBpf, hop_bpf__destroy)

/* Loads the hop; returns its program's and array's fds (duplicated, close-on-exec). */
static int hop_load(Hook hook, bool frags, const CountingMaps *m, uint32_t slot, int *ret_prog_fd, int *ret_next_fd)
{
        g_autoptr(HopBpf) skel = hop_bpf__open();
        struct bpf_program *prog;
        int r, prog_fd, next_fd;

        if (!skel)
                return negative_errno();
        prog = hook == HOOK_XDP ? skel->progs.l3af_hop_xdp : skel->progs.l3af_hop_tc;
        bpf_program__set_autoload(skel->progs.l3af_hop_xdp, hook == HOOK_XDP);
        bpf_program__set_autoload(skel->progs.l3af_hop_tc, hook != HOOK_XDP);
        if (hook == HOOK_XDP && frags)  /* it tail-calls the instance: they agree on frags */
                bpf_program__set_flags(prog, BPF_F_XDP_HAS_FRAGS);
        skel->rodata->l3af_stats_slot = slot;
        r = bpf_map__reuse_fd(skel->maps.l3af_stats, m->stats_fd);
        if (r >= 0)
                r = bpf_map__reuse_fd(skel->maps.l3af_clock, m->clock_fd);
        if (r >= 0)
                r = hop_bpf__load(skel);
        if (r < 0)
                return r;
        prog_fd = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3);
        next_fd = fcntl(bpf_map__fd(skel->maps.l3af_hop_next), F_DUPFD_CLOEXEC, 3);
        if (prog_fd < 0 || next_fd < 0) {
                r = negative_errno();
                closep(&prog_fd);
                closep(&next_fd);
                return r;
        }
        *ret_prog_fd = prog_fd;
        *ret_next_fd = next_fd;
        return 0;
}

int hop_add(Instance *inst, Hook hook, bool frags, const CountingMaps *m, uint32_t slot, char **ret_error)
{
        g_autofree char *hop = g_build_filename(inst->dir, "hop", NULL);
        g_autofree char *hop_next = g_build_filename(inst->dir, "hop-next", NULL);
        _cleanup_close_ int prog_fd = -EBADF, next_fd = -EBADF;
        uint32_t zero = 0, id = 0;
        int r;

        g_return_val_if_fail(slot < L3AF_STATS_SLOTS, -EINVAL);
        r = hop_load(hook, frags, m, slot, &prog_fd, &next_fd);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot load the counting hop of '%s': %s", inst->name, g_strerror(-r));
                return r;
        }
        /* Pinned: the kernel empties a program array when its last file reference goes. */
        if (bpf_map_update_elem(next_fd, &zero, &inst->prog_fd, BPF_ANY) < 0 || bpf_obj_pin(next_fd, hop_next) < 0 ||
            bpf_obj_pin(prog_fd, hop) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot set up the counting hop of '%s' in %s: %s", inst->name, inst->dir,
                                             g_strerror(-r));
                return r;
        }
        r = bpf_prog_id_of_fd(prog_fd, &id);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot inspect the counting hop of '%s': %s", inst->name, g_strerror(-r));
                return r;
        }
        inst->hop_fd = TAKE_FD(prog_fd);
        inst->hop_id = id;
        inst->stats_slot = slot;
        return 0;
}

/* The slot a loaded hop counts into: the first word of its read-only data map (hop.bpf.c has one variable). */
static int hop_read_slot(int hop_fd, uint32_t *ret)
{
        uint32_t ids[8] = {};
        struct bpf_prog_info info = { .nr_map_ids = ELEMENTSOF(ids), .map_ids = (uint64_t) (uintptr_t) ids };
        uint32_t len = sizeof(info);

        if (bpf_obj_get_info_by_fd(hop_fd, &info, &len) < 0)
                return negative_errno();
        for (uint32_t i = 0; i < MIN(info.nr_map_ids, (uint32_t) ELEMENTSOF(ids)); i++) {
                _cleanup_close_ int fd = bpf_map_get_fd_by_id(ids[i]);
                struct bpf_map_info mi;
                uint32_t key = 0;
                uint8_t value[64] = {};

                if (fd < 0)
                        return negative_errno();
                if (bpf_map_info_of_fd(fd, &mi) < 0 || mi.type != BPF_MAP_TYPE_ARRAY || !strstr(mi.name, ".rodata") ||
                    mi.value_size < sizeof(uint32_t) || mi.value_size > sizeof(value))
                        continue;
                if (bpf_map_lookup_elem(fd, &key, value) < 0)
                        return negative_errno();
                memcpy(ret, value, sizeof(*ret));
                return *ret < L3AF_STATS_SLOTS ? 0 : -ERANGE;
        }
        return -ENOENT;
}

int hop_adopt(Instance *inst, char **ret_error)
{
        g_autofree char *hop = g_build_filename(inst->dir, "hop", NULL);
        _cleanup_close_ int fd = bpf_pin_open(hop);
        uint32_t id = 0, slot = 0;
        int r;

        if (fd == -ENOENT)
                return fd;
        if (fd < 0) {
                *ret_error = g_strdup_printf("cannot open pin %s: %s", hop, g_strerror(-fd));
                return fd;
        }
        r = bpf_prog_id_of_fd(fd, &id);
        if (r >= 0)
                r = hop_read_slot(fd, &slot);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot inspect the counting hop pinned at %s: %s", hop, g_strerror(-r));
                return r;
        }
        inst->hop_fd = TAKE_FD(fd);
        inst->hop_id = id;
        inst->stats_slot = slot;
        return 0;
}
