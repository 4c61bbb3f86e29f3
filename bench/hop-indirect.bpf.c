/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Benchmark variant of the count sample whose tail call the x86-64 JIT cannot
 * make a direct jump: the key is read from a global the verifier cannot know
 * (it stays 0), so the call site's key is "poisoned" and the JIT emits the
 * indirect tail call, through a retpoline where spectre_v2 says Retpolines
 * (do_misc_fixups() in kernel/bpf/verifier.c, emit_bpf_tail_call_indirect()
 * in arch/x86/net/bpf_jit_comp.c). bench-floor ring runs it to price an
 * indirect hop against the direct one.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <l3af/chain.h>
#include <l3af/samples.h>

L3AF_NEXT_MAP;

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct l3af_count_stats);
} stats SEC(".maps");

__u32 next_key;  /* .bss: writable, so unknown to the verifier */

SEC("xdp")
int count(struct xdp_md *ctx)
{
        __u32 zero = 0;
        struct l3af_count_stats *s = bpf_map_lookup_elem(&stats, &zero);

        if (s) {
                s->packets++;
                s->bytes += ctx->data_end - ctx->data;
        }
        bpf_tail_call(ctx, &l3af_next, next_key);
        return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
