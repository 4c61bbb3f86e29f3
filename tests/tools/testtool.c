/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * testtool: reads what the kernel holds, independently of l3afd.
 *
 *   testtool sum PIN [INDEX]        sum over CPUs of u64 number INDEX of key 0
 *   testtool get-u64 PIN KEY INDEX  u64 number INDEX of a u32 KEY (array/hash)
 *   testtool has PIN KEY            1 if a u32 KEY is in the map, 0 if not
 *   testtool pc-valid PIN ID...     declare a valid path (pathcheck sample)
 *   testtool xdp-id IFACE           id of the XDP program attached (0: none)
 *   testtool prog-id PIN            id of a pinned program
 *   testtool chain-ids DIR          ids of a chain's programs, as packets run them: from the link's program
 *                                   when it is not the root (else the root's slot), through the next maps
 *                                   (counting hops skipped)
 *   testtool slot-id PIN            id of the program in slot 0 of a program array (0: empty)
 *   testtool link-ifindex PIN       ifindex of a pinned link (0: detached)
 *   testtool tcx-ids IFACE ingress|egress   ids of the tcx programs, in order
 *   testtool xdp-mode IFACE         "native ID", "generic ID" or "none 0": the mode XDP runs in
 *   testtool link-id PIN            id of a pinned link
 *   testtool prog-map-sum ID MAP [INDEX]    as sum, for the map named MAP of program ID
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l3af/samples.h"

static int die(const char *what)
{
        fprintf(stderr, "testtool: %s: %s\n", what, strerror(errno));
        return 1;
}

static int open_pin(const char *path)
{
        int fd = bpf_obj_get(path);

        if (fd < 0) {
                fprintf(stderr, "testtool: %s: %s\n", path, strerror(errno));
                exit(1);
        }
        return fd;
}

static void freep(void *p)
{
        free(*(void **) p);
}

static int cmd_sum_fd(int fd, int argc, char **argv, uint32_t key)
{
        int ncpus = libbpf_num_possible_cpus();
        unsigned index = argc > 1 ? atoi(argv[1]) : 0;
        struct bpf_map_info info = {};
        __u32 len = sizeof(info);
        uint64_t sum = 0;
        __attribute__((cleanup(freep))) uint8_t *buf = NULL;
        size_t stride;
        bool percpu;

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return die("map info");
        percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
                 info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
        stride = percpu ? (info.value_size + 7) & ~7u : info.value_size;
        buf = calloc(percpu ? ncpus : 1, stride);
        if ((index + 1) * 8 > info.value_size) {
                fprintf(stderr, "testtool: index %u beyond value size %u\n", index, info.value_size);
                return 1;
        }
        if (bpf_map_lookup_elem(fd, &key, buf) < 0) {
                if (errno == ENOENT) {
                        printf("0\n");
                        return 0;
                }
                return die("lookup");
        }
        for (int c = 0; c < (percpu ? ncpus : 1); c++) {
                uint64_t v;

                memcpy(&v, buf + c * stride + index * 8, 8);
                sum += v;
        }
        printf("%" PRIu64 "\n", sum);
        return 0;
}

static int cmd_has(const char *pin, uint32_t key)
{
        int fd = open_pin(pin), ncpus = libbpf_num_possible_cpus();
        struct bpf_map_info info = {};
        __u32 len = sizeof(info);
        __attribute__((cleanup(freep))) uint8_t *buf = NULL;

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return die("map info");
        buf = calloc(ncpus, (info.value_size + 7) & ~7u);  /* room for a per-CPU value */
        if (bpf_map_lookup_elem(fd, &key, buf) == 0) {
                printf("1\n");
                return 0;
        }
        if (errno != ENOENT)
                return die("lookup");
        printf("0\n");
        return 0;
}

static int cmd_sum(int argc, char **argv, bool any_key, uint32_t key)
{
        return cmd_sum_fd(open_pin(argv[0]), argc, argv, key);
}

/* Finds the map named 'name' among those program 'id' uses (maps have no pin path here). */
static int cmd_prog_map_sum(int argc, char **argv)
{
        int prog_fd = bpf_prog_get_fd_by_id((__u32) strtoul(argv[0], NULL, 10));
        struct bpf_prog_info info = {};
        __u32 len = sizeof(info), ids[16];

        if (prog_fd < 0)
                return die("program id");
        info.nr_map_ids = 16;
        info.map_ids = (__u64) (unsigned long) ids;
        if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
                return die("program info");
        for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++) {
                struct bpf_map_info m = {};
                __u32 mlen = sizeof(m);
                int fd = bpf_map_get_fd_by_id(ids[i]);

                if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &m, &mlen) >= 0 && !strcmp(m.name, argv[1]))
                        return cmd_sum_fd(fd, argc - 1, argv + 1, 0);
        }
        fprintf(stderr, "testtool: program %s has no map %s\n", argv[0], argv[1]);
        return 1;
}

