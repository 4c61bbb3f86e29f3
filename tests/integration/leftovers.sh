#!/bin/bash
# Acceptance 7: nothing is left behind, even by a test that is SIGKILLed or
# fails: no process, no file outside the test's temp dir, no network
# interface, no bpffs, and no BPF program or link in the kernel. This test
# runs last and looks from the host, outside any sandbox.
set -euo pipefail
: "${L3AF_BUILD:?}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
unshare --mount --net --pid --fork --mount-proc true 2>/dev/null || { echo "SKIP: no namespaces here"; exit 77; }

HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
P=$(mktemp -d /tmp/l3af-leftovers.XXXXXXXX)
CHILD=
# A failed check must not leave the child test behind, blocked on its fifo.
trap '[ -n "$CHILD" ] && kill -KILL -- "$CHILD" $(pgrep -P "$CHILD") 2>/dev/null; rm -rf "$P"' EXIT

prog_alive() { bpftool prog show id "$1" >/dev/null 2>&1; }
host_state() {
        {
                ip -o link show | awk -F': ' '{print $2}' | sort
                ls /tmp /dev/shm | grep '^l3af-test\.' || true
                findmnt -rn -t bpf -o TARGET || true
                pgrep -f "^$L3AF_BUILD/src/l3afd/l3afd" || true
        } | tr '\n' ' '
}

# Waits until the kernel has freed the program the child attached. (By its
# id: other tests may be loading and freeing programs at the same time.)
wait_prog_gone() {
        for _ in $(seq 200); do
                prog_alive "$1" || return 0
                sleep 0.05
        done
        fail "the child's program $1 is still in the kernel"
}

run_child() {  # run_child MODE
        local mode=$1 before prog child ns_init i
        before=$(host_state)
        rm -f "$P/go"; mkfifo "$P/go"; exec 8<>"$P/go"
        bash "$HERE/helpers/child.sh" "$mode" > "$P/child.out" 2>&1 <&8 &
        child=$!
        CHILD=$child
        for i in $(seq 300); do grep -q READY "$P/child.out" && break; sleep 0.1; done
        grep -q READY "$P/child.out" || { cat "$P/child.out"; fail "the child test did not get ready"; }
        prog=$(sed -n 's/^READY [^ ]* \([0-9][0-9]*\)$/\1/p' "$P/child.out")
        [ -n "$prog" ] && prog_alive "$prog" || fail "the child attached no program (the check would be vacuous): $(cat "$P/child.out")"
        if [ "$mode" = kill ]; then
                ns_init=$(pgrep -P "$child" | sed -n 1p)
                kill -KILL "$ns_init"
        else
                echo go >&8  # let it fail now
        fi
        wait "$child" || true
        CHILD=
        exec 8>&-
        [ "$mode" = fail ] && ! grep -q "FAIL: a deliberately failing assertion" "$P/child.out" && fail "the child did not fail as planned"
        wait_prog_gone "$prog"
        [ "$(host_state)" = "$before" ] || fail "after a child run ($mode): host state changed
before: $before
after:  $(host_state)"
        echo "ok - a $mode'ed test leaves no process, file, interface, mount or BPF program"
}

run_child kill
run_child fail

# And the whole suite left nothing: no daemon from this build, no sandbox temp dir.
pgrep -f "^$L3AF_BUILD/src/l3afd/l3afd" && fail "an l3afd from this build is still running"
ls /tmp /dev/shm | grep -E '^l3af-(test|unit|conf|dropin|model|demo|bench)' && fail "temp dirs left in /tmp or /dev/shm"
echo "ok - no daemon and no temp dir remains after the suite"
