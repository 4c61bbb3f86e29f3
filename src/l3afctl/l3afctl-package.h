/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* l3afctl package build|verify: authoring and checking packages. See l3af-package(5). */
#pragma once

#include "dropin.h"

typedef struct PackageMirrorOptions {
        PackageLayout layout;   /* of the source, kept in the mirror */
        const char *codename;   /* l3af layout; NULL: the host's (os-release) */
        const char *artifact;   /* NULL: the layout's default file name */
        const char *ca_file;    /* for https; NULL: the system's store */
        const char *cert, *key; /* sign with these, or NULL: leave it unsigned */
} PackageMirrorOptions;

/* argv[0] is "package". Returns the process exit status. */
int verb_package(int argc, char **argv);

/*
 * l3afctl package sign: writes the detached signature of 'file' to 'output'
 * (default FILE.p7s). Returns the process exit status.
 */
int package_sign_file(const char *file, const char *output, const char *cert, const char *key);

/*
 * l3afctl package mirror: fetches <source>/<name>/<version>/[<codename>/]<artifact>,
 * checks that it unpacks safely, and writes it at the same path under 'dest'
 * (a directory, served as the private repository), signed when o->cert is
 * given. Nothing appears under its real name unless all of that succeeded.
 * Returns the process exit status.
 */
int package_mirror(const char *source, const char *name, const char *version, const char *dest,
                   const PackageMirrorOptions *o);
