/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <time.h>

#include "trust.h"
#include "util.h"

#define CERT_FILE_MAX (1024 * 1024)
#define TRUST_CERTS_MAX 1024

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_pkcs7_t, gnutls_pkcs7_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)

static void datum_freep(gnutls_datum_t *d)
{
        gnutls_free(d->data);
        d->data = NULL;
}
#define _cleanup_datum_ _cleanup_(datum_freep)

static void signature_info_donep(gnutls_pkcs7_signature_info_st *i)
{
        gnutls_pkcs7_signature_info_deinit(i);
}

struct TrustStore {
        char *dir;
        GPtrArray *certs;   /* gnutls_x509_crt_t, owned */
};

static void crt_free(gpointer p)
{
        gnutls_x509_crt_deinit(p);
}

void trust_store_free(TrustStore *t)
{
        if (!t)
                return;
        g_free(t->dir);
        if (t->certs)
                g_ptr_array_unref(t->certs);
        g_free(t);
}


static bool is_cert_file(const char *name)
{
        return g_str_has_suffix(name, ".pem") || g_str_has_suffix(name, ".crt") || g_str_has_suffix(name, ".cer") ||
               g_str_has_suffix(name, ".der");
}

static bool looks_like_pem(const void *data, size_t size)
{
        return g_strstr_len(data, MIN(size, (size_t) 64 * 1024), "-----BEGIN ") != NULL;
}

