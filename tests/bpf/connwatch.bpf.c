/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * An L3AF-style probe: its section names its target, as L3AF's probes do
 * (the payload carries no attach point), and it counts TCP state changes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, 1);
} cw_state_changes SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int on_state(void *ctx)
{
        __u32 zero = 0;
        __u64 *n = bpf_map_lookup_elem(&cw_state_changes, &zero);

        if (n)
                __sync_fetch_and_add(n, 1);
        return 0;
}

char _license[] SEC("license") = "GPL";
