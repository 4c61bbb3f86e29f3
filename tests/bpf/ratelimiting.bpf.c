/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A rate limiter written the way L3AF's programs are: an odd section name,
 * its own next map, maps pinned by name, map names longer than the kernel's
 * 15 characters, and maps declared with key_size/value_size rather than BTF
 * types, so l3afd reads and writes their entries as plain bytes. Its counter
 * map starts empty and the program only counts into keys that exist: user
 * space must create them ([Map rl_recv_count_map] 0=0).
 *
 * UDP packets to a port listed in rl_ports_map are limited to rl_config_map[0]
 * packets per second (0: no limit), counted in windows of one second of
 * bpf_ktime_get_ns(): the packets a window sees past the limit are dropped,
 * so per window passed = min(seen, limit), and a test can check that exactly.
 * Sources listed in rl_exempt_mac_map are never limited.
 *
 *   [Map rl_config_map]          __u32 0 -> __u64 packets per second
 *   [Map rl_ports_map]           __u16 UDP destination port (host order) -> __u8 1
 *   [Map rl_exempt_mac_map]      6-byte source MAC -> __u8 1
 *   [Map rl_recv_count_map]      __u32 0: packets seen, 1: packets dropped -> __u64
 *   rl_window_map                __u64 second -> __u64 limited packets seen in it
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NSEC_PER_SEC 1000000000ull

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u32));
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} xdp_rl_ingress_next_prog SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, 1);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_config_map SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(key_size, sizeof(__u16));
        __uint(value_size, sizeof(__u8));
        __uint(max_entries, 16);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_ports_map SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(key_size, ETH_ALEN);
        __uint(value_size, sizeof(__u8));
        __uint(max_entries, 16);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_exempt_mac_map SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, 2);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_recv_count_map SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(key_size, sizeof(__u64));
        __uint(value_size, sizeof(__u64));
        __uint(max_entries, 1024);
        __uint(pinning, LIBBPF_PIN_BY_NAME);
} rl_window_map SEC(".maps");

/* Counts into an existing key only, as L3AF's counters do. */
static void count(__u32 key)
{
        __u64 *n = bpf_map_lookup_elem(&rl_recv_count_map, &key);

        if (n)
                __sync_fetch_and_add(n, 1);
}

/* True when this packet is over the limit of its one-second window. */
static int over_limit(__u64 limit)
{
        __u64 window = bpf_ktime_get_ns() / NSEC_PER_SEC, zero = 0, *seen;

        seen = bpf_map_lookup_elem(&rl_window_map, &window);
        if (!seen) {
                bpf_map_update_elem(&rl_window_map, &window, &zero, BPF_NOEXIST);
                seen = bpf_map_lookup_elem(&rl_window_map, &window);
                if (!seen)
                        return 0;
        }
        /* Atomic fetch (BPF_ATOMIC | BPF_FETCH, -mcpu=v3): each packet gets its own place in the window. */
        return __sync_fetch_and_add(seen, 1) >= limit;
}

SEC("xdp_ratelimiting")
int _xdp_ratelimiting(struct xdp_md *ctx)
{
        void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
        struct ethhdr *eth = data;
        struct iphdr *ip = (void *)(eth + 1);
        struct udphdr *udp = (void *)(ip + 1);
        __u32 zero = 0;
        __u64 *limit;
        __u16 port;

        if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP ||
            ip->ihl != 5)
                goto next;
        count(0);
        if (bpf_map_lookup_elem(&rl_exempt_mac_map, eth->h_source))
                goto next;
        port = bpf_ntohs(udp->dest);
        if (!bpf_map_lookup_elem(&rl_ports_map, &port))
                goto next;
        limit = bpf_map_lookup_elem(&rl_config_map, &zero);
        if (!limit || *limit == 0)
                goto next;
        if (over_limit(*limit)) {
                count(1);
                return XDP_DROP;
        }
next:
        bpf_tail_call(ctx, &xdp_rl_ingress_next_prog, 0);
        return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
