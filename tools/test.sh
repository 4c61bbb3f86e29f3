#!/bin/bash
# Installs what the build and the tests need (Debian 12), builds, runs every suite.
# Usage: tools/test.sh [meson test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

"$(dirname "$0")/deps.sh"

if [ ! -f build/build.ninja ]; then
        meson setup build
fi
ninja -C build
exec meson test -C build --print-errorlogs "$@"
