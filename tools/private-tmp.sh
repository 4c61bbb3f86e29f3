# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced inside a private mount namespace (tests, demo, benchmarks): mounts a
# private tmpfs for the run's files, so that even a SIGKILLed run leaves
# nothing on the host, and sets TMPDIR to it. It goes over /tmp unless the
# source or build tree lives under /tmp (a checkout there must stay visible),
# then over /dev/shm. Paths stay short: unix socket paths allow 108 bytes.
#   private_tmp SOURCE_DIR BUILD_DIR    (sets PRIVATE_TMP)
private_tmp() {
        local src build dir
        src=$(realpath -m "$1")/
        build=$(realpath -m "$2")/
        for dir in /tmp /dev/shm; do
                case $src in "$dir"/*) continue ;; esac
                case $build in "$dir"/*) continue ;; esac
                [ -d "$dir" ] || continue
                mount -t tmpfs -o mode=1777 l3af-private "$dir" || continue
                PRIVATE_TMP=$dir
                export TMPDIR=$dir
                return 0
        done
        echo "No place for a private tmpfs (the tree lives under both /tmp and /dev/shm?)" >&2
        return 1
}
