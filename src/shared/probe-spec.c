/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "probe-spec.h"
#include "util.h"

static const char *const probe_kind_names[_PROBE_KIND_MAX] = {
        [PROBE_TRACEPOINT] = "tracepoint",
        [PROBE_RAW_TRACEPOINT] = "raw_tracepoint",
        [PROBE_UPROBE] = "uprobe",
        [PROBE_URETPROBE] = "uretprobe",
        [PROBE_KPROBE] = "kprobe",
        [PROBE_KRETPROBE] = "kretprobe",
};

const char *probe_kind_to_string(ProbeKind k)
{
        return k >= 0 && k < _PROBE_KIND_MAX ? probe_kind_names[k] : NULL;
}

ProbeKind probe_kind_from_string(const char *s)
{
        for (int i = 0; s && i < _PROBE_KIND_MAX; i++)
                if (streq(s, probe_kind_names[i]))
                        return (ProbeKind) i;
        return _PROBE_KIND_INVALID;
}

void probe_spec_free(ProbeSpec *s)
{
        if (!s)
                return;
        g_free(s->program);
        g_free(s->target);
        g_free(s);
}

void probe_free(Probe *p)
{
        if (!p)
                return;
        g_free(p->owner);
        g_free(p->program);
        g_free(p->target);
        g_free(p);
}

int probe_from_section(const char *section, ProbeKind *ret_kind, char **ret_target)
{
        static const struct {
                const char *prefix;
                ProbeKind kind;
        } table[] = {
                { "tracepoint", PROBE_TRACEPOINT },     { "tp", PROBE_TRACEPOINT },
                { "raw_tracepoint", PROBE_RAW_TRACEPOINT }, { "raw_tp", PROBE_RAW_TRACEPOINT },
                { "uprobe", PROBE_UPROBE },             { "uprobe.s", PROBE_UPROBE },
                { "uretprobe", PROBE_URETPROBE },       { "uretprobe.s", PROBE_URETPROBE },
                { "kprobe", PROBE_KPROBE },             { "kretprobe", PROBE_KRETPROBE },
        };

        if (!section)
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                size_t n = strlen(table[i].prefix);

                if (strncmp(section, table[i].prefix, n) != 0 || (section[n] != 0 && section[n] != '/'))
                        continue;
                *ret_kind = table[i].kind;
                *ret_target = section[n] == '/' && section[n + 1] ? g_strdup(section + n + 1) : NULL;
                return 0;
        }
        return -ENOENT;
}

/* Splits "PATH:FUNC[+OFFSET]" (the last ':'); the outputs are written only on success. */
int probe_uprobe_split(const char *target, char **ret_path, char **ret_func, size_t *ret_offset)
{
        const char *colon = strrchr(target, ':');
        g_autofree char *func = NULL;
        char *plus, *end = NULL;
        guint64 offset = 0;

        if (!colon || colon == target || !colon[1] || target[0] != '/')
                return -EINVAL;
        func = g_strdup(colon + 1);
        plus = strchr(func, '+');
        if (plus) {
                *plus = 0;
                errno = 0;
                offset = g_ascii_strtoull(plus + 1, &end, 0);
                if (errno != 0 || end == plus + 1 || *end)
                        return -EINVAL;
        }
        if (!*func)
                return -EINVAL;
        for (const char *c = func; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("_.@$", *c))
                        return -EINVAL;
        *ret_path = g_strndup(target, colon - target);
        *ret_func = TAKE_PTR(func);
        *ret_offset = (size_t) offset;
        return 0;
}

static bool is_identifier(const char *s, const char *more)
{
        if (isempty(s))
                return false;
        for (const char *c = s; *c; c++)
                if (!g_ascii_isalnum(*c) && *c != '_' && !strchr(more, *c))
                        return false;
        return true;
}

bool probe_target_is_valid(ProbeKind kind, const char *target, char **ret_error)
{
        g_autofree char *path = NULL, *func = NULL;
        const char *slash;
        size_t offset;

        switch (kind) {
        case PROBE_TRACEPOINT:
                slash = target ? strchr(target, '/') : NULL;
                if (slash && slash != target && is_identifier(slash + 1, "") &&
                    strspn(target, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                            (size_t) (slash - target))
                        return true;
                *ret_error = g_strdup_printf("'%s' is not a tracepoint (CATEGORY/NAME, as in "
                                             "sock/inet_sock_set_state)", strna(target));
                return false;
        case PROBE_RAW_TRACEPOINT:
                if (is_identifier(target, ""))
                        return true;
                *ret_error = g_strdup_printf("'%s' is not a raw tracepoint name (as in sched_switch)", strna(target));
                return false;
        case PROBE_UPROBE:
        case PROBE_URETPROBE:
                if (target && probe_uprobe_split(target, &path, &func, &offset) >= 0)
                        return true;
                *ret_error = g_strdup_printf("'%s' is not a uprobe target (/PATH/TO/BINARY:FUNCTION[+OFFSET])",
                                             strna(target));
                return false;
        case PROBE_KPROBE:
        case PROBE_KRETPROBE:
                if (target && is_identifier(target, ".+x"))
                        return true;
                *ret_error = g_strdup_printf("'%s' is not a kernel function (FUNCTION[+OFFSET])", strna(target));
                return false;
        default:
                *ret_error = g_strdup("unknown kind of probe");
                return false;
        }
}

