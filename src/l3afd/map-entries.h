/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Map entries declared by drop-ins ([Map NAME] groups, l3af.d(5)): which keys
 * l3afd wrote, so that a key the drop-ins stop declaring is taken out again,
 * and a key a program wrote itself is never touched.
 *
 * The record is kept in the pins, beside the maps it describes (see
 * l3af/pins.h): per program and map, a hash map of the keys written, each
 * with the id of the map it went into. A key is recorded before its entry is
 * written and forgotten after its entry is taken out, and each step is one
 * bpf syscall, so whatever stops the daemon (SIGKILL included) the record
 * holds at least every key l3afd wrote that is still in the kernel, and it
 * lives and dies with the pins of the program it belongs to.
 */
#pragma once

#include <stddef.h>

#include "dropin.h"

/*
 * Records that 'program' writes the key 'key' (key_size bytes) of its
 * [Map 'map'] group into the map behind 'map_fd', pinned under 'chain_dir'.
 * Call before writing the entry. Returns 0, or -errno (*ret_error says what).
 */
int map_entries_record(const char *chain_dir, const char *program, const char *map, int map_fd, const void *key,
                       size_t key_size, char **ret_error);

/*
 * Takes out of the kernel every entry 'program' recorded that 'p' (its
 * prepared declaration; NULL: the program left the chain) no longer declares:
 * a hash-like map's entry is deleted, an array's element set to zero (on
 * every CPU for a per-CPU array), as DeleteMapEntry does. An entry in a map
 * the chain's programs share (pinned by name) stays while another program's
 * record still holds its key. Keys recorded for a map that has since been
 * replaced are only forgotten. Returns 0, or the first -errno, having gone on
 * with the other entries (*ret_error says which failed; it stays recorded
 * and the next call tries again).
 */
int map_entries_retract(const char *chain_dir, const char *program, const ProgramSpec *p, char **ret_error);
