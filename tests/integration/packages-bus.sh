#!/bin/bash
# Issue 6 over org.l3af.Chain1: the D-Bus loop answers calls while a slow
# package download runs in the reconcile worker (acceptance 5); the signer's
# subject, package and version are shown per program in the D-Bus chain view
# and by l3afctl; the Mode property tells secure from insecure mode.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
REPO="$T/repo"
make_pki "$T/pki"
mkdir -p "$ROOT/etc/l3af/trust.d"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\n' > "$ROOT/etc/l3af/l3afd.conf"
for v in 1.0.0 1.1.0; do
        mkdir -p "$REPO/portdrop/$v"
        $PY "$L3AF_SOURCE/tests/package/make-package.py" "$REPO/portdrop/$v/portdrop.tar.gz" good portdrop $v \
                "$SAMPLES/portdrop.bpf.o"
        sign_openssl "$REPO/portdrop/$v/portdrop.tar.gz" signer
done
$PY "$L3AF_SOURCE/tests/package/repo-server.py" --root "$REPO" --port-file "$T/http.port" --log "$T/http.log" \
        --slow 5 >"$T/http.out" 2>&1 </dev/null &
for _ in $(seq 100); do [ -s "$T/http.port" ] && break; sleep 0.05; done
HTTP="http://127.0.0.1:$(cat "$T/http.port")"

pd() {  # pd VERSION REPOSITORY
        printf '[Program]\nName=portdrop\nInterface=l3t0\nHook=xdp\nPackage=portdrop\nVersion=%s\nRepository=%s\n' \
                "$1" "$2" > "$DROPINS/20-portdrop.conf"
}
ctl() { "$L3AFCTL" --no-ask-password "$@"; }

bus_setup
veth_add l3t0 l3p0 0
pd 1.0.0 "file://$REPO"
bus_daemon_start

assert_eq "$(busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Mode)" 's "secure"' \
        "Mode is secure by default"
ctl --json show l3t0 xdp > "$T/show.json"
assert_eq "$($PY -c 'import json,sys; p=json.load(open(sys.argv[1]))[0]["programs"][0]; print(p["package"], p["version"], p["signer"])' "$T/show.json")" \
        "portdrop 1.0.0 CN=L3AF Test Signer,O=L3AF TEST ONLY" "the D-Bus chain view shows package, version and signer"
ctl show l3t0 xdp | contains "CN=L3AF Test Signer" || fail "l3afctl show does not show the signer: $(ctl show l3t0 xdp)"
echo "ok - l3afctl show shows the signer"

info "acceptance 5: the D-Bus loop answers during a slow download"
pd 1.1.0 "$HTTP/slow"
kill -HUP "$DAEMON_PID"
for _ in $(seq 200); do grep -q "GET /slow/portdrop/1.1.0/portdrop.tar.gz$" "$T/http.log" && break; sleep 0.02; done
grep -q "GET /slow/portdrop/1.1.0/portdrop.tar.gz$" "$T/http.log" || fail "the slow download did not start"
worst=0
for i in $(seq 10); do
        t0=$(date +%s%N)
        busctl --system call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains >/dev/null \
                || fail "ListChains failed during the download"
        ctl status >/dev/null || fail "l3afctl status failed during the download"
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        [ "$ms" -gt "$worst" ] && worst=$ms
        sleep 0.1
done
grep -q "SLOW-DONE /slow/portdrop/1.1.0" "$T/http.log" && fail "the download ended before the calls were made"
echo "ok - 20 D-Bus calls answered while the download ran (slowest pair: ${worst} ms)"
assert_eq "$(( worst < 1000 ))" 1 "every call answered within a second"
wait_log "Package portdrop 1.1.0 for portdrop verified (fetched)" 1 30
wait_log "Reload done" 1 30
for _ in $(seq 100); do ctl --json show l3t0 xdp | contains '"1.1.0"' && break; sleep 0.05; done
ctl --json show l3t0 xdp | contains '"version": *"1.1.0"' || fail "the chain view does not show 1.1.0: $(ctl --json show l3t0 xdp)"
echo "ok - after the download, the chain view shows 1.1.0"

info "insecure mode is visible in the Mode property"
daemon_stop
printf '[Daemon]\nRequireSignatures=no\n' >> "$ROOT/etc/l3af/l3afd.conf"
bus_daemon_start
assert_eq "$(busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Mode)" 's "insecure"' \
        "Mode is insecure with RequireSignatures=no"
ctl status | contains -i "insecure" || fail "l3afctl status does not say insecure: $(ctl status)"
echo "ok - l3afctl status says insecure"
