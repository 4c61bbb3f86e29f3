/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Per-program statistics: shared by l3afd, its counting root and its counting
 * hops (bpf/root.bpf.c, bpf/hop.bpf.c).
 *
 * The kernel counts a program's runs only where a hook enters it
 * (__bpf_prog_run() in include/linux/filter.h); a tail call skips that, so
 * the programs of a chain behind the root are never counted by the kernel.
 * When [Daemon] Statistics=programs, l3afd puts a counting hop in front of each
 * program instance: the predecessor's next map (or the root's slot) holds
 * the hop, the hop counts the packet in the program's stats slot and
 * tail-calls the instance through its own one-slot array. The hop reads the
 * clock and adds the time since the previous hop of this packet to the
 * program that ran then; the counting root closes the last program's time
 * when the chain returns.
 *
 * Every hop costs a tail call: the root and 2 N tail calls must fit in the
 * kernel's 33 (MAX_TAIL_CALL_CNT, include/linux/bpf.h), so a chain of more
 * than L3AF_COUNT_PROGRAMS_MAX programs runs without hops.
 */
#ifndef L3AF_STATS_H
#define L3AF_STATS_H

#include <linux/types.h>

/* Programs a chain may have and still be counted per program: (33 - 1) / 2. */
#define L3AF_COUNT_PROGRAMS_MAX 16

/* Stats slots per chain: its programs, and those a change brings in while the old ones still run. */
#define L3AF_STATS_SLOTS 64

/* Value of a chain's per-CPU "stats" array, one per stats slot. */
struct l3af_prog_stats {
        __u64 runs;           /* packets that entered the program */
        __u64 run_time_ns;    /* time from entering it to entering the next one (or leaving the chain) */
};

/* Value of a chain's per-CPU "clock" array (one entry): the packet this CPU runs now. */
struct l3af_stats_clock {
        __u64 start_ns;       /* bpf_ktime_get_ns() when the running program was entered */
        __u32 slot;           /* its stats slot */
        __u32 running;        /* 0: no program of this packet has been entered yet */
};

#ifdef __BPF__
/* The two maps, as the root and every hop of a chain declare them (l3afd shares them by fd). */
#define L3AF_STATS_MAPS                                                 \
        struct {                                                        \
                __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                \
                __uint(max_entries, L3AF_STATS_SLOTS);                  \
                __type(key, __u32);                                     \
                __type(value, struct l3af_prog_stats);                  \
        } l3af_stats SEC(".maps");                                      \
        struct {                                                        \
                __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                \
                __uint(max_entries, 1);                                 \
                __type(key, __u32);                                     \
                __type(value, struct l3af_stats_clock);                 \
        } l3af_clock SEC(".maps")

/* Ends the time of the program this packet runs now (if any) at 'now'. */
static __always_inline void l3af_clock_stop(void *stats, struct l3af_stats_clock *c, __u64 now)
{
        struct l3af_prog_stats *s;

        if (!c->running)
                return;
        s = bpf_map_lookup_elem(stats, &c->slot);
        if (s)
                s->run_time_ns += now - c->start_ns;
        c->running = 0;
}
#endif

#endif
