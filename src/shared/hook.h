/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hooks a chain can live on, and how each is attached. */
#pragma once

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum Hook {
        HOOK_XDP,
        HOOK_TC_INGRESS,
        HOOK_TC_EGRESS,
        _HOOK_MAX,
        _HOOK_INVALID = -EINVAL,
} Hook;

typedef enum XdpMode {
        XDP_MODE_AUTO,     /* native where the driver supports it, else generic */
        XDP_MODE_NATIVE,
        XDP_MODE_GENERIC,
        _XDP_MODE_MAX,
        _XDP_MODE_INVALID = -EINVAL,
} XdpMode;

/* libbpf 1.1's uapi copy predates tcx; these are the kernel's values. */
#define L3AF_BPF_TCX_INGRESS 46
#define L3AF_BPF_TCX_EGRESS 47
#define L3AF_BPF_F_BEFORE (1U << 3)

const char *hook_to_string(Hook h);
Hook hook_from_string(const char *s);
enum bpf_prog_type hook_prog_type(Hook h);
enum bpf_attach_type hook_attach_type(Hook h);

/* What the watchdog does when a foreign program displaces a chain's root. */
typedef enum ForeignPolicy {
        FOREIGN_POLICY_LOG,      /* report it; the administrator is authoritative */
        FOREIGN_POLICY_RESTORE,  /* remove the foreign attachment and re-attach our root */
        _FOREIGN_POLICY_MAX,
        _FOREIGN_POLICY_INVALID = -EINVAL,
} ForeignPolicy;

const char *foreign_policy_to_string(ForeignPolicy p);
ForeignPolicy foreign_policy_from_string(const char *s);

/*
 * What a tc chain's TC_ACT_OK (== TCX_PASS, enum tcx_action_base in
 * include/uapi/linux/bpf.h) becomes at the tcx hook: TCXPass= in l3af.d(5).
 */
typedef enum TcxPassPolicy {
        TCX_PASS_POLICY_NEXT,  /* TCX_NEXT: later tcx programs and clsact filters see the packet */
        TCX_PASS_POLICY_PASS,  /* TCX_PASS: the packet is accepted and tcx processing ends */
        _TCX_PASS_POLICY_MAX,
        _TCX_PASS_POLICY_INVALID = -EINVAL,
} TcxPassPolicy;

const char *tcx_pass_policy_to_string(TcxPassPolicy p);
TcxPassPolicy tcx_pass_policy_from_string(const char *s);

const char *xdp_mode_to_string(XdpMode m);
XdpMode xdp_mode_from_string(const char *s);

/*
 * Program types a drop-in or manifest may name in Type= (l3af.d(5)): "xdp" runs on
 * the xdp hook; "tc", "sched_cls" (libbpf's section name) and "tcx" on the tc hooks.
 */
bool program_type_is_valid(const char *s);
bool program_type_matches_hook(const char *s, Hook h);
