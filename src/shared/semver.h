/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Semantic versions (semver.org 2.0): MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
 * Package versions are ordered by semver precedence; build metadata is
 * ignored when comparing.
 */
#pragma once

#include <stdbool.h>

#define SEMVER_LENGTH_MAX 31   /* fits l3af_meta.version */

bool semver_is_valid(const char *s);

/* <0, 0, >0 as a is older than, as old as, newer than b. Both must be valid. */
int semver_compare(const char *a, const char *b);
