/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Probes in the kernel (probe.c; the kinds and their targets: probe-spec.h):
 * tracepoint, raw tracepoint, uprobe/uretprobe and kprobe/kretprobe
 * programs, either beside a chain program's entry in its object (sharing its
 * maps) or declared on their own (a drop-in with Hook=tracepoint and no
 * Interface=, see l3af.d(5)).
 *
 * Probes belong to the program, not to its instances: they are attached once
 * per object (digest) and their links are pinned under the program's pin
 * directory,
 *
 *   <program dir>/probes/<digest>/<probe>   bpf_link of each probe
 *
 * so they stay attached while the chain makes new instances of the program
 * (which share its pinned maps) and a restarted daemon adopts them with the
 * same ids. A new object attaches its probes under its own digest first, and
 * the old digest's links go once the new generation runs.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "probe-spec.h"

struct bpf_object;
struct bpf_program;

/*
 * Whether this kernel can attach a probe of this kind to this target,
 * probed, not guessed from the version: the PMUs in
 * /sys/bus/event_source/devices (kprobe, uprobe, tracepoint; perf_event_open(2)
 * "Dynamic PMU"), tracefs' kprobe_events, and, when tracefs is mounted, the
 * tracepoint's events/<category>/<name> directory; a uprobe's binary must
 * exist. Returns 0, or -EOPNOTSUPP/-ENOENT with *ret_error saying what the
 * kernel (or the file system) lacks, in one line.
 */
int probe_kernel_supports(ProbeKind kind, const char *target, char **ret_error);

/*
 * Mounts tracefs at /sys/kernel/tracing unless a tracefs is there (or at
 * /sys/kernel/debug/tracing, where libbpf looks first). Returns 0, or
 * -errno of mount(2).
 */
int probe_tracefs_ensure(void);

/* Sets the program type (and expected attach type) of a probe program from its kind. */
int probe_prepare_program(struct bpf_program *prog, ProbeKind kind);

/*
 * Whether every probe of 'probes' (ProbeSpec*) is pinned, as a link, under
 * <program_dir>/probes/<digest>.
 */
bool probes_pinned(const char *program_dir, const char *digest, GPtrArray *probes);

/*
 * Attaches each probe of 'probes' from the loaded object 'obj' and pins its
 * link under <program_dir>/probes/<digest>/. All or nothing: on failure the
 * links made so far are let go and *ret_error names the probe and the reason.
 */
int probes_attach(const char *program_dir, const char *digest, GPtrArray *probes, struct bpf_object *obj,
                  char **ret_error);

/* Lets go of the links pinned under <program_dir>/probes/<digest>. */
void probes_drop(const char *program_dir, const char *digest);

/* Lets go of the links pinned under <program_dir>/probes/ of every digest but 'keep' (NULL: all). */
void probes_retire(const char *program_dir, const char *keep);

/*
 * Appends a Probe for each of 'probes' to 'out', with the ids of its link
 * pinned under <program_dir>/probes/<digest> (0 when it is not there).
 */
void probes_describe(const char *owner, const char *program_dir, const char *digest, GPtrArray *probes,
                     GPtrArray *out);

/*
 * Appends a Probe for each link pinned under <program_dir>/probes/, of every
 * digest, as an adopted program's pins show them: the kind and target are
 * unknown until its drop-in is read again. *ret_digest (if given) gets a
 * digest directory's name, the one left when there is one.
 */
void probes_describe_pinned(const char *owner, const char *program_dir, GPtrArray *out, char **ret_digest);
