/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <fcntl.h>

#include "bpf-util.h"
#include "btf-text.h"
#include "l3af/pins.h"
#include "l3af/stats.h"
#include "pin-path.h"
#include "stats.h"
#include "util.h"

#define METRIC_ALL_KEYS_MAX 65536

int kernel_stats_hold(void)
{
        int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

        return fd < 0 ? -errno : fd;
}

static void program_stats_free(ProgramStats *p)
{
        if (!p)
                return;
        g_free(p->name);
        g_free(p->package);
        g_free(p->version);
        g_free(p);
}

static void metric_sample_free(MetricSample *m)
{
        if (!m)
                return;
        g_free(m->program);
        g_free(m->metric);
        g_free(m->help);
        g_free(m->key);
        g_free(m);
}

void chain_stats_free(ChainStats *s)
{
        if (!s)
                return;
        g_free(s->ifname);
        g_free(s->per_program_note);
        if (s->programs)
                g_ptr_array_unref(s->programs);
        if (s->samples)
                g_ptr_array_unref(s->samples);
        if (s->errors)
                g_ptr_array_unref(s->errors);
        g_free(s);
}

typedef struct MetricMap {
        int fd;
        struct bpf_map_info info;
        struct btf *btf;
        MapValueLayout layout;
} MetricMap;

static void metric_map_done(MetricMap *m)
{
        closep(&m->fd);
        btf__free(m->btf);
}

static int metric_map_open(Chain *ch, const char *program, const char *map, MetricMap *ret)
{
        int fd = -ENOENT, r;

        for (int shared = 0; shared <= 1 && fd < 0; shared++) {
                g_autofree char *path = pin_map_path(ch->dir, program, map, shared);

                fd = bpf_pin_open(path);
        }
        if (fd < 0)
                return fd;
        ret->fd = fd;
        r = bpf_map_info_of_fd(fd, &ret->info);
        if (r >= 0)
                r = map_value_layout(&ret->info, &ret->layout);
        if (r < 0) {
                closep(&ret->fd);
                return r;
        }
        ret->btf = ret->info.btf_id ? btf__load_from_kernel_by_id(ret->info.btf_id) : NULL;
        return 0;
}

/* The metric's integer in one map value, its per-CPU copies summed. */
static double read_value(const MetricSpec *m, const MetricMap *mm, const uint8_t *buf)
{
        int64_t s = 0;
        uint64_t u = 0;
        int n = mm->layout.percpu ? mm->layout.ncpus : 1;

        for (int cpu = 0; cpu < n; cpu++) {
                const uint8_t *p = buf + (size_t) cpu * mm->layout.stride + m->field_offset;

                switch (m->field_size) {
                case 1:
                        m->field_signed ? (s += *(const int8_t *) p) : (u += *p);
                        break;
                case 2: {
                        uint16_t v;
                        memcpy(&v, p, 2);
                        m->field_signed ? (s += (int16_t) v) : (u += v);
                        break;
                }
                case 4: {
                        uint32_t v;
                        memcpy(&v, p, 4);
                        m->field_signed ? (s += (int32_t) v) : (u += v);
                        break;
                }
                default: {
                        uint64_t v;
                        memcpy(&v, p, 8);
                        m->field_signed ? (s += (int64_t) v) : (u += v);
                        break;
                }
                }
        }
        return m->field_signed ? (double) s : (double) u;
}

static void add_sample(ChainStats *st, const char *program, const MetricSpec *m, char *key, double value)
{
        MetricSample *s = g_new0(MetricSample, 1);

        s->program = g_strdup(program);
        s->metric = g_strdup(m->name);
        s->type = m->type;
        s->help = g_strdup(m->help);
        s->key = key;
        s->value = value;
        g_ptr_array_add(st->samples, s);
}

static int collect_metric(Chain *ch, const char *program, const MetricSpec *m, ChainStats *st)
{
        MetricMap mm = { .fd = -EBADF };
        g_autofree uint8_t *buf = NULL, *key = NULL, *next = NULL;
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        double sum = 0;
        int r;

        r = metric_map_open(ch, program, m->map, &mm);
        if (r < 0)
                return r;
        if (m->field_offset + m->field_size > mm.info.value_size) {
                metric_map_done(&mm);
                return -EPROTO;  /* the pinned map is not the one the metric was checked against */
        }
        buf = g_malloc0(map_value_layout_size(&mm.layout));
        if (m->keys) {
                for (guint i = 0; m->key_bytes && i < m->key_bytes->len; i++)
                        g_ptr_array_add(keys, g_bytes_ref(m->key_bytes->pdata[i]));
        } else {
                key = g_malloc0(mm.info.key_size ? mm.info.key_size : 1);
                next = g_malloc0(mm.info.key_size ? mm.info.key_size : 1);
                for (bool first = true; keys->len < METRIC_ALL_KEYS_MAX; first = false) {
                        if (bpf_map_get_next_key(mm.fd, first ? NULL : key, next) < 0)
                                break;
                        g_ptr_array_add(keys, g_bytes_new(next, mm.info.key_size));
                        memcpy(key, next, mm.info.key_size);
                }
        }
        for (guint i = 0; i < keys->len; i++) {
                gsize ks;
                const void *k = g_bytes_get_data(keys->pdata[i], &ks);
                double v;

                if (ks != mm.info.key_size) {
                        metric_map_done(&mm);
                        return -EPROTO;
                }
                if (bpf_map_lookup_elem(mm.fd, k, buf) < 0) {
                        if (errno != ENOENT) {
                                r = -errno;
                                metric_map_done(&mm);
                                return r;
                        }
                        memset(buf, 0, map_value_layout_size(&mm.layout));  /* a hash key not there (yet): 0 */
                }
                v = read_value(m, &mm, buf);
                if (m->aggregate == METRIC_AGGREGATE_SUM)
                        sum += v;
                else
                        add_sample(st, program, m, btf_text_format(mm.btf, mm.info.btf_key_type_id, k, ks), v);
        }
        if (m->aggregate == METRIC_AGGREGATE_SUM)
                add_sample(st, program, m, NULL, sum);
        metric_map_done(&mm);
        return 0;
}

