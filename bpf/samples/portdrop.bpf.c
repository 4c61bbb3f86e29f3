/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Sample: drops IPv4 UDP packets to the destination port set in its config
 * map, continues the chain with everything else. Entry points for xdp
 * ("portdrop") and tc ("portdrop_tc").
 *
 *   [Map portdrop_config]
 *   0={port=5353, enabled=1}
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <l3af/chain.h>
#include <l3af/samples.h>

L3AF_NEXT_MAP;

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct l3af_portdrop_config);
} portdrop_config SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct l3af_portdrop_stats);
} portdrop_stats SEC(".maps");

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

/* Non-zero when the packet is to be dropped; counts it either way. */
static __always_inline int judge(void *data, void *end)
{
        __u32 zero = 0;
        struct l3af_portdrop_config *cfg = bpf_map_lookup_elem(&portdrop_config, &zero);
        struct l3af_portdrop_stats *st = bpf_map_lookup_elem(&portdrop_stats, &zero);
        int port = udp_dport(data, end);

        if (st)
                st->seen++;
        if (cfg && cfg->enabled && port >= 0 && port == cfg->port) {
                if (st)
                        st->dropped++;
                return 1;
        }
        return 0;
}

SEC("xdp")
int portdrop(struct xdp_md *ctx)
{
        if (judge((void *)(long)ctx->data, (void *)(long)ctx->data_end))
                return XDP_DROP;
        return l3af_chain_next(ctx, XDP_PASS);
}

SEC("tc")
int portdrop_tc(struct __sk_buff *skb)
{
        if (judge((void *)(long)skb->data, (void *)(long)skb->data_end))
                return L3AF_TC_DROP;
        return l3af_chain_next(skb, L3AF_TC_NEXT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
