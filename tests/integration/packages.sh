#!/bin/bash
# Acceptance of issue 6 (packages): installs from file://, http:// and https://
# repositories served on loopback by this test, with real openssl and certtool
# signatures; every refusal keeps the previous generation running (program ids
# and real traffic checked) and leaves nothing half-extracted; a modified cache
# entry is detected; older versions are refused; the event loop answers during
# a slow download; insecure mode loads and journals.
source "$(dirname "$0")/lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
MKPKG="$PY $L3AF_SOURCE/tests/package/make-package.py"
SERVER="$L3AF_SOURCE/tests/package/repo-server.py"
CACHE="$ROOT/var/cache/l3af"
REPO="$T/repo"
OBJ="$SAMPLES/portdrop.bpf.o"

make_pki "$T/pki"
mkdir -p "$ROOT/etc/l3af/trust.d" "$REPO"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
cp "$T/pki/ca.pem" "$ROOT/etc/l3af/test-ca.pem"
cat > "$ROOT/etc/l3af/l3afd.conf" <<EOF2
[Packages]
TrustDirectory=/etc/l3af/trust.d
CAFile=/etc/l3af/test-ca.pem
FetchSizeMax=1M
ConnectTimeoutSec=2
StallTimeoutSec=2
FetchTimeoutSec=30
FetchRetries=1
ExtractEntriesMax=50
CacheKeepVersions=2
EOF2

# pkg KIND VERSION [SIGNER|none] [TOOL] [ARTIFACT] [MANIFEST-NAME] [MANIFEST-VERSION]
pkg() {
        local kind=$1 version=$2 signer=${3:-signer} tool=${4:-openssl} artifact=${5:-portdrop.tar.gz}
        local dir="$REPO/portdrop/$version"
        mkdir -p "$dir"
        $MKPKG "$dir/$artifact" "$kind" "${6:-portdrop}" "${7:-$version}" "$OBJ"
        [ "$signer" = none ] && return 0
        "sign_$tool" "$dir/$artifact" "$signer"
}

info "building packages"
pkg good 1.0.0 signer openssl
pkg zip 1.1.0 self certtool portdrop.zip
pkg good 1.2.0 signer certtool
pkg good 2.0.1 none
pkg good 2.0.2 rogue
pkg good 2.0.3 signer
echo tampered >> "$REPO/portdrop/2.0.3/portdrop.tar.gz"
pkg good 2.0.4 expired
pkg good 2.0.5 signer openssl portdrop.tar.gz portdrop 2.0.0
pkg good 2.0.6 signer openssl portdrop.tar.gz otherpkg 2.0.6
pkg dotdot 2.1.1
pkg absolute 2.1.2
pkg symlink 2.1.3
pkg device 2.1.4
pkg many 2.1.5
pkg bigfile 2.1.6
pkg hardlink-symlink 2.1.7
pkg good 2.2.0 future
pkg good 2.2.1 enc-only
pkg good 2.5.0 signer
# An L3AF artifact: no manifest; the drop-in supplies Entry= and NextMap=.
pkg nomanifest 3.0.0 signer

info "starting repository servers"
server() {  # server NAME [--cert C --key K]: sets NAME_PID and NAME_PORT
        local name=$1; shift
        rm -f "$T/$name.port"
        $PY "$SERVER" --root "$REPO" --port-file "$T/$name.port" --log "$T/$name.log" "$@" \
                >>"$T/$name.out" 2>&1 </dev/null &
        eval "${name}_PID=$!"
        for _ in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
        [ -s "$T/$name.port" ] || fail "server $name did not start: $(cat "$T/$name.out")"
        eval "${name}_PORT=$(cat "$T/$name.port")"
}
server http
server https --cert "$T/pki/server.pem" --key "$T/pki/server.key"
server rogue --cert "$T/pki/rogue-server.pem" --key "$T/pki/rogue-server.key"
HTTP_PORT=$http_PORT HTTPS_PORT=$https_PORT ROGUE_PORT=$rogue_PORT
HTTP="http://127.0.0.1:$HTTP_PORT"
HTTPS="https://127.0.0.1:$HTTPS_PORT"

veth_add l3t0 l3p0 0

program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"

pd() {  # pd VERSION REPOSITORY [extra lines...]
        local version=$1 repo=$2; shift 2
        { printf '[Program]\nName=portdrop\nInterface=l3t0\nHook=xdp\nPriority=20\nPackage=portdrop\n'
          printf 'Version=%s\nRepository=%s\n' "$version" "$repo"
          printf '%s\n' "$@"
          printf '\n[Map portdrop_config]\n0={port=7777, enabled=1}\n'; } > "$DROPINS/20-portdrop.conf"
}

