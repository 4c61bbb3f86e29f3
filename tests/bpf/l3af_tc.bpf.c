/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A tc program written the way L3AF's programs are, for cls_bpf in
 * direct-action mode: a non-standard section name, its own next map, and
 * TC_ACT_OK as its verdict when it lets a packet through. For the tests its
 * verdict comes from verdict_config (key 0; 0 = TC_ACT_OK), and it counts the
 * IPv4 UDP packets it sees in verdict_count.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __type(key, int);
        __type(value, int);
        __uint(max_entries, 1);
} tc_verdict_next_prog SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, int);
        __type(value, int);
        __uint(max_entries, 1);
} verdict_config SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, int);
        __type(value, __u64);
        __uint(max_entries, 1);
} verdict_count SEC(".maps");

SEC("tc_verdict_ingress")
int _tc_verdict(struct __sk_buff *skb)
{
        int zero = 0, *verdict = bpf_map_lookup_elem(&verdict_config, &zero);
        __u64 *n = bpf_map_lookup_elem(&verdict_count, &zero);
        __u8 proto;

        if (skb->protocol == bpf_htons(ETH_P_IP) &&
            bpf_skb_load_bytes(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, protocol), &proto, 1) == 0 &&
            proto == IPPROTO_UDP && n)
                __sync_fetch_and_add(n, 1);
        bpf_tail_call(skb, &tc_verdict_next_prog, 0);
        return verdict ? *verdict : TC_ACT_OK;
}

char _license[] SEC("license") = "Dual BSD/GPL";
