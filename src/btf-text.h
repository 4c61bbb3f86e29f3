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

/* Without BTF: an unsigned integer when size is 1, 2, 4 or 8 (host order),
 * else hex bytes "0x0011aabb..." of exactly 'size' bytes. */
int raw_text_parse(const char *text, void *out, size_t size, char **error);

/* Formats a value; type_id 0 or btf NULL formats raw. Returns a new string. */
char *btf_text_format(const struct btf *btf, __u32 type_id, const void *data, size_t size);
