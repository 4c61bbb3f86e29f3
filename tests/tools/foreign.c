/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * foreign: a libbpf program of the tests' own that displaces l3afd.
 *
 *   foreign netlink IFACE OBJECT   attach through netlink (bpf_xdp_attach) and exit
 *   foreign link IFACE OBJECT      attach with a bpf_link and hold it until killed
 *   foreign detach PIN             detach a pinned bpf_link (as bpftool link detach)
 *   foreign replace PIN IFACE OBJECT   detach PIN, then attach through netlink at once
 *   foreign tcx-first IFACE OBJECT  attach a tc program first on tcx ingress, hold it
 *   foreign replace-link PIN IFACE OBJECT   detach PIN, attach with a link at once, hold it
 *   foreign tcx-last IFACE OBJECT ingress|egress   attach a tc program last on tcx, hold it
 *   foreign swap PIN OBJECT        make a pinned bpf_link run our program (bpf_link_update) and exit
 *
 * On attach it prints "<program id> <CLOCK_REALTIME usec after attaching>".
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

/* Loads the first program of the given type in the object, and only that one. */
/* The object loaded: its program stays loaded while this process runs (or while attached). */
static struct bpf_object *held;

static void close_held(void)
{
        bpf_object__close(held);
}

static int load_type(const char *path, enum bpf_prog_type type, int *ret_fd, unsigned *ret_id)
{
        struct bpf_object *obj = held = bpf_object__open_file(path, NULL);
        struct bpf_program *prog = NULL, *p;
        struct bpf_prog_info info = {};
        __u32 len = sizeof(info);

        if (!obj) {
                fprintf(stderr, "foreign: cannot open %s\n", path);
                return -1;
        }
        bpf_object__for_each_program(p, obj) {
                bool pick = !prog && bpf_program__type(p) == type;

                bpf_program__set_autoload(p, pick);
                if (pick)
                        prog = p;
        }
        if (!prog || bpf_object__load(obj) < 0) {
                fprintf(stderr, "foreign: cannot load a program of type %d from %s\n", type, path);
                return -1;
        }
        *ret_fd = bpf_program__fd(prog);
        bpf_obj_get_info_by_fd(*ret_fd, &info, &len);
        *ret_id = info.id;
        return 0;
}

static int load(const char *path, int *ret_fd, unsigned *ret_id)
{
        return load_type(path, BPF_PROG_TYPE_XDP, ret_fd, ret_id);
}

int main(int argc, char **argv)
{
        unsigned ifindex, id;
        int fd;

        atexit(close_held);

        if (argc == 3 && !strcmp(argv[1], "detach")) {
                fd = bpf_obj_get(argv[2]);
                if (fd < 0 || bpf_link_detach(fd) < 0) {
                        fprintf(stderr, "foreign: detach %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                printf("%llu\n", now_usec());
                return 0;
        }
        if (argc == 5 && (!strcmp(argv[1], "replace") || !strcmp(argv[1], "replace-link"))) {
                /* Detach our link, attach in its place: by netlink (and exit), or by a link held here. */
                bool by_link = !strcmp(argv[1], "replace-link");
                int link;

                ifindex = if_nametoindex(argv[3]);
                if (!ifindex || load(argv[4], &fd, &id) < 0)
                        return 1;
                link = bpf_obj_get(argv[2]);
                if (link < 0 || bpf_link_detach(link) < 0 ||
                    (by_link ? bpf_link_create(fd, ifindex, BPF_XDP, NULL) : bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL)) < 0) {
                        fprintf(stderr, "foreign: %s: %s\n", argv[1], strerror(errno));
                        return 1;
                }
                printf("%u %llu\n", id, now_usec());
                fflush(stdout);
                while (by_link)
                        pause();
                return 0;
        }
        if (argc == 4 && !strcmp(argv[1], "swap")) {
                /* Someone with access to the pin swaps the program behind l3afd's own link. */
                int link;

                if (load(argv[3], &fd, &id) < 0)
                        return 1;
                link = bpf_obj_get(argv[2]);
                if (link < 0 || bpf_link_update(link, fd, NULL) < 0) {
                        fprintf(stderr, "foreign: swap %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                printf("%u %llu\n", id, now_usec());
                return 0;
        }
        if (argc == 5 && !strcmp(argv[1], "tcx-last")) {
                /* No BPF_F_BEFORE/AFTER: the kernel appends it, after whatever runs there (our root). */
                ifindex = if_nametoindex(argv[2]);
                if (!ifindex || load_type(argv[3], BPF_PROG_TYPE_SCHED_CLS, &fd, &id) < 0)
                        return 1;
                if (bpf_link_create(fd, ifindex, strcmp(argv[4], "egress") ? 46 /* BPF_TCX_INGRESS */ :
                                    47 /* BPF_TCX_EGRESS */, NULL) < 0) {
                        fprintf(stderr, "foreign: tcx attach: %s\n", strerror(errno));
                        return 1;
                }
                printf("%u %llu\n", id, now_usec());
                fflush(stdout);
                for (;;)
                        pause();
        }
        if (argc != 4) {
                fprintf(stderr, "usage: foreign netlink|link IFACE OBJECT | detach PIN | replace PIN IFACE OBJECT\n");
                return 2;
        }
        ifindex = if_nametoindex(argv[2]);
        if (!ifindex ||
            load_type(argv[3], strcmp(argv[1], "tcx-first") ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, &fd, &id) < 0)
                return 1;
        if (!strcmp(argv[1], "netlink")) {
                if (bpf_xdp_attach(ifindex, fd, 0, NULL) < 0) {
                        fprintf(stderr, "foreign: netlink attach: %s\n", strerror(errno));
                        return 1;
                }
                printf("%u %llu\n", id, now_usec());
                return 0;
        }
        if (!strcmp(argv[1], "tcx-first")) {
                LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = 1U << 3 /* BPF_F_BEFORE */);

                if (bpf_link_create(fd, ifindex, 46 /* BPF_TCX_INGRESS */, &opts) < 0) {
                        fprintf(stderr, "foreign: tcx attach: %s\n", strerror(errno));
                        return 1;
                }
                printf("%u %llu\n", id, now_usec());
                fflush(stdout);
                for (;;)
                        pause();
        }
        if (!strcmp(argv[1], "link")) {
                if (bpf_link_create(fd, ifindex, BPF_XDP, NULL) < 0) {
                        fprintf(stderr, "foreign: link attach: %s\n", strerror(errno));
                        return 1;
                }
                printf("%u %llu\n", id, now_usec());
                fflush(stdout);
                for (;;)
                        pause();
        }
        return 2;
}
