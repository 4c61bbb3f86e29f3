/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hook.h"
#include "util.h"

static const char *const hook_names[_HOOK_MAX] = {
        [HOOK_XDP] = "xdp",
        [HOOK_TC_INGRESS] = "tc-ingress",
        [HOOK_TC_EGRESS] = "tc-egress",
};

static const char *const xdp_mode_names[_XDP_MODE_MAX] = {
        [XDP_MODE_AUTO] = "auto",
        [XDP_MODE_NATIVE] = "native",
        [XDP_MODE_GENERIC] = "generic",
};

static const char *const foreign_policy_names[_FOREIGN_POLICY_MAX] = {
        [FOREIGN_POLICY_LOG] = "log",
        [FOREIGN_POLICY_RESTORE] = "restore",
};

static const char *const tcx_pass_policy_names[_TCX_PASS_POLICY_MAX] = {
        [TCX_PASS_POLICY_NEXT] = "next",
        [TCX_PASS_POLICY_PASS] = "pass",
};

const char *tcx_pass_policy_to_string(TcxPassPolicy p)
{
        return p >= 0 && p < _TCX_PASS_POLICY_MAX ? tcx_pass_policy_names[p] : NULL;
}

TcxPassPolicy tcx_pass_policy_from_string(const char *s)
{
        for (int i = 0; s && i < _TCX_PASS_POLICY_MAX; i++)
                if (streq(s, tcx_pass_policy_names[i]))
                        return (TcxPassPolicy) i;
        return _TCX_PASS_POLICY_INVALID;
}

const char *foreign_policy_to_string(ForeignPolicy p)
{
        return p >= 0 && p < _FOREIGN_POLICY_MAX ? foreign_policy_names[p] : NULL;
}

ForeignPolicy foreign_policy_from_string(const char *s)
{
        for (int i = 0; s && i < _FOREIGN_POLICY_MAX; i++)
                if (streq(s, foreign_policy_names[i]))
                        return (ForeignPolicy) i;
        return _FOREIGN_POLICY_INVALID;
}

const char *hook_to_string(Hook h)
{
        return h >= 0 && h < _HOOK_MAX ? hook_names[h] : NULL;
}

Hook hook_from_string(const char *s)
{
        for (int i = 0; s && i < _HOOK_MAX; i++)
                if (streq(s, hook_names[i]))
                        return (Hook) i;
        return _HOOK_INVALID;
}

enum bpf_prog_type hook_prog_type(Hook h)
{
        return h == HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
}

enum bpf_attach_type hook_attach_type(Hook h)
{
        switch (h) {
        case HOOK_XDP:
                return BPF_XDP;
        case HOOK_TC_INGRESS:
                return (enum bpf_attach_type) L3AF_BPF_TCX_INGRESS;
        default:
                return (enum bpf_attach_type) L3AF_BPF_TCX_EGRESS;
        }
}

const char *xdp_mode_to_string(XdpMode m)
{
        return m >= 0 && m < _XDP_MODE_MAX ? xdp_mode_names[m] : NULL;
}

XdpMode xdp_mode_from_string(const char *s)
{
        for (int i = 0; s && i < _XDP_MODE_MAX; i++)
                if (streq(s, xdp_mode_names[i]))
                        return (XdpMode) i;
        return _XDP_MODE_INVALID;
}

static const struct {
        const char *name;
        bool xdp;
} program_types[] = {
        { "xdp", true },
        { "tc", false },
        { "sched_cls", false },
        { "tcx", false },
};

bool program_type_is_valid(const char *s)
{
        for (size_t i = 0; s && i < ELEMENTSOF(program_types); i++)
                if (streq(s, program_types[i].name))
                        return true;
        return false;
}

bool program_type_matches_hook(const char *s, Hook h)
{
        for (size_t i = 0; s && i < ELEMENTSOF(program_types); i++)
                if (streq(s, program_types[i].name))
                        return program_types[i].xdp == (h == HOOK_XDP);
        return false;
}
