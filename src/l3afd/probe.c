/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "bpf-util.h"
#include "log.h"
#include "pin-path.h"
#include "probe.h"
#include "util.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define PMU_DIR "/sys/bus/event_source/devices"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

static bool is_fs(const char *path, long magic)
{
        struct statfs sfs;

        return statfs(path, &sfs) >= 0 && (long) sfs.f_type == magic;
}

static const char *tracefs_path(void)
{
        if (is_fs(TRACEFS, TRACEFS_MAGIC))
                return TRACEFS;
        if (is_fs(DEBUGFS_TRACING, TRACEFS_MAGIC))
                return DEBUGFS_TRACING;
        return NULL;
}

int probe_tracefs_ensure(void)
{
        if (tracefs_path())
                return 0;
        if (mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return negative_errno();
        log_info("Mounted tracefs at %s.", TRACEFS);
        return 0;
}

static bool pmu_exists(const char *name)
{
        g_autofree char *path = g_strdup_printf(PMU_DIR "/%s/type", name);

        return access(path, F_OK) == 0;
}

int probe_kernel_supports(ProbeKind kind, const char *target, char **ret_error)
{
        const char *tracefs = tracefs_path();
        g_autofree char *path = NULL, *func = NULL, *events = NULL;
        size_t offset;

        switch (kind) {
        case PROBE_KPROBE:
        case PROBE_KRETPROBE: {
                g_autofree char *kprobe_events = tracefs ? g_build_filename(tracefs, "kprobe_events", NULL) : NULL;

                if (pmu_exists("kprobe") || (kprobe_events && access(kprobe_events, F_OK) == 0))
                        return 0;
                *ret_error = g_strdup_printf("this kernel has no kprobes (no kprobe PMU in " PMU_DIR
                                             "%s; CONFIG_KPROBES is off), so %s '%s' cannot attach",
                                             tracefs ? ", no kprobe_events in tracefs" : "",
                                             probe_kind_to_string(kind), strna(target));
                return -EOPNOTSUPP;
        }
        case PROBE_UPROBE:
        case PROBE_URETPROBE:
                if (!pmu_exists("uprobe")) {
                        *ret_error = g_strdup_printf("this kernel has no uprobes (no uprobe PMU in " PMU_DIR
                                                     "; CONFIG_UPROBE_EVENTS is off), so %s '%s' cannot attach",
                                                     probe_kind_to_string(kind), strna(target));
                        return -EOPNOTSUPP;
                }
                if (target && probe_uprobe_split(target, &path, &func, &offset) >= 0 && access(path, F_OK) < 0) {
                        *ret_error = g_strdup_printf("%s '%s': cannot find %s: %s", probe_kind_to_string(kind),
                                                     target, path, g_strerror(errno));
                        return -ENOENT;
                }
                return 0;
        case PROBE_TRACEPOINT:
                if (!pmu_exists("tracepoint")) {
                        *ret_error = g_strdup_printf("this kernel has no tracepoints (no tracepoint PMU in " PMU_DIR
                                                     "; CONFIG_TRACEPOINTS is off), so tracepoint '%s' cannot "
                                                     "attach", strna(target));
                        return -EOPNOTSUPP;
                }
                if (!tracefs || !target)
                        return 0;  /* Checked once tracefs is mounted, when it attaches. */
                events = g_build_filename(tracefs, "events", target, NULL);
                if (access(events, F_OK) < 0) {
                        *ret_error = g_strdup_printf("this kernel has no tracepoint '%s' (no %s)", target, events);
                        return -ENOENT;
                }
                return 0;
        case PROBE_RAW_TRACEPOINT:
                if (!pmu_exists("tracepoint")) {
                        *ret_error = g_strdup_printf("this kernel has no tracepoints (no tracepoint PMU in " PMU_DIR
                                                     "; CONFIG_TRACEPOINTS is off), so raw tracepoint '%s' cannot "
                                                     "attach", strna(target));
                        return -EOPNOTSUPP;
                }
                return 0;
        default:
                *ret_error = g_strdup("unknown kind of probe");
                return -EINVAL;
        }
}

int probe_prepare_program(struct bpf_program *prog, ProbeKind kind)
{
        int r;

        switch (kind) {
        case PROBE_TRACEPOINT:
                return bpf_program__set_type(prog, BPF_PROG_TYPE_TRACEPOINT);
        case PROBE_RAW_TRACEPOINT:
                return bpf_program__set_type(prog, BPF_PROG_TYPE_RAW_TRACEPOINT);
        case PROBE_UPROBE:
        case PROBE_URETPROBE:
        case PROBE_KPROBE:
        case PROBE_KRETPROBE:
                r = bpf_program__set_type(prog, BPF_PROG_TYPE_KPROBE);
                if (r >= 0)
                        r = bpf_program__set_expected_attach_type(prog, 0);
                return r;
        default:
                return -EINVAL;
        }
}

static char *digest_dir(const char *program_dir, const char *digest)
{
        g_autofree char *short_digest = g_strndup(digest, DIGEST_SHORT);

        return g_build_filename(program_dir, "probes", short_digest, NULL);
}

static char *link_pin(const char *dir, const char *program)
{
        g_autofree char *encoded = pin_name_encode(program);

        return g_build_filename(dir, encoded, NULL);
}

bool probes_pinned(const char *program_dir, const char *digest, GPtrArray *probes)
{
        g_autofree char *dir = digest_dir(program_dir, digest);

        for (guint i = 0; probes && i < probes->len; i++) {
                ProbeSpec *s = probes->pdata[i];
                g_autofree char *pin = link_pin(dir, s->program);
                _cleanup_close_ int fd = bpf_pin_open(pin);
                struct bpf_link_info info;

                if (fd < 0 || bpf_link_info_of_fd(fd, &info) < 0)
                        return false;
        }
        return true;
}

static struct bpf_link *attach_one(struct bpf_program *prog, const ProbeSpec *s)
{
        g_autofree char *category = NULL, *path = NULL, *func = NULL;
        const char *name;
        size_t offset = 0;

        switch (s->kind) {
        case PROBE_TRACEPOINT:
                name = strchr(s->target, '/');
                category = g_strndup(s->target, name - s->target);
                return bpf_program__attach_tracepoint(prog, category, name + 1);
        case PROBE_RAW_TRACEPOINT:
                return bpf_program__attach_raw_tracepoint(prog, s->target);
        case PROBE_UPROBE:
        case PROBE_URETPROBE: {
                LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = s->kind == PROBE_URETPROBE);

                if (probe_uprobe_split(s->target, &path, &func, &offset) < 0) {
                        errno = EINVAL;
                        return NULL;
                }
                opts.func_name = func;
                /* pid -1: every process that runs the binary. */
                return bpf_program__attach_uprobe_opts(prog, -1, path, offset, &opts);
        }
        case PROBE_KPROBE:
        case PROBE_KRETPROBE: {
                LIBBPF_OPTS(bpf_kprobe_opts, opts, .retprobe = s->kind == PROBE_KRETPROBE);

                return bpf_program__attach_kprobe_opts(prog, s->target, &opts);
        }
        default:
                errno = EINVAL;
                return NULL;
        }
}

