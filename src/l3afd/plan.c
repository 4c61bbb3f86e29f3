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
