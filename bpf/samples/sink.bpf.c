/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Sample: a program with no next map. It counts packets per IP protocol and
 * passes them. Having no next map, it can only be the last of a chain.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 256);
        __type(key, __u32);
        __type(value, __u64);
} sink_protocols SEC(".maps");

SEC("xdp")
int sink(struct xdp_md *ctx)
{
        void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
        struct ethhdr *eth = data;
        struct iphdr *ip = (void *)(eth + 1);
        __u32 proto = 0;
        __u64 *n;

        if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP))
                proto = ip->protocol;
        n = bpf_map_lookup_elem(&sink_protocols, &proto);
        if (n)
                (*n)++;
        return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
