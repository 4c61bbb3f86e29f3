/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * l3afctl: the command-line client. This is the minimal dispatcher of the
 * packages branch; the full client (D-Bus verbs) replaces it.
 */
#include <stdio.h>

#include "l3afctl-package.h"
#include "util.h"

static void help(void)
{
        printf("l3afctl [OPTIONS...] COMMAND ...\n\n"
               "Controls l3afd, the eBPF chain daemon.\n\n"
               "Commands:\n"
               "  package build DIR       Check a package directory and pack it\n"
               "  package verify FILE     Verify a package's signature and contents\n\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n\n"
               "See l3afctl(1) and l3af-package(5).\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                help();
                return 2;
        }
        if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
                help();
                return 0;
        }
        if (streq(argv[1], "--version")) {
                printf("l3afctl %s\n", L3AF_VERSION);
                return 0;
        }
        if (streq(argv[1], "package"))
                return verb_package(argc - 1, argv + 1);
        fprintf(stderr, "Unknown command '%s'. See --help.\n", argv[1]);
        return 2;
}
