/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "bpf-util.h"
#include "extract.h"
#include "fetch.h"
#include "file-stamp.h"
#include "log.h"
#include "manifest.h"
#include "package.h"
#include "problem.h"
#include "semver.h"
#include "trust.h"
#include "util.h"

#define SIGNATURE_SIZE_MAX (1024u * 1024u)
#define SIGNATURE_SUFFIX ".p7s"
#define INDEX_GROUP "Artifact"

/* What one resolve is about; the fields of its journal entries. */
typedef struct Job {
        const Settings *s;
        ProgramSpec *p;
        const ChainId *chain;
        GPtrArray *problems;
        char *artifact;     /* file name in the repository */
        char *url;
        char *sha256;       /* of the artifact in use */
        FetchSession *fetch;
        gint64 start, fetched, verified, extracted;  /* when each step ended (monotonic, us) */
} Job;

static void job_done(Job *j)
{
        g_free(j->artifact);
        g_free(j->url);
        g_free(j->sha256);
        fetch_session_free(j->fetch);
}

static void unlinkp(char **p)
{
        if (*p) {
                (void) unlink(*p);
                g_free(*p);
        }
}

static void log_package(const Job *j, int level, const char *message_id, const char *signer, const char *text)
{
        g_autofree char *f_package = g_strdup_printf("L3AF_PACKAGE=%s", j->p->package);
        g_autofree char *f_version = g_strdup_printf("L3AF_PACKAGE_VERSION=%s", j->p->version);
        g_autofree char *f_dropin = g_strdup_printf("L3AF_DROPIN=%s", j->p->source);
        g_autofree char *f_url = j->url ? g_strdup_printf("L3AF_URL=%s", j->url) : NULL;
        g_autofree char *f_sha = j->sha256 ? g_strdup_printf("L3AF_SHA256=%s", j->sha256) : NULL;
        g_autofree char *f_signer = signer ? g_strdup_printf("L3AF_SIGNER=%s", signer) : NULL;
        const char *extra[8] = {};
        LogFields f = { .program = j->p->name, .extra = extra };
        size_t n = 0;

        extra[n++] = f_package;
        extra[n++] = f_version;
        extra[n++] = f_dropin;
        if (f_url)
                extra[n++] = f_url;
        if (f_sha)
                extra[n++] = f_sha;
        if (f_signer)
                extra[n++] = f_signer;
        if (j->chain) {
                f.interface = j->chain->ifname;
                f.hook = hook_to_string(j->chain->hook);
        }
        log_structured(level, 0, message_id, &f, "%s", text);
}

/* Counted from every reconcile's worker thread, read by the metrics endpoint on the loop. */
static uint64_t verifications_total, refusals_total;

void package_counters(uint64_t *ret_verifications, uint64_t *ret_refusals)
{
        *ret_verifications = __atomic_load_n(&verifications_total, __ATOMIC_RELAXED);
        *ret_refusals = __atomic_load_n(&refusals_total, __ATOMIC_RELAXED);
}

/* Refuses the package: a problem blocking the chain, and a journal entry. Returns r. */
static int refuse(const Job *j, int r, const char *key, const char *format, ...) _printf_(4, 5);
static int refuse(const Job *j, int r, const char *key, const char *format, ...)
{
        g_autofree char *why = NULL, *text = NULL;
        va_list ap;

        __atomic_add_fetch(&refusals_total, 1, __ATOMIC_RELAXED);
        va_start(ap, format);
        why = g_strdup_vprintf(format, ap);
        va_end(ap);
        problems_add(j->problems, false, j->p->source, j->chain, "Program", key, "package %s %s refused: %s",
                     j->p->package, j->p->version, why);
        text = g_strdup_printf("Package %s %s for %s refused: %s", j->p->package, j->p->version, j->p->name, why);
        log_package(j, LOG_ERR, L3AF_MSG_PACKAGE_REFUSED, NULL, text);
        return r;
}

static void hash_freep(gnutls_hash_hd_t *h)
{
        if (*h)
                gnutls_hash_deinit(*h, NULL);
}

/* GnuTLS's sha256 (nettle, with the CPU's SHA instructions) is about twice GLib's speed. */
int package_file_sha256(const char *path, char **ret)
{
        _cleanup_(hash_freep) gnutls_hash_hd_t h = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        g_autofree uint8_t *buf = NULL;
        uint8_t digest[32];
        char *hex;

        if (fd < 0)
                return negative_errno();
        if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
                return -ENOMEM;
        buf = g_malloc(256 * 1024);
        for (;;) {
                ssize_t n = read(fd, buf, 256 * 1024);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                if (gnutls_hash(h, buf, n) < 0)
                        return -EIO;
        }
        gnutls_hash_output(h, digest);
        hex = g_malloc(sizeof(digest) * 2 + 1);
        for (size_t i = 0; i < sizeof(digest); i++)
                sprintf(hex + 2 * i, "%02x", digest[i]);
        *ret = hex;
        return 0;
}

static char *cache_path(const Settings *s, const char *a, const char *b)
{
        return g_build_filename(s->cache_dir, a, b, NULL);
}

static char *index_path(const Job *j)
{
        return g_build_filename(j->s->cache_dir, "index", j->p->package, j->p->version, j->artifact, NULL);
}

