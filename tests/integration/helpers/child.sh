#!/bin/bash
# A test that sets up everything a real one does (veths, bpffs, a daemon with
# a chain) and then either waits to be killed or fails an assertion.
# Used by leftovers.sh.
source "$(dirname "$0")/../lib.sh"

veth_add l3t0 l3p0 0
printf '[Program]\nName=c\nInterface=l3t0\nHook=xdp\nObject=%s\n' "$SAMPLES/count.bpf.o" > "$DROPINS/c.conf"
daemon_start
GEN=$(send_bg 5555 1000 "$T/sent")
# The program the kernel runs at l3t0's XDP hook (our root, or the head
# instance): leftovers.sh checks that this very program leaves the kernel.
PROG=$(ip -j link show l3t0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
echo "READY $T $PROG"
case "${1:-}" in
fail) read -r _; assert_eq 1 2 "a deliberately failing assertion" ;;
*) sleep 600 ;;
esac
