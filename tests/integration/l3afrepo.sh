#!/bin/bash
# Issue 10, item 6: an L3AF repository as it is, served over http on loopback:
# <repo>/<name>/<version>/<codename>/l3af_<name>.tar.gz, unsigned, a folder
# l3af_<name>/ inside and no manifest. Secure mode refuses it (the chain keeps
# what it ran); insecure mode loads it and journals the load; after
# `l3afctl package mirror` into a private repository and `l3afctl package
# sign` with a key the trust directory vouches for, secure mode loads it,
# while a signature by an untrusted key is still refused. Real packets check
# every step.
source "$(dirname "$0")/lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
MKPKG="$PY $L3AF_SOURCE/tests/package/make-package.py"
SERVER="$L3AF_SOURCE/tests/package/repo-server.py"
PUBLIC="$T/public"      # the L3AF repository, as published
PRIVATE="$T/private"    # the administrator's own
OBJ="$SAMPLES/portdrop.bpf.o"
INSECURE_ID=8904e4396a6c4de0ab63a92b7b342a84   # L3AF_MSG_PACKAGE_INSECURE

# The codename L3AF would pick here; a host without one gets it from l3afd.conf.
CODENAME=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")
CONF_CODENAME=
[ -n "$CODENAME" ] || { CODENAME=testcodename; CONF_CODENAME="Codename=$CODENAME"; }

make_pki "$T/pki"
mkdir -p "$ROOT/etc/l3af/trust.d" "$PUBLIC" "$PRIVATE"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
secure_conf() {
        printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\nConnectTimeoutSec=2\nFetchRetries=0\n%s\n' \
                "$CONF_CODENAME" > "$ROOT/etc/l3af/l3afd.conf"
}
secure_conf

info "an L3AF repository: $PUBLIC/portfilter/1.0.0/$CODENAME/l3af_portfilter.tar.gz, unsigned"
mkdir -p "$PUBLIC/portfilter/1.0.0/$CODENAME"
$MKPKG "$PUBLIC/portfilter/1.0.0/$CODENAME/l3af_portfilter.tar.gz" l3af portfilter 1.0.0 "$OBJ"
$PY "$SERVER" --root "$PUBLIC" --port-file "$T/http.port" --log "$T/http.log" >>"$T/http.out" 2>&1 </dev/null &
for _ in $(seq 100); do [ -s "$T/http.port" ] && break; sleep 0.05; done
[ -s "$T/http.port" ] || fail "the repository server did not start: $(cat "$T/http.out")"
HTTP="http://127.0.0.1:$(cat "$T/http.port")/files"
ARTIFACT_PATH="/files/portfilter/1.0.0/$CODENAME/l3af_portfilter.tar.gz"

journal_start
export L3AF_LOG_TARGET=console+journal
veth_add l3t0 l3p0 0
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"

pf() {  # pf REPOSITORY [extra lines]: the drop-in an L3AF user writes for this package
        local repo=$1; shift
        { printf '[Program]\nName=portdrop\nInterface=l3t0\nHook=xdp\nPriority=20\nPackage=portfilter\n'
          printf 'Version=1.0.0\nRepository=%s\nRepositoryLayout=l3af\nEntry=portdrop\nNextMap=l3af_next\n' "$repo"
          printf '%s\n' "$@"
          printf '\n[Map portdrop_config]\n0={port=7777, enabled=1}\n'; } > "$DROPINS/20-portdrop.conf"
}

assert_log() {  # assert_log REGEX WHAT
        grep -q -- "$1" "$T/daemon.log" || fail "$2: '$1' not in the daemon log"
        echo "ok - $2"
}

traffic() {  # traffic WHAT COUNTED DROPPED: 50 packets to 5555 and 20 to 7777
        local what=$1 c0 d0=0 dmaps
        dmaps=$(prog_maps l3t0 xdp portdrop)
        c0=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)
        [ -e "$dmaps/portdrop_stats" ] && d0=$("$TESTTOOL" sum "$dmaps/portdrop_stats" 1)
        send 50 5555
        send 20 7777
        assert_eq "$(( $("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0) - c0 ))" "$2" "$what: packets counted"
        if [ "$3" != - ]; then
                assert_eq "$(( $("$TESTTOOL" sum "$dmaps/portdrop_stats" 1) - d0 ))" "$3" "$what: port 7777 dropped"
        fi
}

