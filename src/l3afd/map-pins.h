/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pinned maps of a chain (pins.h): a program's own maps and the maps its
 * object pins by name (chain-wide). Instances reuse them, so state and config
 * survive changes; a map whose definition changed gets a fresh map, staged
 * next to the live pin and put in its place once the new generation is live;
 * a map no program of the chain declares any more is released.
 */
#pragma once

#include <glib.h>

#include "dropin.h"
#include "log.h"

/*
 * Where a change stages a map that replaces the one pinned at 'live':
 * "<live>-new". Map names are C identifiers, so no live pin holds a '-'.
 */
char *map_pin_staged(const char *live);

/*
 * Decides where an instance being loaded gets its map 'want', whose pin is
 * 'live'. Either *ret_fd is a pinned map to reuse (the map this change staged
 * for it, else the live map if its definition equals 'want') and *ret_pin is
 * NULL; or *ret_fd is -EBADF and the load creates a fresh map, to be pinned at
 * *ret_pin: 'live' when nothing is pinned there, the staged path when the
 * live map's definition differs. Returns 0, or -errno with *ret_error naming
 * the pin that could not be opened or inspected.
 */
int map_pins_resolve(const char *live, const MapDef *want, int *ret_fd, char **ret_pin, char **ret_error);

/*
 * Ends the staging of a change under 'chain_dir': with 'commit' (its
 * generation is live) every staged map is renamed over its live pin, and
 * journaled (L3AF_MSG_MAP_RECREATED) with the old and new definitions;
 * without, staged maps are unpinned. 'chain' gives the journal's
 * interface and hook. rename(2) replaces the live pin in one step, so a
 * crash leaves each map either staged or in place.
 */
void map_pins_settle(const char *chain_dir, const LogFields *chain, bool commit);

/*
 * Unpins the maps under 'chain_dir' that none of 'programs' (prepared
 * ProgramSpecs, the chain's live generation) declares: chain-wide maps no
 * program pins by name any more, and a program's own maps its object no
 * longer has. Running instances keep their maps until they are released.
 */
void map_pins_prune(const char *chain_dir, const LogFields *chain, GPtrArray *programs);

/*
 * Whether loading 'p' under 'chain_dir' gives a chain-wide map (one its
 * object pins by name, which other programs' instances may use) a new
 * definition, as map_pins_resolve() would decide: 1 if so, 0 if not, or
 * -errno when a pin cannot be opened or inspected.
 */
int map_pins_redefine_shared(const char *chain_dir, const ProgramSpec *p);

/*
 * For --check: adds a warning to 'problems' for every map of 'programs' whose
 * pin under 'chain_dir' has another definition, so will be recreated, as
 * map_pins_resolve() decides. Pins that cannot be read (--check as a user
 * without CAP_BPF) are skipped, with one warning per chain.
 */
void map_pins_predict(const char *chain_dir, const ChainId *chain, GPtrArray *programs, GPtrArray *problems);