static int load_file(TrustStore *t, const char *path, char **ret_error)
{
        g_autofree char *data = NULL;
        g_autoptr(GError) error = NULL;
        gnutls_x509_crt_t *list = NULL;
        unsigned n = 0;
        gsize size;
        int r;

        if (!g_file_get_contents(path, &data, &size, &error)) {
                *ret_error = g_strdup_printf("cannot read %s: %s", path, error->message);
                return -EIO;
        }
        if (size > CERT_FILE_MAX) {
                *ret_error = g_strdup_printf("%s is larger than %d bytes", path, CERT_FILE_MAX);
                return -EFBIG;
        }
        r = gnutls_x509_crt_list_import2(&list, &n, &(gnutls_datum_t) { (unsigned char *) data, size },
                                         looks_like_pem(data, size) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
        if (r < 0) {
                *ret_error = g_strdup_printf("%s holds no valid X.509 certificate: %s", path, gnutls_strerror(r));
                return -EBADMSG;
        }
        for (unsigned i = 0; i < n; i++) {
                if (t->certs->len < TRUST_CERTS_MAX)
                        g_ptr_array_add(t->certs, list[i]);
                else
                        gnutls_x509_crt_deinit(list[i]);
        }
        gnutls_free(list);
        return 0;
}

int trust_store_load(const char *dir, TrustStore **ret, char **ret_error)
{
        g_autoptr(TrustStore) t = g_new0(TrustStore, 1);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;
        int r;

        t->dir = g_strdup(dir);
        t->certs = g_ptr_array_new_with_free_func(crt_free);
        d = g_dir_open(dir, 0, &error);
        if (!d) {
                *ret_error = g_strdup_printf("cannot read the trust directory %s: %s", dir, error->message);
                return -ENOENT;
        }
        while ((name = g_dir_read_name(d)))
                if (is_cert_file(name))
                        g_ptr_array_add(names, g_build_filename(dir, name, NULL));
        g_ptr_array_sort(names, strptr_compare);
        for (guint i = 0; i < names->len; i++) {
                r = load_file(t, names->pdata[i], ret_error);
                if (r < 0)
                        return r;
        }
        if (t->certs->len == 0) {
                *ret_error = g_strdup_printf("the trust directory %s holds no certificate (*.pem, *.crt, *.der)", dir);
                return -ENOKEY;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

/* GnuTLS has no certificate copy; the trust list takes ownership of what it gets. */
static gnutls_x509_crt_t crt_dup(gnutls_x509_crt_t c)
{
        _cleanup_datum_ gnutls_datum_t der = {};
        gnutls_x509_crt_t copy;

        if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der) < 0 || gnutls_x509_crt_init(&copy) < 0)
                return NULL;
        if (gnutls_x509_crt_import(copy, &der, GNUTLS_X509_FMT_DER) < 0) {
                gnutls_x509_crt_deinit(copy);
                return NULL;
        }
        return copy;
}

static char *crt_subject(gnutls_x509_crt_t c)
{
        _cleanup_datum_ gnutls_datum_t dn = {};
        char *s;

        if (gnutls_x509_crt_get_dn3(c, &dn, 0) < 0)
                return g_strdup("(unreadable subject)");
        s = g_strndup((const char *) dn.data, dn.size);
        return s;
}

static char *format_time(time_t t)
{
        g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

        return d ? g_date_time_format(d, "%Y-%m-%d %H:%M:%S UTC") : g_strdup("(unrepresentable date)");
}

static bool datum_eq(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
        return a->size == b->size && a->size > 0 && memcmp(a->data, b->data, a->size) == 0;
}

/* Does certificate 'c' belong to the signer that 'info' names (issuer and serial, or key id)? */
static bool crt_is_signer(gnutls_x509_crt_t c, const gnutls_pkcs7_signature_info_st *info)
{
        if (info->issuer_dn.size > 0) {
                _cleanup_datum_ gnutls_datum_t issuer = {};
                unsigned char serial[128];
                size_t serial_size = sizeof(serial);

                if (gnutls_x509_crt_get_raw_issuer_dn(c, &issuer) < 0 ||
                    gnutls_x509_crt_get_serial(c, serial, &serial_size) < 0)
                        return false;
                return datum_eq(&issuer, &info->issuer_dn) &&
                       datum_eq(&(gnutls_datum_t) { serial, serial_size }, &info->signer_serial);
        }
        if (info->issuer_keyid.size > 0) {
                unsigned char id[128];
                size_t id_size = sizeof(id);
                unsigned critical;

                if (gnutls_x509_crt_get_subject_key_id(c, id, &id_size, &critical) < 0)
                        return false;
                return datum_eq(&(gnutls_datum_t) { id, id_size }, &info->issuer_keyid);
        }
        return false;
}

/* Finds the signer's certificate among those the signature carries, then the trusted ones. */
static gnutls_x509_crt_t find_signer(const TrustStore *t, gnutls_pkcs7_t p7,
                                     const gnutls_pkcs7_signature_info_st *info)
{
        int n = gnutls_pkcs7_get_crt_count(p7);

        for (int i = 0; i < n; i++) {
                _cleanup_datum_ gnutls_datum_t raw = {};
                gnutls_x509_crt_t c;

                if (gnutls_pkcs7_get_crt_raw2(p7, i, &raw) < 0 || gnutls_x509_crt_init(&c) < 0)
                        continue;
                if (gnutls_x509_crt_import(c, &raw, GNUTLS_X509_FMT_DER) >= 0 && crt_is_signer(c, info))
                        return c;
                gnutls_x509_crt_deinit(c);
        }
        for (guint i = 0; i < t->certs->len; i++)
                if (crt_is_signer(t->certs->pdata[i], info))
                        return crt_dup(t->certs->pdata[i]);
        return NULL;
}

static bool store_has(const TrustStore *t, gnutls_x509_crt_t c)
{
        for (guint i = 0; i < t->certs->len; i++)
                if (gnutls_x509_crt_equals(t->certs->pdata[i], c))
                        return true;
        return false;
}

/* Usable for signing packages: valid now, keyUsage digitalSignature, EKU (if any) code signing. */
static int check_signer(gnutls_x509_crt_t c, const char *subject, char **ret_error)
{
        time_t now = time(NULL), from = gnutls_x509_crt_get_activation_time(c),
               until = gnutls_x509_crt_get_expiration_time(c);
        unsigned usage = 0, critical = 0;
        int r;

        if (from != (time_t) -1 && now < from) {
                g_autofree char *when = format_time(from);

                *ret_error = g_strdup_printf("the signer's certificate (%s) is not valid before %s", subject, when);
                return -EKEYREJECTED;
        }
        if (until != (time_t) -1 && now > until) {
                g_autofree char *when = format_time(until);

                *ret_error = g_strdup_printf("the signer's certificate (%s) expired on %s", subject, when);
                return -EKEYEXPIRED;
        }

        r = gnutls_x509_crt_get_key_usage(c, &usage, &critical);
        if (r >= 0 && !(usage & (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_NON_REPUDIATION))) {
                *ret_error = g_strdup_printf("the signer's certificate (%s) does not allow digital signatures "
                                             "(keyUsage)", subject);
                return -EKEYREJECTED;
        }
        if (r < 0 && r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
                *ret_error = g_strdup_printf("the signer's certificate (%s) has an unreadable keyUsage: %s", subject,
                                             gnutls_strerror(r));
                return -EBADMSG;
        }

        for (unsigned i = 0;; i++) {
                char oid[128];
                size_t size = sizeof(oid);

                r = gnutls_x509_crt_get_key_purpose_oid(c, i, oid, &size, &critical);
                if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
                        if (i == 0)
                                break;  /* no extendedKeyUsage: any purpose */
                        *ret_error = g_strdup_printf("the signer's certificate (%s) is not for code signing "
                                                     "(extendedKeyUsage lacks codeSigning)", subject);
                        return -EKEYREJECTED;
                }
                if (r < 0) {
                        *ret_error = g_strdup_printf("the signer's certificate (%s) has an unreadable "
                                                     "extendedKeyUsage: %s", subject, gnutls_strerror(r));
                        return -EBADMSG;
                }
                if (streq(oid, GNUTLS_KP_CODE_SIGNING) || streq(oid, GNUTLS_KP_ANY))
                        break;
        }
        return 0;
}

