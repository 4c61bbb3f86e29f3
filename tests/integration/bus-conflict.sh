#!/bin/bash
# Issue 9, item 10: a drop-in edited by hand while a D-Bus change of it is in
# flight. l3afd writes (or removes) the drop-in, then reconciles (here behind
# a download the test holds open); the administrator edits the same file
# meanwhile. Whether the change is then refused (its undo) or accepted, for
# AddProgram, SetMapEntry and RemoveProgram, l3afd must not overwrite or
# remove the administrator's file: it keeps it byte for byte, fails the call
# with org.l3af.Chain1.Error.Conflict naming the file, journals it, and the
# chain runs what the files now declare (checked with real packets).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
REPO="$T/repo"
RELEASE="$T/release"
DROPIN="$DROPINS/20-portdrop.conf"
make_pki "$T/pki"
mkdir -p "$ROOT/etc/l3af/trust.d"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\n' > "$ROOT/etc/l3af/l3afd.conf"
# 1.0.0 is signed by a key nobody trusts (refused); the others verify.
for v in 1.0.0 1.1.0 1.2.0 1.3.0; do
        mkdir -p "$REPO/portdrop/$v"
        $PY "$L3AF_SOURCE/tests/package/make-package.py" "$REPO/portdrop/$v/portdrop.tar.gz" good portdrop $v \
                "$SAMPLES/portdrop.bpf.o"
        sign_openssl "$REPO/portdrop/$v/portdrop.tar.gz" "$([ $v = 1.0.0 ] && echo rogue || echo signer)"
done
$PY "$L3AF_SOURCE/tests/package/repo-server.py" --root "$REPO" --port-file "$T/http.port" --log "$T/http.log" \
        --release "$RELEASE" >"$T/http.out" 2>&1 </dev/null &
for _ in $(seq 100); do [ -s "$T/http.port" ] && break; sleep 0.05; done
[ -s "$T/http.port" ] || fail "the repository server did not start"
HOLD="http://127.0.0.1:$(cat "$T/http.port")/hold"

