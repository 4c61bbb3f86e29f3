# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the test libraries. `producer | contains [GREP-OPTIONS] PATTERN`
# is `grep -q` that first reads all of its input. Under `set -o pipefail`,
# `producer | grep -q` fails at random: grep exits at the first match, and a
# producer still writing gets SIGPIPE, which pipefail reports as the
# pipeline's failure (seen with curl and the Prometheus text).
contains() {
        local input
        input=$(cat)
        grep -q "$@" <<<"$input"
}