assert_log() {  # assert_log REGEX WHAT
        grep -q -- "$1" "$T/daemon.log" || fail "$2: '$1' not in the daemon log"
        echo "ok - $2"
}

traffic_ok() {  # the chain passes and counts packets, and portdrop drops port 7777
        local what=$1 before dropped_before
        before=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)
        dropped_before=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1)
        send 50 5555
        send 20 7777
        assert_eq "$(( $("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0) - before ))" 70 "$what: traffic is counted"
        assert_eq "$(( $("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1) - dropped_before ))" 20 \
                "$what: portdrop drops port 7777"
}

nothing_half_extracted() {
        local debris
        debris=$(find "$CACHE" -name '.*.tmp-*' 2>/dev/null; find "$CACHE/tmp" -mindepth 1 2>/dev/null)
        [ -z "$debris" ] || fail "$1: debris left in the cache: $debris"
        # Where ../, absolute and symlinked entries would have landed.
        [ -z "$(find "$T" /tmp -maxdepth 6 -name 'escaped-*' 2>/dev/null)" ] || fail "$1: an entry escaped the package tree"
}

# refused VERSION REPOSITORY PATTERN WHAT [extra drop-in lines]: the reload
# refuses, the old generation runs on, traffic flows, no debris.
refused() {
        local version=$1 repo=$2 pattern=$3 what=$4; shift 4
        local before seen kept
        before=$(chain_ids l3t0)
        seen=$(log_count "$pattern")
        kept=$(log_count "Chain l3t0/xdp not changed")
        pd "$version" "$repo" "$@"
        daemon_reload
        wait_log "$pattern" $((seen + 1)) 1
        grep -- "$pattern" "$T/daemon.log" | tail -1 | sed 's/^/# /'
        assert_eq "$(log_count "Chain l3t0/xdp not changed")" $((kept + 1)) "$what: refused, the chain was not changed"
        assert_eq "$(chain_ids l3t0)" "$before" "$what: the previous generation keeps running"
        traffic_ok "$what"
        nothing_half_extracted "$what"
}

info "acceptance 1: file://"
pd 1.0.0 "file://$REPO"
daemon_start
assert_log "Package portdrop 1.0.0 for portdrop verified (fetched)" "file:// package verified"
assert_log "signed by CN=L3AF Test Signer" "openssl cms signature verified (DER)"
assert_eq "$(chain_ids l3t0 | wc -w)" 2 "count and the packaged portdrop run"
traffic_ok "file:// 1.0.0"
[ "$(cat "$ROOT/var/lib/l3af/packages/portdrop")" = 1.0.0 ] || fail "1.0.0 not recorded as run"

info "acceptance 1: http://, a zip signed by certtool with a self-signed certificate"
ids=$(chain_ids l3t0)
pd 1.1.0 "$HTTP/files" "Artifact=portdrop.zip"
daemon_reload
assert_log "Package portdrop 1.1.0 for portdrop verified (fetched).*Self-Signed" "http:// zip verified (certtool, PEM)"
assert_ne "$(chain_ids l3t0)" "$ids" "a new generation runs"
traffic_ok "http:// 1.1.0"

info "acceptance 1: https:// with the test CA"
ids=$(chain_ids l3t0)
pd 1.2.0 "$HTTPS/files"
daemon_reload
assert_log "Package portdrop 1.2.0 for portdrop verified (fetched)" "https:// package verified"
assert_ne "$(chain_ids l3t0)" "$ids" "a new generation runs"
traffic_ok "https:// 1.2.0"
[ "$(cat "$ROOT/var/lib/l3af/packages/portdrop")" = 1.2.0 ] || fail "1.2.0 not recorded as run"
LIVE=$(chain_ids l3t0)

info "a reload takes the package from the cache"
daemon_reload
assert_log "Package portdrop 1.2.0 for portdrop verified (cached)" "cached artifact used"
assert_eq "$(grep -c "GET /files/portdrop/1.2.0/portdrop.tar.gz$" "$T/https.log")" 1 "no second download"