static int verify_one(const TrustStore *t, gnutls_x509_trust_list_t tl, gnutls_pkcs7_t p7, unsigned idx,
                      const gnutls_datum_t *data, char **ret_signer, char **ret_error)
{
        _cleanup_(signature_info_donep) gnutls_pkcs7_signature_info_st info = {};
        g_auto(gnutls_x509_crt_t) signer = NULL;
        g_autofree char *subject = NULL;
        gnutls_typed_vdata_st purpose = {
                .type = GNUTLS_DT_KEY_PURPOSE_OID,
                .data = (unsigned char *) GNUTLS_KP_CODE_SIGNING,
        };
        int r;

        r = gnutls_pkcs7_get_signature_info(p7, idx, &info);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot read signer %u: %s", idx, gnutls_strerror(r));
                return -EBADMSG;
        }
        signer = find_signer(t, p7, &info);
        if (!signer) {
                *ret_error = g_strdup_printf("the signature does not carry its signer's certificate, and no "
                                             "certificate in %s is the signer's", t->dir);
                return -ENOKEY;
        }
        subject = crt_subject(signer);

        /* The signer's own certificate first, for a precise reason (dates, usage). */
        r = check_signer(signer, subject, ret_error);
        if (r < 0)
                return r;
        /* The usual case, hashing the bytes once: they match and the signer chains to the trust directory. */
        r = gnutls_pkcs7_verify(p7, tl, &purpose, 1, idx, data, 0);
        if (r >= 0) {
                *ret_signer = TAKE_PTR(subject);
                return 0;
        }
        /* Otherwise, the bytes: a tampered artifact is reported as such, whoever signed it. */
        r = gnutls_pkcs7_verify_direct(p7, signer, idx, data, 0);
        if (r < 0) {
                *ret_error = g_strdup_printf("the signature by %s does not match the artifact's bytes (modified "
                                             "after signing, or the wrong file): %s", subject, gnutls_strerror(r));
                return -EBADMSG;
        }
        /* The bytes match, so what is left is trust: the signer's own certificate is trusted as it is... */
        if (store_has(t, signer)) {
                *ret_signer = TAKE_PTR(subject);
                return 0;
        }
        /* ...or it is not trusted. */
        r = gnutls_pkcs7_verify(p7, tl, &purpose, 1, idx, data, 0);
        if (r < 0) {
                *ret_error = g_strdup_printf("the signer %s is not trusted: no certificate in %s vouches for it "
                                             "(or one on the way is not valid now, or not for code signing): %s",
                                             subject, t->dir, gnutls_strerror(r));
                return -EKEYREJECTED;
        }
        *ret_signer = TAKE_PTR(subject);
        return 0;
}

