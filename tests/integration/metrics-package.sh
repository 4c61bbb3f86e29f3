#!/bin/bash
# Issue 13: metrics declared in a signed package's manifest ([Metric NAME]
# with Program=) reach the program that runs from the package; one its
# drop-in declares under the same name wins. With Statistics= left off,
# GetStatistics says the kernel counts nothing for l3afd, and l3afctl gives
# no packet figure.
source "$(dirname "$0")/lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
REPO="$T/repo"
make_pki "$T/pki"
mkdir -p "$ROOT/etc/l3af/trust.d" "$REPO/counter/1.0.0"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\n' > "$ROOT/etc/l3af/l3afd.conf"
$PY "$L3AF_SOURCE/tests/package/make-package.py" "$REPO/counter/1.0.0/counter.tar.gz" metric counter 1.0.0 \
        "$SAMPLES/count.bpf.o" count
sign_openssl "$REPO/counter/1.0.0/counter.tar.gz" signer

plain_bus_start
ctl() { "$L3AFCTL" --address="$PLAIN_BUS" "$@"; }
veth_add l3t0 l3p0 0
program_dropin 10-counter count l3t0 10 "" "Package=counter
Version=1.0.0
Repository=file://$REPO

[Metric pkg_bytes]
Map=stats
Field=packets
Type=gauge
"
sed -i '/^Object=$/d' "$DROPINS/10-counter.conf"
program_dropin 30-sink sink l3t0 30 "$SAMPLES/sink.bpf.o"
daemon_start --bus-address="$PLAIN_BUS"
wait_log "Chain l3t0/xdp generation 1 is live"
send 500 5001
sleep 0.3

ctl --json stats l3t0 xdp > "$T/stats.json" || fail "l3afctl stats failed"
python3 - "$T/stats.json" <<'PY' || fail "unexpected statistics: $(cat "$T/stats.json")"
import json, sys
st = json.load(open(sys.argv[1]))[0]
def check(what, got, want):
    if got != want:
        raise SystemExit(f"{what}: got {got!r}, expected {want!r}")
    print(f"ok - {what} ({got!r})")
check("Statistics= off: the kernel counts nothing for l3afd", st["kernel_statistics"], False)
check("... and no packet figure is given", "packets" in st, False)
m = {x["name"]: x for x in st["programs"][0]["metrics"]}
check("the manifest's metric reaches the program", m["pkg_packets"]["value"], 500)
check("the drop-in's metric of the same name wins (its field and type)", (m["pkg_bytes"]["type"], m["pkg_bytes"]["value"]), ("gauge", 500))
PY
