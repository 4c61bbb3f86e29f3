/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A port filter written the way L3AF's programs are (odd section name, its
 * own next map, maps pinned by name), whose one hash map is written both by
 * l3afd and by the program: a drop-in declares ports to drop (value 1), and
 * the program records every other UDP destination port it sees (value 0).
 * l3afd must retract the ports a drop-in stops declaring and never touch the
 * ones the program wrote.
 *
 *   [Map pf_ports]
 *   7777=1
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __type(key, int);
        __type(value, int);
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} xdp_pf_ingress_next_prog SEC(".maps");

/* UDP destination port (host order) -> 1: drop, 0: seen and passed. */
struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __type(key, __u32);
        __type(value, __u64);
        __uint(max_entries, 64);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} pf_ports SEC(".maps");

SEC("xdp_portfilter")
int _xdp_portfilter(struct xdp_md *ctx)
{
        void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
        struct ethhdr *eth = data;
        struct iphdr *ip = (void *)(eth + 1);
        struct udphdr *udp;
        __u64 seen = 0, *verdict;
        __u32 port;

        if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP ||
            ip->ihl != 5)
                goto next;
        udp = (void *)(ip + 1);
        if ((void *)(udp + 1) > end)
                goto next;
        port = bpf_ntohs(udp->dest);
        verdict = bpf_map_lookup_elem(&pf_ports, &port);
        if (verdict && *verdict == 1)
                return XDP_DROP;
        if (!verdict)
                bpf_map_update_elem(&pf_ports, &port, &seen, BPF_NOEXIST);
next:
        bpf_tail_call(ctx, &xdp_pf_ingress_next_prog, 0);
        return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
