/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-datapath: nanoseconds per packet through an XDP or tc program,
 * measured by the kernel with BPF_PROG_TEST_RUN on a 64-byte UDP frame.
 *
 *   bench-datapath pinned PROG_PIN [REPEAT]   a program pinned by l3afd (a chain's root, or an instance)
 *   bench-datapath mono OBJECT N [REPEAT]     the baseline: N counters in one program
 *
 * Prints the average ns per run as the kernel measured it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-frame.h"

static int run(int prog_fd, unsigned repeat)
{
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .repeat = repeat);
        struct bpf_prog_info info = {};
        __u32 len = sizeof(info);
        /* What the count sample lets a packet on with: XDP_PASS, or TCX_NEXT (-1) on tc. */
        unsigned want;

        if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0) {
                fprintf(stderr, "bench-datapath: program info: %s\n", strerror(errno));
                return 1;
        }
        want = info.type == BPF_PROG_TYPE_SCHED_CLS ? (unsigned) -1 : XDP_PASS;
        if (bpf_prog_test_run_opts(prog_fd, &opts) < 0) {
                fprintf(stderr, "bench-datapath: test run: %s\n", strerror(errno));
                return 1;
        }
        if (opts.retval != want) {
                fprintf(stderr, "bench-datapath: the program returned %d, not %d\n", (int) opts.retval, (int) want);
                return 1;
        }
        printf("%u\n", opts.duration);
        return 0;
}

int main(int argc, char **argv)
{
        unsigned repeat;

        build_frame();
        if (argc >= 3 && (!strcmp(argv[1], "pinned") || !strcmp(argv[1], "pinned-stats"))) {
                int fd = bpf_obj_get(argv[2]);
                /* pinned-stats: with the kernel's run-time statistics on for the run, as l3afd holds them
                 * with [Daemon] Statistics=yes (bpf(BPF_ENABLE_STATS), include/uapi/linux/bpf.h). */
                int stats_fd = !strcmp(argv[1], "pinned-stats") ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;

                if (!strcmp(argv[1], "pinned-stats") && stats_fd < 0) {
                        fprintf(stderr, "bench-datapath: BPF_ENABLE_STATS: %s\n", strerror(errno));
                        return 1;
                }

                if (fd < 0) {
                        fprintf(stderr, "bench-datapath: %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                repeat = argc > 3 ? atoi(argv[3]) : 1000000;
                return run(fd, repeat);
        }
        if (argc >= 4 && !strcmp(argv[1], "mono")) {
                struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
                struct bpf_map *rodata;
                unsigned n = atoi(argv[3]);

                if (!obj) {
                        fprintf(stderr, "bench-datapath: cannot open %s\n", argv[2]);
                        return 1;
                }
                bpf_object__for_each_map(rodata, obj)
                        if (strstr(bpf_map__name(rodata), ".rodata"))
                                break;
                if (!rodata || bpf_map__set_initial_value(rodata, &n, sizeof(n)) < 0 || bpf_object__load(obj) < 0) {
                        fprintf(stderr, "bench-datapath: cannot load %s\n", argv[2]);
                        return 1;
                }
                repeat = argc > 4 ? atoi(argv[4]) : 1000000;
                return run(bpf_program__fd(bpf_object__find_program_by_name(obj, "mono")), repeat);
        }
        fprintf(stderr, "usage: bench-datapath pinned|pinned-stats PROG_PIN [REPEAT] | mono OBJECT N [REPEAT]\n");
        return 2;
}