info "acceptance 4: a cached artifact modified on disk is fetched again"
blob=$(grep -h SHA256= "$CACHE/index/portdrop/1.2.0/portdrop.tar.gz" | sed -n 1p | cut -d= -f2)
chmod u+w "$CACHE/artifacts/$blob"; echo garbage >> "$CACHE/artifacts/$blob"
daemon_reload
wait_log "cached artifact .* was modified on disk .*; fetching it again" 1 1
assert_eq "$(grep -c "GET /files/portdrop/1.2.0/portdrop.tar.gz$" "$T/https.log")" 2 "fetched again"
assert_eq "$(sha256sum < "$CACHE/artifacts/$blob" | cut -d' ' -f1)" "$blob" "the cache holds the right bytes again"
assert_eq "$(chain_ids l3t0)" "$LIVE" "nothing changed for the chain"

info "acceptance 4: ... and refused when offline"
kill "$https_PID"; wait "$https_PID" 2>/dev/null || true
chmod u+w "$CACHE/artifacts/$blob"; echo garbage >> "$CACHE/artifacts/$blob"
refused 1.2.0 "$HTTPS/files" "was modified on disk (its sha256 is not $blob), and fetching .* again failed" "modified cache, offline"
server https --cert "$T/pki/server.pem" --key "$T/pki/server.key"
HTTPS="https://127.0.0.1:$https_PORT"
pd 1.2.0 "$HTTPS/files"
daemon_reload
assert_eq "$(chain_ids l3t0)" "$LIVE" "1.2.0 back from the repository; the same generation runs"

info "acceptance 3: refusals"
refused 2.0.1 "file://$REPO" "package portdrop 2.0.1 refused: it is not signed" "unsigned"
refused 2.0.2 "file://$REPO" "refused: the signer CN=Rogue Signer.* is not trusted" "untrusted signer"
refused 2.0.3 "file://$REPO" "refused: the signature by CN=L3AF Test Signer.* does not match the artifact's bytes" "tampered archive"
refused 2.0.4 "file://$REPO" "refused: the signer's certificate (CN=L3AF Expired Signer.*) expired on 2020-01-01" "expired signer"
refused 2.2.0 "file://$REPO" "refused: the signer's certificate (CN=L3AF Future Signer.*) is not valid before 2099" "not yet valid signer"
refused 2.2.1 "file://$REPO" "refused: the signer's certificate (CN=L3AF Encryption-Only.*) does not allow digital signatures" "wrong key usage"
refused 2.0.5 "file://$REPO" "refused: its signed manifest names package 'portdrop' version '2.0.0', but the drop-in asks for 'portdrop' version '2.0.5'" "manifest version mismatch"
refused 2.0.6 "file://$REPO" "refused: its signed manifest names package 'otherpkg'" "manifest name mismatch"
refused 1.0.0 "file://$REPO" "refused: version 1.0.0 is older than 1.2.0, which already ran on this host" "older version"
refused 1.2.0 "https://127.0.0.1:$ROGUE_PORT/files" "cannot fetch https://127.0.0.1:$ROGUE_PORT/files/portdrop/1.2.0/portdrop.tar.gz: TLS: " "untrusted server certificate"
refused 9.9.9 "$HTTP/404" "cannot fetch $HTTP/404/portdrop/9.9.9/portdrop.tar.gz: the server answered HTTP 404" "404"
refused 9.9.9 "$HTTP/500" "the server answered HTTP 500 (after 2 attempts)" "500"
assert_eq "$(grep -c "GET /500/portdrop/9.9.9/portdrop.tar.gz$" "$T/http.log")" 2 "500: one retry (FetchRetries=1)"
refused 2.5.0 "$HTTP/truncate" "refused: cannot fetch .*the body was cut short) (after 2 attempts)" "truncated body"
start=$(date +%s)
refused 2.5.0 "$HTTP/stall" "refused: cannot fetch .*the server stalled: no data for 2.0 s (StallTimeoutSec=) after 16 bytes (after 2 attempts)" "stalling server"
assert_eq "$(( $(date +%s) - start < 15 ))" 1 "the stall was given up within the timeouts"
refused 2.1.6 "$HTTP/files" "refused: cannot fetch .*larger than 1048576 bytes (FetchSizeMax=)" "over the size limit (Content-Length)"
refused 2.1.6 "$HTTP/nolength" "refused: cannot fetch .*larger than 1048576 bytes (FetchSizeMax=)" "over the size limit (streamed)"
refused 2.1.1 "file://$REPO" "unsafe or broken archive portdrop.tar.gz: entry 'sub/../../escaped-dotdot': '..' is not allowed" "../ path"
refused 2.1.2 "file://$REPO" "unsafe or broken archive portdrop.tar.gz: entry '/tmp/escaped-absolute': absolute paths are not allowed" "absolute path"
refused 2.1.3 "file://$REPO" "entry 'link': symbolic link to '../../../escaped-symlink' leaves the package" "symlink escaping the tree"
refused 2.1.7 "file://$REPO" "entry 'outer': hard link to 'a/inner', which is not a file" "hard link to an inner symlink"
refused 2.1.4 "file://$REPO" "entry 'null': is a character device" "device node"
refused 2.1.5 "file://$REPO" "more than 50 entries (ExtractEntriesMax=)" "too many entries"

