/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* l3afctl import-l3af: L3AF's JSON configuration as drop-ins. See l3afctl(1). */
#pragma once

/* argv[0] is "import-l3af". Returns the process exit status. */
int verb_import_l3af(int argc, char **argv);
