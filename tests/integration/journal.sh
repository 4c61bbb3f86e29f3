#!/bin/bash
# Issue 4, acceptance 4: in a real systemd-journald, every event class makes
# an entry with its MESSAGE_ID and the L3AF_* fields that apply (checked with
# journalctl -o json), and the installed catalog explains each MESSAGE_ID
# (journalctl --dump-catalog, and -x on the entries themselves).
source "$(dirname "$0")/lib.sh"

journal_start
# The catalog as installed, in a private catalog database.
mount -t tmpfs l3af-catalog /var/lib/systemd/catalog
mkdir -p "$T/catalog"
cp "$L3AF_SOURCE/systemd/l3afd.catalog" "$T/catalog/"
mount --bind "$T/catalog" /usr/lib/systemd/catalog
journalctl --update-catalog || fail "journalctl --update-catalog failed"

export L3AF_LOG_TARGET=console+journal
veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1
printf '[Daemon]\nWatchdogIntervalSec=100ms\n' > "$ROOT/etc/l3af/l3afd.conf"
sample_chain l3t0
program_dropin 10-count-l3t1 count l3t1 10 "$SAMPLES/count.bpf.o" "OnForeignProgram=restore
"
daemon_start

# Every event class, once.
program_dropin 40-reject reject l3t0 40 "$TESTBPF/reject.bpf.o"           # chain failed (verifier)
printf '[Program]\nName=broken\n' > "$DROPINS/50-broken.conf"            # configuration problem
daemon_reload                                                            # reload
rm "$DROPINS/40-reject.conf" "$DROPINS/50-broken.conf" "$DROPINS/30-sink-l3t0.conf"
daemon_reload                                                            # chain applied (generation 2)
"$FOREIGN" replace "$(chain_dir l3t1)/link" l3t1 "$SAMPLES/sink.bpf.o" >/dev/null   # foreign, then restored
wait_log "restored"
ip link del l3t1                                                         # interface missing
wait_log "is gone"
rm "$DROPINS/10-count-l3t1.conf"
daemon_reload                                                            # chain removed
# Packages from the bundled sample repository: refused (untrusted), then verified.
SR=$L3AF_BUILD/tools/sample-repo
printf '[Program]\nName=pkg\nInterface=l3t0\nHook=xdp\nPriority=5\nPackage=count\nVersion=1.0.0\nRepository=file://%s/repo\n' \
        "$SR" > "$DROPINS/05-pkg.conf"
daemon_reload                                                            # package refused
mkdir -p "$ROOT/etc/l3af/trust.d"
cp "$SR/trust/l3af-demo-TEST-ONLY.pem" "$ROOT/etc/l3af/trust.d/"
daemon_reload                                                            # package verified
daemon_stop TERM                                                         # stopped
printf '[Daemon]\nWatchdogIntervalSec=100ms\nRequireSignatures=no\n' > "$ROOT/etc/l3af/l3afd.conf"
rm -rf "$ROOT/etc/l3af/trust.d"
daemon_start                                                             # adopted, started; insecure load
daemon_stop TERM

declare -A IDS=(
        [started]=e05cc545c5a24353948fe9f7bbde4a01
        [stopped]=ef438da6934a4a0d916f73c6fc3ba0c1
        [applied]=63470bf27ebf49928b9fd27cb01a8e2b
        [failed]=608e4dedbc8244d8b167903e4ce6310a
        [removed]=77a61cd0807a4435995472148f249ebb
        [adopted]=c68c5437a2214431973671faf8e61945
        [invalid]=3097388d5ea5462ea468e888e86875c4
        [reload]=084f103f6fea4cb5820f00961d337095
        [foreign]=9ae394e0f2e641c1acf90e14dae77b2a
        [missing]=4caa7927e2764528b6200ea5a366f2a9
        [restored]=17b8ab6877f348708a0445cd50e22b0c
        [package-verified]=728df747675446428f510467858f24d3
        [package-refused]=c6195e52acb04077bf1755bea0efe234
        [package-insecure]=8904e4396a6c4de0ab63a92b7b342a84
)
# Fields each class must carry.
declare -A FIELDS=(
        [applied]="L3AF_INTERFACE L3AF_HOOK L3AF_GENERATION L3AF_PROG_ID"
        [failed]="L3AF_INTERFACE L3AF_HOOK L3AF_GENERATION"
        [removed]="L3AF_INTERFACE L3AF_HOOK"
        [adopted]="L3AF_INTERFACE L3AF_HOOK L3AF_GENERATION L3AF_PROG_ID"
        [invalid]="L3AF_DROPIN"
        [foreign]="L3AF_INTERFACE L3AF_HOOK L3AF_ROOT_PROG_ID L3AF_FOREIGN_PROG_ID L3AF_FOREIGN_PROG_NAME L3AF_FOREIGN_PROG_TAG"
        [missing]="L3AF_INTERFACE L3AF_HOOK"
        [restored]="L3AF_INTERFACE L3AF_HOOK L3AF_GENERATION"
        [package-verified]="L3AF_PROGRAM L3AF_PACKAGE L3AF_PACKAGE_VERSION L3AF_DROPIN L3AF_SHA256 L3AF_SIGNER"
        [package-refused]="L3AF_PROGRAM L3AF_PACKAGE L3AF_PACKAGE_VERSION L3AF_DROPIN"
        [package-insecure]="L3AF_PROGRAM L3AF_PACKAGE L3AF_PACKAGE_VERSION"
)

for class in "${!IDS[@]}"; do
        id=${IDS[$class]}
        n=$(journal_count MESSAGE_ID="$id")
        [ "$n" -ge 1 ] || fail "no journal entry for '$class' ($id)"
        for f in ${FIELDS[$class]:-}; do
                v=$(jfield "$f" MESSAGE_ID="$id")
                [ -n "$v" ] || fail "the '$class' entry has no $f"
        done
        journalctl --dump-catalog "$id" 2>/dev/null | contains "^Subject: " || fail "no catalog entry for '$class' ($id)"
        journalctl -D /run/log/journal -x --no-pager MESSAGE_ID="$id" | contains "Defined-By: l3afd" \
                || fail "journalctl -x does not explain '$class'"
        echo "ok - $class: $n entr$( [ "$n" = 1 ] && echo y || echo ies ) with ${FIELDS[$class]:-MESSAGE_ID}, and its catalog text"
done

# Every MESSAGE_ID in the code has a catalog entry, and the other way round.
code=$(grep -o '"[0-9a-f]\{32\}"' "$L3AF_SOURCE/src/shared/log-ids.h" | tr -d '"' | sort)
cat=$(grep -o '^-- [0-9a-f]\{32\}' "$L3AF_SOURCE/systemd/l3afd.catalog" | cut -c4- | sort)
assert_eq "$cat" "$code" "the catalog and log-ids.h list the same MESSAGE_IDs"
