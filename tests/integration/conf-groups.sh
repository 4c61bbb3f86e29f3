#!/bin/bash
# l3afd.conf is read as drop-ins and manifests are: a group l3afd does not know
# (a misspelled "[Package]" for "[Packages]", "[daemon]" for "[Daemon]") is
# warned about, naming the file and the group, instead of being ignored in
# silence; a warning stops nothing: the chain runs and counts real packets,
# and `l3afd --check` reports it and exits 0.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
CONF=$ROOT/etc/l3af/l3afd.conf
printf '[Daemon]\nWatchdogIntervalSec=200ms\n\n[daemon]\nLogLevel=debug\n\n[Package]\nFetchRetries=3\n' > "$CONF"
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"

out=$("$L3AFD" --root="$ROOT" --check 2>&1) || fail "--check exited $? for warnings only: $out"
for g in daemon Package; do
        echo "$out" | contains -F -- "$CONF: [$g] unknown group, ignored" ||
                fail "--check did not warn about [$g]: $out"
done
echo "ok - --check warns about each unknown group of l3afd.conf and exits 0"
echo "$out" | contains -F -- "[Daemon]" && fail "--check warned about the known group [Daemon]: $out"
echo "ok - the known groups are not warned about"

daemon_start
assert_contains "$T/daemon.log" "$CONF: [daemon] unknown group, ignored" "the daemon warns about [daemon]"
assert_contains "$T/daemon.log" "$CONF: [Package] unknown group, ignored" "the daemon warns about [Package]"

# Nothing is lost to a warning: the chain is live and sees real packets.
send 300 9000
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 300 "count saw every packet sent"
