/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until the package commands land (issue 6). */
#include <stdio.h>

#include "l3afctl-package.h"

int verb_package(int argc, char **argv)
{
        fprintf(stderr, "l3afctl package: not built yet.\n");
        return 1;
}
