/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-floor: the floor under our chains. Runs, interleaved in rounds, for
 * each chain length N, with BPF_PROG_TEST_RUN on a 64-byte UDP frame (ns per
 * packet, as the kernel measures it):
 *
 *   ours   the chain l3afd built, from what its link runs at the hook: its
 *          head instance for an XDP chain attached by its head, else its
 *          root tail-calling the N instances;
 *   head   the same chain from its head instance, without the root;
 *   bare   a bare tail-call chain of N instances of the same object's "count",
 *          loaded and linked here by hand (back to front, as l3afd does), no
 *          root, no l3afd: the floor;
 *   mono   the same work in one program (mono.bpf.o: N per-CPU counters).
 *
 *   bench-floor run COUNT_OBJ MONO_OBJ ROUNDS REPEAT N:CHAIN_DIR...
 *       (CHAIN_DIR: the chain's pin directory, with its link, root and slot)
 *       prints per N "cost N ours head bare mono" (medians of ROUNDS, ns), then
 *       "layout KIND N pages span direct" for ours and bare: how many 4 KiB
 *       pages and bytes (first to last byte) the chain's JIT images cover, and
 *       how many of its tail calls are direct jumps into the successor.
 *   bench-floor ring COUNT_OBJ ROUNDS REPEAT K...
 *       K instances linked in a ring: every packet runs 34 programs (the
 *       kernel's 33 tail calls, MAX_TAIL_CALL_CNT, include/linux/bpf.h)
 *       whatever K is, over K distinct images and jump sites. Prints
 *       "ring K ns direct D/K min NS" (median of ROUNDS; D: tail calls that are
 *       direct jumps; min: the fastest round, which co-running work cannot inflate).
 *       "K/S" puts S unlinked instances between two of the ring's, to push its
 *       images apart (S = 15 puts them 4 KiB apart). L3AF_BENCH_ADDRESSES=1
 *       adds the images' addresses. COUNT_OBJ may be hop-indirect.bpf.o.
 *   bench-floor layout PROG_PIN
 *       the chain from a pinned program on, one line per program: id, JIT
 *       image address and length, and whether its tail call is a direct jump.
 *
 * The kernel reports JIT addresses to root only (kptr_restrict, bpf_dump_raw_ok()).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_N 64
#define MAX_ROUNDS 64
#define MAX_SIZES 64

#include "bench-frame.h"

/* Logs "bench-floor: WHAT: ERROR" and returns r (-errno). */
static int fail(int r, const char *what)
{
        fprintf(stderr, "bench-floor: %s: %s\n", what, strerror(-r));
        return r;
}

/* ns per run of prog_fd over 'repeat' runs, as the kernel measured it; or -errno. */
static long run_ns(int prog_fd, unsigned repeat)
{
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .repeat = repeat);

        if (bpf_prog_test_run_opts(prog_fd, &opts) < 0)
                return -errno;
        if (opts.retval != XDP_PASS) {
                fprintf(stderr, "bench-floor: the chain returned %u, not XDP_PASS\n", opts.retval);
                return -EPROTO;
        }
        return opts.duration;
}

static int cmp_long(const void *a, const void *b)
{
        long x = *(const long *) a, y = *(const long *) b;

        return (x > y) - (x < y);
}

static double median(long *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_long);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* A program's JIT image: address, length and bytes (malloc'ed). 0 or -errno. */
struct image {
        uint32_t id;
        uint64_t addr;
        uint32_t len;
        unsigned char *bytes;
        uint32_t next_id;  /* slot 0 of its first program array, 0 if empty or none */
};

static int image_get(int prog_fd, struct image *ret)
{
        struct bpf_prog_info info = {};
        uint32_t len = sizeof(info), map_ids[16];
        uint64_t ksym = 0;
        struct image im = {};

        if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
                return -errno;
        im.id = info.id;
        im.len = info.jited_prog_len;
        im.bytes = calloc(1, im.len ? im.len : 1);
        if (!im.bytes)
                return -ENOMEM;
        uint32_t nr_maps = info.nr_map_ids < 16 ? info.nr_map_ids : 16;
        memset(&info, 0, sizeof(info));
        info.nr_jited_ksyms = 1;
        info.jited_ksyms = (uintptr_t) &ksym;
        info.jited_prog_len = im.len;
        info.jited_prog_insns = (uintptr_t) im.bytes;
        info.nr_map_ids = nr_maps;
        info.map_ids = (uintptr_t) map_ids;
        len = sizeof(info);
        if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0) {
                free(im.bytes);
                return -errno;
        }
        im.addr = ksym;
        for (uint32_t i = 0; i < nr_maps && !im.next_id; i++) {
                struct bpf_map_info mi = {};
                uint32_t ml = sizeof(mi), zero = 0, id = 0;
                int fd = bpf_map_get_fd_by_id(map_ids[i]);

                if (fd < 0)
                        continue;
                if (bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0 && mi.type == BPF_MAP_TYPE_PROG_ARRAY &&
                    bpf_map_lookup_elem(fd, &zero, &id) == 0)
                        im.next_id = id;
                close(fd);
        }
        *ret = im;
        return 0;
}

