/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-program counting ([Daemon] Statistics=programs): the chain's counting maps,
 * the counting hop in front of each program instance, and the programs'
 * stats slots. bpf/include/l3af/stats.h has the data path and why it is
 * needed (the kernel counts no program a tail call enters).
 *
 * A chain counts when Statistics=programs and it has at most
 * L3AF_COUNT_PROGRAMS_MAX programs: its root is the counting root and each
 * instance has a hop, which is what a predecessor links to
 * (instance_target_fd()). The chain's "stats" array holds one
 * struct l3af_prog_stats per CPU and stats slot. A program keeps its slot,
 * and so its counts, while it stays in the chain: a new instance of it gets
 * the slot of the one it replaces. A slot is free again once no instance of
 * the chain uses it (after the change that removed its program went live),
 * and it is zeroed when it is given to another program.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hook.h"
#include "program.h"

/* The chain's per-CPU "stats" and "clock" arrays (l3af/stats.h), pinned beside its root. */
typedef struct CountingMaps {
        int stats_fd;
        int clock_fd;
} CountingMaps;

#define COUNTING_MAPS_NONE ((CountingMaps) { .stats_fd = -EBADF, .clock_fd = -EBADF })

/*
 * Opens the counting maps pinned under 'chain_dir' ("stats", "clock"), or
 * with 'create' creates and pins those missing. Returns 0, -ENOENT when one
 * is not pinned and 'create' is false, or -errno. On failure nothing is open.
 */
int counting_maps_open(const char *chain_dir, bool create, CountingMaps *ret);
void counting_maps_close(CountingMaps *m);
/* Unpins them (the counts of a chain that stops counting start again from 0). */
void counting_maps_unpin(const char *chain_dir);

/*
 * Reads slot 'slot' (< L3AF_STATS_SLOTS) of the stats array, its per-CPU
 * copies summed: *ret_runs packets, *ret_run_time_ns nanoseconds
 * (bpf_ktime_get_ns(), CLOCK_MONOTONIC). Returns 0 or -errno.
 */
int counting_slot_read(const CountingMaps *m, uint32_t slot, uint64_t *ret_runs, uint64_t *ret_run_time_ns);

/* Zeroes a slot on every CPU, for a program that gets it. Returns 0 or -errno. */
int counting_slot_reset(const CountingMaps *m, uint32_t slot);

/*
 * Loads a counting hop for 'inst' (a fresh instance of a program on 'hook';
 * 'frags': of a multi-buffer XDP chain) counting into 'slot', puts the
 * instance in the hop's one-slot array, and pins both in the instance's
 * directory ("hop", "hop-next"), so that the instance's target becomes the
 * hop. Returns 0 or -errno with *ret_error set.
 */
int hop_add(Instance *inst, Hook hook, bool frags, const CountingMaps *m, uint32_t slot, char **ret_error);

/*
 * Opens the hop pinned in an adopted instance's directory and reads the
 * slot it counts into (the hop's read-only data, as loaded). Returns 0, or
 * -ENOENT when the instance has no hop, or -errno; *ret_error names the pin.
 */
int hop_adopt(Instance *inst, char **ret_error);
