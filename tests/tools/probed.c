/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* probed N: calls l3af_probed() N times, for the uprobe tests. */
#include <stdlib.h>

volatile unsigned long l3af_probed_sum;

__attribute__((noinline, used)) void l3af_probed(unsigned long i)
{
        l3af_probed_sum += i;
        __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
        unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;

        for (unsigned long i = 0; i < n; i++)
                l3af_probed(i);
        return 0;
}
