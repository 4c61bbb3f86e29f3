/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "plan.h"
#include "util.h"

void chain_plan(const char *const *cur, size_t ncur, const char *const *want, size_t nwant, ChainPlan *ret)
{
        size_t k = 0;

        while (k < ncur && k < nwant && streq(cur[ncur - 1 - k], want[nwant - 1 - k]))
                k++;

        *ret = (ChainPlan) {
                .shared = k,
                .create = nwant - k,
                .release = ncur - k,
                .noop = k == ncur && k == nwant,
        };
}

bool chain_plan_splice(const char *const *cur, size_t ncur, const char *const *want, size_t nwant,
                       ChainSplice *ret)
{
        size_t head = 0, tail = 0, shorter = ncur < nwant ? ncur : nwant;

        /* The common head, then the common tail within what is left of the shorter list. */
        while (head < shorter && streq(cur[head], want[head]))
                head++;
        while (tail < shorter - head && streq(cur[ncur - 1 - tail], want[nwant - 1 - tail]))
                tail++;

        if (nwant == ncur + 1 && head + tail == ncur)
                *ret = (ChainSplice) { .kind = SPLICE_INSERT, .at = head };
        else if (ncur == nwant + 1 && head + tail == nwant)
                *ret = (ChainSplice) { .kind = SPLICE_REMOVE, .at = head };
        else if (ncur == nwant && ncur > 0 && head + tail == ncur - 1)
                *ret = (ChainSplice) { .kind = SPLICE_REPLACE, .at = head };
        else
                return false;
        return true;
}

static const char *const splice_kinds[_SPLICE_KIND_MAX] = {
        [SPLICE_INSERT] = "insert",
        [SPLICE_REMOVE] = "remove",
        [SPLICE_REPLACE] = "replace",
};

const char *splice_kind_to_string(SpliceKind k)
{
        return k >= 0 && k < _SPLICE_KIND_MAX ? splice_kinds[k] : NULL;
}
