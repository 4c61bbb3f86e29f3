/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "bpf-util.h"
#include "btf-text.h"
#include "log.h"
#include "map-entries.h"
#include "pin-path.h"
#include "map-pins.h"
#include "probe.h"
#include "problem.h"
#include "program.h"
#include "util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define VERIFIER_LOG_SIZE (1024 * 1024)
#define VERIFIER_LOG_LINES 12

typedef struct bpf_object BpfObject;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpfObject, bpf_object__close)

Instance *instance_new(const char *name)
{
        Instance *i = g_new0(Instance, 1);

        i->name = g_strdup(name);
        i->prog_fd = i->next_fd = i->hop_fd = -EBADF;
        return i;
}

void instance_free(Instance *i)
{
        if (!i)
                return;
        g_free(i->name);
        g_free(i->dir);
        closep(&i->prog_fd);
        closep(&i->next_fd);
        closep(&i->hop_fd);
        bpf_object__close(i->obj);
        g_free(i);
}

int instance_unpin(Instance *i)
{
        return i->dir ? rm_rf(i->dir) : 0;
}

/*
 * The kernel lets a program tail-call only programs that agree with it on
 * BPF_F_XDP_HAS_FRAGS, so an XDP chain is multi-buffer only when every
 * program of it is written for that (SEC("xdp.frags")); otherwise each is
 * loaded single-buffer, which a multi-buffer program handles just as well.
 * libbpf would add the flag at load time for that section whatever we ask,
 * so the section gets a handler of ours that leaves the flags to us.
 */
int program_setup(void)
{
        static int handler = 0;

        if (handler > 0)
                return 0;
        handler = libbpf_register_prog_handler("xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, NULL);
        return handler < 0 ? handler : 0;
}

static int read_object(const char *path, GBytes **ret, char **error)
{
        _cleanup_close_ int fd = -EBADF;
        g_autofree uint8_t *buf = NULL;
        struct stat st;
        size_t done = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                *error = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
                return negative_errno();
        }
        if (fstat(fd, &st) < 0) {
                *error = g_strdup_printf("cannot stat %s: %s", path, g_strerror(errno));
                return negative_errno();
        }
        if (!S_ISREG(st.st_mode)) {
                *error = g_strdup_printf("%s is not a regular file", path);
                return -EINVAL;
        }
        if ((uint64_t) st.st_size > OBJECT_SIZE_MAX) {
                *error = g_strdup_printf("%s is %lld bytes, the limit is %u", path, (long long) st.st_size,
                                         OBJECT_SIZE_MAX);
                return -EFBIG;
        }
        buf = g_malloc(st.st_size ? st.st_size : 1);
        while (done < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + done, st.st_size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        *error = g_strdup_printf("cannot read %s: %s", path, n < 0 ? g_strerror(errno) : "short read");
                        return n < 0 ? negative_errno() : -EIO;
                }
                done += n;
        }
        if (done < sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0) {
                *error = g_strdup_printf("%s is not an ELF file", path);
                return -ENOEXEC;
        }
        if (((Elf64_Ehdr *) buf)->e_ident[EI_CLASS] != ELFCLASS64 || ((Elf64_Ehdr *) buf)->e_machine != EM_BPF) {
                *error = g_strdup_printf("%s is an ELF file but not a BPF object", path);
                return -ENOEXEC;
        }
        *ret = g_bytes_new_take(TAKE_PTR(buf), done);
        return 0;
}

static int open_object(const ProgramSpec *p, struct bpf_object **ret, char **error)
{
        LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = p->name);
        g_autofree char *captured = NULL;
        struct bpf_object *obj;
        gsize size;
        const void *data = g_bytes_get_data(p->elf, &size);

        libbpf_capture_begin();
        obj = bpf_object__open_mem(data, size, &opts);
        captured = libbpf_capture_end();
        if (!obj) {
                int r = negative_errno();
                g_autofree char *tail = log_tail(captured, 4);

                *error = g_strdup_printf("libbpf cannot open the object: %s%s%s", g_strerror(-r),
                                         isempty(tail) ? "" : "\n", tail);
                return r;
        }
        *ret = obj;
        return 0;
}

static char *list_programs(struct bpf_object *obj)
{
        GString *s = g_string_new(NULL);
        struct bpf_program *prog;

        bpf_object__for_each_program(prog, obj)
                g_string_append_printf(s, "%s%s", s->len ? ", " : "", bpf_program__name(prog));
        return g_string_free(s, FALSE);
}

static char *list_maps(struct bpf_object *obj)
{
        GString *s = g_string_new(NULL);
        struct bpf_map *map;

        bpf_object__for_each_map(map, obj)
                if (!bpf_map__is_internal(map))
                        g_string_append_printf(s, "%s%s", s->len ? ", " : "", bpf_map__name(map));
        return g_string_free(s, FALSE);
}

