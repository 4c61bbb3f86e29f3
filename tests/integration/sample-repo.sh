#!/bin/bash
# The demo's bundled sample repository (built by tools/make-sample-repo.sh,
# signed with a test key made at build time) installs a chain of packaged
# samples that passes real traffic, when its test certificate is trusted;
# with the default (empty) trust directory it is refused.
source "$(dirname "$0")/lib.sh"

SR="$L3AF_BUILD/tools/sample-repo"
[ -f "$SR/trust/l3af-demo-TEST-ONLY.pem" ] || fail "no sample repository in $SR"
veth_add l3t0 l3p0 0
pkg_dropin() {  # NAME PRIORITY VERSION [extra]
        printf '[Program]\nName=%s\nInterface=l3t0\nHook=xdp\nPriority=%s\nPackage=%s\nVersion=%s\nRepository=file://%s/repo\n%s' \
                "$1" "$2" "$1" "$3" "$SR" "${4:-}" > "$DROPINS/$2-$1.conf"
}
pkg_dropin count 10 1.0.0
pkg_dropin portdrop 20 1.1.0 $'\n[Map portdrop_config]\n0={port=7777, enabled=1}\n'
pkg_dropin sink 30 1.0.0

daemon_start
assert_contains "$T/daemon.log" "refused: cannot read the trust directory" "not trusted by default (no trust directory): refused"
assert_eq "$(chain_ids l3t0 | wc -w)" 0 "no chain"
daemon_stop

mkdir -p "$ROOT/etc/l3af/trust.d"
cp "$SR/trust/l3af-demo-TEST-ONLY.pem" "$ROOT/etc/l3af/trust.d/"
daemon_start
assert_eq "$(log_count "signed by CN=l3afd demo packages TEST-ONLY signer")" 3 "three sample packages verified"
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "count -> portdrop -> sink from packages"
send 200 5555
send 100 7777
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 300 "count saw every packet"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1)" 100 "portdrop dropped port 7777"
