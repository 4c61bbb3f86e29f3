/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The pin layout l3afd keeps under its pin root (default /sys/fs/bpf/l3af).
 * A restarted daemon rebuilds its picture of every chain from these alone.
 *
 *   <root>/<ifname>/<hook>/link        bpf_link at the hook: runs the chain's head instance (XDP,
 *                                      Statistics=no or yes) or the root (tc, counting, no program)
 *   <root>/<ifname>/<hook>/root        the root program
 *   <root>/<ifname>/<hook>/slot        root's one-slot program array: the chain's head
 *   <root>/<ifname>/<hook>/meta        hash map: l3af_meta_key -> l3af_meta
 *   <root>/<ifname>/<hook>/stats       while counting per program (l3af/stats.h): per-CPU
 *                                      array, stats slot -> struct l3af_prog_stats
 *   <root>/<ifname>/<hook>/clock       while counting: per-CPU array, 0 -> struct l3af_stats_clock
 *   <root>/<ifname>/<hook>/maps/<map>  maps the programs pin by name (chain-wide)
 *   <root>/<ifname>/<hook>/programs/<name>/maps/<map>   a program's own maps
 *   <root>/<ifname>/<hook>/programs/<name>/entries/<map>   hash map: the keys
 *       l3afd wrote into <map> (own or chain-wide) from the program's [Map]
 *       group -> __u32 id of the map they were written to
 *   .../maps/<map>:new   during a change: a fresh map that replaces <map> (another
 *                        definition) once the change's generation is live
 *   <root>/<ifname>/<hook>/programs/<name>/<gen>-<digest>/prog   an instance
 *   <root>/<ifname>/<hook>/programs/<name>/<gen>-<digest>/next   its next map
 *   .../<gen>-<digest>/hop        while counting: the counting hop in front of the
 *                                 instance (what its predecessor holds); its stats
 *                                 slot is in the hop's read-only data
 *   .../<gen>-<digest>/hop-next   the hop's one-slot program array: the instance
 *   <root>/<ifname>/<hook>/programs/<name>/probes/<digest>/<probe>   bpf_link
 *       of each probe program beside the entry (per object, not per instance)
 *   <root>/:probes/meta                      hash map: probe name -> l3af_meta
 *       (probes on their own: drop-ins with no interface)
 *   <root>/:probes/maps/<map>                maps their objects pin by name
 *   <root>/:probes/programs/<name>/...       as a chain program's: maps/,
 *       entries/, probes/<digest>/<probe>
 *
 * <ifname>, <name>, <map> and <probe> are encoded (pin_name_encode() in l3afd's
 * src/shared/pin-path.h): the bpffs refuses '.' in file names, so each '.', '/', ':'
 * and byte outside printable ASCII is ':' and two lower-case hex digits
 * ("eth0.100" -> "eth0:2e100"); names without them are their own encoding.
 *
 * The chain's order is found by walking from the link's program when it is an
 * instance (else from slot[0]) through each instance's next map; instances no
 * walk reaches are leftovers and are removed.
 */
#ifndef L3AF_PINS_H
#define L3AF_PINS_H

#include <linux/types.h>

#define L3AF_META_NAME_MAX 64
#define L3AF_META_SOURCE_MAX 256

/*
 * Key "" holds the chain's own record; other keys are program names, but
 * for L3AF_META_KEY_SWITCH (no program's name starts with ':'): a removal in
 * flight, which loads no instance that would carry its generation. Its
 * generation is the removal's, its source the id of the instance it takes
 * out of the chain, in decimal. Once no walk from the slot reaches that
 * instance, the removal is live. The next record of the chain drops it.
 */
#define L3AF_META_KEY_SWITCH ":switch"

#define L3AF_META_F_FRAGS 0x1u     /* the chain runs multi-buffer XDP */
#define L3AF_META_F_TCX_PASS 0x2u  /* tc: the root keeps TC_ACT_OK as TCX_PASS (TCXPass=pass) */
#define L3AF_META_F_TCX_MAPPED 0x4u  /* tc: the root maps the chain's verdict (a root from before does not) */
#define L3AF_META_F_COUNTING 0x8u  /* the root is the counting root, each instance has a hop (l3af/stats.h) */
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
