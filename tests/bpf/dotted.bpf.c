/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Maps whose names hold a dot, as the kernel allows in a map's name
 * (bpf_obj_name_cpy()) but the bpffs refuses in a pin's: C names cannot hold
 * one, so the ELF and BTF names are given with asm labels. Like portdrop, it
 * drops UDP to the port in its config ("cfg.drop", its own map), and counts
 * every packet in "hits.total", pinned by name (chain-wide). Its next map,
 * "chain.next", is pinned by name as L3AF's programs pin theirs (NextMap=).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <l3af/samples.h>

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __type(key, __u32);
        __type(value, __u32);
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} chain_next __asm__("chain.next") SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, struct l3af_portdrop_config);
        __uint(max_entries, 1);
} cfg_drop __asm__("cfg.drop") SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __type(key, __u32);
        __type(value, __u64);
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} hits_total __asm__("hits.total") SEC(".maps");

static __always_inline int udp_dport(void *data, void *end)
{
        struct ethhdr *eth = data;
        struct iphdr *ip;
        struct udphdr *udp;

        if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
                return -1;
        ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
                return -1;
        udp = (void *)ip + ip->ihl * 4;
        if ((void *)(udp + 1) > end)
                return -1;
        return bpf_ntohs(udp->dest);
}

SEC("xdp")
int dotted(struct xdp_md *ctx)
{
        __u32 zero = 0;
        struct l3af_portdrop_config *cfg = bpf_map_lookup_elem(&cfg_drop, &zero);
        __u64 *hits = bpf_map_lookup_elem(&hits_total, &zero);
        int port = udp_dport((void *)(long)ctx->data, (void *)(long)ctx->data_end);

        if (hits)
                (*hits)++;
        if (cfg && cfg->enabled && port >= 0 && port == cfg->port)
                return XDP_DROP;
        bpf_tail_call(ctx, &chain_next, 0);
        return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