static int cmd_pc_valid(int argc, char **argv)
{
        int fd = open_pin(argv[0]);
        struct l3af_pc_path path = {};
        uint8_t one = 1;

        for (int i = 1; i < argc && path.len < L3AF_PC_MAX_PATH; i++)
                path.ids[path.len++] = atoi(argv[i]);
        if (bpf_map_update_elem(fd, &path, &one, BPF_ANY) < 0)
                return die("update pc_valid");
        return 0;
}

static int cmd_xdp_id(const char *ifname)
{
        LIBBPF_OPTS(bpf_xdp_query_opts, q);
        unsigned ifindex = if_nametoindex(ifname);

        if (!ifindex)
                return die(ifname);
        if (bpf_xdp_query(ifindex, 0, &q) < 0)
                return die("xdp query");
        printf("%u\n", q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id);
        return 0;
}

static int cmd_xdp_mode(const char *ifname)
{
        LIBBPF_OPTS(bpf_xdp_query_opts, q);
        unsigned ifindex = if_nametoindex(ifname);

        if (!ifindex)
                return die(ifname);
        if (bpf_xdp_query(ifindex, 0, &q) < 0)
                return die("xdp query");
        if (q.drv_prog_id && q.skb_prog_id)
                printf("both %u %u\n", q.drv_prog_id, q.skb_prog_id);
        else if (q.drv_prog_id)
                printf("native %u\n", q.drv_prog_id);
        else if (q.skb_prog_id)
                printf("generic %u\n", q.skb_prog_id);
        else
                printf("none 0\n");
        return 0;
}

static uint32_t prog_id(int fd)
{
        struct bpf_prog_info info = {};
        __u32 len = sizeof(info);

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                exit(die("prog info"));
        return info.id;
}

/* Key 0 of the one-slot program array 'fd' (0: empty). */
static uint32_t slot_id(int fd)
{
        uint32_t key = 0, id = 0;

        if (bpf_map_lookup_elem(fd, &key, &id) < 0)
                return 0;
        return id;
}

/* The id of the program a pinned link runs; 0 when there is no such pin. */
static uint32_t link_prog_id(const char *pin)
{
        struct bpf_link_info info = {};
        __u32 len = sizeof(info);
        int fd = bpf_obj_get(pin);

        if (fd < 0)
                return 0;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                exit(die("link info"));
        close(fd);
        return info.prog_id;
}

/*
 * The chain packets run: from the program the chain's link runs when that is
 * not its root (an XDP chain attached by its head), else from the root's
 * slot; then through each program's next map.
 */
