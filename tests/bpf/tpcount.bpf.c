/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A probe on its own: counts the events of the tracepoint (or raw tracepoint)
 * its drop-in attaches it to (Hook=tracepoint or raw_tracepoint, Attach=).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, __u64);
        __uint(max_entries, 1);
} tp_events SEC(".maps");

static __always_inline void count(void)
{
        __u32 zero = 0;
        __u64 *n = bpf_map_lookup_elem(&tp_events, &zero);

        if (n)
                __sync_fetch_and_add(n, 1);
}

SEC("tracepoint")
int tp_count(void *ctx)
{
        count();
        return 0;
}

SEC("raw_tracepoint")
int raw_count(void *ctx)
{
        count();
        return 0;
}

char _license[] SEC("license") = "GPL";
