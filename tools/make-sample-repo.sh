#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the demo's sample package repository from the sample BPF objects,
# signed with a TEST key made here, at build time (no private key is committed).
#
#   make-sample-repo.sh L3AFCTL SAMPLES_DIR OUT_DIR
#
#   OUT_DIR/repo/<name>/<version>/<name>.tar.gz[.p7s]   the repository (file://)
#   OUT_DIR/trust/l3af-demo-TEST-ONLY.pem               the only certificate that trusts it
#   OUT_DIR/test-key/                                   the TEST private key: never trust it elsewhere
set -euo pipefail

L3AFCTL=$1 SAMPLES=$2 OUT=$3
rm -rf "$OUT"
mkdir -p "$OUT/repo" "$OUT/trust" "$OUT/test-key" "$OUT/src"
chmod 700 "$OUT/test-key"

SUBJECT="/O=L3AF DEMO - TEST KEY - NOT FOR PRODUCTION/CN=l3afd demo packages TEST-ONLY signer"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "$SUBJECT" \
        -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
        -addext "basicConstraints=critical,CA:FALSE" \
        -keyout "$OUT/test-key/l3af-demo-TEST-ONLY.key" -out "$OUT/trust/l3af-demo-TEST-ONLY.pem" 2>/dev/null

cat > "$OUT/README" <<'EOT'
l3afd demo package repository. Its packages are signed with a TEST key that was
generated when this tree was built (test-key/). Trust trust/l3af-demo-TEST-ONLY.pem
only in the demo's own trust directory, never in /etc/l3af/trust.d of a real host.
EOT

# package NAME VERSION DESCRIPTION [Program keys...]
package() {
        local name=$1 version=$2 description=$3; shift 3
        local dir="$OUT/src/$name-$version"
        mkdir -p "$dir"
        cp "$SAMPLES/$name.bpf.o" "$dir/"
        {
                echo "[Package]"
                echo "Name=$name"
                echo "Version=$version"
                echo "Description=$description"
                echo "License=BSD-2-Clause OR GPL-2.0-only"
                echo
                echo "[Program $name]"
                echo "Object=$name.bpf.o"
                echo "Type=xdp"
                printf '%s\n' "$@"
        } > "$dir/l3af-package.conf"
        SOURCE_DATE_EPOCH=0 "$L3AFCTL" package build --repository="$OUT/repo" "$dir" >/dev/null
        local artifact="$OUT/repo/$name/$version/$name.tar.gz"
        openssl cms -sign -binary -outform DER -in "$artifact" \
                -signer "$OUT/trust/l3af-demo-TEST-ONLY.pem" -inkey "$OUT/test-key/l3af-demo-TEST-ONLY.key" \
                -out "$artifact.p7s"
        "$L3AFCTL" package verify --trust-dir="$OUT/trust" --name="$name" --version="$version" "$artifact" >/dev/null
}

package count 1.0.0 "Counts every packet (sample)" "Entry=count" "NextMap=l3af_next"
package portdrop 1.0.0 "Drops UDP packets to one configured port (sample)" "Entry=portdrop" "NextMap=l3af_next" \
        "ConfigMaps=portdrop_config"
package portdrop 1.1.0 "Drops UDP packets to one configured port (sample, newer release)" "Entry=portdrop" \
        "NextMap=l3af_next" "ConfigMaps=portdrop_config"
package pathcheck 1.0.0 "Checks packets against declared valid paths (sample)" "Entry=pathcheck" \
        "NextMap=l3af_next" "ConfigMaps=pathcheck_id;pc_valid"
package sink 1.0.0 "Counts protocols and passes everything; last in a chain (sample)" "Entry=sink"
rm -rf "$OUT/src"
touch "$OUT"