/* Whether 'from' holds a jmp rel32 (e9) that lands inside 'to': the x86-64 JIT's direct,
 * poked tail call (emit_bpf_tail_call_direct(), arch/x86/net/bpf_jit_comp.c). */
static bool jumps_into(const struct image *from, const struct image *to)
{
        if (!from->addr || !to->addr)
                return false;
        for (uint32_t i = 0; i + 5 <= from->len; i++) {
                int32_t rel;

                if (from->bytes[i] != 0xe9)
                        continue;
                memcpy(&rel, from->bytes + i + 1, sizeof(rel));
                uint64_t target = from->addr + i + 5 + (int64_t) rel;
                if (target >= to->addr && target < to->addr + to->len)
                        return true;
        }
        return false;
}

/* The chain from prog_fd on: up to MAX_N + 1 images. Returns the count or -errno. */
static int chain_images(int prog_fd, struct image *ret, size_t max)
{
        int n = 0, fd = dup(prog_fd);

        while (fd >= 0 && (size_t) n < max) {
                int r = image_get(fd, &ret[n]);

                close(fd);
                if (r < 0)
                        return r;
                n++;
                fd = ret[n - 1].next_id ? bpf_prog_get_fd_by_id(ret[n - 1].next_id) : -1;
        }
        if (fd >= 0)
                close(fd);
        return n;
}

static void images_free(struct image *im, int n)
{
        for (int i = 0; i < n; i++)
                free(im[i].bytes);
}

/* "pages span direct" of the chain from prog_fd, skipping its first 'skip' programs (the root). */
static void print_layout(const char *kind, unsigned n, int prog_fd, int skip)
{
        struct image im[MAX_N + 2];
        int k = chain_images(prog_fd, im, MAX_N + 2), direct = 0;
        uint64_t lo = UINT64_MAX, hi = 0, pages[MAX_N + 2];
        int npages = 0;

        if (k < 0) {
                fprintf(stderr, "bench-floor: layout of %s %u: %s\n", kind, n, strerror(-k));
                return;
        }
        for (int i = 0; i < k; i++) {
                bool seen = false;

                if (i + 1 < k && jumps_into(&im[i], &im[i + 1]))
                        direct++;
                if (i < skip)
                        continue;
                lo = im[i].addr < lo ? im[i].addr : lo;
                hi = im[i].addr + im[i].len > hi ? im[i].addr + im[i].len : hi;
                for (int p = 0; p < npages; p++)
                        seen |= pages[p] == im[i].addr >> 12;
                if (!seen)
                        pages[npages++] = im[i].addr >> 12;
        }
        printf("layout %s %u %d %llu %d/%d\n", kind, n, npages, (unsigned long long) (hi - lo), direct, k - 1);
        images_free(im, k);
}

/* Loads one instance of COUNT_OBJ's "count" (alone: its tc twin not loaded). 0 or -errno. */
static int load_instance(const char *path, struct bpf_object **ret_obj, int *ret_prog, int *ret_next)
{
        struct bpf_object *obj = bpf_object__open_file(path, NULL);
        struct bpf_program *p;
        int r;

        if (!obj)
                return -errno;
        bpf_object__for_each_program(p, obj)
                bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), "count"));
        r = bpf_object__load(obj);
        if (r < 0) {
                bpf_object__close(obj);
                return r;
        }
        *ret_obj = obj;
        *ret_prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "count"));
        *ret_next = bpf_map__fd(bpf_object__find_map_by_name(obj, "l3af_next"));
        return 0;
}

#define MAX_FILL 1024

struct chain {
        unsigned n, nfill;
        struct bpf_object *obj[MAX_N], *fill[MAX_FILL];
        int prog[MAX_N], next[MAX_N];
};

/*
 * A bare chain of n instances, loaded back to front and each linked to its
 * successor when loaded; with ring, the last one tail-calls the first.
 */
