#!/bin/bash
# Installs what the build and the tests need (Debian 12), builds, runs every
# suite, then runs them again on a sanitizer build (tools/sanitizers.sh).
# Usage: tools/test.sh [meson test arguments...]   (with arguments: those tests only,
# no sanitizer pass; L3AF_NO_SANITIZERS=1 skips it too)
set -euo pipefail
cd "$(dirname "$0")/.."

"$(dirname "$0")/deps.sh"

if [ ! -f build/build.ninja ]; then
        meson setup build
fi
ninja -C build
rc=0
meson test -C build --print-errorlogs "$@" || rc=$?
if [ $# -eq 0 ] && [ -z "${L3AF_NO_SANITIZERS:-}" ]; then
        tools/sanitizers.sh || rc=1
fi
exit $rc
