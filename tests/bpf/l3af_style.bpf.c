/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A program written the way L3AF's eBPF package repository writes them: a
 * non-standard section name, its own next map with a custom name, and maps
 * pinned by name. l3afd must load it unchanged (Type=, Entry=, NextMap=).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __type(key, int);
        __type(value, int);
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} xdp_rl_ingress_next_prog SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, int);
        __type(value, unsigned long);
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_config_map SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __type(key, int);
        __type(value, unsigned long);
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_recv_count_map SEC(".maps");

SEC("xdp_ratelimiting")
int _xdp_ratelimiting(struct xdp_md *ctx)
{
        int zero = 0;
        unsigned long *limit = bpf_map_lookup_elem(&rl_config_map, &zero);
        unsigned long *count = bpf_map_lookup_elem(&rl_recv_count_map, &zero);

        if (count)
                (*count)++;
        if (limit && *limit == 0)
                return XDP_DROP;
        bpf_tail_call(ctx, &xdp_rl_ingress_next_prog, 0);
        return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
