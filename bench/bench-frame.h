/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The frame every data-path benchmark runs its programs on with
 * BPF_PROG_TEST_RUN: 64 bytes, Ethernet + IPv4 + UDP from 10.0.0.2:40000
 * to 10.0.0.1:5555 (a port the count and portdrop samples let pass).
 */
#pragma once

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <string.h>

static unsigned char frame[64];

static inline void build_frame(void)
{
        struct ethhdr *eth = (void *) frame;
        struct iphdr *ip = (void *) (eth + 1);
        struct udphdr *udp = (void *) (ip + 1);

        memset(eth->h_dest, 0x02, ETH_ALEN);
        memset(eth->h_source, 0x04, ETH_ALEN);
        eth->h_proto = htons(ETH_P_IP);
        ip->version = 4;
        ip->ihl = 5;
        ip->ttl = 64;
        ip->protocol = IPPROTO_UDP;
        ip->tot_len = htons(sizeof(frame) - sizeof(*eth));
        ip->saddr = htonl(0x0a000002);
        ip->daddr = htonl(0x0a000001);
        udp->source = htons(40000);
        udp->dest = htons(5555);
        udp->len = htons(sizeof(frame) - sizeof(*eth) - sizeof(*ip));
}
