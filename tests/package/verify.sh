#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# l3afctl package build/verify against real openssl and certtool signatures
# (acceptance 2) and every kind of certificate that must be refused. No root.
set -euo pipefail
: "${L3AF_BUILD:?}" "${L3AF_SOURCE:?}"
source "$L3AF_SOURCE/tests/package/pki.sh"
source "$L3AF_SOURCE/tests/contains.sh"
L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
T=$(mktemp -d /tmp/l3af-pkgtest.XXXXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

make_pki "$T/pki"
TRUST="$T/pki/trust"

# build: a manifest-checked, reproducible archive
mkdir -p "$T/src/bin"
cp "$L3AF_BUILD/bpf/count.bpf.o" "$T/src/"
printf '#!/bin/sh\necho companion\n' > "$T/src/bin/count-ctl"; chmod +x "$T/src/bin/count-ctl"
cat > "$T/src/l3af-package.conf" <<EOF2
[Package]
Name=count
Version=1.0.0
Description=counts packets
License=GPL-2.0-only
Companion=bin/count-ctl

[Program count]
Object=count.bpf.o
Entry=count
Type=xdp
NextMap=l3af_next
ConfigMaps=stats
EOF2
"$L3AFCTL" package build --repository="$T/repo" "$T/src" > "$T/build.out"
A="$T/repo/count/1.0.0/count.tar.gz"
[ -f "$A" ] || fail "build did not write $A"
ok "package build writes <repo>/<name>/<version>/<name>.tar.gz"
"$L3AFCTL" package build -o "$T/again.tar.gz" "$T/src" >/dev/null
cmp -s "$A" "$T/again.tar.gz" || fail "two builds of the same tree differ"
ok "package build is reproducible"
"$L3AFCTL" package build --format=zip -o "$T/count.zip" "$T/src" >/dev/null
ok "package build --format=zip"

expect_ok() {  # expect_ok WHAT ARGS...
        local what=$1; shift
        "$L3AFCTL" package verify "$@" > "$T/out" 2>&1 || { cat "$T/out"; fail "$what: refused"; }
        grep -q '^OK$' "$T/out" || fail "$what: no OK"
        ok "$what: $(grep '^Signed by' "$T/out" || echo unsigned)"
}
expect_refused() {  # expect_refused WHAT PATTERN ARGS...
        local what=$1 pattern=$2; shift 2
        if "$L3AFCTL" package verify "$@" > "$T/out" 2>&1; then cat "$T/out"; fail "$what: accepted"; fi
        grep -q -- "$pattern" "$T/out" || { cat "$T/out"; fail "$what: no '$pattern'"; }
        ok "$what refused: $(grep refused "$T/out" | sed -n 1p | cut -c1-160)"
}

# Acceptance 2: stock tools, both encodings.
openssl cms -sign -binary -outform DER -in "$A" -signer "$T/pki/signer.pem" -inkey "$T/pki/signer.key" -out "$T/ossl.der"
expect_ok "openssl cms -outform DER" --trust-dir="$TRUST" --signature="$T/ossl.der" "$A"
openssl cms -sign -binary -outform PEM -in "$A" -signer "$T/pki/signer.pem" -inkey "$T/pki/signer.key" -out "$T/ossl.pem"
expect_ok "openssl cms -outform PEM" --trust-dir="$TRUST" --signature="$T/ossl.pem" "$A"
certtool --p7-detached-sign --load-certificate "$T/pki/signer.pem" --load-privkey "$T/pki/signer.key" \
        --infile "$A" --outfile "$T/ct.pem" 2>/dev/null
expect_ok "certtool --p7-detached-sign (PEM)" --trust-dir="$TRUST" --signature="$T/ct.pem" "$A"
certtool --p7-detached-sign --outder --load-certificate "$T/pki/signer.pem" --load-privkey "$T/pki/signer.key" \
        --infile "$A" --outfile "$T/ct.der" 2>/dev/null
expect_ok "certtool --p7-detached-sign --outder" --trust-dir="$TRUST" --signature="$T/ct.der" "$A"
certtool --p7-detached-sign --p7-time --load-certificate "$T/pki/self.pem" --load-privkey "$T/pki/self.key" \
        --infile "$A" --outfile "$A.p7s" 2>/dev/null
expect_ok "certtool, self-signed signer trusted as itself (default FILE.p7s)" --trust-dir="$TRUST" "$A"
openssl cms -sign -binary -nocerts -outform DER -in "$A" -signer "$T/pki/self.pem" -inkey "$T/pki/self.key" -out "$T/nocerts.der"
expect_ok "openssl -nocerts, signer certificate found in the trust directory" --trust-dir="$TRUST" --signature="$T/nocerts.der" "$A"
mkdir -p "$T/leaf-only"; cp "$T/pki/signer.pem" "$T/leaf-only/"
expect_ok "trust directory holding the signer's own (CA-issued) certificate" --trust-dir="$T/leaf-only" --signature="$T/ossl.der" "$A"
expect_ok "manifest name and version as expected" --trust-dir="$TRUST" --signature="$T/ossl.der" --name=count --version=1.0.0 "$A"
grep -q "Companion: bin/count-ctl" "$T/out" || fail "companion not shown"

# Refusals
for who in rogue expired future enc-only server-eku; do sign_openssl "$A" "$who" "$T/$who.p7s"; done
expect_refused "no signature" "not signed" --trust-dir="$TRUST" "$T/count.zip"
expect_refused "untrusted signer" "Rogue Signer.* is not trusted" --trust-dir="$TRUST" --signature="$T/rogue.p7s" "$A"
expect_refused "expired signer" "expired on 2020-01-01" --trust-dir="$TRUST" --signature="$T/expired.p7s" "$A"
expect_refused "not yet valid signer" "not valid before 2099-01-01" --trust-dir="$TRUST" --signature="$T/future.p7s" "$A"
expect_refused "keyUsage without digitalSignature" "does not allow digital signatures" --trust-dir="$TRUST" --signature="$T/enc-only.p7s" "$A"
expect_refused "extendedKeyUsage without codeSigning" "not for code signing" --trust-dir="$TRUST" --signature="$T/server-eku.p7s" "$A"
cp "$A" "$T/tampered.tar.gz"; printf 'x' >> "$T/tampered.tar.gz"
expect_refused "tampered archive" "does not match the artifact's bytes" --trust-dir="$TRUST" --signature="$T/ossl.der" "$T/tampered.tar.gz"
expect_refused "signature that is not CMS" "not a CMS/PKCS#7 structure" --trust-dir="$TRUST" --signature="$A" "$A"
mkdir -p "$T/empty"
expect_refused "empty trust directory" "holds no certificate" --trust-dir="$T/empty" --signature="$T/ossl.der" "$A"
expect_refused "CA-issued signer without its certificate" "does not carry its signer's certificate" --trust-dir="$TRUST" \
        --signature=<(openssl cms -sign -binary -nocerts -outform DER -in "$A" -signer "$T/pki/signer.pem" -inkey "$T/pki/signer.key") "$A"
expect_refused "manifest version other than expected" "the manifest names count 1.0.0, expected count 2.0.0" \
        --trust-dir="$TRUST" --signature="$T/ossl.der" --version=2.0.0 "$A"

# build refuses what would not load
cp -r "$T/src" "$T/bad"
sed -i 's/^Entry=count/Entry=nosuch/' "$T/bad/l3af-package.conf"
if "$L3AFCTL" package build -o "$T/bad.tar.gz" "$T/bad" 2> "$T/err"; then fail "build accepted a missing entry"; fi
grep -q "Entry=: no such program" "$T/err" || fail "build: no clear error for a missing entry"
ok "package build refuses a manifest whose Entry= is not in the object"
ln -s /etc/passwd "$T/src/link"
if "$L3AFCTL" package build -o "$T/bad.tar.gz" "$T/src" 2> "$T/err"; then fail "build accepted a symlink"; fi
ok "package build refuses links"
"$L3AFCTL" package --help | contains "l3afctl package build" || fail "no --help"
ok "--help"
echo "all package tool checks passed"