/* DER, or PEM as "PKCS7" (certtool) or "CMS" (openssl cms -outform PEM). */
static int import_signature(gnutls_pkcs7_t p7, const void *sig, size_t sig_size)
{
        _cleanup_datum_ gnutls_datum_t der = {};
        gnutls_datum_t in = { (unsigned char *) sig, sig_size };
        int r;

        if (!looks_like_pem(sig, sig_size))
                return gnutls_pkcs7_import(p7, &in, GNUTLS_X509_FMT_DER);
        if (g_strstr_len(sig, sig_size, "-----BEGIN CMS-----")) {
                r = gnutls_pem_base64_decode2("CMS", &in, &der);
                if (r < 0)
                        return r;
                return gnutls_pkcs7_import(p7, &der, GNUTLS_X509_FMT_DER);
        }
        return gnutls_pkcs7_import(p7, &in, GNUTLS_X509_FMT_PEM);
}

int trust_verify(const TrustStore *t, const void *data, size_t size, const void *sig, size_t sig_size,
                 char **ret_signer, char **ret_error)
{
        g_auto(gnutls_pkcs7_t) p7 = NULL;
        gnutls_x509_trust_list_t tl = NULL;
        gnutls_datum_t d = { (unsigned char *) data, size };
        g_autofree char *first_error = NULL;
        int n, r, first_r = -EBADMSG;

        if (size > UINT_MAX) {
                *ret_error = g_strdup("the artifact is too large to verify");
                return -EFBIG;
        }
        r = gnutls_pkcs7_init(&p7);
        if (r < 0)
                return -ENOMEM;
        r = import_signature(p7, sig, sig_size);
        if (r < 0) {
                *ret_error = g_strdup_printf("the signature is not a CMS/PKCS#7 structure: %s", gnutls_strerror(r));
                return -EBADMSG;
        }
        n = gnutls_pkcs7_get_signature_count(p7);
        if (n <= 0) {
                *ret_error = g_strdup("the CMS/PKCS#7 structure holds no signature");
                return -EBADMSG;
        }

        r = gnutls_x509_trust_list_init(&tl, 0);
        if (r < 0)
                return -ENOMEM;
        for (guint i = 0; i < t->certs->len; i++) {
                gnutls_x509_crt_t c = crt_dup(t->certs->pdata[i]);

                if (!c || gnutls_x509_trust_list_add_cas(tl, &c, 1, 0) != 1) {
                        gnutls_x509_trust_list_deinit(tl, 1);
                        *ret_error = g_strdup("cannot build the trust list");
                        return -ENOMEM;
                }
        }

        /* Any one valid signature from a trusted signer will do. */
        for (int i = 0; i < n; i++) {
                g_autofree char *error = NULL;

                r = verify_one(t, tl, p7, i, &d, ret_signer, &error);
                if (r >= 0) {
                        gnutls_x509_trust_list_deinit(tl, 1);
                        return 0;
                }
                if (!first_error) {
                        first_error = TAKE_PTR(error);
                        first_r = r;
                }
        }
        gnutls_x509_trust_list_deinit(tl, 1);
        *ret_error = TAKE_PTR(first_error);
        return first_r;
}
