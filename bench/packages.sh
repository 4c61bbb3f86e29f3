#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Package benchmarks (see bench/README.md, "Packages"):
#   1. hash, signature verification and unpacking, per MiB of artifact;
#   2. end-to-end install of a 1 MiB package from an HTTPS server on loopback:
#      download, verify, unpack, load, chain live.
# Needs root and a build in ./build. Runs in private namespaces like the tests.
#   bench/packages.sh [ROUNDS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${L3AF_BUILD:-$SRC/build}
ROUNDS=${1:-7}

if [ -z "${L3AF_BENCH_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
        export L3AF_BENCH_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
source "$SRC/tools/private-tmp.sh"
private_tmp "$SRC" "$B"
T=$(mktemp -d "$PRIVATE_TMP/l3af-bench.XXXXXX")
ROOT=$T/root
DAEMON= SERVER=
trap '[ -n "$DAEMON" ] && kill $DAEMON 2>/dev/null; [ -n "$SERVER" ] && kill $SERVER 2>/dev/null; true' EXIT
ip link set lo up
source "$SRC/tests/package/pki.sh"
make_pki "$T/pki" >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "# l3afd package benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, $ROUNDS rounds, medians"

echo "## hash (cache re-check), verify (CMS, ECDSA P-256 signer via a test CA), unpack"
for mib in 1 4 16 64; do
        mkdir -p "$T/v$mib"
        head -c $((mib * 1024 * 1024)) /dev/urandom > "$T/v$mib/blob"
        tar -C "$T/v$mib" -czf "$T/a$mib.tar.gz" blob
        sign_openssl "$T/a$mib.tar.gz" signer
        "$B/bench/bench-verify" "$T/pki/trust" "$T/a$mib.tar.gz" "$T/a$mib.tar.gz.p7s" "$ROUNDS"
done

echo "## end-to-end: 1 MiB package over HTTPS (loopback) to a live chain"
REPO=$T/repo
mkdir -p "$T/pkg/bin" "$REPO" "$ROOT/etc/l3af.d" "$ROOT/etc/l3af/trust.d"
cp "$B/bpf/count.bpf.o" "$T/pkg/"
head -c $((1024 * 1024 - 16 * 1024)) /dev/urandom > "$T/pkg/bin/companion"
cat > "$T/pkg/l3af-package.conf" <<EOF2
[Package]
Name=count
Version=1.0.0
Companion=bin/companion

[Program count]
Object=count.bpf.o
Entry=count
EOF2
"$B/src/l3afctl/l3afctl" package build --repository="$REPO" "$T/pkg" >/dev/null
A=$REPO/count/1.0.0/count.tar.gz
sign_openssl "$A" signer
echo "artifact: $(stat -c %s "$A") bytes"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
cp "$T/pki/ca.pem" "$ROOT/etc/l3af/ca.pem"
printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\nCAFile=/etc/l3af/ca.pem\n' > "$ROOT/etc/l3af/l3afd.conf"
$PY "$SRC/tests/package/repo-server.py" --root "$REPO" --port-file "$T/port" --log "$T/server.log" \
        --cert "$T/pki/server.pem" --key "$T/pki/server.key" >/dev/null 2>&1 &
SERVER=$!
until [ -s "$T/port" ]; do sleep 0.05; done
ip link add l3b0 type veth peer name l3b1
ip link set l3b0 up; ip link set l3b1 up

"$B/src/l3afd/l3afd" --root="$ROOT" --log-target=console --log-level=debug > "$T/l3afd.log" 2>&1 &
DAEMON=$!
until grep -q "l3afd started" "$T/l3afd.log"; do sleep 0.02; done
reload() {  # waits for the next "Reload done"; prints wall ms
        local n t0
        n=$(grep -c "Reload done" "$T/l3afd.log" || true)
        t0=$(date +%s%N)
        kill -HUP $DAEMON
        until [ "$(grep -c "Reload done" "$T/l3afd.log" || true)" -gt "$n" ]; do sleep 0.005; done
        echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
: > "$T/wall"; : > "$T/prepare"; : > "$T/apply"; : > "$T/verified"; : > "$T/fetch"; : > "$T/verify"; : > "$T/unpack"
for i in $(seq "$ROUNDS"); do
        rm -rf "$ROOT/var/cache/l3af" "$ROOT/var/lib/l3af"
        printf '[Program]\nName=count\nInterface=l3b0\nHook=xdp\nPackage=count\nVersion=1.0.0\nRepository=https://127.0.0.1:%s/files\n' \
                "$(cat "$T/port")" > "$ROOT/etc/l3af.d/count.conf"
        reload >> "$T/wall"
        line=$(grep "Reload done" "$T/l3afd.log" | tail -1)
        grep -q "Chain l3b0/xdp generation .* is live" <(tail -n 5 "$T/l3afd.log") || { tail "$T/l3afd.log"; exit 1; }
        echo "$line" | sed -n 's/.*prepare \([0-9.]*\) ms.*/\1/p' >> "$T/prepare"
        echo "$line" | sed -n 's/.*apply \([0-9.]*\) ms.*/\1/p' >> "$T/apply"
        v=$(grep "Package count 1.0.0 for count verified (fetched)" "$T/l3afd.log" | tail -1)
        echo "$v" | sed -n 's/.* in \([0-9.]*\) ms.*/\1/p' >> "$T/verified"
        echo "$v" | sed -n 's/.*(fetch \([0-9.]*\),.*/\1/p' >> "$T/fetch"
        echo "$v" | sed -n 's/.*verify \([0-9.]*\),.*/\1/p' >> "$T/verify"
        echo "$v" | sed -n 's/.*unpack \([0-9.]*\)).*/\1/p' >> "$T/unpack"
        rm "$ROOT/etc/l3af.d/count.conf"
        reload > /dev/null
done
echo "package_resolve: $(median < "$T/verified") ms = fetch (artifact and .p7s, sha256, into the cache) $(median < "$T/fetch") ms + verify $(median < "$T/verify") ms + unpack $(median < "$T/unpack") ms"
echo "prepare phase (resolve + ELF checks):  $(median < "$T/prepare") ms"
echo "apply phase (load, link, chain live):  $(median < "$T/apply") ms"
echo "SIGHUP to chain live, wall clock:      $(median < "$T/wall") ms"
