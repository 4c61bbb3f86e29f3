/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keys of a package's manifest, l3af-package.conf (l3af-package(5)), as a table of
 * conf-parser.h beside the structs it fills (manifest.h). To add a key: add its field
 * to Manifest or ManifestProgram, a row here, and its paragraph in
 * man/l3af-package.5.scd (test-conf-keys checks that).
 */
#include <stddef.h>

#include "conf-parser.h"
#include "manifest.h"
#include "pin-path.h"
#include "semver.h"

static const ConfCheck package_name_check = { package_name_is_valid, "'%s' is not a valid package name" };
static const ConfCheck semver_check = { semver_is_valid, "'%s' is not a semantic version (MAJOR.MINOR.PATCH)" };
static const ConfCheck package_path_check = { package_path_is_valid, "'%s' is not a relative path inside the package" };
static const ConfCheck entry_check = { manifest_entry_is_valid, "'%s' is not a program name" };
static const ConfCheck type_check = { program_type_is_valid, "unknown type '%s' (xdp, tc, sched_cls or tcx)" };
static const ConfCheck manifest_map_check = { map_name_is_valid, "'%s' is not a map name" };
static const ConfList config_maps_list = { { map_name_is_valid, "'%s' is not a map name (or too many)" }, 64 };

#define M(field) offsetof(Manifest, field)
#define MP(field) offsetof(ManifestProgram, field)

const ConfKey manifest_conf_keys[] = {
        /* [Package] of l3af-package.conf */
        { "Name", CONF_MANIFEST_PACKAGE, config_parse_string, &package_name_check, M(name), 0, "missing",
          "the package's name" },
        { "Version", CONF_MANIFEST_PACKAGE, config_parse_string, &semver_check, M(version), 0, "missing",
          "the package's version" },
        { "Description", CONF_MANIFEST_PACKAGE, config_parse_string, NULL, M(description), 0, NULL, "free text" },
        { "License", CONF_MANIFEST_PACKAGE, config_parse_string, NULL, M(license), 0, NULL, "free text" },
        { "Companion", CONF_MANIFEST_PACKAGE, config_parse_string, &package_path_check, M(companion), 0, NULL,
          "a user-space binary in the package" },

        /* [Program NAME] of l3af-package.conf */
        { "Object", CONF_MANIFEST_PROGRAM, config_parse_string, &package_path_check, MP(object), 0, "missing",
          "the BPF object in the package" },
        { "Entry", CONF_MANIFEST_PROGRAM, config_parse_string, &entry_check, MP(entry), 0, NULL,
          "the program in the object" },
        { "Type", CONF_MANIFEST_PROGRAM, config_parse_string, &type_check, MP(type), 0, NULL,
          "xdp, tc, sched_cls or tcx" },
        { "NextMap", CONF_MANIFEST_PROGRAM, config_parse_string, &manifest_map_check, MP(next_map), 0, NULL,
          "the program's next program array" },
        { "ConfigMaps", CONF_MANIFEST_PROGRAM, config_parse_strv, &config_maps_list, MP(config_maps), 0, NULL,
          "maps that hold configuration" },
        {}
};