static bool map_type_takes_entries(enum bpf_map_type t)
{
        switch (t) {
        case BPF_MAP_TYPE_ARRAY:
        case BPF_MAP_TYPE_PERCPU_ARRAY:
        case BPF_MAP_TYPE_HASH:
        case BPF_MAP_TYPE_PERCPU_HASH:
        case BPF_MAP_TYPE_LRU_HASH:
        case BPF_MAP_TYPE_LRU_PERCPU_HASH:
        case BPF_MAP_TYPE_LPM_TRIE:
                return true;
        default:
                return false;
        }
}

static bool map_is_array(enum bpf_map_type t)
{
        return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static int type_entries(ProgramSpec *p, struct bpf_object *obj, const ChainId *chain, GPtrArray *problems)
{
        const struct btf *btf = bpf_object__btf(obj);
        int r = 0;

        for (guint i = 0; i < p->maps->len; i++) {
                MapEntrySpec *m = p->maps->pdata[i];
                g_autofree char *group = g_strdup_printf("Map %s", m->map);
                g_autofree char *error = NULL;
                g_autofree void *key = NULL, *value = NULL;
                struct bpf_map *map = bpf_object__find_map_by_name(obj, m->map);
                size_t ksize, vsize;

                if (!map || bpf_map__is_internal(map)) {
                        g_autofree char *maps = list_maps(obj);

                        problems_add(problems, false, p->source, chain, group, NULL,
                                     "no map '%s' in %s (maps: %s)", m->map, p->object, maps);
                        r = -ENOENT;
                        continue;
                }
                if (streq_ptr(m->map, p->next_resolved)) {
                        problems_add(problems, false, p->source, chain, group, NULL,
                                     "'%s' is the program's next map; l3afd fills it", m->map);
                        r = -EINVAL;
                        continue;
                }
                if (!map_type_takes_entries(bpf_map__type(map))) {
                        problems_add(problems, false, p->source, chain, group, NULL,
                                     "map '%s' is of type %s, which takes no entries from a drop-in", m->map,
                                     libbpf_bpf_map_type_str(bpf_map__type(map)));
                        r = -EINVAL;
                        continue;
                }
                ksize = bpf_map__key_size(map);
                vsize = bpf_map__value_size(map);
                key = g_malloc0(ksize);
                value = g_malloc0(vsize);
                if (map_text_parse(btf, bpf_map__btf_key_type_id(map), MAP_TEXT_KEY, m->key, key, ksize, &error) < 0) {
                        problems_add(problems, false, p->source, chain, group, m->key, "key: %s", error);
                        r = -EINVAL;
                        continue;
                }
                if (map_is_array(bpf_map__type(map)) && *(uint32_t *) key >= bpf_map__max_entries(map)) {
                        problems_add(problems, false, p->source, chain, group, m->key,
                                     "index %u is out of range (map '%s' has %u entries)", *(uint32_t *) key,
                                     m->map, bpf_map__max_entries(map));
                        r = -ERANGE;
                        continue;
                }
                if (map_text_parse(btf, bpf_map__btf_value_type_id(map), MAP_TEXT_VALUE, m->value, value, vsize,
                                   &error) < 0) {
                        problems_add(problems, false, p->source, chain, group, m->key, "value '%s': %s",
                                     m->value, error);
                        r = -EINVAL;
                        continue;
                }
                m->key_bytes = g_bytes_new_take(TAKE_PTR(key), ksize);
                m->value_bytes = g_bytes_new_take(TAKE_PTR(value), vsize);
        }
        return r;
}

static bool prog_type_fits_hook(enum bpf_prog_type t, Hook hook)
{
        return t == BPF_PROG_TYPE_UNSPEC || t == hook_prog_type(hook);
}

static bool program_fits_kind(struct bpf_program *prog, ProbeKind kind)
{
        g_autofree char *target = NULL;
        ProbeKind k;

        if (probe_from_section(bpf_program__section_name(prog), &k, &target) < 0)
                return false;
        /* uprobe and uretprobe, kprobe and kretprobe differ only in how they attach. */
        return k == kind || (k == PROBE_UPROBE && kind == PROBE_URETPROBE) ||
               (k == PROBE_URETPROBE && kind == PROBE_UPROBE) || (k == PROBE_KPROBE && kind == PROBE_KRETPROBE) ||
               (k == PROBE_KRETPROBE && kind == PROBE_KPROBE);
}

/*
 * Finds the probes to attach: a standalone probe's entry, at Attach= (or
 * where its section says), and every program beside the entry whose section
 * declares a probe with its target; as libbpf's auto-attach, a program whose
 * section names no target ("uprobe") is left alone. Each is checked against what the kernel
 * has (probe_kernel_supports()).
 */
static int collect_probes(ProgramSpec *p, struct bpf_object *obj, struct bpf_program *entry, const ChainId *chain,
                          GPtrArray *problems)
{
        struct bpf_program *it;
        int r = 0;

        if (p->probes)
                g_ptr_array_unref(p->probes);
        p->probes = g_ptr_array_new_with_free_func((GDestroyNotify) probe_spec_free);

        bpf_object__for_each_program(it, obj) {
                g_autoptr(ProbeSpec) s = g_new0(ProbeSpec, 1);
                g_autofree char *error = NULL;
                const char *section = bpf_program__section_name(it);
                bool is_entry = it == entry;

                if (is_entry && !p->standalone)
                        continue;
                if (probe_from_section(section, &s->kind, &s->target) < 0) {
                        if (!is_entry)
                                continue;  /* beside the entry and no probe: an entry for another hook */
                        s->kind = p->kind;
                }
                s->program = g_strdup(bpf_program__name(it));
                if (is_entry) {
                        s->kind = p->kind;
                        if (p->attach) {
                                g_free(s->target);
                                s->target = g_strdup(p->attach);
                        }
                }
                if (!s->target && !is_entry)
                        continue;  /* as libbpf's auto-attach: a section that names no target is not attached */
                if (!s->target) {
                        problems_add(problems, false, p->source, chain, "Program", "Attach",
                                     "missing: section '%s' of program '%s' names no target", section, s->program);
                        r = -EINVAL;
                        continue;
                }
                if (!probe_target_is_valid(s->kind, s->target, &error) ||
                    probe_kernel_supports(s->kind, s->target, &error) < 0) {
                        if (is_entry)
                                problems_add(problems, false, p->source, chain, "Program", p->attach ? "Attach" : "Hook",
                                             "%s", error);
                        else
                                problems_add(problems, false, p->source, chain, "Program", "Object",
                                             "probe '%s' beside the entry: %s", s->program, error);
                        r = -EOPNOTSUPP;
                        continue;
                }
                g_ptr_array_add(p->probes, TAKE_PTR(s));
        }
        return r;
}

static void compute_digest(ProgramSpec *p)
{
        g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
        const char *fields[] = { "l3afd-instance-1",
                                 p->standalone ? probe_kind_to_string(p->kind) : hook_to_string(p->hook),
                                 p->entry_resolved, p->next_resolved ? p->next_resolved : "", p->type ? p->type : "",
                                 p->attach ? p->attach : "" };
        gsize size;
        const void *data = g_bytes_get_data(p->elf, &size);

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                g_checksum_update(c, (const guchar *) fields[i], strlen(fields[i]) + 1);
        g_checksum_update(c, data, size);
        g_strlcpy(p->digest, g_checksum_get_string(c), sizeof(p->digest));
}

/* Entry=, or the object's one program (or its one program fitting the hook): sets p->entry_resolved, p->frags. */
static int resolve_entry(ProgramSpec *p, struct bpf_object *obj, const ChainId *chain, GPtrArray *problems,
                         struct bpf_program **ret)
{
        struct bpf_program *prog = NULL, *it;

        if (p->entry) {
                prog = bpf_object__find_program_by_name(obj, p->entry);
                if (!prog) {
                        g_autofree char *progs = list_programs(obj);

                        problems_add(problems, false, p->source, chain, "Program", "Entry",
                                     "no program '%s' in %s (programs: %s)", p->entry, p->object, progs);
                        return -ENOENT;
                }
        } else {
                int n = 0, fitting = 0;
                struct bpf_program *fit = NULL;

                bpf_object__for_each_program(it, obj) {
                        prog = it;
                        n++;
                        if (p->standalone ? program_fits_kind(it, p->kind)
                                          : bpf_program__type(it) == hook_prog_type(p->hook)) {
                                fit = it;
                                fitting++;
                        }
                }
                /* Several programs, one for this hook's type: that one. */
                if (n > 1 && fitting == 1) {
                        prog = fit;
                        n = 1;
                }
                if (n != 1) {
                        g_autofree char *progs = list_programs(obj);

                        problems_add(problems, false, p->source, chain, "Program", "Entry",
                                     n == 0 ? "%s holds no program" : "missing; %s holds several programs (%s)",
                                     p->object, progs);
                        return -EINVAL;
                }
        }
        g_free(p->entry_resolved);
        p->entry_resolved = g_strdup(bpf_program__name(prog));
        p->frags = p->hook == HOOK_XDP && streq_ptr(bpf_program__section_name(prog), "xdp.frags");

        if (!p->standalone && !p->type && !prog_type_fits_hook(bpf_program__type(prog), p->hook)) {
                problems_add(problems, false, p->source, chain, "Program", "Entry",
                             "program '%s' (section '%s') is of type %s and cannot run on hook %s", p->entry_resolved,
                             bpf_program__section_name(prog), libbpf_bpf_prog_type_str(bpf_program__type(prog)),
                             hook_to_string(p->hook));
                return -EINVAL;
        }
        *ret = prog;
        return 0;
}

/* NextMap= (or l3af_next) must be a program array; every map's name must fit a pin's file name. */
static int resolve_next_map(ProgramSpec *p, struct bpf_object *obj, const ChainId *chain, GPtrArray *problems)
{
        struct bpf_map *map;

        g_free(p->next_resolved);
        p->next_resolved = NULL;
        map = bpf_object__find_map_by_name(obj, p->next_map ? p->next_map : "l3af_next");
        if (p->next_map && !map) {
                g_autofree char *maps = list_maps(obj);

                problems_add(problems, false, p->source, chain, "Program", "NextMap",
                             "no map '%s' in %s (maps: %s)", p->next_map, p->object, maps);
                return -ENOENT;
        }
        if (map) {
                if (bpf_map__type(map) != BPF_MAP_TYPE_PROG_ARRAY || bpf_map__max_entries(map) < 1) {
                        problems_add(problems, false, p->source, chain, "Program", "NextMap",
                                     "map '%s' is not a program array with at least one slot", bpf_map__name(map));
                        return -EINVAL;
                }
                p->next_resolved = g_strdup(bpf_map__name(map));
        }

        /* Every map is pinned under its full name (pin_map_path()): one that cannot be a file name
         * would fail at load with a bare ENAMETOOLONG. */
        bpf_object__for_each_map(map, obj)
                if (!bpf_map__is_internal(map) && pin_name_encoded_length(bpf_map__name(map)) > NAME_MAX) {
                        problems_add(problems, false, p->source, chain, "Program", "Object",
                                     "map '%.32s...' in %s has a name of %zu bytes; pinned, it must fit one file "
                                     "name (%d bytes, a '.' counting 3)", bpf_map__name(map), p->object,
                                     strlen(bpf_map__name(map)), NAME_MAX);
                        return -ENAMETOOLONG;
                }
        return 0;
}

/* The object's maps as the chain pins them: those pinned by name are shared. */
static void record_maps(ProgramSpec *p, struct bpf_object *obj)
{
        struct bpf_map *map;

        if (p->shared_maps)
                g_ptr_array_unref(p->shared_maps);
        if (p->map_defs)
                g_ptr_array_unref(p->map_defs);
        p->shared_maps = g_ptr_array_new_with_free_func(g_free);
        p->map_defs = g_ptr_array_new_with_free_func((GDestroyNotify) map_def_free);
        bpf_object__for_each_map(map, obj) {
                bool shared = bpf_map__pin_path(map) != NULL;

                if (bpf_map__is_internal(map) || streq_ptr(bpf_map__name(map), p->next_resolved))
                        continue;
                if (shared)
                        g_ptr_array_add(p->shared_maps, g_strdup(bpf_map__name(map)));
                g_ptr_array_add(p->map_defs, map_def_of_object_map(map, shared));
        }
}

int program_prepare(ProgramSpec *p, const ChainId *chain, GPtrArray *problems)
{
        g_autoptr(BpfObject) obj = NULL;
        g_autofree char *error = NULL;
        struct bpf_program *prog;
        int r;

        if (!p->object) {
                problems_add(problems, false, p->source, chain, "Program", "Package",
                             "package %s %s has not been fetched", p->package, p->version);
                return -ENOENT;
        }
        if (!p->elf) {
                r = read_object(p->object, &p->elf, &error);
                if (r < 0) {
                        problems_add(problems, false, p->source, chain, "Program", "Object", "%s", error);
                        return r;
                }
        }
        r = open_object(p, &obj, &error);
        if (r < 0) {
                problems_add(problems, false, p->source, chain, "Program", "Object", "%s: %s", p->object, error);
                return r;
        }

        r = resolve_entry(p, obj, chain, problems, &prog);
        if (r < 0)
                return r;
        r = resolve_next_map(p, obj, chain, problems);
        if (r < 0)
                return r;
        record_maps(p, obj);
        r = collect_probes(p, obj, prog, chain, problems);
        if (r < 0)
                return r;

        r = type_entries(p, obj, chain, problems);
        if (r < 0)
                return r;
        for (guint i = 0; p->metrics && i < p->metrics->len; i++) {
                MetricSpec *m = p->metrics->pdata[i];

                r = metric_spec_check(m, obj, p->source, chain, problems);
                if (r < 0)
                        return r;
        }

        compute_digest(p);
        return 0;
}

static bool map_is_shared(const ProgramSpec *p, const char *name)
{
        for (guint i = 0; p->shared_maps && i < p->shared_maps->len; i++)
                if (streq(p->shared_maps->pdata[i], name))
                        return true;
        return false;
}

static ProbeSpec *find_probe(const ProgramSpec *p, const char *program)
{
        for (guint i = 0; p->probes && i < p->probes->len; i++)
                if (streq(((ProbeSpec *) p->probes->pdata[i])->program, program))
                        return p->probes->pdata[i];
        return NULL;
}

/*
 * Why bpf_object__load() failed with 'r': the verifier's last lines of the
 * program it refused (the entry, loaded 'with_entry' and whose log is
 * 'verifier', or a probe with its own log buffer), else libbpf's
 * ('captured'). *ret_kind (may be NULL) is set to PROBLEM_VERIFIER_REJECTED
 * when the verifier refused a program.
 */
static void explain_refusal(const ProgramSpec *p, struct bpf_object *obj, struct bpf_program *entry, bool with_entry,
                            const char *verifier, const char *captured, int r, char **ret_log, ProblemKind *ret_kind)
{
        g_autofree char *vtail = NULL, *ltail = log_tail(captured, 3);
        struct bpf_program *prog, *failed = with_entry ? entry : NULL;
        const char *log = verifier;
        size_t log_size = VERIFIER_LOG_SIZE;
        bool overflowed;

        /* libbpf asks for a log only after a refusal: the program with one is the one refused. */
        bpf_object__for_each_program(prog, obj) {
                const char *l = bpf_program__autoload(prog) && prog != entry ?
                                        bpf_program__log_buf(prog, NULL) : NULL;

                if (!isempty(l)) {
                        failed = prog;
                        log = l;
                        log_size = VERIFIER_LOG_SIZE / 16;
                }
        }
        vtail = log_tail(log, VERIFIER_LOG_LINES);
        /* ENOSPC with a full buffer means the refusal's log overflowed it. Since Linux 6.4 the kernel
         * keeps the log's end (BPF_LOG_FIXED unset), where the verifier says why. */
        overflowed = r == -ENOSPC && log && strnlen(log, log_size) >= log_size - 1;

        if (!isempty(vtail) && ret_kind)
                *ret_kind = PROBLEM_VERIFIER_REJECTED;

        if (!isempty(vtail) && overflowed)
                *ret_log = g_strdup_printf("the verifier rejected program '%s' (its log exceeds %zu %s; "
                                           "its last lines):\n%s",
                                           failed ? bpf_program__name(failed) : p->entry_resolved,
                                           log_size >= (1u << 20) ? log_size >> 20 : log_size >> 10,
                                           log_size >= (1u << 20) ? "MiB" : "KiB", vtail);
        else if (!isempty(vtail))
                *ret_log = g_strdup_printf("the verifier rejected program '%s' (%s):\n%s",
                                           failed ? bpf_program__name(failed) : p->entry_resolved,
                                           g_strerror(-r), vtail);
        else
                *ret_log = g_strdup_printf("cannot load program '%s': %s\n%s", p->entry_resolved,
                                           g_strerror(-r), ltail);
}

/*
 * Sets up the object's maps for load_object(): libbpf pins none; the next map
 * is returned in *ret_next (NULL: none); with a 'chain_dir', each other map
 * reuses its pin as map_pins_resolve() decides, or is added to 'fresh_maps'
 * with where to pin it in 'fresh_pins'. Returns 0 or -errno with *ret_log.
 */
static int set_up_maps(const ProgramSpec *p, struct bpf_object *obj, const char *chain_dir, GPtrArray *fresh_maps,
                       GPtrArray *fresh_pins, struct bpf_map **ret_next, char **ret_log)
{
        struct bpf_map *map, *next = NULL;
        int r;

        bpf_object__for_each_map(map, obj) {
                g_autofree char *name = g_strdup(bpf_map__name(map));  /* bpf_map__reuse_fd() renames it */
                g_autofree char *live = NULL, *pin = NULL;
                _cleanup_close_ int fd = -EBADF;
                const MapDef *def;

                if (bpf_map__is_internal(map))
                        continue;
                /* libbpf pins nothing: the next map is one per instance, pinned by the caller; other maps below. */
                r = bpf_map__set_pin_path(map, NULL);
                if (r < 0) {
                        *ret_log = g_strdup_printf("cannot set up map '%s': %s", name, g_strerror(-r));
                        return r;
                }
                if (streq_ptr(name, p->next_resolved)) {
                        next = map;
                        continue;
                }
                if (!chain_dir)
                        continue;
                def = map_defs_find(p->map_defs, name);
                if (!def) {
                        *ret_log = g_strdup_printf("map '%s' vanished from the object", name);
                        return -ENOENT;
                }
                live = pin_map_path(chain_dir, p->name, name, def->shared);
                r = map_pins_resolve(live, def, &fd, &pin, ret_log);
                if (r < 0)
                        return r;
                if (fd >= 0) {
                        r = bpf_map__reuse_fd(map, fd);
                        if (r < 0) {
                                *ret_log = g_strdup_printf("cannot reuse the map pinned at %s: %s", live,
                                                           g_strerror(-r));
                                return r;
                        }
                } else {
                        g_ptr_array_add(fresh_maps, map);
                        g_ptr_array_add(fresh_pins, TAKE_PTR(pin));
                }
        }
        *ret_next = next;
        return 0;
}

/*
 * Loads an opened object: the entry program with the hook's type (unless
 * !with_entry) and, with 'with_probes', the probes of p->probes with their
 * kinds' types, in one load, so that they share its maps. A standalone
 * probe's entry is one of its probes. Maps are pinned under 'chain_dir' as a
 * chain's are (pin_map_path(), for maps pinned by name too: libbpf's own path
 * would keep a '.' the bpffs refuses), or, with no chain_dir, not at all (the
 * next map is never pinned by libbpf: instances pin it themselves). With a
 * 'chain_dir', maps reuse the chain's pins as map_pins_resolve() decides, and
 * the maps the load creates afresh are added to 'fresh_maps' (struct
 * bpf_map*) with where to pin them in 'fresh_pins'. When the verifier
 * refuses a program, *ret_kind (may be NULL) says so.
 */
static int load_object(const ProgramSpec *p, struct bpf_object *obj, const char *chain_dir, bool frags,
                       bool with_entry, bool with_probes, GPtrArray *fresh_maps, GPtrArray *fresh_pins,
                       struct bpf_program **ret_entry, struct bpf_map **ret_next,
                       char **ret_log, ProblemKind *ret_kind)
{
        g_autofree char *captured = NULL, *verifier = NULL;
        g_autoptr(GPtrArray) logs = g_ptr_array_new_with_free_func(g_free);
        struct bpf_program *prog, *entry = NULL;
        struct bpf_map *next = NULL;
        int r;

        with_entry = with_entry && !p->standalone;
        bpf_object__for_each_program(prog, obj) {
                bool is_entry = streq(bpf_program__name(prog), p->entry_resolved);
                ProbeSpec *probe = with_probes ? find_probe(p, bpf_program__name(prog)) : NULL;
                char *log;

                bpf_program__set_autoload(prog, (is_entry && with_entry) || probe);
                if (is_entry)
                        entry = prog;
                if (probe) {
                        r = probe_prepare_program(prog, probe->kind);
                        if (r < 0) {
                                *ret_log = g_strdup_printf("cannot set up probe '%s': %s", probe->program,
                                                           g_strerror(-r));
                                return r;
                        }
                        log = g_malloc0(VERIFIER_LOG_SIZE / 16);
                        g_ptr_array_add(logs, log);
                        bpf_program__set_log_buf(prog, log, VERIFIER_LOG_SIZE / 16);
                }
        }
        if (!entry) {
                *ret_log = g_strdup_printf("program '%s' vanished from the object", p->entry_resolved);
                return -ENOENT;
        }
        if (with_entry) {
                bpf_program__set_type(entry, hook_prog_type(p->hook));
                if (p->hook == HOOK_XDP) {
                        bpf_program__set_expected_attach_type(entry, BPF_XDP);
                        /* As the chain runs: every program of it agrees (see program_setup()). */
                        bpf_program__set_flags(entry, frags ? bpf_program__flags(entry) | BPF_F_XDP_HAS_FRAGS
                                                            : bpf_program__flags(entry) & ~BPF_F_XDP_HAS_FRAGS);
                }
                verifier = g_malloc0(VERIFIER_LOG_SIZE);
                bpf_program__set_log_buf(entry, verifier, VERIFIER_LOG_SIZE);
        }

        r = set_up_maps(p, obj, chain_dir, fresh_maps, fresh_pins, &next, ret_log);
        if (r < 0)
                return r;

        libbpf_capture_begin();
        r = bpf_object__load(obj);
        captured = libbpf_capture_end();
        if (r < 0) {
                explain_refusal(p, obj, entry, with_entry, verifier, captured, r, ret_log, ret_kind);
                return r;
        }
        if (ret_entry)
                *ret_entry = entry;
        if (ret_next)
                *ret_next = next;
        return 0;
}

/* Creates the program's pin directories under 'chain_dir' and opens its object; *ret_log says why not. */
static int open_for_chain(const ProgramSpec *p, const char *chain_dir, struct bpf_object **ret, char **ret_log)
{
        g_autofree char *shared_dir = g_build_filename(chain_dir, "maps", NULL);
        g_autofree char *pdir = pin_program_dir(chain_dir, p->name);
        g_autofree char *own_dir = g_build_filename(pdir, "maps", NULL);
        int r;

        r = mkdir_p(shared_dir, 0700);
        if (r >= 0)
                r = mkdir_p(own_dir, 0700);
        if (r < 0) {
                *ret_log = g_strdup_printf("cannot create pin directories under %s: %s", chain_dir, g_strerror(-r));
                return r;
        }
        return open_object(p, ret, ret_log);
}

int program_load_probes(const ProgramSpec *p, const char *chain_dir, struct bpf_object **ret, char **ret_log)
{
        g_autoptr(GPtrArray) fresh_maps = g_ptr_array_new(), fresh_pins = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(BpfObject) obj = NULL;
        int r;

        r = open_for_chain(p, chain_dir, &obj, ret_log);
        if (r < 0)
                return r;
        r = load_object(p, obj, chain_dir, false, false, true, fresh_maps, fresh_pins, NULL, NULL, ret_log,
                        NULL);
        if (r < 0)
                return r;
        /* The program runs with its maps pinned already; one its object has and the pins lack is pinned now. */
        for (guint i = 0; i < fresh_maps->len; i++)
                if (bpf_obj_pin(bpf_map__fd(fresh_maps->pdata[i]), fresh_pins->pdata[i]) < 0) {
                        r = negative_errno();
                        *ret_log = g_strdup_printf("cannot pin a map of '%s' at %s: %s", p->name,
                                                   (char *) fresh_pins->pdata[i], g_strerror(-r));
                        return r;
                }
        *ret = TAKE_PTR(obj);
        return 0;
}

int program_instantiate(const ProgramSpec *p, const char *chain_dir, uint64_t gen, bool frags, bool with_probes,
                        Instance **ret, char **ret_log, ProblemKind *ret_kind)
{
        g_autofree char *prog_pin = NULL, *next_pin = NULL;
        g_autoptr(GPtrArray) fresh_maps = g_ptr_array_new(), fresh_pins = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(BpfObject) obj = NULL;
        g_autoptr(Instance) inst = NULL;
        struct bpf_program *entry = NULL;
        struct bpf_map *next = NULL;
        int r;

        r = open_for_chain(p, chain_dir, &obj, ret_log);
        if (r < 0)
                return r;
        with_probes = with_probes && p->probes && p->probes->len > 0;
        r = load_object(p, obj, chain_dir, frags, true, with_probes, fresh_maps, fresh_pins, &entry, &next, ret_log,
                        ret_kind);
        if (r < 0)
                return r;

        inst = instance_new(p->name);
        inst->gen = gen;
        g_strlcpy(inst->digest, p->digest, sizeof(inst->digest));
        inst->dir = pin_instance_dir(chain_dir, p->name, gen, inst->digest);

        r = mkdir_p(inst->dir, 0700);
        if (r < 0) {
                *ret_log = g_strdup_printf("cannot create %s: %s", inst->dir, g_strerror(-r));
                return r;
        }
        inst->prog_fd = fcntl(bpf_program__fd(entry), F_DUPFD_CLOEXEC, 3);
        if (next)
                inst->next_fd = fcntl(bpf_map__fd(next), F_DUPFD_CLOEXEC, 3);
        if (inst->prog_fd < 0 || (next && inst->next_fd < 0)) {
                r = negative_errno();
                goto fail;
        }
        prog_pin = g_build_filename(inst->dir, "prog", NULL);
        if (bpf_obj_pin(inst->prog_fd, prog_pin) < 0) {
                r = negative_errno();
                goto fail;
        }
        if (next) {
                next_pin = g_build_filename(inst->dir, "next", NULL);
                if (bpf_obj_pin(inst->next_fd, next_pin) < 0) {
                        r = negative_errno();
                        goto fail;
                }
        }
        r = bpf_prog_id_of_fd(inst->prog_fd, &inst->prog_id);
        if (r < 0)
                goto fail;
        /* After the instance: a map staged with no instance of its generation pinned is not live (chain_adopt()). */
        for (guint i = 0; i < fresh_maps->len; i++)
                if (bpf_obj_pin(bpf_map__fd(fresh_maps->pdata[i]), fresh_pins->pdata[i]) < 0) {
                        r = negative_errno();
                        *ret_log = g_strdup_printf("cannot pin a map of '%s' at %s: %s", p->name,
                                                   (char *) fresh_pins->pdata[i], g_strerror(-r));
                        instance_unpin(inst);
                        return r;
                }

        if (with_probes)
                inst->obj = TAKE_PTR(obj);  /* its probes attach with the generation (probes.h) */
        *ret = TAKE_PTR(inst);
        return 0;
fail:
        *ret_log = g_strdup_printf("cannot pin instance of '%s' in %s: %s", p->name, inst->dir, g_strerror(-r));
        instance_unpin(inst);
        return r;
}

/* Writes one [Map] entry into the map behind fd, unless it holds that value already. */
static int write_map_entry(int fd, const MapEntrySpec *m, char **ret_error)
{
        g_autofree uint8_t *want = NULL, *have = NULL;
        struct bpf_map_info info;
        MapValueLayout l;
        int r;

        r = bpf_map_info_of_fd(fd, &info);
        if (r >= 0)
                r = map_value_layout(&info, &l);
        if (r < 0) {
                *ret_error = g_strdup_printf("[Map %s]: cannot inspect the map: %s", m->map, g_strerror(-r));
                return r;
        }
        if (info.value_size != g_bytes_get_size(m->value_bytes) || info.key_size != g_bytes_get_size(m->key_bytes)) {
                *ret_error = g_strdup_printf("[Map %s]: the pinned map's sizes differ from the object's", m->map);
                return -EINVAL;
        }
        want = map_value_replicate(&l, g_bytes_get_data(m->value_bytes, NULL));
        have = g_malloc0(map_value_layout_size(&l));
        if (bpf_map_lookup_elem(fd, g_bytes_get_data(m->key_bytes, NULL), have) == 0 &&
            memcmp(have, want, map_value_layout_size(&l)) == 0)
                return 0;
        if (bpf_map_update_elem(fd, g_bytes_get_data(m->key_bytes, NULL), want, BPF_ANY) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("[Map %s] %s=: cannot write: %s", m->map, m->key, g_strerror(-r));
                return r;
        }
        return 0;
}

int program_write_map_entries(const ProgramSpec *p, const char *chain_dir, char **ret_error)
{
        for (guint i = 0; i < p->maps->len; i++) {
                const MapEntrySpec *m = p->maps->pdata[i];
                g_autofree char *path = pin_map_path(chain_dir, p->name, m->map, map_is_shared(p, m->map));
                g_autofree char *staged = map_pin_staged(path);
                _cleanup_close_ int fd = -EBADF;
                int r;

                fd = bpf_pin_open(staged);  /* a fresh map this change puts in its place */
                if (fd == -ENOENT)
                        fd = bpf_pin_open(path);
                if (fd < 0) {
                        *ret_error = g_strdup_printf("[Map %s]: cannot open pinned map %s: %s", m->map, path,
                                                     g_strerror(-fd));
                        return fd;
                }
                /* Recorded first: a key l3afd wrote is always one it knows to take out again. */
                r = map_entries_record(chain_dir, p->name, m->map, fd, g_bytes_get_data(m->key_bytes, NULL),
                                       g_bytes_get_size(m->key_bytes), ret_error);
                if (r < 0)
                        return r;
                r = write_map_entry(fd, m, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool program_chain_frags(Hook hook, GPtrArray *programs)
{
        if (hook != HOOK_XDP)
                return false;
        for (guint i = 0; i < programs->len; i++)
                if (!((ProgramSpec *) programs->pdata[i])->frags)
                        return false;
        return true;
}

int program_verify(const ProgramSpec *p, bool frags, char **ret_log, ProblemKind *ret_kind)
{
        g_autofree char *error = NULL;
        g_autoptr(BpfObject) obj = NULL;
        struct bpf_program *entry = NULL;
        int r;

        r = open_object(p, &obj, &error);
        if (r < 0) {
                *ret_log = TAKE_PTR(error);
                return r;
        }
        r = load_object(p, obj, NULL, frags, true, true, NULL, NULL, &entry, NULL, ret_log, ret_kind);
        if (r < 0)
                return r;
        for (guint i = 0; i < p->maps->len; i++) {
                const MapEntrySpec *m = p->maps->pdata[i];
                struct bpf_map *map = bpf_object__find_map_by_name(obj, m->map);

                if (!map) {
                        *ret_log = g_strdup_printf("[Map %s]: no such map in the object", m->map);
                        return -ENOENT;
                }
                r = write_map_entry(bpf_map__fd(map), m, ret_log);
                if (r < 0)
                        return r;
        }
        return 0;
}