int probes_attach(const char *program_dir, const char *digest, GPtrArray *probes, struct bpf_object *obj,
                  char **ret_error)
{
        g_autofree char *dir = digest_dir(program_dir, digest);
        int r;

        (void) rm_rf(dir);  /* debris of an attempt a stop interrupted */
        if (!probes || probes->len == 0)
                return 0;
        r = mkdir_p(dir, 0700);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot create %s: %s", dir, g_strerror(-r));
                return r;
        }
        for (guint i = 0; i < probes->len; i++) {
                ProbeSpec *s = probes->pdata[i];
                struct bpf_program *prog = bpf_object__find_program_by_name(obj, s->program);
                g_autofree char *pin = link_pin(dir, s->program), *captured = NULL, *tail = NULL;
                struct bpf_link *link;

                if (s->kind == PROBE_TRACEPOINT && (r = probe_tracefs_ensure()) < 0) {
                        *ret_error = g_strdup_printf("probe '%s': tracepoint %s needs tracefs, which is not mounted, "
                                                     "and mounting it at " TRACEFS " failed: %s", s->program,
                                                     s->target, g_strerror(-r));
                        goto fail;
                }
                if (!prog || bpf_program__fd(prog) < 0) {
                        *ret_error = g_strdup_printf("probe '%s' was not loaded", s->program);
                        r = -ENOENT;
                        goto fail;
                }
                libbpf_capture_begin();
                link = attach_one(prog, s);
                r = link ? 0 : negative_errno();
                captured = libbpf_capture_end();
                if (!link) {
                        tail = log_tail(captured, 1);
                        *ret_error = g_strdup_printf("cannot attach probe '%s' to %s %s: %s%s%s", s->program,
                                                     probe_kind_to_string(s->kind), s->target, g_strerror(-r),
                                                     isempty(tail) ? "" : ": ", isempty(tail) ? "" : g_strstrip(tail));
                        goto fail;
                }
                r = bpf_link__pin(link, pin);
                bpf_link__destroy(link);  /* the pin holds it; without one it is let go here */
                if (r < 0) {
                        *ret_error = g_strdup_printf("cannot pin the link of probe '%s' at %s: %s", s->program, pin,
                                                     g_strerror(-r));
                        goto fail;
                }
        }
        return 0;