static int chain_load(const char *path, unsigned n, bool ring, unsigned stride, struct chain *ret)
{
        uint32_t zero = 0;

        ret->n = n;
        for (unsigned i = n; i-- > 0;) {
                int r;

                /* Fillers: unlinked instances loaded between two of the chain's, which push its
                 * images apart in the JIT's packs (first fit, 64-byte chunks: kernel/bpf/core.c). */
                for (unsigned f = 0; f < stride && i + 1 < n; f++) {
                        int prog, next;

                        if (ret->nfill >= MAX_FILL)
                                return -E2BIG;
                        r = load_instance(path, &ret->fill[ret->nfill++], &prog, &next);
                        if (r < 0)
                                return r;
                }
                r = load_instance(path, &ret->obj[i], &ret->prog[i], &ret->next[i]);
                if (r < 0)
                        return r;
                if (i + 1 < n && bpf_map_update_elem(ret->next[i], &zero, &ret->prog[i + 1], BPF_ANY) < 0)
                        return -errno;
        }
        if (ring && bpf_map_update_elem(ret->next[n - 1], &zero, &ret->prog[0], BPF_ANY) < 0)
                return -errno;
        return 0;
}

static void chain_close(struct chain *c)
{
        for (unsigned i = 0; i < c->n; i++)
                bpf_object__close(c->obj[i]);
        for (unsigned i = 0; i < c->nfill; i++)
                bpf_object__close(c->fill[i]);
}

static struct bpf_object *mono_load(const char *path, unsigned n, int *ret_prog)
{
        struct bpf_object *obj = bpf_object__open_file(path, NULL);
        struct bpf_map *m, *rodata = NULL;

        if (!obj)
                return NULL;
        bpf_object__for_each_map(m, obj)
                if (strstr(bpf_map__name(m), ".rodata"))
                        rodata = m;
        if (!rodata || bpf_map__set_initial_value(rodata, &n, sizeof(n)) < 0 || bpf_object__load(obj) < 0) {
                bpf_object__close(obj);
                return NULL;
        }
        *ret_prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "mono"));
        return obj;
}

static int do_run(const char *count_obj, const char *mono_obj, unsigned rounds, unsigned repeat, int argc,
                  char **argv)
{
        static struct chain bare[MAX_SIZES];
        static long t[MAX_SIZES][4][MAX_ROUNDS];
        struct bpf_object *mono[MAX_SIZES] = {};
        int fd[MAX_SIZES][4], ours_skip[MAX_SIZES];
        unsigned n[MAX_SIZES];
        int sizes = argc, passes = getenv("L3AF_FLOOR_PASSES") ? atoi(getenv("L3AF_FLOOR_PASSES")) : 1;

        if (sizes > MAX_SIZES || rounds < 1 || rounds > MAX_ROUNDS)
                return -E2BIG;
        for (int s = 0; s < sizes; s++) {
                char *colon = strchr(argv[s], ':'), path[4096];
                struct bpf_link_info link = {};
                uint32_t len = sizeof(link);
                struct image root;
                int r, link_fd, root_fd;

                if (!colon || (n[s] = atoi(argv[s])) < 1 || n[s] > MAX_N)
                        return -EINVAL;
                snprintf(path, sizeof(path), "%s/link", colon + 1);
                link_fd = bpf_obj_get(path);
                if (link_fd < 0 || bpf_obj_get_info_by_fd(link_fd, &link, &len) < 0)
                        return fail(-errno, path);
                close(link_fd);
                fd[s][0] = bpf_prog_get_fd_by_id(link.prog_id);  /* what the hook runs */
                if (fd[s][0] < 0)
                        return fail(-errno, "the program our link runs");
                snprintf(path, sizeof(path), "%s/root", colon + 1);
                root_fd = bpf_obj_get(path);
                if (root_fd < 0)
                        return fail(-errno, path);
                r = image_get(root_fd, &root);  /* the root's slot holds the chain's head */
                close(root_fd);
                if (r < 0)
                        return r;
                free(root.bytes);
                fd[s][1] = bpf_prog_get_fd_by_id(root.next_id);
                if (fd[s][1] < 0)
                        return fail(-errno, "the head of our chain");
                ours_skip[s] = root.id == link.prog_id;
                r = chain_load(count_obj, n[s], false, 0, &bare[s]);
                if (r < 0)
                        return fail(r, "loading a bare chain");
                fd[s][2] = bare[s].prog[0];
                mono[s] = mono_load(mono_obj, n[s], &fd[s][3]);
                if (!mono[s])
                        return fail(-EINVAL, mono_obj);
        }
        /* Interleaved: each round runs every kind at every size, so drift hits all alike. With
         * L3AF_FLOOR_PASSES=P, P passes over the same loaded programs: what comes from where the
         * images landed repeats from pass to pass, noise does not. */
        for (int pass = 0; pass < passes; pass++) {
                for (unsigned r = 0; r < rounds; r++)
                        for (int s = 0; s < sizes; s++)
                                for (int k = 0; k < 4; k++) {
                                        t[s][k][r] = run_ns(fd[s][k], repeat);
                                        if (t[s][k][r] < 0)
                                                return fail((int) t[s][k][r], "test run");
                                }
                for (int s = 0; s < sizes; s++)
                        printf("%scost %u %.1f %.1f %.1f %.1f\n", pass ? "again " : "", n[s], median(t[s][0], rounds),
                               median(t[s][1], rounds), median(t[s][2], rounds), median(t[s][3], rounds));
        }
        for (int s = 0; s < sizes; s++) {
                print_layout("ours", n[s], fd[s][0], ours_skip[s]);
                print_layout("bare", n[s], fd[s][2], 0);
                chain_close(&bare[s]);
                bpf_object__close(mono[s]);
        }
        return 0;
}

