/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The root program l3afd attaches to each hook it owns. It tail-calls slot 0
 * of its one-slot program array, where l3afd puts the head of the chain's
 * current generation. Changing a chain is one update of that slot. When the
 * slot is empty the packet passes.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u32);
} l3af_slot SEC(".maps");

SEC("xdp")
int l3af_root_xdp(struct xdp_md *ctx)
{
        bpf_tail_call(ctx, &l3af_slot, 0);
        return XDP_PASS;
}

SEC("tc")
int l3af_root_tc(struct __sk_buff *skb)
{
        bpf_tail_call(skb, &l3af_slot, 0);
        return TC_ACT_UNSPEC;  /* TCX_NEXT: as if we were not there */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