info "secure mode (the default): the unsigned L3AF package is refused, the chain runs on"
daemon_start
LIVE=$(chain_ids l3t0)
pf "$HTTP"
daemon_reload
wait_log "Package portfilter 1.0.0 for portdrop refused" 1 10
grep "Package portfilter 1.0.0 for portdrop refused" "$T/daemon.log" | tail -1 | sed 's/^/# /'
assert_log "refused: .*not signed\|refused: .*no signature\|refused: .*unsigned" "refused for want of a signature"
grep -q "GET $ARTIFACT_PATH$" "$T/http.log" || fail "l3afd did not ask for $ARTIFACT_PATH: $(cat "$T/http.log")"
echo "ok - fetched from the L3AF layout: $ARTIFACT_PATH"
assert_eq "$(chain_ids l3t0)" "$LIVE" "only count runs, as before"
traffic "secure, refused" 70 -

info "insecure mode: the folder holds two objects, so ObjectFile= picks one"
daemon_stop
printf '[Daemon]\nRequireSignatures=no\n' >> "$ROOT/etc/l3af/l3afd.conf"
pf "$HTTP"
daemon_start
assert_log "more than one BPF object (\*.o) in l3af_portfilter: l3af_portfilter/portdrop" "two objects: the error names them"
assert_eq "$(chain_ids l3t0 | wc -w)" 1 "still only count"
pf "$HTTP" "ObjectFile=portdrop.bpf.o"
daemon_reload
assert_log "INSECURE: package portfilter 1.0.0 for portdrop is loaded with RequireSignatures=no (no valid signature)" \
        "insecure load logged"
assert_eq "$(chain_ids l3t0 | wc -w)" 2 "count and the L3AF package run"
traffic "insecure" 70 20
wait_journal 1 5 MESSAGE_ID=$INSECURE_ID L3AF_PACKAGE=portfilter
assert_eq "$(jfield L3AF_URL MESSAGE_ID=$INSECURE_ID L3AF_PACKAGE=portfilter)" "${HTTP}/portfilter/1.0.0/$CODENAME/l3af_portfilter.tar.gz" \
        "journaled with its MESSAGE_ID and URL"

info "a missing object or folder is named, and the chain keeps its generation"
LIVE=$(chain_ids l3t0)
pf "$HTTP" "ObjectFile=nosuch.bpf.o"
daemon_reload
assert_log "the package has no object 'l3af_portfilter/nosuch.bpf.o'" "a missing ObjectFile= is named"
assert_eq "$(chain_ids l3t0)" "$LIVE" "the previous generation runs on"
pf "$HTTP" "Folder=l3af_other" "ObjectFile=portdrop.bpf.o"
daemon_reload
assert_log "it has no folder 'l3af_other'" "a missing Folder= is named"
assert_eq "$(chain_ids l3t0)" "$LIVE" "the previous generation runs on"
traffic "after the refusals" 70 20

info "back to secure mode, from scratch"
daemon_stop
rm -f "$DROPINS/20-portdrop.conf"
secure_conf
daemon_start
assert_eq "$(chain_ids l3t0 | wc -w)" 1 "only count runs"

