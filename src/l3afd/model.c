/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "model.h"
#include "problem.h"
#include "util.h"

void chain_spec_free(ChainSpec *c)
{
        if (!c)
                return;
        if (c->programs)
                g_ptr_array_unref(c->programs);
        g_free(c);
}

/* Compares by Priority, then Name. */
static int program_spec_compare(const ProgramSpec *a, const ProgramSpec *b)
{
        if (a->priority != b->priority)
                return a->priority < b->priority ? -1 : 1;
        return strcmp(a->name, b->name);
}

static gint compare_ptrs(gconstpointer a, gconstpointer b)
{
        return program_spec_compare(*(ProgramSpec *const *) a, *(ProgramSpec *const *) b);
}

/* A name once per chain, and at most CHAIN_PROGRAMS_MAX programs. */
static void check_names(ChainSpec *c, GPtrArray *problems)
{
        GPtrArray *p = c->programs;

        for (guint i = 0; i + 1 < p->len; i++) {
                ProgramSpec *a = p->pdata[i];

                for (guint j = i + 1; j < p->len; j++) {
                        ProgramSpec *b = p->pdata[j];

                        if (streq(a->name, b->name))
                                problems_add(problems, false, b->source, &c->id, "Program", "Name",
                                             "program '%s' is also declared by %s", b->name, a->source);
                }
        }

        if (p->len > CHAIN_PROGRAMS_MAX) {
                ProgramSpec *extra = p->pdata[CHAIN_PROGRAMS_MAX];

                problems_add(problems, false, extra->source, &c->id, "Program", "Name",
                             "chain %s would have %u programs; the kernel allows %d tail calls, so a chain holds at "
                             "most %d programs ('%s' is number %d)",
                             CHAIN_TEXT(c), p->len, CHAIN_PROGRAMS_MAX + 1, CHAIN_PROGRAMS_MAX, extra->name,
                             CHAIN_PROGRAMS_MAX + 1);
        }
}

/* Only the last program may lack a next map. */
static void check_next_maps(ChainSpec *c, GPtrArray *problems)
{
        GPtrArray *p = c->programs;

        for (guint i = 0; i + 1 < p->len; i++) {
                ProgramSpec *a = p->pdata[i], *b = p->pdata[i + 1];

                if (!a->next_resolved)
                        problems_add(problems, false, a->source, &c->id, "Program", "NextMap",
                                     "program '%s' has no next map, so it can only be last, but '%s' (%s) comes "
                                     "after it",
                                     a->name, b->name, b->source);
        }
}

/* Maps pinned by name are the chain's: every program that pins one must define it alike. */
static void check_shared_maps(ChainSpec *c, GPtrArray *problems)
{
        GPtrArray *p = c->programs;

        for (guint i = 0; i < p->len; i++) {
                ProgramSpec *a = p->pdata[i];

                for (guint k = 0; a->map_defs && k < a->map_defs->len; k++) {
                        const MapDef *da = a->map_defs->pdata[k];

                        if (!da->shared)
                                continue;
                        for (guint j = i + 1; j < p->len; j++) {
                                ProgramSpec *b = p->pdata[j];
                                const MapDef *db = map_defs_find(b->map_defs, da->name);
                                g_autofree char *diff = NULL;

                                if (!db || !db->shared || map_def_equal(da, db))
                                        continue;
                                diff = map_def_diff(da, db);
                                problems_add(problems, false, b->source, &c->id, "Program", NULL,
                                             "programs '%s' and '%s' (%s) both pin map '%s' by name, which makes it "
                                             "one map for the chain, but define it differently ('%s' -> '%s': %s)",
                                             b->name, a->name, a->source, da->name, a->name, b->name, diff);
                        }
                }
        }
}

/* The chain's Mode=, TCXPass= and OnForeignProgram=: any program may give each, and those that do agree. */
static void settle_chain_settings(ChainSpec *c, GPtrArray *problems)
{
        GPtrArray *p = c->programs;

        c->mode = XDP_MODE_AUTO;
        for (guint i = 0; i < p->len; i++) {
                ProgramSpec *a = p->pdata[i];

                if (!a->mode_set)
                        continue;
                for (guint j = 0; j < i; j++) {
                        ProgramSpec *b = p->pdata[j];

                        if (b->mode_set && b->mode != a->mode)
                                problems_add(problems, false, a->source, &c->id, "Program", "Mode",
                                             "'%s' conflicts with Mode=%s in %s", xdp_mode_to_string(a->mode),
                                             xdp_mode_to_string(b->mode), b->source);
                }
                c->mode = a->mode;
        }

        c->tcx_pass = TCX_PASS_POLICY_NEXT;
        for (guint i = 0; i < p->len; i++) {
                ProgramSpec *a = p->pdata[i];

                if (!a->tcx_pass_set)
                        continue;
                for (guint j = 0; j < i; j++) {
                        ProgramSpec *b = p->pdata[j];

                        if (b->tcx_pass_set && b->tcx_pass != a->tcx_pass)
                                problems_add(problems, false, a->source, &c->id, "Program", "TCXPass",
                                             "'%s' conflicts with TCXPass=%s in %s",
                                             tcx_pass_policy_to_string(a->tcx_pass),
                                             tcx_pass_policy_to_string(b->tcx_pass), b->source);
                }
                c->tcx_pass = a->tcx_pass;
        }

        c->on_foreign = _FOREIGN_POLICY_INVALID;
        for (guint i = 0; i < p->len; i++) {
                ProgramSpec *a = p->pdata[i];

                if (!a->on_foreign_set)
                        continue;
                for (guint j = 0; j < i; j++) {
                        ProgramSpec *b = p->pdata[j];

                        if (b->on_foreign_set && b->on_foreign != a->on_foreign)
                                problems_add(problems, false, a->source, &c->id, "Program", "OnForeignProgram",
                                             "'%s' conflicts with OnForeignProgram=%s in %s",
                                             foreign_policy_to_string(a->on_foreign),
                                             foreign_policy_to_string(b->on_foreign), b->source);
                }
                c->on_foreign = a->on_foreign;
        }
}

static void check_chain(ChainSpec *c, GPtrArray *problems)
{
        g_ptr_array_sort(c->programs, compare_ptrs);
        check_names(c, problems);
        check_next_maps(c, problems);
        check_shared_maps(c, problems);
        settle_chain_settings(c, problems);
}

GHashTable *model_build(GPtrArray *specs, GPtrArray *problems)
{
        GHashTable *chains = g_hash_table_new_full(chain_id_hash, chain_id_equal, NULL,
                                                   (GDestroyNotify) chain_spec_free);
        GHashTableIter it;
        ChainSpec *c;

        while (specs->len > 0) {
                ProgramSpec *p = g_ptr_array_steal_index(specs, 0);
                ChainId id;

                if (program_spec_chain_id(p, &id) < 0) {
                        /* Not reached: the drop-in parser refuses a chain program without both. */
                        program_spec_free(p);
                        continue;
                }
                c = g_hash_table_lookup(chains, &id);
                if (!c) {
                        c = g_new0(ChainSpec, 1);
                        c->id = id;
                        c->programs = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
                        g_hash_table_insert(chains, &c->id, c);
                }
                g_ptr_array_add(c->programs, p);
        }

        g_hash_table_iter_init(&it, chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &c))
                check_chain(c, problems);
        return chains;
}
