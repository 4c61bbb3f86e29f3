/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The pin layout l3afd keeps under its pin root (default /sys/fs/bpf/l3af).
 * A restarted daemon rebuilds its picture of every chain from these alone.
 *
 *   <root>/<ifname>/<hook>/link        bpf_link of the root program
 *   <root>/<ifname>/<hook>/root        the root program
 *   <root>/<ifname>/<hook>/slot        root's one-slot program array
 *   <root>/<ifname>/<hook>/meta        hash map: l3af_meta_key -> l3af_meta
 *   <root>/<ifname>/<hook>/maps/<map>  maps the programs pin by name (chain-wide)
 *   <root>/<ifname>/<hook>/programs/<name>/maps/<map>   a program's own maps
 *   .../maps/<map>-new   during a change: a fresh map that replaces <map> (another
 *                        definition) once the change's generation is live
 *   <root>/<ifname>/<hook>/programs/<name>/<gen>-<digest>/prog   an instance
 *   <root>/<ifname>/<hook>/programs/<name>/<gen>-<digest>/next   its next map
 *
 * The chain's order is found by walking from slot[0] through each instance's
 * next map; instances no walk reaches are leftovers and are removed.
 */
#ifndef L3AF_PINS_H
#define L3AF_PINS_H

#include <linux/types.h>

#define L3AF_META_NAME_MAX 64
#define L3AF_META_SOURCE_MAX 256

/* Key "" holds the chain's own record; other keys are program names. */

#define L3AF_META_F_FRAGS 0x1u  /* the chain runs multi-buffer XDP */
struct l3af_meta_key {
        char name[L3AF_META_NAME_MAX];
};

struct l3af_meta {
        __u64 generation;      /* chain record: generations applied so far */
        __u32 mode;            /* chain record: requested XDP mode */
        __u32 flags;           /* chain record: L3AF_META_F_* */
        char source[L3AF_META_SOURCE_MAX];  /* program: drop-in it came from */
        char package[64];      /* program: package name, if any */
        char version[32];      /* program: package version, if any */
        char signer[128];      /* program: package signer subject, if any */
};

#endif