/* The digests the index remembers for this URL: artifact, and signature (or NULL). */
static int index_read(const Job *j, char **ret_artifact, char **ret_signature)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *path = index_path(j), *a = NULL, *sig = NULL, *url = NULL;

        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
                return -ENOENT;
        /* Another repository is another source: fetch from the one asked for. */
        url = g_key_file_get_string(kf, INDEX_GROUP, "URL", NULL);
        if (!streq_ptr(url, j->url))
                return -ENOENT;
        a = g_key_file_get_string(kf, INDEX_GROUP, "SHA256", NULL);
        sig = g_key_file_get_string(kf, INDEX_GROUP, "SignatureSHA256", NULL);
        if (!a || strlen(a) != 64 || (sig && strlen(sig) != 64))
                return -EINVAL;
        *ret_artifact = TAKE_PTR(a);
        *ret_signature = isempty(sig) ? NULL : TAKE_PTR(sig);
        return 0;
}

static int index_write(const Job *j, const char *sha, const char *sig_sha)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *path = index_path(j), *dir = g_path_get_dirname(path), *data = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        g_key_file_set_string(kf, INDEX_GROUP, "URL", j->url);
        g_key_file_set_string(kf, INDEX_GROUP, "SHA256", sha);
        g_key_file_set_string(kf, INDEX_GROUP, "SignatureSHA256", sig_sha ? sig_sha : "");
        data = g_key_file_to_data(kf, NULL, NULL);
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        if (!g_file_set_contents_full(path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
                return -EIO;
        return 0;
}

/* Is the cached blob still what its name says? */
static int blob_check(const Settings *s, const char *sha)
{
        g_autofree char *path = cache_path(s, "artifacts", sha), *actual = NULL;
        int r;

        r = package_file_sha256(path, &actual);
        if (r < 0)
                return r;
        return streq(actual, sha) ? 0 : -EBADMSG;
}

/*
 * Downloads 'url' into the cache under its sha256. -ENOENT when the repository
 * has no such file.
 */
static int download(Job *j, const char *url, uint64_t size_max, char **ret_sha, char **ret_error)
{
        const Settings *s = j->s;
        FetchOptions o = {
                .ca_file = s->ca_file,
                .size_max = size_max,
                .connect_timeout_usec = s->connect_timeout_usec,
                .timeout_usec = s->fetch_timeout_usec,
                .stall_timeout_usec = s->stall_timeout_usec,
                .retries = s->fetch_retries,
        };
        _cleanup_(unlinkp) char *tmp = g_build_filename(s->cache_dir, "tmp", "download-XXXXXX", NULL);
        g_autofree char *sha = NULL, *dest = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = negative_errno();
                g_clear_pointer(&tmp, g_free);
                *ret_error = g_strdup_printf("cannot create a file in %s/tmp: %s", s->cache_dir, g_strerror(-r));
                return r;
        }
        if (!j->fetch)
                j->fetch = fetch_session_new();
        r = fetch_to_fd(j->fetch, &o, url, fd, ret_error);
        if (r < 0)
                return r;
        if (fsync(fd) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot write %s: %s", tmp, g_strerror(-r));
                return r;
        }
        r = package_file_sha256(tmp, &sha);
        if (r < 0) {
                *ret_error = g_strdup_printf("cannot read back %s: %s", tmp, g_strerror(-r));
                return r;
        }
        dest = cache_path(s, "artifacts", sha);
        if (fchmod(fd, 0400) < 0 || rename(tmp, dest) < 0) {
                r = negative_errno();
                *ret_error = g_strdup_printf("cannot store %s: %s", dest, g_strerror(-r));
                return r;
        }
        g_clear_pointer(&tmp, g_free);
        *ret_sha = TAKE_PTR(sha);
        return 0;
}

typedef struct Artifact {
        char *sha;         /* artifact */
        char *sig_sha;     /* its signature, or NULL: the repository has none */
        bool fetched;      /* downloaded now, not from the cache */
} Artifact;

static void artifact_done(Artifact *a)
{
        g_free(a->sha);
        g_free(a->sig_sha);
}

/* Takes the artifact from the cache when it is intact there, or else fetches it. */
static int obtain(Job *j, Artifact *ret)
{
        g_autofree char *sha = NULL, *sig_sha = NULL, *sig_url = NULL, *error = NULL, *modified = NULL;
        int r;

        r = index_read(j, &sha, &sig_sha);
        if (r >= 0) {
                int a = blob_check(j->s, sha), b = sig_sha ? blob_check(j->s, sig_sha) : 0;

                /* Cached unsigned (insecure mode earlier): in secure mode, ask the repository again. */
                if (a >= 0 && b >= 0 && (sig_sha || !j->s->require_signatures)) {
                        g_autofree char *path = index_path(j);

                        (void) utime(path, NULL);  /* recency, for the garbage collector */
                        *ret = (Artifact) { .sha = TAKE_PTR(sha), .sig_sha = TAKE_PTR(sig_sha) };
                        log_debug("Package %s %s: using the cached artifact %s.", j->p->package, j->p->version,
                                  ret->sha);
                        return 0;
                }
                if (a == -EBADMSG || b == -EBADMSG) {
                        g_autofree char *blob = cache_path(j->s, "artifacts", a == -EBADMSG ? sha : sig_sha);
                        g_autofree char *text = NULL;

                        modified = g_strdup_printf("the cached %s %s was modified on disk (its sha256 is not %s)",
                                                   a == -EBADMSG ? "artifact" : "signature", blob,
                                                   a == -EBADMSG ? sha : sig_sha);
                        text = g_strdup_printf("Package %s %s: %s; fetching it again.", j->p->package,
                                               j->p->version, modified);
                        log_package(j, LOG_WARNING, L3AF_MSG_PACKAGE_REFUSED, NULL, text);
                        (void) unlink(blob);
                }
                g_clear_pointer(&sha, g_free);
                g_clear_pointer(&sig_sha, g_free);
        }

        r = download(j, j->url, j->s->fetch_size_max, &sha, &error);
        if (r < 0) {
                if (modified)
                        return refuse(j, r, "Package", "%s, and fetching %s again failed: %s", modified, j->url, error);
                return refuse(j, r, "Package", "cannot fetch %s: %s", j->url, error);
        }
        sig_url = g_strconcat(j->url, SIGNATURE_SUFFIX, NULL);
        g_clear_pointer(&error, g_free);
        r = download(j, sig_url, SIGNATURE_SIZE_MAX, &sig_sha, &error);
        if (r == -ENOENT)
                log_debug("Package %s %s: the repository has no %s.", j->p->package, j->p->version, sig_url);
        else if (r < 0)
                return refuse(j, r, "Package", "cannot fetch the signature %s: %s", sig_url, error);
        *ret = (Artifact) { .sha = TAKE_PTR(sha), .sig_sha = TAKE_PTR(sig_sha), .fetched = true };
        return 0;
}

