/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Programs: preparing a declared program (read, check and digest its object,
 * type its map entries; no kernel needed) and loading instances of it.
 *
 * An instance is one load of a program, with its own next map. Every instance
 * of a program shares that program's pinned maps, so state and config survive
 * chain changes.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "dropin.h"
#include "pin-path.h"
#include "problem.h"

struct bpf_object;

#define OBJECT_SIZE_MAX (64u * 1024u * 1024u)

typedef struct Instance {
        char *name;
        char digest[DIGEST_SHORT + 1];
        uint64_t gen;
        char *dir;          /* its pin directory */
        int prog_fd;
        int next_fd;        /* -EBADF when the program has no next map */
        uint32_t prog_id;
        uint64_t load_usec; /* how long loading it took, in µs; 0: not loaded by this process (adopted) */
        struct bpf_object *obj; /* the load, kept while its probes are to be attached; else NULL */
        int hop_fd;         /* its counting hop (counting.h); -EBADF when the chain does not count */
        uint32_t hop_id;
        uint32_t stats_slot; /* with a hop: the stats slot it counts into */
} Instance;

/* A new, empty instance of program 'name': no descriptors. */
Instance *instance_new(const char *name);

/*
 * What a predecessor's next map (or the root's slot) holds to run this
 * instance: its counting hop when it has one, else the program itself.
 */
static inline int instance_target_fd(const Instance *i)
{
        return i->hop_fd >= 0 ? i->hop_fd : i->prog_fd;
}

static inline uint32_t instance_target_id(const Instance *i)
{
        return i->hop_fd >= 0 ? i->hop_id : i->prog_id;
}

/*
 * Process-wide libbpf set-up for loading programs into chains (an xdp.frags
 * section loads single-buffer). Call once, before any thread opens objects.
 */
int program_setup(void);

void instance_free(Instance *i);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Instance, instance_free)

/* Unpins an instance; the kernel frees it once no chain and no packet uses it. */
int instance_unpin(Instance *i);

/*
 * Reads and checks the program's object, resolves Entry= and NextMap=, types
 * its [Map] entries and computes its digest. Problems are added against
 * 'chain' (NULL for a probe on its own: the caller marks those,
 * problems_set_probe()). Does not touch the kernel.
 */
int program_prepare(ProgramSpec *p, const ChainId *chain, GPtrArray *problems);

/*
 * Loads a new instance of a prepared program for a chain whose pins live in
 * 'chain_dir', pins it as generation 'gen'; 'frags': as part of a multi-buffer
 * XDP chain. With 'with_probes', the program's probes are loaded in the same
 * load and the instance keeps the object (inst->obj) for probes_attach(). On a load failure, *ret_log gets
 * libbpf's and the verifier's last lines, and *ret_kind (may be NULL) is set
 * to PROBLEM_VERIFIER_REJECTED when the verifier refused it (else untouched).
 */
int program_instantiate(const ProgramSpec *p, const char *chain_dir, uint64_t gen, bool frags, bool with_probes,
                        Instance **ret, char **ret_log, ProblemKind *ret_kind);

/*
 * Loads the probes of a prepared program (p->probes) without its entry, on
 * the program's pinned maps under 'chain_dir' (created if new), for
 * probes_attach(). A standalone probe is loaded so, with 'chain_dir' the
 * probes' pin directory. On a failure, *ret_log says why.
 */
int program_load_probes(const ProgramSpec *p, const char *chain_dir, struct bpf_object **ret, char **ret_log);

/*
 * Asks the kernel whether the prepared program would load on this hook (in a
 * multi-buffer chain with 'frags'), and its [Map] entries be written, with
 * maps of its own that nothing else sees; everything is gone again on return. Needs CAP_BPF (-EPERM otherwise). On a
 * failure, *ret_log and *ret_kind say why, as program_instantiate() does.
 */
int program_verify(const ProgramSpec *p, bool frags, char **ret_log, ProblemKind *ret_kind);

/* Whether a chain of these programs runs multi-buffer: all of them must be
 * written for it, since the kernel lets only programs that agree on frags
 * tail-call each other. */
bool program_chain_frags(Hook hook, GPtrArray *programs);

/*
 * Writes the program's [Map] entries where the kernel holds something else,
 * recording each key first (map-entries.h).
 */
int program_write_map_entries(const ProgramSpec *p, const char *chain_dir, char **ret_error);
