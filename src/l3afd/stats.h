/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Statistics of a chain, read from the kernel when asked: the kernel's run
 * count and run time of the chain (bpf_prog_info.run_cnt and run_time_ns of
 * the program its link runs, chain_attached_id(): the root, or the head
 * instance of an XDP chain, plus the heads l3afd switched away from since it
 * started, which the kernel keeps only while BPF_ENABLE_STATS is held
 * or the kernel.bpf_stats_enabled sysctl is on), and the metrics its drop-ins
 * declare over the programs' maps (metric-decl.h).
 *
 * The kernel counts a program's runs where a hook (or BPF_PROG_TEST_RUN)
 * enters it: __bpf_prog_run() in include/linux/filter.h adds to prog->stats
 * around the call, and a tail call jumps into the next program without it.
 * So the attached program's figures are the chain's: every packet entering
 * the chain, and the time of the whole chain, every program in it included.
 * The programs behind it are never counted by the kernel (their run_cnt
 * stays 0 whatever the traffic): with Statistics=programs, l3afd counts them
 * itself with a counting hop in front of each (counting.h), where the chain
 * has at most 16 programs.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "metric-decl.h"

/*
 * Holds kernel statistics on: bpf(BPF_ENABLE_STATS, BPF_STATS_RUN_TIME)
 * (include/uapi/linux/bpf.h), which turns the kernel's run counting on for
 * as long as the returned fd stays open, without leaving the
 * kernel.bpf_stats_enabled sysctl on. Returns the fd, or -errno (-EPERM
 * without CAP_SYS_ADMIN).
 */
int kernel_stats_hold(void);

typedef struct ProgramStats {
        char *name;
        uint32_t id;                /* the running instance's program id */
        char *package;              /* Package= and Version= it was loaded from, as the chain's meta map */
        char *version;              /* records them; "" for a program loaded from Object= */
        uint64_t runs;              /* with ChainStats.per_program: packets that entered the program */
        uint64_t run_time_ns;       /* ... and the time they spent in it, in ns (its hop to the next) */
} ProgramStats;

typedef struct MetricSample {
        char *program;
        char *metric;               /* [Metric NAME] */
        MetricType type;
        char *help;                 /* or NULL */
        char *key;                  /* the key as text (btf-text.h); NULL for Aggregate=sum */
        double value;               /* per-CPU copies summed; exact below 2^53 */
} MetricSample;

typedef struct ChainStats {
        char *ifname;
        Hook hook;
        uint64_t generation;
        uint32_t root_id;
        bool kernel;                /* the kernel counted: packets and run_time_ns are valid */
        uint64_t packets;           /* the root's run_cnt: packets entering the chain */
        uint64_t run_time_ns;       /* the root's run_time_ns: the whole chain's time, in ns */
        bool per_program;           /* the chain counts each program: ProgramStats.runs and run_time_ns are valid */
        char *per_program_note;     /* without per_program: why, in words */
        GPtrArray *programs;        /* ProgramStats*, in chain order */
        GPtrArray *samples;         /* MetricSample*, by program in chain order, then declaration, then key */
        GPtrArray *errors;          /* char*: metrics that could not be read now (a map gone), as text */
} ChainStats;

void chain_stats_free(ChainStats *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ChainStats, chain_stats_free)

/*
 * Reads the statistics of a chain that runs (root_fd >= 0): its root's
 * kernel figures, each program's counts when the chain counts them
 * (counting_slot_read()), and every declared metric, each map opened from its pin
 * (the program's own, else the chain-wide one) and read with
 * BPF_MAP_LOOKUP_ELEM, Key=all with BPF_MAP_GET_NEXT_KEY (at most 65536
 * keys). A metric that cannot be read is listed in 'errors', not fatal.
 * Returns 0, or -ENODEV when the chain has no root.
 */
int chain_stats_collect(Chain *ch, ChainStats **ret);
