/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Sample for tests: proves that every packet saw one whole generation of a
 * chain. Each instance appends its id (pathcheck_id[0]) to a path kept in the
 * packet's XDP metadata; the instance that is last (its tail call falls
 * through) looks the path up in pc_valid and counts a violation if it is not
 * the full chain of any generation the test declared there.
 *
 * pc_valid and pc_stats are pinned by name, so every pathcheck program of a
 * chain shares them; pathcheck_id is each program's own.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <l3af/chain.h>
#include <l3af/samples.h>

L3AF_NEXT_MAP;

/*
 * Tests build a second variant to exercise replacing a program by a new
 * version; it records its id plus 100, so that a path tells the versions
 * apart.
 */
#ifndef PATHCHECK_VARIANT
#define PATHCHECK_VARIANT 1
#endif
volatile const __u32 pathcheck_variant = PATHCHECK_VARIANT;

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u8);
} pathcheck_id SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 65536);
        __type(key, struct l3af_pc_path);
        __type(value, __u8);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} pc_valid SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct l3af_pc_stats);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} pc_stats SEC(".maps");

SEC("xdp")
int pathcheck(struct xdp_md *ctx)
{
        __u32 zero = 0;
        struct l3af_pc_stats *st = bpf_map_lookup_elem(&pc_stats, &zero);
        __u8 *id = bpf_map_lookup_elem(&pathcheck_id, &zero);
        struct l3af_pc_path *path;
        void *data;
        struct l3af_pc_path copy;
        __u32 n;

        if (!st || !id)
                return XDP_PASS;

        /* First program of the chain: the packet carries no metadata yet. */
        if (ctx->data_meta == ctx->data) {
                if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct l3af_pc_path)) < 0) {
                        st->no_meta++;
                        return XDP_PASS;
                }
                path = (void *)(long)ctx->data_meta;
                data = (void *)(long)ctx->data;
                if ((void *)(path + 1) > data) {
                        st->no_meta++;
                        return XDP_PASS;
                }
                __builtin_memset(path, 0, sizeof(*path));
        }
        path = (void *)(long)ctx->data_meta;
        data = (void *)(long)ctx->data;
        if ((void *)(path + 1) > data) {
                st->no_meta++;
                return XDP_PASS;
        }
        /* Packet offsets must be constant: edit a copy on the stack. */
        __builtin_memcpy(&copy, path, sizeof(copy));
        n = copy.len;
        if (n >= L3AF_PC_MAX_PATH) {
                st->violations++;
                return XDP_PASS;
        }
        copy.ids[n] = *id + (pathcheck_variant - 1) * 100;
        copy.len = n + 1;
        __builtin_memcpy(path, &copy, sizeof(copy));

        bpf_tail_call(ctx, &l3af_next, 0);

        /* Last of the chain. */
        st->checked++;
        if (!bpf_map_lookup_elem(&pc_valid, &copy))
                st->violations++;
        return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
