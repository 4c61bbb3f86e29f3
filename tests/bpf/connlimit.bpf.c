/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A connection limiter in L3AF's style: an XDP entry and, beside it in the
 * same object, a tracepoint program, sharing maps. The tracepoint keeps the
 * count of established TCP connections to the configured port as they open
 * and close (sock/inet_sock_set_state); the XDP program drops new
 * connections' SYNs to that port once the count has reached the limit, and
 * passes everything else on to its next program (its own next map, cl_next).
 *
 *   [Map cl_config]
 *   0={port=8080, limit=2}
 *
 * Built also with -DCONNLIMIT_V2 (another object, the same maps) and
 * -DCONNLIMIT_BAD_PROBE (a probe beside it that cannot attach) and
 * -DCONNLIMIT_KPROBE (a kprobe beside it).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TCP_ESTABLISHED 1

struct cl_config {
        __u32 port;   /* host order; 0: off */
        __u32 limit;  /* connections admitted while fewer than this are established */
};

struct {
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
        __type(key, __u32);
        __type(value, __u32);
        __uint(max_entries, 1);
} cl_next SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, struct cl_config);
        __uint(max_entries, 1);
} cl_config SEC(".maps");

/* 0: established connections to the port; 1: SYNs dropped */
struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, __s64);
        __uint(max_entries, 2);
} cl_count SEC(".maps");

SEC("xdp")
int _xdp_connlimit(struct xdp_md *ctx)
{
        void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
        struct ethhdr *eth = data;
        struct iphdr *ip = (void *)(eth + 1);
        struct tcphdr *tcp;
        struct cl_config *cfg;
        __u32 zero = 0, one = 1;
        __s64 *count, *dropped;

        if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP ||
            ip->ihl != 5)
                goto next;
        tcp = (void *)(ip + 1);
        if ((void *)(tcp + 1) > end || !tcp->syn || tcp->ack)
                goto next;
        cfg = bpf_map_lookup_elem(&cl_config, &zero);
        count = bpf_map_lookup_elem(&cl_count, &zero);
        if (!cfg || !count || cfg->port == 0 || tcp->dest != bpf_htons(cfg->port))
                goto next;
        if (*count >= cfg->limit) {
                dropped = bpf_map_lookup_elem(&cl_count, &one);
                if (dropped)
                        __sync_fetch_and_add(dropped, 1);
                return XDP_DROP;
        }
next:
        bpf_tail_call(ctx, &cl_next, 0);
        return XDP_PASS;
}

/* The tracepoint's record (tracefs events/sock/inet_sock_set_state/format). */
struct inet_sock_set_state_args {
        __u64 common;
        const void *skaddr;
        int oldstate;
        int newstate;
        __u16 sport;
        __u16 dport;
        __u16 family;
        __u16 protocol;
};

SEC("tracepoint/sock/inet_sock_set_state")
int cl_track(struct inet_sock_set_state_args *ctx)
{
        struct cl_config *cfg;
        __u32 zero = 0;
        __s64 *count;

        if (ctx->protocol != IPPROTO_TCP || ctx->oldstate == ctx->newstate)
                return 0;
        cfg = bpf_map_lookup_elem(&cl_config, &zero);
        count = bpf_map_lookup_elem(&cl_count, &zero);
        if (!cfg || !count || cfg->port == 0 || ctx->sport != cfg->port)
                return 0;
        if (ctx->newstate == TCP_ESTABLISHED)
                __sync_fetch_and_add(count, 1);
        else if (ctx->oldstate == TCP_ESTABLISHED)
                __sync_fetch_and_add(count, -1);
        return 0;
}

#ifdef CONNLIMIT_V2
/* Another build of the same limiter: another object, so its probes attach anew. */
const volatile __u32 cl_version = 2;
#endif

#ifdef CONNLIMIT_BAD_PROBE
/* A probe on a function /bin/true does not have: the object loads, the probe cannot attach. */
SEC("uprobe//bin/true:l3af_no_such_function")
int cl_bad(void *ctx)
{
        return 0;
}
#endif

#ifdef CONNLIMIT_KPROBE
/* A kprobe beside it: refused where the kernel has no kprobes. */
SEC("kprobe/tcp_v4_connect")
int cl_connect(void *ctx)
{
        return 0;
}
#endif

char _license[] SEC("license") = "GPL";
