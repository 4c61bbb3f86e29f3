/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "chain-id.h"

int chain_id_init(ChainId *ret, const char *ifname, Hook hook)
{
        size_t n = ifname ? strlen(ifname) : 0;

        if (n == 0 || n >= IF_NAMESIZE || !hook_to_string(hook))
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->ifname, ifname, n);
        ret->hook = hook;
        return 0;
}

guint chain_id_hash(gconstpointer p)
{
        const ChainId *id = p;

        return g_str_hash(id->ifname) * 31 + (guint) id->hook;
}

gboolean chain_id_equal(gconstpointer a, gconstpointer b)
{
        const ChainId *x = a, *y = b;

        return x->hook == y->hook && strcmp(x->ifname, y->ifname) == 0;
}

int chain_id_compare(const ChainId *a, const ChainId *b)
{
        char x[CHAIN_ID_STRING_MAX], y[CHAIN_ID_STRING_MAX];

        return strcmp(chain_id_to_string(a, x), chain_id_to_string(b, y));
}

int chain_id_ptr_compare(const void *a, const void *b)
{
        return chain_id_compare(*(const ChainId *const *) a, *(const ChainId *const *) b);
}

const char *chain_id_to_string(const ChainId *id, char buf[static CHAIN_ID_STRING_MAX])
{
        snprintf(buf, CHAIN_ID_STRING_MAX, "%s/%s", id->ifname, hook_to_string(id->hook) ?: "?");
        return buf;
}
