/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* l3afctl package build|verify: authoring and checking packages. See l3af-package(5). */
#pragma once

/* argv[0] is "package". Returns the process exit status. */
int verb_package(int argc, char **argv);
