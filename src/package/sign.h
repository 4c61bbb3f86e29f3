/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signing: the detached CMS/PKCS#7 signature (RFC 5652, DER) over an
 * artifact's exact bytes that trust.c verifies, made with GnuTLS from an
 * administrator's X.509 certificate and private key. The same shape as
 * `openssl cms -sign -binary -outform DER` and `certtool --p7-detached-sign`:
 * SHA-256, signed attributes with the signing time, the signer's certificate
 * included.
 */
#pragma once

#include <glib.h>
#include <stddef.h>

/*
 * Signs 'size' bytes at 'data' with the certificate in 'cert_file' and the
 * unencrypted private key in 'key_file' (PEM or DER each). Checks that the key
 * belongs to the certificate by verifying the new signature against it.
 * Returns 0 and the signature (DER), or a negative errno with *ret_error
 * saying why: -ENOENT/-EIO a file cannot be read, -EBADMSG a file is not a
 * certificate or key, -EKEYREJECTED the key is not the certificate's.
 */
int package_sign(const char *cert_file, const char *key_file, const void *data, size_t size, GBytes **ret,
                 char **ret_error);
