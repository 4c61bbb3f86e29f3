#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a libFuzzer harness for a bounded time on a copy of its seed corpus.
#   run-fuzzer.sh FUZZER SEED_DIR SECONDS
# A crash (or leak, or sanitizer report) fails the test; the input is kept
# in <build>/fuzz-artifacts/ for reproduction.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d /tmp/l3af-fuzz.XXXXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
export TMPDIR=$work
if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/log" 2>&1; then
        tail -n 60 "$work/log"
        keep="$(dirname "$fuzzer")/fuzz-artifacts"
        mkdir -p "$keep"
        cp "$work/artifacts"/* "$keep/" 2>/dev/null || true
        echo "FAIL: $(basename "$fuzzer") crashed; the input is in $keep"
        exit 1
fi
grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/log" || true
echo "$(basename "$fuzzer"): no crash in ${seconds}s"