fail:
        (void) rm_rf(dir);
        return r;
}

void probes_drop(const char *program_dir, const char *digest)
{
        g_autofree char *dir = digest_dir(program_dir, digest);

        (void) rm_rf(dir);
}

void probes_retire(const char *program_dir, const char *keep)
{
        g_autofree char *probes = g_build_filename(program_dir, "probes", NULL);
        g_autofree char *keep_short = keep ? g_strndup(keep, DIGEST_SHORT) : NULL;
        g_autoptr(GDir) d = g_dir_open(probes, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d)))
                if (!streq_ptr(e, keep_short)) {
                        g_autofree char *path = g_build_filename(probes, e, NULL);

                        log_debug("Letting go of the probes pinned under %s.", path);
                        (void) rm_rf(path);
                }
        if (!keep)
                (void) rmdir(probes);
}

void probes_describe(const char *owner, const char *program_dir, const char *digest, GPtrArray *probes,
                     GPtrArray *out)
{
        g_autofree char *dir = digest_dir(program_dir, digest);

        for (guint i = 0; probes && i < probes->len; i++) {
                ProbeSpec *s = probes->pdata[i];
                g_autofree char *pin = link_pin(dir, s->program);
                _cleanup_close_ int fd = bpf_pin_open(pin);
                struct bpf_link_info info;
                Probe *p = g_new0(Probe, 1);

                p->owner = g_strdup(owner);
                p->program = g_strdup(s->program);
                p->kind = s->kind;
                p->target = g_strdup(s->target);
                if (fd >= 0 && bpf_link_info_of_fd(fd, &info) >= 0) {
                        p->link_id = info.id;
                        p->prog_id = info.prog_id;
                }
                g_ptr_array_add(out, p);
        }
}

void probes_describe_pinned(const char *owner, const char *program_dir, GPtrArray *out, char **ret_digest)
{
        g_autofree char *probes = g_build_filename(program_dir, "probes", NULL);
        g_autoptr(GDir) d = g_dir_open(probes, 0, NULL);
        const char *digest;

        while (d && (digest = g_dir_read_name(d))) {
                g_autofree char *ddir = g_build_filename(probes, digest, NULL);
                g_autoptr(GDir) dd = g_dir_open(ddir, 0, NULL);
                const char *e;

                if (ret_digest) {
                        g_free(*ret_digest);
                        *ret_digest = g_strdup(digest);
                }
                while (dd && (e = g_dir_read_name(dd))) {
                        g_autofree char *pin = g_build_filename(ddir, e, NULL), *name = NULL;
                        _cleanup_close_ int fd = bpf_pin_open(pin);
                        struct bpf_link_info info;
                        Probe *p;

                        if (pin_name_decode(e, &name) < 0)
                                continue;
                        p = g_new0(Probe, 1);
                        p->owner = g_strdup(owner);
                        p->program = TAKE_PTR(name);
                        p->kind = _PROBE_KIND_INVALID;
                        if (fd >= 0 && bpf_link_info_of_fd(fd, &info) >= 0) {
                                p->link_id = info.id;
                                p->prog_id = info.prog_id;
                        }
                        g_ptr_array_add(out, p);
                }
        }
}