ctl() { "$L3AFCTL" --no-ask-password "$@"; }
dropped() { "$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1; }

wait_holding() {  # wait_holding VERSION: until the download of VERSION is held open
        local what="HOLDING /hold/portdrop/$1/portdrop.tar.gz"
        for _ in $(seq 500); do grep -q "$what" "$T/http.log" && return 0; sleep 0.02; done
        fail "no held download of portdrop $1: $(cat "$T/http.log")"
}

wait_written() {  # wait_written LINE: until l3afd's write shows in the drop-in
        for _ in $(seq 500); do grep -qxF -- "$1" "$DROPIN" && return 0; sleep 0.02; done
        fail "l3afd did not write '$1' into $DROPIN: $(cat "$DROPIN")"
}

admin_text() {  # admin_text PORT: the drop-in as the administrator rewrites it
        printf '# edited by hand while l3afd was busy (port %s)\n[Program]\nName=portdrop\nInterface=l3t0\nHook=xdp\nPriority=20\nObject=%s\n\n[Map portdrop_config]\n0={%s, 1}\n' \
                "$1" "$SAMPLES/portdrop.bpf.o" "$1"
}

# expect_dropped PORT WHAT: packets to PORT are dropped, to 5000 not.
expect_dropped() {
        local before
        before=$(dropped)
        send 100 "$1"
        send 100 5000
        assert_eq "$(( $(dropped) - before ))" 100 "$2 (port $1 dropped, 5000 passes)"
}

CONFLICT_ID=e21ddf7a124949d6bc1632a320d73d88
expect_conflict_logged() {  # expect_conflict_logged METHOD N: N entries so far, the last one for METHOD
        wait_journal "$2" 10 MESSAGE_ID=$CONFLICT_ID
        assert_eq "$(jfield L3AF_DROPIN MESSAGE_ID=$CONFLICT_ID)" "$DROPIN" "the conflict is journaled with L3AF_DROPIN"
        jfield MESSAGE "MESSAGE_ID=$CONFLICT_ID" | contains -F "$1: $DROPIN changed since l3afd last read or wrote it" \
                || fail "the journal entry does not name $1 and the drop-in"
}

journal_start
export L3AF_LOG_TARGET=console+journal
bus_start_with_chain
send 100 7777
assert_eq "$(dropped)" 100 "portdrop drops 7777 before any change"

info "a refused package: the undo keeps the administrator's edit (written in place)"
rm -f "$RELEASE"
call root AddProgram 'sssua{ss}b' l3t0 xdp portdrop 20 \
        "{\"Package\": \"portdrop\", \"Version\": \"1.0.0\", \"Repository\": \"$HOLD\"}" false > "$T/a.out" &
pid=$!
wait_holding 1.0.0
wait_written "Version=1.0.0"
admin_text 8888 > "$T/admin-a.conf"
cat "$T/admin-a.conf" > "$DROPIN"  # the same inode, as an editor writing through
touch "$RELEASE"
wait "$pid" || true
expect_error org.l3af.Chain1.Error.Conflict "$(cat "$T/a.out")" "AddProgram of a refused package fails with Conflict"
assert_contains "$T/a.out" "$DROPIN changed since l3afd last read or wrote it" "the error names the drop-in"
assert_contains "$T/a.out" "It had also failed: " "the error also says why the change failed"
cmp "$T/admin-a.conf" "$DROPIN" || fail "the administrator's edit was overwritten: $(cat "$DROPIN")"
echo "ok - the administrator's edit is kept byte for byte"
expect_conflict_logged AddProgram 1
expect_dropped 8888 "the chain runs the administrator's file"

info "an accepted package: the administrator's edit (a new file renamed over it) is kept too"
rm -f "$RELEASE"
rc=0
ctl add l3t0 xdp portdrop Package=portdrop Version=1.1.0 "Repository=$HOLD" Priority=20 \
        > "$T/b.out" 2> "$T/b.err" &
pid=$!
wait_holding 1.1.0
wait_written "Version=1.1.0"
admin_text 9999 > "$T/admin-b.conf"
cp "$T/admin-b.conf" "$DROPIN.new" && mv "$DROPIN.new" "$DROPIN"
touch "$RELEASE"
wait "$pid" || rc=$?
wait_log "Package portdrop 1.1.0 for portdrop verified (fetched)" 1 10
echo "ok - the package was accepted"
assert_eq "$rc" 1 "l3afctl add fails"
assert_contains "$T/b.err" "$DROPIN changed since l3afd last read or wrote it" "l3afctl names the drop-in"
assert_contains "$T/b.err" "kept their version" "l3afctl explains the conflict"
cmp "$T/admin-b.conf" "$DROPIN" || fail "the administrator's edit was overwritten: $(cat "$DROPIN")"
echo "ok - the administrator's edit is kept byte for byte"
expect_conflict_logged AddProgram 2
expect_dropped 9999 "the chain runs the administrator's file"
ctl show l3t0 xdp | contains "1.1.0" && fail "the chain still runs the package the files no longer declare"
echo "ok - the package the files no longer declare does not run"

info "SetMapEntry while another chain's download holds the reconcile"
veth_add l3t1 l3p1 1
rm -f "$RELEASE"
printf '[Program]\nName=portdrop\nInterface=l3t1\nHook=xdp\nPackage=portdrop\nVersion=1.2.0\nRepository=%s\n' \
        "$HOLD" > "$DROPINS/30-other.conf"
kill -HUP "$DAEMON_PID"
wait_holding 1.2.0
call root SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 '{6666, 1}' false > "$T/c.out" &
pid=$!
wait_written "0={6666, 1}"
admin_text 5555 > "$T/admin-c.conf"
cat "$T/admin-c.conf" > "$DROPIN"
touch "$RELEASE"
wait "$pid" || true
expect_error org.l3af.Chain1.Error.Conflict "$(cat "$T/c.out")" "SetMapEntry fails with Conflict"
assert_contains "$T/c.out" "$DROPIN" "the error names the drop-in"
cmp "$T/admin-c.conf" "$DROPIN" || fail "the administrator's edit was overwritten: $(cat "$DROPIN")"
echo "ok - the administrator's edit is kept byte for byte"
expect_conflict_logged SetMapEntry 3
expect_dropped 5555 "the chain runs the administrator's file"

info "RemoveProgram while another chain's download holds the reconcile: the administrator puts the file back"
rm -f "$RELEASE"
sed -i 's/^Version=1.2.0$/Version=1.3.0/' "$DROPINS/30-other.conf"
kill -HUP "$DAEMON_PID"
wait_holding 1.3.0
call root RemoveProgram sssb l3t0 xdp portdrop false > "$T/d.out" &
pid=$!
for _ in $(seq 500); do [ -e "$DROPIN" ] || break; sleep 0.02; done
[ -e "$DROPIN" ] && fail "l3afd did not remove $DROPIN"
admin_text 3333 > "$T/admin-d.conf"
cp "$T/admin-d.conf" "$DROPIN"
touch "$RELEASE"
wait "$pid" || true
expect_error org.l3af.Chain1.Error.Conflict "$(cat "$T/d.out")" "RemoveProgram fails with Conflict"
assert_contains "$T/d.out" "$DROPIN" "the error names the drop-in"
cmp "$T/admin-d.conf" "$DROPIN" || fail "the administrator's file was removed or overwritten"
echo "ok - the administrator's file is kept byte for byte"
expect_conflict_logged RemoveProgram 4
expect_dropped 3333 "the chain runs the administrator's file"

info "without a concurrent edit, changes apply as before"
ctl map set l3t0 xdp portdrop portdrop_config 0 '{4444, 1}'
assert_matches "$DROPIN" '^0=\{4444, 1\}$' "the map entry is written"
expect_dropped 4444 "the chain runs the new entry"