static int cmd_chain_ids(const char *dir)
{
        char path[4096];
        uint32_t id, linked;
        int n = 0, printed = 0;

        snprintf(path, sizeof(path), "%s/link", dir);
        linked = link_prog_id(path);
        snprintf(path, sizeof(path), "%s/root", dir);
        if (linked != 0 && linked != prog_id(open_pin(path)))
                id = linked;
        else {
                snprintf(path, sizeof(path), "%s/slot", dir);
                id = slot_id(open_pin(path));
        }
        while (id != 0 && n++ < 128) {
                int pfd = bpf_prog_get_fd_by_id(id);
                struct bpf_prog_info info = {};
                __u32 len = sizeof(info), map_ids[16];
                int next = -1;

                if (pfd < 0)
                        return die("prog by id");
                info.nr_map_ids = 16;
                info.map_ids = (uintptr_t) map_ids;
                if (bpf_obj_get_info_by_fd(pfd, &info, &len) < 0)
                        return die("prog info");
                close(pfd);
                /* A counting hop (Statistics=yes) is l3afd's, not one of the chain's programs. */
                if (strncmp(info.name, "l3af_hop_", 9) != 0)
                        printf("%s%u", printed++ ? " " : "", id);
                /* The next map is the program's one-slot program array. */
                for (unsigned i = 0; i < info.nr_map_ids && i < 16; i++) {
                        int mfd = bpf_map_get_fd_by_id(map_ids[i]);
                        struct bpf_map_info mi = {};
                        __u32 ml = sizeof(mi);

                        if (mfd >= 0 && bpf_obj_get_info_by_fd(mfd, &mi, &ml) == 0 &&
                            mi.type == BPF_MAP_TYPE_PROG_ARRAY) {
                                next = mfd;
                                break;
                        }
                        if (mfd >= 0)
                                close(mfd);
                }
                if (next < 0)
                        break;
                id = slot_id(next);
                close(next);
        }
        printf("\n");
        return 0;
}

static int cmd_link_ifindex(const char *pin)
{
        struct bpf_link_info info = {};
        __u32 len = sizeof(info);
        int fd = open_pin(pin);

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return die("link info");
        printf("%u\n", info.xdp.ifindex);
        return 0;
}

static int cmd_link_id(const char *pin)
{
        struct bpf_link_info info = {};
        __u32 len = sizeof(info);
        int fd = open_pin(pin);

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return die("link info");
        printf("%u\n", info.id);
        return 0;
}

static int cmd_tcx_ids(const char *ifname, const char *dir)
{
        LIBBPF_OPTS(bpf_prog_query_opts, q);
        unsigned ifindex = if_nametoindex(ifname);
        __u32 ids[64];

        if (!ifindex)
                return die(ifname);
        q.prog_ids = ids;
        q.prog_cnt = 64;
        if (bpf_prog_query_opts(ifindex, strcmp(dir, "egress") ? 46 : 47, &q) < 0)
                return die("tcx query");
        for (unsigned i = 0; i < q.prog_cnt; i++)
                printf("%s%u", i ? " " : "", ids[i]);
        printf("\n");
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: testtool sum|get-u64|has|pc-valid|xdp-id|prog-id|chain-ids|link-ifindex ...\n");
                return 2;
        }
        if (!strcmp(argv[1], "sum"))
                return cmd_sum(argc - 2, argv + 2, false, 0);
        if (!strcmp(argv[1], "get-u64") && argc >= 5) {
                char *args[] = { argv[2], argv[4] };
                return cmd_sum(2, args, false, (uint32_t) atoi(argv[3]));
        }
        if (!strcmp(argv[1], "has") && argc >= 4)
                return cmd_has(argv[2], (uint32_t) strtoul(argv[3], NULL, 10));
        if (!strcmp(argv[1], "pc-valid"))
                return cmd_pc_valid(argc - 2, argv + 2);
        if (!strcmp(argv[1], "xdp-id"))
                return cmd_xdp_id(argv[2]);
        if (!strcmp(argv[1], "prog-id")) {
                printf("%u\n", prog_id(open_pin(argv[2])));
                return 0;
        }
        if (!strcmp(argv[1], "chain-ids"))
                return cmd_chain_ids(argv[2]);
        if (!strcmp(argv[1], "slot-id")) {
                printf("%u\n", slot_id(open_pin(argv[2])));
                return 0;
        }
        if (!strcmp(argv[1], "tcx-ids") && argc >= 4)
                return cmd_tcx_ids(argv[2], argv[3]);
        if (!strcmp(argv[1], "xdp-mode"))
                return cmd_xdp_mode(argv[2]);
        if (!strcmp(argv[1], "link-id"))
                return cmd_link_id(argv[2]);
        if (!strcmp(argv[1], "prog-map-sum") && argc >= 4)
                return cmd_prog_map_sum(argc - 2, argv + 2);
        if (!strcmp(argv[1], "link-ifindex"))
                return cmd_link_ifindex(argv[2]);
        fprintf(stderr, "testtool: unknown command %s\n", argv[1]);
        return 2;
}
