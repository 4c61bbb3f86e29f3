#!/bin/sh
# Runs one unit test with a private TMPDIR that is removed afterwards, even
# when the test aborts on a failed assertion.
dir=$(mktemp -d "${TMPDIR:-/tmp}/l3af-unit.XXXXXXXX") || exit 1
TMPDIR=$dir "$@"
rc=$?
rm -rf "$dir"
exit $rc
