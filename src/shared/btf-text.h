/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Map keys and values as text, typed through BTF. The syntax (l3af.d(5)):
 *   integers    42, -7, 0x2a, true/false for bool; range-checked for the type
 *   __be16/32/64 typedefs store numbers in network byte order
 *   IPv4        10.0.0.1 into a 4-byte integer or __u8[4], network byte order
 *   IPv6        fe80::1 into __u8[16]; MAC aa:bb:cc:dd:ee:ff into __u8[6]
 *   enums       by enumerator name or number
 *   char arrays "text"
 *   arrays      [1, 2, 3]   (missing elements are zero)
 *   structs     {port=53, enabled=1} or {53, 1}; braces optional at top level
 */
#pragma once

#include <bpf/btf.h>
#include <stddef.h>

/* Parses 'text' into 'out' (zeroed first, 'size' bytes). On failure returns
 * -EINVAL and a message in *error naming what does not fit. */
int btf_text_parse(const struct btf *btf, __u32 type_id, const char *text, void *out, size_t size,
                   char **error);

/*
 * Without BTF (a map declared with key_size/value_size, or a struct
 * bpf_map_def, rather than __type(key, ...)), 'size' bytes as written in
 * l3af.d(5):
 *   size 1, 2, 4 or 8  an unsigned integer of that size, decimal or 0x hex,
 *                      in host byte order ("0x0a000001" is the number
 *                      167772161); range-checked
 *   any size           "hex:" and exactly 2 * size hex digits, the bytes in
 *                      memory order ("hex:0a000001" is 0a 00 00 01)
 *   other sizes        also "0x" and exactly 2 * size hex digits, as hex:
 * On failure returns -EINVAL and a message in *error naming the size.
 */
int raw_text_parse(const char *text, void *out, size_t size, char **error);

/* The part of a map entry a text gives. */
typedef enum MapTextPart {
        MAP_TEXT_KEY,
        MAP_TEXT_VALUE,
} MapTextPart;

/*
 * A map's key or value ('part'; 'size' bytes, the map's key_size or
 * value_size) as text: through BTF when the map has a type for it (btf and
 * type_id non-zero: btf_text_parse()), else raw (raw_text_parse()), with
 * errors that name the part and the map's size ("70000 does not fit in the
 * map's 2-byte value (0..65535)"). btf_text_format() formats either back.
 */
int map_text_parse(const struct btf *btf, __u32 type_id, MapTextPart part, const char *text, void *out, size_t size,
                   char **error);

/* Formats a value; type_id 0 or btf NULL formats raw: an unsigned decimal for
 * sizes 1, 2, 4 and 8, else "hex:" and the bytes. Returns a new string. */
char *btf_text_format(const struct btf *btf, __u32 type_id, const void *data, size_t size);