info "AllowDowngrade=yes runs an older version"
pd 1.0.0 "file://$REPO" "AllowDowngrade=yes"
daemon_reload
assert_ne "$(chain_ids l3t0)" "$LIVE" "1.0.0 runs again"
traffic_ok "downgraded 1.0.0"
assert_eq "$(cat "$ROOT/var/lib/l3af/packages/portdrop")" 1.2.0 "the highest version that ran is still 1.2.0"

info "an L3AF artifact without manifest, with Entry= and NextMap= in the drop-in"
pd 3.0.0 "file://$REPO"
daemon_reload
wait_log "it has no l3af-package.conf, so the drop-in must name Entry=" 1 1
pd 3.0.0 "file://$REPO" "Entry=portdrop" "NextMap=l3af_next"
daemon_reload
assert_log "Package portdrop 3.0.0 for portdrop verified" "manifest-less package verified"
traffic_ok "manifest-less 3.0.0"

info "acceptance 5: the event loop answers during a slow download"
LIVE=$(chain_ids l3t0)
rm -rf "$CACHE"
pd 1.2.0 "$HTTP/slow" "AllowDowngrade=yes"
n=$(log_count "Reloading drop-ins")
done_before=$(log_count "Reload done")
fetched_before=$(log_count "Package portdrop 1.2.0 for portdrop verified (fetched)")
kill -HUP "$DAEMON_PID"
for _ in $(seq 100); do grep -q "GET /slow/portdrop/1.2.0/portdrop.tar.gz$" "$T/http.log" && break; sleep 0.05; done
grep -q "GET /slow/portdrop/1.2.0/portdrop.tar.gz$" "$T/http.log" || fail "the slow download did not start"
t0=$(date +%s%N)
kill -HUP "$DAEMON_PID"   # handled on the loop while the worker downloads
wait_log "Reloading drop-ins" $((n + 2)) 5
latency_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q "SLOW-DONE /slow/portdrop/1.2.0/portdrop.tar.gz" "$T/http.log" && fail "the download ended before the loop answered"
echo "ok - the loop handled SIGHUP after ${latency_ms} ms, while the download was still running"
assert_eq "$(( latency_ms < 1000 ))" 1 "the loop answered within a second"
wait_log "Reload done" $((done_before + 2)) 20   # the slow reload, then the one coalesced behind it
assert_eq "$(log_count "Package portdrop 1.2.0 for portdrop verified (fetched)")" $((fetched_before + 1)) "the slow download completed"
assert_ne "$(chain_ids l3t0)" "$LIVE" "1.2.0 went live after the slow download"

info "cache garbage collection keeps CacheKeepVersions=2 versions"
for v in 1.0.0 1.1.0 1.2.0; do
        if [ $v = 1.1.0 ]; then pd $v "file://$REPO" "AllowDowngrade=yes" "Artifact=portdrop.zip"; else pd $v "file://$REPO" "AllowDowngrade=yes"; fi
        daemon_reload
        sleep 1.1   # distinct mtimes
done
assert_eq "$(ls "$CACHE/index/portdrop" | sort | tr '\n' ' ')" "1.1.0 1.2.0 " "two versions stay in the index"
assert_eq "$(ls "$CACHE/trees" | wc -l)" 2 "two extracted trees stay"

info "insecure mode: RequireSignatures=no is explicit and journaled at every load"
daemon_stop
printf '[Daemon]\nRequireSignatures=no\n' >> "$ROOT/etc/l3af/l3afd.conf"
pd 2.0.1 "file://$REPO" "AllowDowngrade=yes"
daemon_start
assert_log "INSECURE: package portdrop 2.0.1 for portdrop is loaded with RequireSignatures=no (no valid signature)" "insecure load journaled"
traffic_ok "insecure 2.0.1"
daemon_reload
assert_eq "$(log_count "INSECURE: package portdrop 2.0.1")" 2 "journaled again at the next load"

echo "all package acceptance checks passed"
