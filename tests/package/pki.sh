# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the package tests: make_pki DIR creates a small test PKI with
# certtool. Every key here is a TEST key, made fresh for one test run.
#
#   ca            test CA (trusted by the tests)
#   signer        code-signing certificate issued by ca
#   self          self-signed code-signing certificate (trusted as itself)
#   rogue-ca, rogue   a CA nobody trusts, and a signer it issued
#   expired       issued by ca, expired in 2020
#   future        issued by ca, valid from 2099
#   enc-only      issued by ca, keyUsage keyEncipherment only
#   server-eku    issued by ca, extendedKeyUsage serverAuth only
#   server        TLS server certificate for 127.0.0.1/localhost, issued by ca
#   rogue-server  self-signed TLS server certificate for 127.0.0.1

_pki_key() {  # FILE [rsa]
        if [ "${2:-}" = rsa ]; then
                certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$1" 2>/dev/null
        else
                certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1" 2>/dev/null
        fi
}

_pki_tmpl() {  # _pki_tmpl FILE CN SERIAL EXTRA-LINES...
        local f=$1 cn=$2 serial=$3; shift 3
        { echo "cn = \"$cn\""; echo "organization = \"L3AF TEST ONLY\""; echo "serial = $serial"; printf '%s\n' "$@"; } > "$f"
}

_pki_self() {  # NAME CN SERIAL EXTRA...
        local d=$PKI name=$1 cn=$2 serial=$3; shift 3
        _pki_key "$d/$name.key"
        _pki_tmpl "$d/$name.tmpl" "$cn" "$serial" "$@"
        certtool --generate-self-signed --load-privkey "$d/$name.key" --template "$d/$name.tmpl" \
                --outfile "$d/$name.pem" 2>/dev/null
}

_pki_issue() {  # NAME ISSUER CN SERIAL EXTRA...
        local d=$PKI name=$1 issuer=$2 cn=$3 serial=$4; shift 4
        # An RSA key where the usage must be encryption alone (certtool gives EC keys digitalSignature).
        _pki_key "$d/$name.key" "$([ "$name" = enc-only ] && echo rsa)"
        _pki_tmpl "$d/$name.tmpl" "$cn" "$serial" "$@"
        certtool --generate-certificate --load-privkey "$d/$name.key" --load-ca-certificate "$d/$issuer.pem" \
                --load-ca-privkey "$d/$issuer.key" --template "$d/$name.tmpl" --outfile "$d/$name.pem" 2>/dev/null
}

make_pki() {
        PKI=$1
        mkdir -p "$PKI"
        local valid="expiration_days = 30"
        _pki_self ca "L3AF Test CA" 1 "$valid" ca cert_signing_key crl_signing_key
        _pki_issue signer ca "L3AF Test Signer" 2 "$valid" signing_key code_signing_key
        _pki_self self "L3AF Test Self-Signed Signer" 3 "$valid" signing_key code_signing_key
        _pki_self rogue-ca "Rogue CA" 4 "$valid" ca cert_signing_key
        _pki_issue rogue rogue-ca "Rogue Signer" 5 "$valid" signing_key code_signing_key
        _pki_issue expired ca "L3AF Expired Signer" 6 'activation_date = "2019-01-01 00:00:00"' \
                'expiration_date = "2020-01-01 00:00:00"' signing_key code_signing_key
        _pki_issue future ca "L3AF Future Signer" 7 'activation_date = "2099-01-01 00:00:00"' \
                'expiration_date = "2100-01-01 00:00:00"' signing_key code_signing_key
        _pki_issue enc-only ca "L3AF Encryption-Only Cert" 8 "$valid" encryption_key
        _pki_issue server-eku ca "L3AF Server-Auth-Only Cert" 9 "$valid" signing_key tls_www_server
        _pki_issue server ca "127.0.0.1" 10 "$valid" signing_key encryption_key tls_www_server \
                'ip_address = "127.0.0.1"' 'dns_name = "localhost"'
        _pki_self rogue-server "127.0.0.1" 11 "$valid" signing_key encryption_key tls_www_server \
                'ip_address = "127.0.0.1"' 'dns_name = "localhost"'
        mkdir -p "$PKI/trust"
        cp "$PKI/ca.pem" "$PKI/trust/test-ca.pem"
        cp "$PKI/self.pem" "$PKI/trust/self-signer.pem"
}

# sign_openssl FILE CERT-NAME [OUT]: stock openssl cms, DER, detached
sign_openssl() {
        openssl cms -sign -binary -outform DER -in "$1" -signer "$PKI/$2.pem" -inkey "$PKI/$2.key" \
                -out "${3:-$1.p7s}"
}

# sign_certtool FILE CERT-NAME [OUT]: stock certtool, PEM, detached
sign_certtool() {
        certtool --p7-detached-sign --load-certificate "$PKI/$2.pem" --load-privkey "$PKI/$2.key" \
                --infile "$1" --outfile "${3:-$1.p7s}" 2>/dev/null
}
