/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where things are pinned: the paths of the layout in l3af/pins.h, and the
 * one encoding that turns a name (interface, program, map) into a path
 * component of it and back.
 *
 * The bpf filesystem refuses '.' in a file name with EPERM: bpf_lookup() in
 * the kernel's kernel/bpf/inode.c reserves dotted names "for future
 * extensions". Linux names VLAN sub-interfaces "eth0.100", and program and
 * map names may hold a dot too, so every name that becomes a pin path goes
 * through pin_name_encode(), and every name read back from one through
 * pin_name_decode(). Names are encoded, fixed components ("programs", "link")
 * are not.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hook.h"

/*
 * Encodes a name as one bpffs path component: each byte that is '.', '/' or
 * ':' (the escape), or outside printable ASCII ('!' to '~'), becomes ':' and
 * its value in two lower-case hex digits ("eth0.100" -> "eth0:2e100"); every
 * other byte stays. A name without such bytes is its own encoding, so pins
 * made before names were encoded keep their paths: no valid interface name
 * (dev_valid_name() in net/core/dev.c: no '/', ':' or white space), program
 * name or kernel map name (bpf_obj_name_cpy() in kernel/bpf/syscall.c:
 * letters, digits, '_', '.') holds any but '.'. The result is at most three
 * times as long as the name; 'name' must not be empty. Never fails.
 */
char *pin_name_encode(const char *name);

/*
 * The name a path component encodes. Only pin_name_encode()'s own output
 * decodes: a byte that would have been escaped, an escape of a byte that
 * would not, or a ':' without two lower-case hex digits after it give
 * -EINVAL, so no two components decode to the same name. *ret is written
 * only on success.
 */
int pin_name_decode(const char *component, char **ret);

/*
 * Whether 'name' can name a map in a drop-in ([Map NAME], NextMap=), a
 * manifest, the D-Bus map methods and l3afctl. A map is named as its object
 * names it, as libbpf's bpf_map__name() returns it: the ELF symbol or BTF
 * variable name, in full, not the kernel's copy, which keeps only the first
 * 15 characters (BPF_OBJ_NAME_LEN in include/uapi/linux/bpf.h). Valid: one
 * or more letters, digits, '_' and '.' (what bpf_obj_name_cpy() in
 * kernel/bpf/syscall.c accepts), as long as the name, encoded by
 * pin_name_encode(), fits one file name (NAME_MAX, 255 bytes, limits.h):
 * 255 characters without a dot, each dot counting three.
 */
bool map_name_is_valid(const char *name);

/* map_name_is_valid()'s rule, for error messages. */
#define MAP_NAME_RULE "the name the object gives the map: letters, digits, '_', '.'; at most 255 bytes, a '.' counting 3"

/* The length of pin_name_encode(name), in bytes: at most NAME_MAX to be a pin file name. */
size_t pin_name_encoded_length(const char *name);

/* <pin_root>/<ifname>/<hook>: a chain's pin directory. */
char *pin_chain_dir(const char *pin_root, const char *ifname, Hook hook);

/* <chain_dir>/programs/<program>: a program's maps and instances. */
char *pin_program_dir(const char *chain_dir, const char *program);

/*
 * Where a map of a program is pinned: <chain_dir>/maps/<map> for a map the
 * object pins by name (LIBBPF_PIN_BY_NAME, 'shared': one per chain), else
 * <program dir>/maps/<map>.
 */
char *pin_map_path(const char *chain_dir, const char *program, const char *map, bool shared);

/* How many hex digits of an object's digest name its instances and probes in their pins. */
#define DIGEST_SHORT 16

/* <program dir>/<gen>-<digest>: an instance of generation 'gen' (decimal), 'digest' a hex string. */
char *pin_instance_dir(const char *chain_dir, const char *program, uint64_t gen, const char *digest);

/*
 * Parses an instance directory's name "<gen>-<digest>": *ret_digest points
 * into 'component'. -EINVAL for anything else (an empty or non-decimal
 * generation, a digest that is empty or not lower-case hex); the outputs are
 * written only on success.
 */
int pin_instance_parse(const char *component, uint64_t *ret_gen, const char **ret_digest);
