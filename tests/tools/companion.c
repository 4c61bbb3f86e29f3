/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test companion: opens a map of its program at $L3AF_PIN_DIR/<map> (the
 * path l3afd gives it) and prints the sum over CPUs of the u64 at key 0,
 * index INDEX, whenever it changes: "<map>=<value>" lines on stdout, which
 * the journal keeps. With an allocation size it first touches that many MiB
 * (for MemoryMax=).
 *
 *   companion MAP [INDEX [ALLOC_MIB]]
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        const char *dir = getenv("L3AF_PIN_DIR");
        unsigned index = argc > 2 ? (unsigned) atoi(argv[2]) : 0;
        long alloc = argc > 3 ? atol(argv[3]) : 0;
        char path[4096];
        uint64_t last = UINT64_MAX;
        int fd, ncpus = libbpf_num_possible_cpus();

        if (argc < 2 || !dir || ncpus <= 0) {
                fprintf(stderr, "usage: companion MAP [INDEX [ALLOC_MIB]], with L3AF_PIN_DIR set\n");
                return 2;
        }
        printf("companion of %s on %s/%s, program id %s, maps: %s\n", getenv("L3AF_PROGRAM"),
               getenv("L3AF_INTERFACE"), getenv("L3AF_HOOK"), getenv("L3AF_PROGRAM_ID"), getenv("L3AF_MAPS"));
        fflush(stdout);
        if (alloc > 0) {
                for (long i = 0; i < alloc; i++) {
                        char *p = malloc(1 << 20);

                        if (!p)
                                return 3;
                        memset(p, 1, 1 << 20);
                }
                printf("allocated %ld MiB\n", alloc);
                fflush(stdout);
        }
        snprintf(path, sizeof(path), "%s/%s", dir, argv[1]);
        fd = bpf_obj_get(path);
        if (fd < 0) {
                fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
                return 1;
        }
        for (;;) {
                struct bpf_map_info info = { 0 };
                uint32_t len = sizeof(info), key = 0;
                uint64_t sum = 0;
                uint64_t *values;
                int n;

                if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                        return 1;
                n = (info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH) ? ncpus : 1;
                values = calloc((size_t) n, ((info.value_size + 7) / 8) * 8);
                if (!values || bpf_map_lookup_elem(fd, &key, values) < 0) {
                        fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
                        return 1;
                }
                for (int c = 0; c < n; c++)
                        sum += values[c * ((info.value_size + 7) / 8) + index];
                free(values);
                if (sum != last) {
                        printf("%s=%llu\n", argv[1], (unsigned long long) sum);
                        fflush(stdout);
                        last = sum;
                }
                usleep(100 * 1000);
        }
}
