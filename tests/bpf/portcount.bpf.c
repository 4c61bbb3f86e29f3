/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Counts UDP packets and bytes per destination port in a hash map (one key
 * per port seen), then continues the chain: the metrics tests declare
 * [Metric] groups over several of its keys and check them against the map.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <l3af/chain.h>

L3AF_NEXT_MAP;

struct port_stats {
        __u64 packets;
        __u64 bytes;
        __s32 last_len;   /* a signed gauge */
        __u32 pad;
};

/* UDP destination port (host order) -> its counters. */
struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __type(key, __u32);
        __type(value, struct port_stats);
        __uint(max_entries, 64);
} port_stats SEC(".maps");

SEC("xdp")
int portcount(struct xdp_md *ctx)
{
        void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
        struct ethhdr *eth = data;
        struct iphdr *ip = (void *)(eth + 1);
        struct udphdr *udp;
        struct port_stats *s, fresh = {};
        __u32 port;

        if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP ||
            ip->ihl != 5)
                goto next;
        udp = (void *)(ip + 1);
        if ((void *)(udp + 1) > end)
                goto next;
        port = bpf_ntohs(udp->dest);
        s = bpf_map_lookup_elem(&port_stats, &port);
        if (!s) {
                bpf_map_update_elem(&port_stats, &port, &fresh, BPF_NOEXIST);
                s = bpf_map_lookup_elem(&port_stats, &port);
                if (!s)
                        goto next;
        }
        __sync_fetch_and_add(&s->packets, 1);
        __sync_fetch_and_add(&s->bytes, (__u64) (end - data));
        s->last_len = -(__s32) (end - data);
next:
        return l3af_chain_next(ctx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