static GBytes *read_blob(const Settings *s, const char *sha, char **ret_error)
{
        g_autofree char *path = cache_path(s, "artifacts", sha);
        g_autoptr(GError) error = NULL;
        GMappedFile *m = g_mapped_file_new(path, FALSE, &error);
        GBytes *b;

        if (!m) {
                *ret_error = g_strdup_printf("cannot read %s: %s", path, error->message);
                return NULL;
        }
        b = g_mapped_file_get_bytes(m);
        g_mapped_file_unref(m);
        return b;
}

/*
 * Records 'path' (a file or a directory) among the files the package was
 * resolved from, before it is used (file-stamp.h). A directory is recorded
 * with its entries' names, so a file added or removed shows.
 */
static int record(GPtrArray *deps, const char *path)
{
        FileDep *d = NULL;
        int r = file_dep_record(path, NULL, 0, &d);

        if (r < 0)
                return r;
        g_ptr_array_add(deps, d);
        return 0;
}

static int record_tree(GPtrArray *deps, const char *dir, unsigned depth)
{
        g_autoptr(GPtrArray) names = NULL;
        int r;

        r = record(deps, dir);
        if (r < 0)
                return r;
        r = dir_list(dir, &names);
        if (r < 0)
                return r;
        for (guint i = 0; i < names->len; i++) {
                g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
                struct stat st;

                if (lstat(path, &st) < 0)
                        return negative_errno();
                if (S_ISDIR(st.st_mode) && depth < 16)
                        r = record_tree(deps, path, depth + 1);
                else if (S_ISREG(st.st_mode))
                        r = record(deps, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The trust directory and every certificate in it, as trust_store_load() reads them. */
static int record_trust(GPtrArray *deps, const char *dir)
{
        g_autoptr(GPtrArray) names = NULL;
        int r;

        r = record(deps, dir);
        if (r < 0)
                return r;
        r = dir_list(dir, &names);
        if (r < 0)
                return r;
        for (guint i = 0; i < names->len; i++) {
                g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);

                r = record(deps, path);
                if (r < 0 && r != -ENOENT && r != -EISDIR)
                        return r;
        }
        return 0;
}

/*
 * Verified packages, by URL, in secure mode: what a resolve found (the
 * artifact's and signature's digests, the signer, the extracted tree) and the
 * files it depends on: the index entry, both blobs, the trust directory and
 * its certificates, every file and directory of the tree. While every one of
 * them holds (file_dep_holds()), the package stays verified and extracted
 * as it was, and a resolve skips fetching, verifying and extracting.
 * Entries no resolve of the last reload used are dropped
 * (package_cache_sweep()).
 */
typedef struct Verified {
        char *sha, *sig_sha, *signer, *tree;
        GPtrArray *deps;    /* FileDep* */
        unsigned used;      /* the reload that last used it */
} Verified;

static void verified_free(Verified *v)
{
        if (!v)
                return;
        g_free(v->sha);
        g_free(v->sig_sha);
        g_free(v->signer);
        g_free(v->tree);
        if (v->deps)
                g_ptr_array_unref(v->deps);
        g_free(v);
}

static GMutex verified_lock;
static GHashTable *verified;  /* URL -> Verified* */
static unsigned verified_reload;

void package_cache_begin(void)
{
        g_mutex_lock(&verified_lock);
        verified_reload++;
        g_mutex_unlock(&verified_lock);
}

void package_cache_sweep(void)
{
        GHashTableIter it;
        Verified *v;

        g_mutex_lock(&verified_lock);
        if (verified) {
                g_hash_table_iter_init(&it, verified);
                while (g_hash_table_iter_next(&it, NULL, (gpointer *) &v))
                        if (v->used != verified_reload)
                                g_hash_table_iter_remove(&it);
        }
        g_mutex_unlock(&verified_lock);
}

bool package_files_hold(GPtrArray *deps)
{
        for (guint i = 0; deps && i < deps->len; i++)
                if (!file_dep_holds(deps->pdata[i]))
                        return false;
        return true;
}

/* The package at j->url as verified before, if its files still hold: fills 'a', the signer, tree and files. */
static bool verified_lookup(Job *j, Artifact *a, char **ret_signer, char **ret_tree, GPtrArray **ret_deps)
{
        Verified *v;
        bool ok;

        if (!j->s->require_signatures)
                return false;
        g_mutex_lock(&verified_lock);
        v = verified ? g_hash_table_lookup(verified, j->url) : NULL;
        ok = v && package_files_hold(v->deps);
        if (v && !ok)
                g_hash_table_remove(verified, j->url);
        if (ok) {
                v->used = verified_reload;
                *a = (Artifact) { .sha = g_strdup(v->sha), .sig_sha = g_strdup(v->sig_sha) };
                *ret_signer = g_strdup(v->signer);
                *ret_tree = g_strdup(v->tree);
                *ret_deps = g_ptr_array_ref(v->deps);
        }
        g_mutex_unlock(&verified_lock);
        return ok;
}

static void verified_store(Job *j, const Artifact *a, const char *signer, const char *tree, GPtrArray *deps)
{
        Verified *v;

        if (!j->s->require_signatures)
                return;
        v = g_new0(Verified, 1);
        v->sha = g_strdup(a->sha);
        v->sig_sha = g_strdup(a->sig_sha);
        v->signer = g_strdup(signer);
        v->tree = g_strdup(tree);
        v->deps = g_ptr_array_ref(deps);
        g_mutex_lock(&verified_lock);
        v->used = verified_reload;
        if (!verified)
                verified = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) verified_free);
        g_hash_table_replace(verified, g_strdup(j->url), v);
        g_mutex_unlock(&verified_lock);
}

