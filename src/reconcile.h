/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reconcile: make the kernel run what the drop-ins declare. Only chains whose
 * desired state differs are touched; a chain whose drop-ins hold an error, or
 * whose change fails, keeps its running generation, and the others go ahead.
 */
#pragma once

#include "context.h"

/* Opens (and locks) the pin root and adopts every pinned chain. */
int reconcile_adopt(Context *c);

/*
 * Reads the drop-ins and applies them. Problems are kept in c->problems.
 * Returns the number of errors (>= 0), or a negative errno if nothing could be
 * read at all.
 */
int reconcile(Context *c);

/*
 * Checks the drop-ins as reconcile would, without touching the kernel.
 * Returns the number of errors; problems go to 'problems'.
 */
int reconcile_check(const Settings *s, GPtrArray *problems);

/* Detaches every chain under the pin root and removes all pins. */
int reconcile_flush(Context *c);
