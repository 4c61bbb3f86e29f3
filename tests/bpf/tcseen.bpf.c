/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A tc program that only watches: counts the IPv4 UDP packets it sees in
 * "seen" (key 0) and lets them on, both as a tcx program (TCX_NEXT) and as a
 * clsact filter in direct-action mode (TC_ACT_UNSPEC: the next filter).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u64);
} seen SEC(".maps");

SEC("tc")
int tcseen(struct __sk_buff *skb)
{
        __u8 proto;
        __u32 zero = 0;
        __u64 *n;

        if (skb->protocol != bpf_htons(ETH_P_IP) ||
            bpf_skb_load_bytes(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, protocol), &proto, 1) < 0 ||
            proto != IPPROTO_UDP)
                return TC_ACT_UNSPEC;
        n = bpf_map_lookup_elem(&seen, &zero);
        if (n)
                __sync_fetch_and_add(n, 1);
        return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
