/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A program in L3AF's style (its own section name and next map, map sizes
 * given as key_size/value_size, maps pinned by name) whose map definitions a
 * build changes, for the tests of upgrades that change a pinned map:
 *
 *   md_stats   per-CPU array, its own: packets seen                (never changes)
 *   md_config  array, its own: { drop_port [, mark] }             (-DMD_WIDE: value size 8 -> 16)
 *   md_seen    array, pinned by name: packets seen, chain-wide     (-DMD_SEEN_WIDE: value size 8 -> 16)
 *   md_flows   hash, pinned by name: packets per IPv4 source       (-DMD_FLOWS=N: max_entries 64 -> N)
 *
 * It drops UDP packets to config.drop_port and passes the rest on.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef MD_FLOWS
#define MD_FLOWS 64
#endif

struct md_config {
        __u64 drop_port;
#ifdef MD_WIDE
        __u64 mark;
#endif
};

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u32));
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} md_next_prog SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, 1);
} md_stats SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, struct md_config);
        __uint(max_entries, 1);
} md_config SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(key_size, sizeof(__u32));
#ifdef MD_SEEN_WIDE
        __uint(value_size, 2 * sizeof(__u64));
#else
        __uint(value_size, sizeof(__u64));
#endif
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} md_seen SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, MD_FLOWS);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} md_flows SEC(".maps");

SEC("xdp_mapdef")
int mapdef(struct xdp_md *ctx)
{
        void *data = (void *)(long) ctx->data, *end = (void *)(long) ctx->data_end;
        struct ethhdr *eth = data;
        struct iphdr *ip = (void *)(eth + 1);
        struct udphdr *udp;
        struct md_config *cfg;
        __u64 *n, one = 1;
        __u32 zero = 0, saddr;

        n = bpf_map_lookup_elem(&md_stats, &zero);
        if (n)
                *n += 1;
        n = bpf_map_lookup_elem(&md_seen, &zero);
        if (n)
                __sync_fetch_and_add(n, 1);

        if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
                goto next;
        saddr = ip->saddr;
        n = bpf_map_lookup_elem(&md_flows, &saddr);
        if (n)
                __sync_fetch_and_add(n, 1);
        else
                bpf_map_update_elem(&md_flows, &saddr, &one, BPF_NOEXIST);
        if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
                goto next;
        udp = (void *)(ip + 1);
        if ((void *)(udp + 1) > end)
                goto next;
        cfg = bpf_map_lookup_elem(&md_config, &zero);
        if (cfg && cfg->drop_port && bpf_ntohs(udp->dest) == cfg->drop_port)
                return XDP_DROP;
next:
        bpf_tail_call(ctx, &md_next_prog, 0);
        return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
