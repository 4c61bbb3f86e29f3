/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

#include "sign.h"
#include "util.h"

#define SIGN_FILE_MAX (1024 * 1024)

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_pkcs7_t, gnutls_pkcs7_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_privkey_t, gnutls_privkey_deinit, NULL)

static void datum_freep(gnutls_datum_t *d)
{
        gnutls_free(d->data);
        d->data = NULL;
}

static int read_small(const char *path, const char *what, char **ret, gsize *ret_size, char **ret_error)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *data = NULL;
        gsize size = 0;

        if (!g_file_get_contents(path, &data, &size, &error)) {
                *ret_error = g_strdup_printf("cannot read the %s %s: %s", what, path, error->message);
                return g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? -ENOENT : -EIO;
        }
        if (size == 0 || size > SIGN_FILE_MAX) {
                *ret_error = g_strdup_printf("the %s %s is %s", what, path, size ? "too large" : "empty");
                return -EBADMSG;
        }
        *ret = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}

int package_sign(const char *cert_file, const char *key_file, const void *data, size_t size, GBytes **ret,
                 char **ret_error)
{
        g_auto(gnutls_x509_crt_t) crt = NULL;
        g_auto(gnutls_privkey_t) key = NULL;
        g_auto(gnutls_pkcs7_t) p7 = NULL, check = NULL;
        _cleanup_(datum_freep) gnutls_datum_t out = {};
        g_autofree char *cert_text = NULL, *key_text = NULL;
        gsize cert_size = 0, key_size = 0;
        gnutls_datum_t d, content = { .data = (unsigned char *) data, .size = size };
        int r;

        if (size > UINT_MAX) {
                *ret_error = g_strdup("the file is too large to sign");
                return -EFBIG;
        }
        r = read_small(cert_file, "certificate", &cert_text, &cert_size, ret_error);
        if (r < 0)
                return r;
        r = read_small(key_file, "private key", &key_text, &key_size, ret_error);
        if (r < 0)
                return r;

        if (gnutls_x509_crt_init(&crt) < 0 || gnutls_privkey_init(&key) < 0 || gnutls_pkcs7_init(&p7) < 0 ||
            gnutls_pkcs7_init(&check) < 0) {
                *ret_error = g_strdup("out of memory");
                return -ENOMEM;
        }
        d = (gnutls_datum_t) { .data = (unsigned char *) cert_text, .size = cert_size };
        r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
        if (r < 0)
                r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
        if (r < 0) {
                *ret_error = g_strdup_printf("%s is not an X.509 certificate (PEM or DER): %s", cert_file,
                                             gnutls_strerror(r));
                return -EBADMSG;
        }
        d = (gnutls_datum_t) { .data = (unsigned char *) key_text, .size = key_size };
        r = gnutls_privkey_import_x509_raw(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
        if (r < 0)
                r = gnutls_privkey_import_x509_raw(key, &d, GNUTLS_X509_FMT_DER, NULL, 0);
        if (r < 0) {
                *ret_error = g_strdup_printf("%s is not an unencrypted private key (PEM or DER): %s", key_file,
                                             gnutls_strerror(r));
                return -EBADMSG;
        }

        /* No GNUTLS_PKCS7_EMBED_DATA: detached, as l3afd reads it beside the artifact. */
        r = gnutls_pkcs7_sign(p7, crt, key, &content, NULL, NULL, GNUTLS_DIG_SHA256,
                              GNUTLS_PKCS7_INCLUDE_TIME | GNUTLS_PKCS7_INCLUDE_CERT);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot sign: %s", gnutls_strerror(r));
                return -EKEYREJECTED;
        }
        r = gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, &out);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot encode the signature: %s", gnutls_strerror(r));
                return -EIO;
        }

        /* A key that is not the certificate's signs happily: catch it here, not at load time. */
        r = gnutls_pkcs7_import(check, &out, GNUTLS_X509_FMT_DER);
        if (r >= 0)
                r = gnutls_pkcs7_verify_direct(check, crt, 0, &content, 0);
        if (r < 0) {
                *ret_error = g_strdup_printf("the private key %s does not belong to the certificate %s: %s",
                                             key_file, cert_file, gnutls_strerror(r));
                return -EKEYREJECTED;
        }
        *ret = g_bytes_new(out.data, out.size);
        return 0;
}