/* Verifies the signature. Returns 0 with *ret_signer (NULL in insecure mode when nothing verified). */
static int verify(Job *j, const Artifact *a, char **ret_signer)
{
        g_autoptr(GBytes) data = NULL, sig = NULL;
        g_autoptr(TrustStore) trust = NULL;
        g_autofree char *error = NULL, *signer = NULL, *text = NULL;
        bool secure = j->s->require_signatures;
        gsize size, sig_size;
        const void *d, *sd;
        int r;

        __atomic_add_fetch(&verifications_total, 1, __ATOMIC_RELAXED);
        if (!a->sig_sha) {
                if (secure)
                        return refuse(j, -ENOKEY, "Package", "it is not signed: the repository has no %s%s "
                                      "(RequireSignatures=yes)", j->artifact, SIGNATURE_SUFFIX);
                *ret_signer = NULL;
                return 0;
        }
        data = read_blob(j->s, a->sha, &error);
        if (data)
                sig = read_blob(j->s, a->sig_sha, &error);
        if (!data || !sig)
                return refuse(j, -EIO, "Package", "%s", error);
        d = g_bytes_get_data(data, &size);
        sd = g_bytes_get_data(sig, &sig_size);

        r = trust_store_load(j->s->trust_dir, &trust, &error);
        if (r >= 0)
                r = trust_verify(trust, d, size, sd, sig_size, &signer, &error);
        if (r < 0) {
                if (secure)
                        return refuse(j, r, "Package", "%s", error);
                text = g_strdup_printf("Package %s %s: the signature does not verify (%s); loading it anyway "
                                       "(RequireSignatures=no).", j->p->package, j->p->version, error);
                log_package(j, LOG_WARNING, L3AF_MSG_PACKAGE_INSECURE, NULL, text);
                *ret_signer = NULL;
                return 0;
        }
        *ret_signer = TAKE_PTR(signer);
        return 0;
}

static bool type_fits_hook(const char *type, Hook hook)
{
        if (hook == HOOK_XDP)
                return streq(type, "xdp");
        return streq(type, "tc") || streq(type, "sched_cls") || streq(type, "tcx");
}

/* The path of a file inside the tree, refusing anything that resolves outside it. */
static int inside_tree(const Job *j, const char *tree, const char *rel, const char *what, char **ret)
{
        g_autofree char *path = g_build_filename(tree, rel, NULL), *real = NULL, *real_tree = NULL;
        struct stat st;

        real = realpath(path, NULL);
        real_tree = realpath(tree, NULL);
        if (!real || !real_tree)
                return refuse(j, -ENOENT, "Package", "the package has no %s '%s'", what, rel);
        if (!g_str_has_prefix(real, real_tree) || real[strlen(real_tree)] != '/')
                return refuse(j, -EPERM, "Package", "the %s '%s' lies outside the package", what, rel);
        if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
                return refuse(j, -EINVAL, "Package", "the %s '%s' is not a regular file", what, rel);
        *ret = TAKE_PTR(real);
        return 0;
}

static void set_if_unset(char **field, const char *value)
{
        if (!*field && value)
                *field = g_strdup(value);
}

