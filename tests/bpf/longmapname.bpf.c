/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A map whose name (260 characters) the kernel and libbpf take but no pin
 * file can carry (NAME_MAX is 255 bytes): l3afd must refuse the object,
 * saying so, before it loads anything.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define M16 mmmmmmmmmmmmmmmm
#define M64 CAT(CAT(M16, M16), CAT(M16, M16))
#define LONG_NAME CAT(CAT(CAT(M64, M64), CAT(M64, M64)), _map)

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, 1);
} LONG_NAME SEC(".maps");

SEC("xdp")
int longmapname(struct xdp_md *ctx)
{
        __u32 zero = 0;

        return bpf_map_lookup_elem(&LONG_NAME, &zero) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "Dual BSD/GPL";
