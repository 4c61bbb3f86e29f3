/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Structs shared by the sample programs and the user-space tools that read them. */
#ifndef L3AF_SAMPLES_H
#define L3AF_SAMPLES_H

#include <linux/types.h>

/* Value of the per-CPU "stats" map of the "count" sample. */
struct l3af_count_stats {
        __u64 packets;
        __u64 bytes;
};

/* Value of the "portdrop_config" map. */
struct l3af_portdrop_config {
        __u16 port;          /* UDP destination port to drop, host order; 0: none */
        __u16 enabled;       /* 0: pass everything */
};

/* Value of the per-CPU "portdrop_stats" map. */
struct l3af_portdrop_stats {
        __u64 seen;
        __u64 dropped;
};

/*
 * Path check. Each pathcheck program appends its own id (from its config map)
 * to a path kept in the packet's XDP metadata. The program that finds no next
 * program looks the whole path up in "pc_valid", which the test fills with the
 * id sequence of every generation it asks for. A path that is not there was
 * produced by a half-changed chain.
 */
#define L3AF_PC_MAX_PATH 31

struct l3af_pc_path {
        __u8 len;
        __u8 ids[L3AF_PC_MAX_PATH];
};

struct l3af_pc_stats {
        __u64 checked;     /* packets that reached the end of a chain */
        __u64 violations;  /* ... whose path was no generation's full chain */
        __u64 no_meta;     /* packets the program could not tag */
};

#endif
