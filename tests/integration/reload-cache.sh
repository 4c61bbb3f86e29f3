#!/bin/bash
# Issue 15, part 2: a reload costs what changed. An unchanged drop-in is taken
# from the prepare cache (no parsing, no object read, no package verification)
# and its chain is not touched; anything it was prepared from that changes is
# seen at the next reload, however it changed: a drop-in rewritten in place
# with its size and mtime kept (touch -d), twice within one second; an object
# replaced by rename; a file of a package's extracted tree; a trust key
# removed, which undoes every verification. Real packets check each state.
source "$(dirname "$0")/lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
MKPKG="$PY $L3AF_SOURCE/tests/package/make-package.py"
REPO="$T/repo"
CACHE="$ROOT/var/cache/l3af"
TRUST="$ROOT/etc/l3af/trust.d"
OBJS="$T/objs"

make_pki "$T/pki"
mkdir -p "$TRUST" "$REPO/portdrop/1.0.0" "$OBJS"
cp "$T/pki/trust/"* "$TRUST/"
# One version in the cache, but those the drop-ins use.
printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\nCacheKeepVersions=1\n' > "$ROOT/etc/l3af/l3afd.conf"
for v in 1.0.0 1.1.0; do
        mkdir -p "$REPO/portdrop/$v"
        $MKPKG "$REPO/portdrop/$v/portdrop.tar.gz" good portdrop $v "$SAMPLES/portdrop.bpf.o"
        sign_openssl "$REPO/portdrop/$v/portdrop.tar.gz" signer
done

veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1
cp "$SAMPLES/count.bpf.o" "$OBJS/count.o"
cp "$SAMPLES/portdrop.bpf.o" "$OBJS/portdrop.o"
# l3t0: count -> portdrop (Object=, its port in a [Map] group); l3t1: count -> portdrop from a signed package.
program_dropin 10-count count l3t0 10 "$OBJS/count.o"
port_dropin() {  # port_dropin PORT: the same size for every 4-digit port
        program_dropin 20-portdrop portdrop l3t0 20 "$OBJS/portdrop.o" "
[Map portdrop_config]
0={port=$1, enabled=1}
"
}
port_dropin 7777
program_dropin 10-count1 count l3t1 10 "$SAMPLES/count.bpf.o"
dropin 20-pkg <<EOC
[Program]
Name=portdrop
Interface=l3t1
Hook=xdp
Priority=20
Package=portdrop
Version=1.0.0
Repository=file://$REPO

[Map portdrop_config]
0={port=7777, enabled=1}
EOC
NDROPINS=4

# drops NET PORT: how many of 20 packets to PORT the chain on 10.99.NET.1 drops
drops() {
        local iface=l3t$1 before after
        before=$("$TESTTOOL" sum "$(prog_maps $iface xdp portdrop)/portdrop_stats" 1)
        send 20 "$2" 20000 "$1"
        after=$("$TESTTOOL" sum "$(prog_maps $iface xdp portdrop)/portdrop_stats" 1)
        echo $((after - before))
}
verified() { log_count "Package portdrop 1.0.0 for portdrop verified ([a-z]*) in"; }  # a verification that took place
last_reload() { grep "Reload done" "$T/daemon.log" | tail -1; }
unchanged() { last_reload | sed -n 's/.*; \([0-9]*\) of \([0-9]*\) drop-ins unchanged.*/\1 of \2/p'; }
# same_stat FILE: runs the rest of the line, then puts FILE's mtime back as it was (st_ctim moves on).
same_mtime() {
        local f=$1 m; shift
        m=$(stat -c %y "$f")
        "$@"
        touch -d "$m" "$f"
        assert_eq "$(stat -c %y "$f")" "$m" "the mtime of $(basename "$f") is as before"
}

daemon_start
assert_eq "$(drops 0 7777)" 20 "l3t0 drops port 7777"
assert_eq "$(drops 1 7777)" 20 "l3t1 (package) drops port 7777"
assert_eq "$(verified)" 1 "the package was verified once"

