/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Trust: detached CMS/PKCS#7 signatures (DER or PEM) over an artifact's exact
 * bytes, verified with GnuTLS against the X.509 certificates an administrator
 * placed in the trust directory (CAs, or signers' own certificates).
 *
 * A signature is accepted when it matches the bytes, its signer's certificate
 * chains to a certificate of the trust directory, and every certificate on the
 * way is valid now. The signer's certificate must allow digital signatures
 * (keyUsage) and, if it names extended key usages, code signing.
 */
#pragma once

#include <glib.h>
#include <stddef.h>

typedef struct TrustStore TrustStore;

/*
 * Reads every certificate (*.pem, *.crt, *.cer, *.der; PEM files may hold
 * several) in 'dir'. Fails when it holds none: with nothing trusted, nothing
 * could verify.
 */
int trust_store_load(const char *dir, TrustStore **ret, char **ret_error);
void trust_store_free(TrustStore *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TrustStore, trust_store_free)

/*
 * Verifies 'sig' over 'data'. On success *ret_signer is the signer's subject
 * (RFC 4514). On failure *ret_error says why, in words an administrator can
 * act on: which signer, which certificate, which date.
 */
int trust_verify(const TrustStore *t, const void *data, size_t size, const void *sig, size_t sig_size,
                 char **ret_signer, char **ret_error);
