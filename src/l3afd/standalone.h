/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Probes on their own: a drop-in with Hook=tracepoint (raw_tracepoint,
 * uprobe, uretprobe, kprobe, kretprobe), Attach= and no Interface=
 * (l3af.d(5)). They live as chains do: applied at reload, adopted from their
 * pins after a restart or SIGKILL with the same link ids, removed when their
 * drop-in goes, kept as they run when their drop-in is broken. Pins, under
 * the pin root (':' is in no interface name, so no chain's directory):
 *
 *   <root>/:probes/meta                               hash map: name -> l3af_meta (its drop-in)
 *   <root>/:probes/maps/<map>                         maps the objects pin by name (shared)
 *   <root>/:probes/programs/<name>/maps/<map>         a probe's own maps
 *   <root>/:probes/programs/<name>/entries/<map>      the keys its [Map] groups wrote
 *   <root>/:probes/programs/<name>/probes/<digest>/<program>   the links (probe.h)
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "dropin.h"

#define STANDALONE_DIR ":probes"

typedef struct Standalone {
        char *name;
        char *dir;        /* <root>/:probes, as a chain's directory */
        char *source;     /* the drop-in it came from */
        char digest[65];  /* of the object that runs; "" when adopted and not yet applied */
        GPtrArray *probes; /* Probe*: what runs */
        char *error;      /* why the last change failed; what ran before runs on */
} Standalone;

Standalone *standalone_new(const char *pin_root, const char *name);
void standalone_free(Standalone *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Standalone, standalone_free)

/* The names of the probes pinned under the pin root, each with a Standalone adopted from its pins. */
int standalone_adopt_all(const char *pin_root, GPtrArray **ret);

/*
 * Makes the probe run as the prepared spec says: loads its object on its
 * pinned maps, writes its [Map] entries, attaches and pins its probes, then
 * lets go of what ran before. Nothing changes when the same object already
 * runs. On failure what ran before runs on and *ret_error says why. Returns
 * 1 when something new was attached, 0 when nothing needed changing.
 */
int standalone_apply(Standalone *s, ProgramSpec *p, char **ret_error);

/* Detaches the probe and removes its pins (and, after the last one, the directory). */
int standalone_remove(Standalone *s);

/* One line: "NAME: PROGRAM (KIND TARGET, link L, id P), ..." */
char *standalone_describe(const Standalone *s);