info "an unchanged reload takes every drop-in from the cache and changes nothing"
IDS0=$(chain_ids l3t0) IDS1=$(chain_ids l3t1)
sleep 2.1   # every file older than the 2 s in which identity alone is no proof
for k in 1 2 3; do
        daemon_reload
        assert_eq "$(unchanged)" "$NDROPINS of $NDROPINS" "reload $k: all drop-ins unchanged"
done
assert_eq "$(verified)" 1 "no verification again while nothing changed"
assert_eq "$(chain_ids l3t0)" "$IDS0" "l3t0 runs the same instances"
assert_eq "$(chain_ids l3t1)" "$IDS1" "l3t1 runs the same instances"
last_reload | sed 's/^/# /'

info "a drop-in rewritten in place, same size and mtime: the reload sees the new content"
F="$DROPINS/20-portdrop.conf"
SIZE=$(stat -c %s "$F")
same_mtime "$F" port_dropin 7778
assert_eq "$(stat -c %s "$F")" "$SIZE" "same size"
daemon_reload
assert_eq "$(unchanged)" "$((NDROPINS - 1)) of $NDROPINS" "one drop-in changed"
assert_eq "$(drops 0 7778)" 20 "port 7778 is dropped now"
assert_eq "$(drops 0 7777)" 0 "port 7777 passes now"
info "... and again at once, within the second it was written (a fresh file: its digest decides)"
same_mtime "$F" port_dropin 7779
daemon_reload
same_mtime "$F" port_dropin 7780
daemon_reload
assert_eq "$(drops 0 7780)" 20 "port 7780 is dropped now"
assert_eq "$(drops 0 7779)" 0 "port 7779 passes"
assert_eq "$(chain_ids l3t1)" "$IDS1" "l3t1 untouched by l3t0's changes"

info "a bad edit keeps the running generation and names the file, group and key"
IDS0=$(chain_ids l3t0)
same_mtime "$F" sed -i 's/port=7780/port=77x0/' "$F"
daemon_reload
grep -q "20-portdrop.conf.*\[Map portdrop_config\] 0" "$T/daemon.log" || fail "the error names the file, group and key"
assert_eq "$(chain_ids l3t0)" "$IDS0" "l3t0 keeps its generation"
assert_eq "$(drops 0 7780)" 20 "and still drops port 7780"
same_mtime "$F" port_dropin 7780
daemon_reload
assert_eq "$(last_reload | grep -c error)" 0 "the fixed drop-in applies"

info "an object replaced by rename (same mtime): the reload loads the new one"
sleep 2.1
BEFORE=$(chain_ids l3t0)
cp "$L3AF_BUILD/tests/fragcount.bpf.o" "$OBJS/count.o.new"
touch -r "$OBJS/count.o" "$OBJS/count.o.new"
mv "$OBJS/count.o.new" "$OBJS/count.o"
daemon_reload
assert_eq "$(unchanged)" "$((NDROPINS - 1)) of $NDROPINS" "one drop-in's object changed"
assert_ne "$(chain_ids l3t0)" "$BEFORE" "new instances for the new object"
assert_eq "$(drops 0 7780)" 20 "the chain still drops port 7780"

info "a file of a package's extracted tree changed: extracted and verified afresh"
sleep 2.1
TREEOBJ=$(find "$CACHE/trees" -name '*.o' | head -1)
[ -n "$TREEOBJ" ] || fail "no extracted object under $CACHE/trees"
same_mtime "$TREEOBJ" sh -c "printf 'x' | dd of='$TREEOBJ' bs=1 seek=100 conv=notrunc status=none"
V=$(verified)
daemon_reload
assert_eq "$(verified)" $((V + 1)) "verified (and extracted) again"
assert_eq "$(chain_ids l3t1)" "$IDS1" "the same bytes as before: l3t1 runs the same instances"
assert_eq "$(drops 1 7777)" 20 "l3t1 still drops port 7777"

info "a certificate added to the trust directory: every verification is undone, and made again"
sleep 2.1
V=$(verified)
cp "$T/pki/rogue-ca.pem" "$TRUST/rogue-ca.pem"
daemon_reload
assert_eq "$(verified)" $((V + 1)) "verified again"
assert_eq "$(unchanged)" "$((NDROPINS - 1)) of $NDROPINS" "only the package's drop-in was prepared again"
assert_eq "$(chain_ids l3t1)" "$IDS1" "the same bytes: l3t1 runs the same instances"