/* Finds the BPF objects (*.o) of a package without manifest. */
static void find_objects(const char *dir, const char *rel, GPtrArray *found, unsigned depth)
{
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        while (d && depth < 16 && (name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);
                g_autofree char *r = rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
                struct stat st;

                if (lstat(path, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        find_objects(path, r, found, depth + 1);
                else if (S_ISREG(st.st_mode) && g_str_has_suffix(name, ".o"))
                        g_ptr_array_add(found, TAKE_PTR(r));
        }
}

/*
 * A package without manifest (L3AF's artifacts): the drop-in names the entry,
 * and the object as ObjectFile= in Folder= (default: l3af_<package> in the l3af
 * layout, the top of the package otherwise), or else the folder must hold
 * exactly one object (*.o, searched below it).
 */
/* A companion's relative executable, as a path in the package's 'dir' (its top, or L3AF's folder). */
static int resolve_companion(const Job *j, const char *tree, const char *dir_rel)
{
        ProgramSpec *p = j->p;
        g_autofree char *rel = NULL, *path = NULL;
        int r;

        if (!p->companion || g_path_is_absolute(p->companion->exec[0]))
                return 0;
        rel = dir_rel ? g_build_filename(dir_rel, p->companion->exec[0], NULL) : g_strdup(p->companion->exec[0]);
        r = inside_tree(j, tree, rel, "companion", &path);
        if (r < 0)
                return r;
        g_free(p->companion->exec[0]);
        p->companion->exec[0] = TAKE_PTR(path);
        return 0;
}

static int use_tree_without_manifest(Job *j, const char *tree)
{
        ProgramSpec *p = j->p;
        g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *folder = NULL, *top = NULL, *rel = NULL, *object = NULL;
        int r;

        if (!p->entry)
                return refuse(j, -EINVAL, "Entry", "it has no %s, so the drop-in must name Entry= (and "
                              "NextMap= and Type= where the object needs them)", MANIFEST_FILE);
        if (p->folder)
                folder = g_strdup(p->folder);
        else if (p->layout == PACKAGE_LAYOUT_L3AF)
                folder = g_strdup_printf("l3af_%s", p->package);
        top = folder ? g_build_filename(tree, folder, NULL) : g_strdup(tree);
        if (folder && !g_file_test(top, G_FILE_TEST_IS_DIR))
                return refuse(j, -ENOENT, p->folder ? "Folder" : "Package", "it has no folder '%s'%s", folder,
                              p->folder ? "" : " (the l3af layout's default; Folder= names another)");
        if (p->object_file)
                rel = folder ? g_build_filename(folder, p->object_file, NULL) : g_strdup(p->object_file);
        else {
                find_objects(top, folder, objects, 0);
                if (objects->len != 1) {
                        g_ptr_array_add(objects, NULL);
                        g_autofree char *list = g_strjoinv(", ", (char **) objects->pdata);

                        return refuse(j, -EINVAL, "ObjectFile", "it has no %s and %s BPF object (*.o) in %s%s%s; "
                                      "ObjectFile= names the one to load", MANIFEST_FILE,
                                      objects->len == 1 ? "no" : "more than one", folder ? folder : "the package",
                                      objects->len == 1 ? "" : ": ", list);
                }
                rel = g_strdup(objects->pdata[0]);
        }
        r = inside_tree(j, tree, rel, "object", &object);
        if (r < 0)
                return r;
        r = resolve_companion(j, tree, folder);
        if (r < 0)
                return r;
        g_free(p->object);
        p->object = TAKE_PTR(object);
        return 0;
}

/* Applies the manifest (or, without one, the drop-in's keys) to the spec. */
static int use_tree(Job *j, const char *tree)
{
        ProgramSpec *p = j->p;
        g_autoptr(Manifest) m = NULL;
        g_autofree char *error = NULL, *object = NULL;
        const ManifestProgram *mp;
        int r;

        r = manifest_load(tree, &m, &error);
        if (r == -ENOENT)
                return use_tree_without_manifest(j, tree);
        if (r < 0)
                return refuse(j, r, "Package", "its manifest is invalid: %s", error);
        if (p->folder || p->object_file)
                problems_add(j->problems, true, p->source, j->chain, "Program", p->folder ? "Folder" : "ObjectFile",
                             "ignored: package %s %s has a manifest, which names its objects", p->package,
                             p->version);

        for (guint i = 0; i < m->warnings->len; i++)
                problems_add(j->problems, true, p->source, j->chain, "Program", "Package", "package %s %s: %s",
                             p->package, p->version, (char *) m->warnings->pdata[i]);

        /* The signed manifest must say what the drop-in asked for. */
        if (!streq(m->name, p->package) || !streq(m->version, p->version))
                return refuse(j, -EBADMSG, "Package", "its signed manifest names package '%s' version '%s', but "
                              "the drop-in asks for '%s' version '%s'", m->name, m->version, p->package, p->version);

        mp = manifest_find_program(m, p->name);
        if (!mp) {
                GString *names = g_string_new(NULL);

                for (guint i = 0; i < m->programs->len; i++)
                        g_string_append_printf(names, "%s%s", i ? ", " : "",
                                               ((ManifestProgram *) m->programs->pdata[i])->name);
                r = refuse(j, -ENOENT, "Name", "it holds several programs (%s) and none is named '%s'", names->str,
                           p->name);
                g_string_free(names, TRUE);
                return r;
        }
        if (mp->type && !p->type && !type_fits_hook(mp->type, p->hook))
                return refuse(j, -EINVAL, "Hook", "its program '%s' is of type %s and cannot run on hook %s",
                              mp->name, mp->type, hook_to_string(p->hook));
        r = inside_tree(j, tree, mp->object, "object", &object);
        if (r < 0)
                return r;

        for (guint i = 0; mp->config_maps[0] && i < p->maps->len; i++) {
                const MapEntrySpec *e = p->maps->pdata[i];

                g_autofree char *group = NULL;

                if (g_strv_contains((const char *const *) mp->config_maps, e->map))
                        continue;
                group = g_strdup_printf("Map %s", e->map);
                problems_add(j->problems, true, p->source, j->chain, group, NULL,
                             "package %s does not list '%s' among its ConfigMaps=", p->package, e->map);
        }

        g_free(p->object);
        p->object = TAKE_PTR(object);
        if (!p->companion && m->companion_spec)
                p->companion = companion_spec_copy(m->companion_spec);
        r = resolve_companion(j, tree, NULL);
        if (r < 0)
                return r;
        /* The manifest's metrics, but those the drop-in declares under the same name. */
        for (guint i = 0; i < mp->metrics->len; i++) {
                const MetricSpec *ms = mp->metrics->pdata[i];
                bool declared = false;

                for (guint k = 0; k < p->metrics->len && !declared; k++)
                        declared = streq(((MetricSpec *) p->metrics->pdata[k])->name, ms->name);
                if (!declared && p->metrics->len < METRICS_PER_PROGRAM_MAX)
                        g_ptr_array_add(p->metrics, metric_spec_copy(ms));
        }
        set_if_unset(&p->entry, mp->entry);
        set_if_unset(&p->type, mp->type);
        set_if_unset(&p->next_map, mp->next_map);
        return 0;
}

static int extract(Job *j, const Artifact *a, char **ret_tree)
{
        ExtractLimits limits = { .entries_max = j->s->extract_entries_max, .size_max = j->s->extract_size_max };
        g_autofree char *blob = cache_path(j->s, "artifacts", a->sha), *tree = cache_path(j->s, "trees", a->sha);
        g_autofree char *error = NULL;
        int r;

        /* Always afresh from the verified bytes: a tree left on disk is not trusted. */
        r = rm_rf(tree);
        if (r < 0)
                return refuse(j, r, "Package", "cannot remove the old tree %s: %s", tree, g_strerror(-r));
        r = extract_archive(blob, tree, &limits, &error);
        if (r < 0)
                return refuse(j, r, "Package", "unsafe or broken archive %s: %s", j->artifact, error);
        *ret_tree = TAKE_PTR(tree);
        return 0;
}

/* Rollback protection. */

static char *state_path(const Settings *s, const char *name)
{
        return g_build_filename(s->state_dir, "packages", name, NULL);
}

/* The highest version of a package that ran here, or NULL. */
static char *package_highest_applied(const Settings *s, const char *name)
{
        g_autofree char *path = state_path(s, name), *v = NULL;

        if (!package_name_is_valid(name) || !g_file_get_contents(path, &v, NULL, NULL))
                return NULL;
        g_strstrip(v);
        return semver_is_valid(v) ? TAKE_PTR(v) : NULL;
}

int package_record_applied(const Settings *s, const ProgramSpec *p)
{
        g_autofree char *highest = NULL, *path = NULL, *dir = NULL, *text = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        if (!p->package || !p->version || !package_name_is_valid(p->package) || !semver_is_valid(p->version))
                return 0;
        highest = package_highest_applied(s, p->package);
        if (highest && semver_compare(p->version, highest) <= 0)
                return 0;
        path = state_path(s, p->package);
        dir = g_path_get_dirname(path);
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        text = g_strdup_printf("%s\n", p->version);
        if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
                return log_error_errno(EIO, "Cannot record that %s %s ran, in %s: %s", p->package, p->version, path,
                                       error->message);
        log_debug("Package %s: %s is the highest version that ran.", p->package, p->version);
        return 1;
}

/* Garbage collection: keep the most recently used versions of each package. */

typedef struct Entry {
        char *path;
        struct timespec mtime;
} Entry;

static void entry_free(Entry *e)
{
        g_free(e->path);
        g_free(e);
}

static gint newest_first(gconstpointer a, gconstpointer b)
{
        const Entry *x = *(Entry *const *) a, *y = *(Entry *const *) b;

        if (x->mtime.tv_sec != y->mtime.tv_sec)
                return x->mtime.tv_sec > y->mtime.tv_sec ? -1 : 1;
        if (x->mtime.tv_nsec != y->mtime.tv_nsec)
                return x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : 1;
        return strcmp(x->path, y->path);
}

/* Lists index entries (files 'depth' levels down); an error is never taken for absence. */
static int list_index(const char *dir, GPtrArray *out, unsigned depth)
{
        g_autoptr(GPtrArray) names = NULL;
        int r;

        r = dir_list(dir, &names);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (guint i = 0; i < names->len; i++) {
                g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
                struct stat st;

                if (lstat(path, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return negative_errno();
                }
                if (S_ISDIR(st.st_mode) && depth < 2) {
                        r = list_index(path, out, depth + 1);
                        if (r < 0)
                                return r;
                } else if (S_ISREG(st.st_mode) && depth == 2) {
                        Entry *e = g_new0(Entry, 1);

                        e->path = TAKE_PTR(path);
                        e->mtime = st.st_mtim;
                        g_ptr_array_add(out, e);
                }
        }
        return 0;
}

/* Whether a package verified and in use (Verified) was resolved through the index entry at 'path'. */
static bool index_in_use(const char *path)
{
        GHashTableIter it;
        Verified *v;
        bool used = false;

        g_mutex_lock(&verified_lock);
        if (verified) {
                g_hash_table_iter_init(&it, verified);
                while (!used && g_hash_table_iter_next(&it, NULL, (gpointer *) &v))
                        for (guint i = 0; !used && i < v->deps->len; i++)
                                used = streq(((FileDep *) v->deps->pdata[i])->path, path);
        }
        g_mutex_unlock(&verified_lock);
        return used;
}

/*
 * Keeps what 'current' (the index entry just used) names, whatever the dates
 * say, and what the packages in use (verified and unchanged since, so not
 * resolved again and their index entries not touched) were resolved from. A blob or tree goes only when every index entry was read and none
 * names it: an entry that cannot be read (EMFILE, EIO, ...) stops the
 * collection, as it may name anything.
 */
static void gc(const Job *j, const Artifact *current)
{
        const Settings *s = j->s;
        const char *package = j->p->package;
        g_autofree char *current_index = index_path(j);
        unsigned kept = 1;
        g_autofree char *index = cache_path(s, "index", NULL), *mine = g_build_filename(index, package, NULL);
        g_autoptr(GPtrArray) versions = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
        g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
        g_autoptr(GHashTable) keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        const char *subdirs[] = { "artifacts", "trees", "tmp" };
        g_autoptr(GPtrArray) vnames = NULL;
        int r;

        /* index/<package>/<version>/<artifact>: one entry per version and artifact. */
        r = dir_list(mine, &vnames);
        if (r < 0 && r != -ENOENT) {
                log_warning_errno(r, "Cache: cannot list %s, nothing collected: %m", mine);
                return;
        }
        for (guint i = 0; vnames && i < vnames->len; i++) {
                g_autofree char *vdir = g_build_filename(mine, vnames->pdata[i], NULL);

                r = list_index(vdir, versions, 2);
                if (r < 0) {
                        log_warning_errno(r, "Cache: cannot list %s, nothing collected: %m", vdir);
                        return;
                }
        }
        g_ptr_array_sort(versions, newest_first);
        for (guint i = 0; i < versions->len; i++) {
                Entry *e = versions->pdata[i];
                g_autofree char *vdir = NULL;

                if (streq(e->path, current_index))
                        continue;
                if (kept < s->cache_keep || index_in_use(e->path)) {
                        kept++;
                        continue;
                }
                vdir = g_path_get_dirname(e->path);
                log_debug("Cache: forgetting %s.", e->path);
                (void) unlink(e->path);
                (void) rmdir(vdir);
        }

        /* Blobs and trees that no index entry names any more go. */
        g_hash_table_add(keep, g_strdup(current->sha));
        if (current->sig_sha)
                g_hash_table_add(keep, g_strdup(current->sig_sha));
        r = list_index(index, all, 0);
        if (r < 0) {
                log_warning_errno(r, "Cache: cannot list %s, nothing removed: %m", index);
                return;
        }
        for (guint i = 0; i < all->len; i++) {
                const char *path = ((Entry *) all->pdata[i])->path;
                g_autoptr(GKeyFile) kf = g_key_file_new();
                g_autoptr(GError) error = NULL;

                if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
                        /* Gone, or not an index entry at all: it names nothing. */
                        if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
                            error->domain == G_KEY_FILE_ERROR)
                                continue;
                        log_warning("Cache: cannot read %s, nothing removed: %s", path, error->message);
                        return;
                }
                for (size_t k = 0; k < 2; k++) {
                        char *sha = g_key_file_get_string(kf, INDEX_GROUP, k ? "SignatureSHA256" : "SHA256", NULL);

                        if (sha)
                                g_hash_table_add(keep, sha);
                }
        }
        for (size_t k = 0; k < ELEMENTSOF(subdirs); k++) {
                g_autofree char *dir = cache_path(s, subdirs[k], NULL);
                g_autoptr(GDir) dd = g_dir_open(dir, 0, NULL);
                const char *name;

                while (dd && (name = g_dir_read_name(dd))) {
                        g_autofree char *path = NULL;

                        if (g_hash_table_contains(keep, name))
                                continue;
                        path = g_build_filename(dir, name, NULL);
                        log_debug("Cache: removing %s.", path);
                        (void) rm_rf(path);
                }
        }
}

static int ensure_cache(const Job *j)
{
        const char *subdirs[] = { "artifacts", "index", "trees", "tmp" };

        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                g_autofree char *dir = cache_path(j->s, subdirs[i], NULL);
                int r = mkdir_p(dir, 0700);

                if (r < 0)
                        return refuse(j, r, "Package", "cannot create the cache directory %s: %s", dir,
                                      g_strerror(-r));
        }
        return 0;
}

