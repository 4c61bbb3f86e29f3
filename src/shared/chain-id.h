/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A chain's identity: the interface, by name as the drop-ins give it, and the
 * hook. The core passes it as this value (hash table keys included); the text
 * "IFACE/HOOK" is made only at the edges: the journal's messages, bus replies
 * and problem texts.
 */
#pragma once

#include <glib.h>
#include <net/if.h>
#include <stdbool.h>

#include "hook.h"

typedef struct ChainId {
        char ifname[IF_NAMESIZE];  /* at most IF_NAMESIZE - 1 bytes (netdevice(7)), NUL-terminated */
        Hook hook;
} ChainId;

/* Room for "IFACE/HOOK" with its NUL, whatever the hook. */
#define CHAIN_ID_STRING_MAX (IF_NAMESIZE + 1 + 16)

/*
 * Makes the identity of the chain on (ifname, hook). Returns 0, or -EINVAL
 * when ifname is NULL, empty or IF_NAMESIZE bytes or longer, or the hook is
 * not one; *ret is written only on success.
 */
int chain_id_init(ChainId *ret, const char *ifname, Hook hook);

/* For GHashTable (keys are const ChainId*): hash and equality over both fields. */
guint chain_id_hash(gconstpointer id);
gboolean chain_id_equal(gconstpointer a, gconstpointer b);

/*
 * The order of the identities' texts, "IFACE/HOOK" compared byte by byte
 * (strcmp(3)): chains are applied and listed in this order. <0, 0, >0.
 */
int chain_id_compare(const ChainId *a, const ChainId *b);
/* The same over pointers to const ChainId* (g_ptr_array_sort, qsort of pointers). */
int chain_id_ptr_compare(const void *a, const void *b);

/* Writes "IFACE/HOOK" into buf (CHAIN_ID_STRING_MAX bytes) and returns buf. */
const char *chain_id_to_string(const ChainId *id, char buf[static CHAIN_ID_STRING_MAX]);
/* The same into a compound literal, which lives as long as the enclosing block (for log arguments). */
#define CHAIN_ID_TO_STRING(id) chain_id_to_string((id), (char[CHAIN_ID_STRING_MAX]) {})
/* The same for a struct whose identity is its member 'id' (Chain, ChainSpec). */
#define CHAIN_TEXT(x) CHAIN_ID_TO_STRING(&(x)->id)