info "l3afctl package mirror: into the private repository, unsigned, still refused"
"$L3AFCTL" package mirror --codename="$CODENAME" "$HTTP" portfilter 1.0.0 "$PRIVATE" | tee "$T/mirror.out"
MIRRORED="$PRIVATE/portfilter/1.0.0/$CODENAME/l3af_portfilter.tar.gz"
cmp "$MIRRORED" "$PUBLIC/portfilter/1.0.0/$CODENAME/l3af_portfilter.tar.gz" || fail "the mirror changed the bytes"
[ ! -e "$MIRRORED.p7s" ] || fail "the mirror made up a signature"
assert_contains "$T/mirror.out" "Objects:   l3af_portfilter/portdrop" "mirror lists the objects"
[ -z "$(find "$PRIVATE" -name '.*tmp*')" ] || fail "the mirror left temporary files"
pf "file://$PRIVATE" "ObjectFile=portdrop.bpf.o"
n=$(log_count "Package portfilter 1.0.0 for portdrop refused")
daemon_reload
wait_log "Package portfilter 1.0.0 for portdrop refused" $((n + 1)) 5
assert_eq "$(chain_ids l3t0 | wc -w)" 1 "unsigned mirror: refused"

info "signed with a key nobody trusts: refused"
"$L3AFCTL" package sign --cert="$T/pki/rogue.pem" --key="$T/pki/rogue.key" "$MIRRORED"
n=$(log_count "Package portfilter 1.0.0 for portdrop refused")
daemon_reload
wait_log "Package portfilter 1.0.0 for portdrop refused" $((n + 1)) 5
assert_log "the signer CN=Rogue Signer.* is not trusted" "the untrusted signer is named"
assert_eq "$(chain_ids l3t0 | wc -w)" 1 "untrusted signature: refused"

info "a key that is not the certificate's cannot sign"
if "$L3AFCTL" package sign --cert="$T/pki/signer.pem" --key="$T/pki/rogue.key" "$MIRRORED" 2>"$T/sign.err"; then
        fail "signing with another certificate's key succeeded"
fi
assert_contains "$T/sign.err" "does not belong to the certificate" "mismatched key refused"

info "signed with the administrator's key, which the trust directory vouches for: secure mode loads it"
"$L3AFCTL" package sign --cert="$T/pki/signer.pem" --key="$T/pki/signer.key" "$MIRRORED"
openssl cms -verify -binary -inform DER -in "$MIRRORED.p7s" -content "$MIRRORED" -CAfile "$T/pki/ca.pem" \
        -purpose any -out /dev/null 2>"$T/openssl.err" || fail "openssl cannot verify the signature: $(cat "$T/openssl.err")"
echo "ok - stock openssl cms verifies l3afctl's signature"
"$L3AFCTL" package verify --trust-dir="$ROOT/etc/l3af/trust.d" "$MIRRORED" >/dev/null || fail "package verify refuses it"
daemon_reload
assert_log "Package portfilter 1.0.0 for portdrop verified (fetched).*signed by CN=L3AF Test Signer" "secure mode verified it"
assert_eq "$(chain_ids l3t0 | wc -w)" 2 "count and the signed mirror run"
traffic "secure, signed mirror" 70 20
assert_eq "$(log_count "INSECURE: package portfilter")" 1 "no insecure load in secure mode"

info "mirror and sign in one step (another codename, named in the drop-in)"
mkdir -p "$PUBLIC/portfilter/1.0.1/othercodename"
$MKPKG "$PUBLIC/portfilter/1.0.1/othercodename/l3af_portfilter.tar.gz" l3af portfilter 1.0.1 "$OBJ"
"$L3AFCTL" package mirror --codename=othercodename --cert="$T/pki/signer.pem" --key="$T/pki/signer.key" \
        "$HTTP" portfilter 1.0.1 "$PRIVATE" >/dev/null
[ -s "$PRIVATE/portfilter/1.0.1/othercodename/l3af_portfilter.tar.gz.p7s" ] || fail "mirror --cert wrote no signature"
LIVE=$(chain_ids l3t0)
pf "file://$PRIVATE" "ObjectFile=portdrop.bpf.o" "Codename=othercodename"
sed -i 's/^Version=1.0.0/Version=1.0.1/' "$DROPINS/20-portdrop.conf"
daemon_reload
assert_log "Package portfilter 1.0.1 for portdrop verified (fetched).*signed by CN=L3AF Test Signer" "1.0.1 verified"
assert_ne "$(chain_ids l3t0)" "$LIVE" "1.0.1 went live"
traffic "secure, 1.0.1" 70 20

echo "all L3AF repository checks passed"
