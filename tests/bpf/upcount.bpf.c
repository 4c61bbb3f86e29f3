/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A probe on its own: counts the calls of the user-space function its
 * drop-in attaches it to (Hook=uprobe or uretprobe, Attach=/PATH:FUNCTION),
 * and (with Hook=kprobe) of a kernel function.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, __u64);
        __uint(max_entries, 1);
} up_calls SEC(".maps");

SEC("uprobe")
int up_count(void *ctx)
{
        __u32 zero = 0;
        __u64 *n = bpf_map_lookup_elem(&up_calls, &zero);

        if (n)
                __sync_fetch_and_add(n, 1);
        return 0;
}

char _license[] SEC("license") = "GPL";
