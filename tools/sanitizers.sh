#!/bin/bash
# Builds l3afd, l3afctl and the test tools with AddressSanitizer (leaks
# included) and UndefinedBehaviorSanitizer in build-asan, and runs the suites
# again against that build. A sanitizer report from any process, even one
# whose exit status no test looks at (a daemon stopped at a test's end),
# fails the run. The two long stress suites and the fuzzers are left out, and
# the system tests, which run a --prefix=/usr build installed in a container,
# never this build's binaries.
# Usage: tools/sanitizers.sh   (run by tools/test.sh; needs root like the suites)
set -euo pipefail
cd "$(dirname "$0")/.."

B=build-asan
[ -f "$B/build.ninja" ] || meson setup "$B" -Db_sanitize=address,undefined -Db_lundef=false
ninja -C "$B"

reports=$PWD/$B/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"

mapfile -t tests < <(meson test -C "$B" --list 2>/dev/null | sed 's|.* / ||' |
                     grep -vxE 'atomicity|nofalse|fuzz-.*|system-.*')
rc=0
meson test -C "$B" --print-errorlogs "${tests[@]}" || rc=$?
if compgen -G "$reports/*" >/dev/null; then
        echo "Sanitizer reports:"
        for f in "$reports"/*; do echo "== $f"; cat "$f"; done
        rc=1
fi
exit $rc