info "the signer's CA removed (another certificate stays): the package is refused, the chain keeps running"
sleep 2.1
mv "$TRUST/test-ca.pem" "$T/test-ca.pem"
daemon_reload
grep -q "20-pkg.conf.*package portdrop 1.0.0 refused" "$T/daemon.log" || fail "the refusal names the drop-in"
assert_eq "$(last_reload | grep -c "1 error")" 1 "the reload fails with one error"
assert_eq "$(unchanged)" "$((NDROPINS - 1)) of $NDROPINS" "only the package's drop-in was prepared again"
assert_eq "$(chain_ids l3t1)" "$IDS1" "l3t1 keeps its generation"
assert_eq "$(drops 1 7777)" 20 "and still drops port 7777"
assert_eq "$(drops 0 7780)" 20 "l3t0 is untouched"
daemon_reload
assert_eq "$(last_reload | grep -c "1 error")" 1 "refused again at the next reload: a refusal is never cached"
info "... and the CA back: verified again"
cp "$T/test-ca.pem" "$TRUST/test-ca.pem"
V=$(verified)
daemon_reload
assert_eq "$(verified)" $((V + 1)) "verified again"
assert_eq "$(last_reload | grep -c error)" 0 "the reload applies"
assert_eq "$(chain_ids l3t1)" "$IDS1" "l3t1 runs the same instances"

info "two drop-ins of one package: a change to one prepares that one alone, and verifies nothing"
dropin 30-pkg2 <<EOC
[Program]
Name=portdrop2
Interface=l3t0
Hook=xdp
Priority=30
Package=portdrop
Version=1.0.0
Repository=file://$REPO

[Map portdrop_config]
0={port=6666, enabled=1}
EOC
NDROPINS=$((NDROPINS + 1))
daemon_reload
assert_eq "$(last_reload | grep -c error)" 0 "the second drop-in of the package applies"
sleep 2.1
daemon_reload
assert_eq "$(unchanged)" "$NDROPINS of $NDROPINS" "all drop-ins unchanged"
V=$(verified)
IDS0=$(chain_ids l3t0)
same_mtime "$DROPINS/20-pkg.conf" sed -i 's/port=7777/port=7776/' "$DROPINS/20-pkg.conf"
daemon_reload
assert_eq "$(unchanged)" "$((NDROPINS - 1)) of $NDROPINS" "only the edited drop-in was prepared again"
assert_eq "$(verified)" "$V" "the package was not verified or extracted again"
assert_eq "$(drops 1 7776)" 20 "l3t1 drops port 7776 now"
assert_eq "$(chain_ids l3t0)" "$IDS0" "l3t0, with the package's other drop-in, runs the same instances"
daemon_reload
assert_eq "$(unchanged)" "$NDROPINS of $NDROPINS" "and at the next reload all are unchanged again"

info "two versions of the package in use at once, CacheKeepVersions=1: the cache keeps both, nothing is fetched again"
sed -i 's/^Version=1.0.0/Version=1.0.0\nAllowDowngrade=yes/' "$DROPINS/20-pkg.conf"  # 1.1.0 will have run
sed -i 's/^Version=1.0.0/Version=1.1.0/' "$DROPINS/30-pkg2.conf"
daemon_reload
assert_eq "$(last_reload | grep -c error)" 0 "1.1.0 applies beside 1.0.0"
assert_eq "$(ls "$CACHE/index/portdrop" | sort | tr '\n' ' ')" "1.0.0 1.1.0 " "both versions stay in the cache index"
sleep 2.1
for k in 1 2; do
        daemon_reload
        assert_eq "$(unchanged)" "$NDROPINS of $NDROPINS" "reload $k: all drop-ins unchanged"
done
assert_eq "$(drops 1 7776)" 20 "l3t1 (1.0.0) still drops port 7776"

info "a drop-in removed leaves the cache: the reload counts one drop-in less"
rm "$DROPINS/10-count1.conf"
daemon_reload
assert_eq "$(unchanged)" "$((NDROPINS - 1)) of $((NDROPINS - 1))" "one drop-in less, the others unchanged"

echo "all reload-cache checks passed"
