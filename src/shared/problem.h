/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Problems found in configuration or while applying it. Each names where it
 * comes from (file, [group], key) and, when known, the chain it blocks, so that
 * one bad drop-in holds back only its own chain.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "chain-id.h"

/*
 * What kind of failure a problem is, set where it is made; the bus maps it to
 * its named error (org.l3af.Chain1(5), ERRORS). The default is a
 * configuration that does not apply.
 */
typedef enum ProblemKind {
        PROBLEM_INVALID_CONFIGURATION = 0,
        PROBLEM_VERIFIER_REJECTED,          /* the kernel's verifier refused a program */
} ProblemKind;

typedef struct Problem {
        char *file;     /* drop-in path, or NULL */
        ChainId *chain_id; /* the chain the problem blocks, or NULL if unknown */
        char *probe;    /* the probe on its own it blocks (its name), or NULL */
        char *chain;    /* what it blocks as the bus shows it (ListProblems): "IFACE/HOOK", "probe:NAME",
                         * or NULL; made from chain_id or probe, never read back */
        char *text;     /* full human-readable text, location included */
        char *program;  /* the program it concerns, when known */
        bool warning;   /* reported, but blocks nothing */
        ProblemKind kind;
} Problem;

void problem_free(Problem *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Problem, problem_free)

GPtrArray *problems_new(void);

/* Adds "FILE: [GROUP] KEY=: message", blocking 'chain' (may be NULL); group and key may be NULL. */
void problems_add(GPtrArray *problems, bool warning, const char *file, const ChainId *chain,
                  const char *group, const char *key, const char *format, ...)
        __attribute__((format(printf, 7, 8)));

size_t problems_count_errors(GPtrArray *problems);

/* Marks the problems from index 'since' on as concerning 'program'. */
void problems_set_program(GPtrArray *problems, guint since, const char *program);

/* Marks the problems from index 'since' on that block no chain as blocking the probe on its own 'probe'. */
void problems_set_probe(GPtrArray *problems, guint since, const char *probe);

/* Sets the kind of the problems from index 'since' on. */
void problems_set_kind(GPtrArray *problems, guint since, ProblemKind kind);
