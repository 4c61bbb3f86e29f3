/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A companion written to L3AF's conventions, knowing nothing of l3afd: it
 * takes L3AF's arguments (--iface=, --direction=, then its own --key=value
 * start arguments: --name=, --version=, --map=) and opens its map where
 * L3AF pins it: /sys/fs/bpf/<iface>/<name>/<version with '_' for '.'>/<map>
 * for XDP (direction xdpingress), /sys/fs/bpf/tc/globals/... for tc. It
 * prints "l3af <map>=<sum over CPUs of the u64 at key 0>" when it changes.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *arg(int argc, char **argv, const char *key)
{
        size_t n = strlen(key);

        for (int i = 1; i < argc; i++)
                if (strncmp(argv[i], key, n) == 0)
                        return argv[i] + n;
        return NULL;
}

int main(int argc, char **argv)
{
        const char *iface = arg(argc, argv, "--iface="), *direction = arg(argc, argv, "--direction=");
        const char *name = arg(argc, argv, "--name="), *map = arg(argc, argv, "--map=");
        const char *v = arg(argc, argv, "--version=");
        char version[256], path[4096];
        uint64_t last = UINT64_MAX;
        int fd, ncpus = libbpf_num_possible_cpus();

        if (!iface || !direction || !name || !map || !v || strlen(v) >= sizeof(version)) {
                fprintf(stderr, "usage: l3af-companion --iface=I --direction=D --name=N --version=V --map=M\n");
                return 2;
        }
        for (size_t i = 0; i <= strlen(v); i++)
                version[i] = v[i] == '.' ? '_' : v[i];
        if (strcmp(direction, "xdpingress") == 0)
                snprintf(path, sizeof(path), "/sys/fs/bpf/%s/%s/%s/%s", iface, name, version, map);
        else
                snprintf(path, sizeof(path), "/sys/fs/bpf/tc/globals/%s/%s/%s/%s", iface, name, version, map);
        fd = bpf_obj_get(path);
        if (fd < 0) {
                fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
                return 1;
        }
        printf("l3af companion opened %s\n", path);
        for (;;) {
                struct bpf_map_info info = { 0 };
                uint32_t key = 0, len = sizeof(info);
                uint64_t *values, sum = 0;
                size_t stride;
                int n;

                if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                        return 1;
                stride = (info.value_size + 7) / 8;
                n = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? ncpus : 1;
                values = calloc((size_t) n, stride * 8);
                if (!values || bpf_map_lookup_elem(fd, &key, values) < 0)
                        return 1;
                for (int c = 0; c < n; c++)
                        sum += values[c * stride];
                free(values);
                if (sum != last) {
                        printf("l3af %s=%llu\n", map, (unsigned long long) sum);
                        fflush(stdout);
                        last = sum;
                }
                usleep(100 * 1000);
        }
}