void package_cancel(bool cancel)
{
        fetch_cancel(cancel);
}

/*
 * Takes the artifact from the cache or the repository, verifies it, and
 * extracts it afresh; records the files it depends on in *ret_deps, each
 * before it is used.
 */
static int fetch_verify_extract(Job *j, Artifact *a, char **ret_signer, char **ret_tree, GPtrArray **ret_deps)
{
        g_autoptr(GPtrArray) deps = g_ptr_array_new_with_free_func((GDestroyNotify) file_dep_free);
        g_autofree char *signer = NULL, *tree = NULL, *index = NULL, *blob = NULL, *sig_blob = NULL;
        int r;

        /* In insecure mode nothing is kept (package_cache_sweep()): nothing to record. */
        if (!j->s->require_signatures)
                g_clear_pointer(&deps, g_ptr_array_unref);
        r = obtain(j, a);
        if (r < 0)
                return r;
        j->sha256 = g_strdup(a->sha);
        j->fetched = g_get_monotonic_time();

        /* What verify() reads, recorded first. A failure to record only means no caching. */
        blob = cache_path(j->s, "artifacts", a->sha);
        sig_blob = a->sig_sha ? cache_path(j->s, "artifacts", a->sig_sha) : NULL;
        if (deps && (record(deps, blob) < 0 || (sig_blob && record(deps, sig_blob) < 0) ||
                     (a->sig_sha && record_trust(deps, j->s->trust_dir) < 0)))
                g_clear_pointer(&deps, g_ptr_array_unref);
        r = verify(j, a, &signer);
        if (r < 0)
                return r;
        j->verified = g_get_monotonic_time();
        r = index_write(j, a->sha, a->sig_sha);
        if (r < 0)
                log_warning_errno(r, "Cannot remember %s in the cache index: %m", j->url);
        index = index_path(j);
        if (deps && (r < 0 || record(deps, index) < 0))
                g_clear_pointer(&deps, g_ptr_array_unref);

        r = extract(j, a, &tree);
        if (r < 0)
                return r;
        j->extracted = g_get_monotonic_time();
        if (deps && record_tree(deps, tree, 0) < 0)
                g_clear_pointer(&deps, g_ptr_array_unref);
        if (deps && a->sig_sha && signer)
                verified_store(j, a, signer, tree, deps);
        *ret_signer = TAKE_PTR(signer);
        *ret_tree = TAKE_PTR(tree);
        *ret_deps = TAKE_PTR(deps);
        return 0;
}

