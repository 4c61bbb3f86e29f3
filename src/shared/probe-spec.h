/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Probes as declared (probe-spec.c): the kinds (tracepoint, raw tracepoint,
 * uprobe/uretprobe, kprobe/kretprobe), their targets and the section names
 * that declare them. What the kernel has, attaching and pinning: probe.h.
 */
#pragma once

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum ProbeKind {
        PROBE_TRACEPOINT,      /* target "category/name" (tracefs events/) */
        PROBE_RAW_TRACEPOINT,  /* target "name" */
        PROBE_UPROBE,          /* target "/path/to/binary:function[+offset]" */
        PROBE_URETPROBE,
        PROBE_KPROBE,          /* target "function[+offset]" */
        PROBE_KRETPROBE,
        _PROBE_KIND_MAX,
        _PROBE_KIND_INVALID = -EINVAL,
} ProbeKind;

typedef struct ProbeSpec {
        char *program;   /* the probe's program in the object */
        ProbeKind kind;
        char *target;
} ProbeSpec;

/* One attached probe, as the bus shows it. */
typedef struct Probe {
        char *owner;     /* the drop-in's Name= */
        char *program;
        ProbeKind kind;
        char *target;
        uint32_t link_id;  /* 0: not attached */
        uint32_t prog_id;
} Probe;

void probe_spec_free(ProbeSpec *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProbeSpec, probe_spec_free)
void probe_free(Probe *p);

/* "tracepoint", "raw_tracepoint", "uprobe", "uretprobe", "kprobe", "kretprobe": the Hook= values. */
const char *probe_kind_to_string(ProbeKind k);
ProbeKind probe_kind_from_string(const char *s);

/*
 * The probe a libbpf section name declares ("tracepoint/sock/inet_sock_set_state",
 * "tp/...", "raw_tracepoint/...", "raw_tp/...", "uprobe/PATH:FUNC",
 * "uretprobe/...", "kprobe/FUNC", "kretprobe/FUNC"; the section names of
 * libbpf's program types table). *ret_target is NULL for a section that
 * names no target ("uprobe"). -ENOENT for a section that declares no probe.
 */
int probe_from_section(const char *section, ProbeKind *ret_kind, char **ret_target);

/*
 * Splits a uprobe target "PATH:FUNCTION[+OFFSET]" at its last ':'; PATH must
 * be absolute, OFFSET is decimal or 0x-hex. -EINVAL otherwise; the outputs
 * are written only on success.
 */
int probe_uprobe_split(const char *target, char **ret_path, char **ret_func, size_t *ret_offset);

/* Whether a target is well formed for the kind; on false, *ret_error says how. */
bool probe_target_is_valid(ProbeKind kind, const char *target, char **ret_error);