/* The package and version the chain's meta map (l3af/pins.h) records for a program; "" when none. */
static void read_package(Chain *ch, const char *name, char **ret_package, char **ret_version)
{
        struct l3af_meta_key k = {};
        struct l3af_meta v = {};

        g_strlcpy(k.name, name, sizeof(k.name));
        if (ch->meta_fd < 0 || bpf_map_lookup_elem(ch->meta_fd, &k, &v) < 0)
                memset(&v, 0, sizeof(v));
        *ret_package = g_strndup(v.package, sizeof(v.package));
        *ret_version = g_strndup(v.version, sizeof(v.version));
}

int chain_stats_collect(Chain *ch, ChainStats **ret)
{
        g_autoptr(ChainStats) st = g_new0(ChainStats, 1);
        struct bpf_prog_info info = {};
        _cleanup_close_ int fd = -EBADF;

        if (ch->root_fd < 0)
                return -ENODEV;
        fd = bpf_prog_get_fd_by_id(chain_attached_id(ch));
        st->ifname = g_strdup(ch->id.ifname);
        st->hook = ch->id.hook;
        st->generation = ch->generation;
        st->root_id = chain_attached_id(ch);
        st->programs = g_ptr_array_new_with_free_func((GDestroyNotify) program_stats_free);
        st->samples = g_ptr_array_new_with_free_func((GDestroyNotify) metric_sample_free);
        st->errors = g_ptr_array_new_with_free_func(g_free);

        /* The kernel counts the program the hook enters: the root, or the head instance of an XDP chain
         * attached by its head, plus those our link ran before it since this start. */
        if (fd >= 0 && bpf_prog_info_of_fd(fd, &info) >= 0) {
                uint64_t packets, run_time_ns;

                chain_entry_counts(ch, &info, &packets, &run_time_ns);
                st->packets = ch->retired_packets + packets;
                st->run_time_ns = ch->retired_run_time_ns + run_time_ns;
        }
        st->per_program = ch->counting;
        if (!ch->statistics)
                st->per_program_note = g_strdup("not counted: [Daemon] Statistics=programs is not set");
        else if (ch->instances->len > L3AF_COUNT_PROGRAMS_MAX)
                st->per_program_note = g_strdup_printf("not counted: %u programs, and at most %d can be counted "
                                                       "each (33 tail calls per packet)", ch->instances->len,
                                                       L3AF_COUNT_PROGRAMS_MAX);
        else if (!ch->counting)
                st->per_program_note = g_strdup("not counted yet: the chain counts from its next change");

        for (guint i = 0; i < ch->instances->len; i++) {
                const Instance *in = ch->instances->pdata[i];
                ProgramStats *p = g_new0(ProgramStats, 1);
                GPtrArray *metrics = g_hash_table_lookup(ch->metrics, in->name);

                p->name = g_strdup(in->name);
                p->id = in->prog_id;
                read_package(ch, in->name, &p->package, &p->version);
                if (ch->counting && in->hop_fd >= 0) {
                        int r = counting_slot_read(&ch->counting_maps, in->stats_slot, &p->runs, &p->run_time_ns);

                        if (r < 0)
                                g_ptr_array_add(st->errors, g_strdup_printf("%s: its counts: %s", in->name,
                                                                            g_strerror(-r)));
                }
                g_ptr_array_add(st->programs, p);
                for (guint j = 0; metrics && j < metrics->len; j++) {
                        const MetricSpec *m = metrics->pdata[j];
                        int r = collect_metric(ch, in->name, m, st);

                        if (r < 0)
                                g_ptr_array_add(st->errors, g_strdup_printf("%s: metric %s over map %s: %s",
                                                                            in->name, m->name, m->map,
                                                                            g_strerror(-r)));
                }
        }
        *ret = TAKE_PTR(st);
        return 0;
}