int package_resolve(const Settings *s, ProgramSpec *p, const ChainId *chain, GPtrArray *problems)
{
        _cleanup_(job_done) Job j = { .s = s, .p = p, .chain = chain, .problems = problems };
        _cleanup_(artifact_done) Artifact a = {};
        g_autoptr(GPtrArray) deps = NULL;
        g_autofree char *base = NULL, *highest = NULL, *signer = NULL, *tree = NULL, *text = NULL;
        bool cached;
        int r;

        j.start = g_get_monotonic_time();

        if (!package_name_is_valid(p->package))
                return refuse(&j, -EINVAL, "Package", "'%s' is not a valid package name (letters, digits, '_', "
                              "'.', '-'; at most %d)", p->package, PACKAGE_NAME_MAX);
        if (!semver_is_valid(p->version))
                return refuse(&j, -EINVAL, "Version", "'%s' is not a semantic version (MAJOR.MINOR.PATCH, "
                              "e.g. 1.2.0)", p->version);
        base = g_strdup(p->repository ? p->repository : s->repository);
        if (!base)
                return refuse(&j, -EINVAL, "Repository", "no repository: set Repository= in the drop-in, or in "
                              "[Packages] of %s", s->config_file);
        while (g_str_has_suffix(base, "/"))
                base[strlen(base) - 1] = 0;
        if (!fetch_url_is_supported(base))
                return refuse(&j, -EINVAL, "Repository", "'%s' is not a file:///, http:// or https:// URL", base);

        highest = package_highest_applied(s, p->package);
        if (highest && semver_compare(p->version, highest) < 0 && !p->allow_downgrade)
                return refuse(&j, -EPERM, "Version", "version %s is older than %s, which already ran on this host "
                              "(rollback protection; AllowDowngrade=yes allows it)", p->version, highest);

        if (p->layout == PACKAGE_LAYOUT_L3AF) {
                const char *codename = p->codename ? p->codename : s->codename;

                if (!codename)
                        return refuse(&j, -EINVAL, "Codename", "the l3af layout needs a distribution codename, and "
                                      "os-release(5) names none: set Codename= in the drop-in, or in [Packages] "
                                      "of %s", s->config_file);
                j.artifact = p->artifact ? g_strdup(p->artifact) : g_strdup_printf("l3af_%s.tar.gz", p->package);
                j.url = g_strdup_printf("%s/%s/%s/%s/%s", base, p->package, p->version, codename, j.artifact);
        } else {
                j.artifact = p->artifact ? g_strdup(p->artifact) : g_strdup_printf("%s.tar.gz", p->package);
                j.url = g_strdup_printf("%s/%s/%s/%s", base, p->package, p->version, j.artifact);
        }

        r = ensure_cache(&j);
        if (r < 0)
                return r;
        cached = verified_lookup(&j, &a, &signer, &tree, &deps);
        if (!cached) {
                r = fetch_verify_extract(&j, &a, &signer, &tree, &deps);
                if (r < 0)
                        return r;
        } else
                j.sha256 = g_strdup(a.sha);
        r = use_tree(&j, tree);
        if (r < 0)
                return r;

        g_free(p->signer);
        p->signer = g_strdup(signer);
        if (cached)
                package_keep(p, chain);
        else if (signer) {
                text = g_strdup_printf("Package %s %s for %s verified%s in %.1f ms (%s %.1f, verify %.1f, unpack "
                                       "%.1f): signed by %s.", p->package, p->version, p->name,
                                       a.fetched ? " (fetched)" : " (cached)",
                                       (g_get_monotonic_time() - j.start) / 1000.0, a.fetched ? "fetch" : "check",
                                       (j.fetched - j.start) / 1000.0, (j.verified - j.fetched) / 1000.0,
                                       (j.extracted - j.verified) / 1000.0, signer);
                log_package(&j, LOG_INFO, L3AF_MSG_PACKAGE_VERIFIED, signer, text);
        }
        if (!s->require_signatures) {
                g_free(text);
                text = g_strdup_printf("INSECURE: package %s %s for %s is loaded with RequireSignatures=no (%s).",
                                       p->package, p->version, p->name,
                                       signer ? "its signature did verify" : "no valid signature");
                log_package(&j, LOG_WARNING, L3AF_MSG_PACKAGE_INSECURE, signer, text);
        }
        if (!cached)
                gc(&j, &a);
        if (p->package_files)
                g_ptr_array_unref(p->package_files);
        p->package_files = TAKE_PTR(deps);
        return 0;
}

bool package_may_run(const Settings *s, const ProgramSpec *p)
{
        g_autofree char *highest = package_highest_applied(s, p->package);

        return !highest || p->allow_downgrade || semver_compare(p->version, highest) >= 0;
}

void package_keep(const ProgramSpec *p, const ChainId *chain)
{
        Job j = { .p = (ProgramSpec *) p, .chain = chain };
        g_autofree char *text = NULL;
        GHashTableIter it;
        Verified *v;

        /* The verification it came from stays while the spec is in use (package_cache_sweep()). */
        g_mutex_lock(&verified_lock);
        if (verified && p->package_files) {
                g_hash_table_iter_init(&it, verified);
                while (g_hash_table_iter_next(&it, NULL, (gpointer *) &v))
                        if (v->deps == p->package_files)
                                v->used = verified_reload;
        }
        g_mutex_unlock(&verified_lock);

        text = g_strdup_printf("Package %s %s for %s verified (cached): verified before, and none of its files "
                               "(artifact, signature, trust directory, extracted tree) changed since; signed by %s.",
                               p->package, p->version, p->name, strna(p->signer));
        log_package(&j, LOG_INFO, L3AF_MSG_PACKAGE_VERIFIED, p->signer, text);
}