static int do_ring(const char *count_obj, unsigned rounds, unsigned repeat, int argc, char **argv)
{
        static struct chain ring[MAX_SIZES];  /* "K" or "K/STRIDE": STRIDE fillers between two instances */
        static long t[MAX_SIZES][MAX_ROUNDS];
        int sizes = argc;

        if (sizes > MAX_SIZES || rounds < 1 || rounds > MAX_ROUNDS)
                return -E2BIG;
        for (int s = 0; s < sizes; s++) {
                unsigned k = atoi(argv[s]), stride = strchr(argv[s], '/') ? atoi(strchr(argv[s], '/') + 1) : 0;
                int r;

                if (k < 1 || k > MAX_N)
                        return -EINVAL;
                r = chain_load(count_obj, k, true, stride, &ring[s]);
                if (r < 0)
                        return fail(r, "loading a ring");
        }
        for (unsigned r = 0; r < rounds; r++)
                for (int s = 0; s < sizes; s++) {
                        t[s][r] = run_ns(ring[s].prog[0], repeat);
                        if (t[s][r] < 0)
                                return (int) t[s][r];
                }
        for (int s = 0; s < sizes; s++) {
                struct image im[MAX_N];
                int direct = 0;

                for (unsigned i = 0; i < ring[s].n; i++)
                        if (image_get(ring[s].prog[i], &im[i]) < 0)
                                im[i] = (struct image) {};
                for (unsigned i = 0; i < ring[s].n; i++)
                        direct += jumps_into(&im[i], &im[(i + 1) % ring[s].n]);
                double med = median(t[s], rounds);  /* sorts: t[s][0] is the fastest round */

                printf("ring %s %.1f direct %d/%u min %ld", argv[s], med, direct, ring[s].n, t[s][0]);
                for (unsigned i = 0; i < ring[s].n; i++) {
                        if (getenv("L3AF_BENCH_ADDRESSES"))
                                printf(" %llx", (unsigned long long) im[i].addr);
                        free(im[i].bytes);
                }
                printf("\n");
                chain_close(&ring[s]);
        }
        return 0;
}

static int do_layout(const char *pin)
{
        struct image im[MAX_N + 2];
        int fd = bpf_obj_get(pin), k;

        if (fd < 0)
                return -errno;
        k = chain_images(fd, im, MAX_N + 2);
        close(fd);
        if (k < 0)
                return k;
        for (int i = 0; i < k; i++)
                printf("%u 0x%llx %u %s\n", im[i].id, (unsigned long long) im[i].addr, im[i].len,
                       i + 1 == k ? "last" : jumps_into(&im[i], &im[i + 1]) ? "direct" : "not-direct");
        images_free(im, k);
        return 0;
}

int main(int argc, char **argv)
{
        int r;

        build_frame();
        libbpf_set_print(NULL);
        if (argc >= 7 && !strcmp(argv[1], "run"))
                r = do_run(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), argc - 6, argv + 6);
        else if (argc >= 6 && !strcmp(argv[1], "ring"))
                r = do_ring(argv[2], atoi(argv[3]), atoi(argv[4]), argc - 5, argv + 5);
        else if (argc == 3 && !strcmp(argv[1], "layout"))
                r = do_layout(argv[2]);
        else {
                fprintf(stderr, "usage: bench-floor run COUNT_OBJ MONO_OBJ ROUNDS REPEAT N:ROOT_PIN... |\n"
                                "       bench-floor ring COUNT_OBJ ROUNDS REPEAT K... | bench-floor layout PROG_PIN\n");
                return 2;
        }
        if (r < 0)
                fprintf(stderr, "bench-floor: %s\n", strerror(-r));
        return r < 0;
}
