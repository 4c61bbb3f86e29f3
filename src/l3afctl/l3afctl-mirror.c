/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * l3afctl package sign and l3afctl package mirror: how an administrator takes
 * an unsigned public package (L3AF's repositories sign nothing) into a private
 * repository, signed with a key of their own, so that secure mode runs only
 * what they signed. See l3af-package(5), "PRIVATE REPOSITORIES".
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bpf-util.h"
#include "dropin.h"
#include "extract.h"
#include "fetch.h"
#include "l3afctl-package.h"
#include "manifest.h"
#include "package.h"
#include "semver.h"
#include "settings.h"
#include "sign.h"
#include "util.h"

/* Writes 'data' to 'path' atomically (a temporary name, then rename), mode 0644. */
static int write_file_atomic(const char *path, const void *data, size_t size)
{
        g_autoptr(GError) error = NULL;

        if (!g_file_set_contents_full(path, data, size, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error)) {
                fprintf(stderr, "Cannot write %s: %s\n", path, error->message);
                return -EIO;
        }
        return 0;
}

/* Signs the bytes of 'file' into 'sig_file'. Returns 0 or a negative errno (reported). */
static int sign_bytes(const char *file, const void *data, size_t size, const char *sig_file, const char *cert,
                      const char *key)
{
        g_autoptr(GBytes) sig = NULL;
        g_autofree char *error = NULL;
        gsize sig_size;
        const void *sig_data;
        int r;

        r = package_sign(cert, key, data, size, &sig, &error);
        if (r < 0) {
                fprintf(stderr, "Cannot sign %s: %s\n", file, error);
                return r;
        }
        sig_data = g_bytes_get_data(sig, &sig_size);
        r = write_file_atomic(sig_file, sig_data, sig_size);
        if (r < 0)
                return r;
        printf("Signed:    %s (detached CMS, DER, SHA-256, certificate %s)\n", sig_file, cert);
        return 0;
}

int package_sign_file(const char *file, const char *output, const char *cert, const char *key)
{
        g_autofree char *data = NULL, *sig_default = g_strconcat(file, ".p7s", NULL);
        g_autoptr(GError) error = NULL;
        gsize size = 0;

        if (!cert || !key) {
                fprintf(stderr, "l3afctl package sign needs --cert=CERT and --key=KEY. See --help.\n");
                return 2;
        }
        if (!g_file_get_contents(file, &data, &size, &error)) {
                fprintf(stderr, "%s: %s\n", file, error->message);
                return 1;
        }
        return sign_bytes(file, data, size, output ? output : sig_default, cert, key) < 0 ? 1 : 0;
}

/* Lists the BPF objects (*.o) below 'dir', relative to 'top'. */
static void list_objects(const char *top, const char *rel, GString *out, unsigned depth)
{
        g_autofree char *dir = rel ? g_build_filename(top, rel, NULL) : g_strdup(top);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        while (d && depth < 16 && (name = g_dir_read_name(d))) {
                g_autofree char *r = rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
                g_autofree char *path = g_build_filename(top, r, NULL);
                struct stat st;

                if (lstat(path, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        list_objects(top, r, out, depth + 1);
                else if (S_ISREG(st.st_mode) && g_str_has_suffix(name, ".o"))
                        g_string_append_printf(out, "%s%s", out->len ? ", " : "", r);
        }
}

/* Unpacks the artifact as l3afd would (same refusals), and says what it holds. */
static int check_archive(const char *url, const char *file)
{
        ExtractLimits limits = { .entries_max = EXTRACT_ENTRIES_MAX_DEFAULT, .size_max = EXTRACT_SIZE_MAX_DEFAULT };
        g_autofree char *tmp = NULL, *tree = NULL, *error = NULL;
        g_autoptr(GError) gerror = NULL;
        g_autoptr(Manifest) m = NULL;
        g_autoptr(GString) objects = g_string_new(NULL);
        int r;

        tmp = g_dir_make_tmp("l3afctl-mirror-XXXXXX", &gerror);
        if (!tmp) {
                fprintf(stderr, "Cannot create a temporary directory: %s\n", gerror->message);
                return -EIO;
        }
        tree = g_build_filename(tmp, "package", NULL);
        r = extract_archive(file, tree, &limits, &error);
        if (r < 0) {
                fprintf(stderr, "%s: refused: unsafe or broken archive: %s\n", url, error);
                (void) rm_rf(tmp);
                return r;
        }
        r = manifest_load(tree, &m, &error);
        if (r >= 0)
                printf("Manifest:  %s %s\n", m->name, m->version);
        else
                printf("Manifest:  none (the drop-in names Entry=, and ObjectFile= when the folder holds several "
                       "objects)\n");
        list_objects(tree, NULL, objects, 0);
        printf("Objects:   %s\n", objects->len ? objects->str : "none");
        (void) rm_rf(tmp);
        return 0;
}

/*
 * Where the package lies in a repository of o->layout: the codename (L3AF's
 * layout only; --codename= or os-release(5)), the artifact's file name and
 * its directory relative to the repository. Returns 0, or 2 (a usage error,
 * told on stderr); the caller frees what was set either way.
 */
static int repository_place(const char *name, const char *version, const PackageMirrorOptions *o, char **ret_codename,
                            char **ret_artifact, char **ret_rel_dir)
{
        if (o->layout == PACKAGE_LAYOUT_L3AF) {
                if (o->codename)
                        *ret_codename = g_strdup(o->codename);
                else if (os_release_codename(ret_codename) < 0) {
                        fprintf(stderr, "os-release(5) names no VERSION_CODENAME: give --codename=.\n");
                        return 2;
                }
                if (!codename_is_valid(*ret_codename)) {
                        fprintf(stderr, "'%s' is not a distribution codename.\n", *ret_codename);
                        return 2;
                }
                *ret_artifact = o->artifact ? g_strdup(o->artifact) : g_strdup_printf("l3af_%s.tar.gz", name);
                *ret_rel_dir = g_build_filename(name, version, *ret_codename, NULL);
        } else {
                *ret_artifact = o->artifact ? g_strdup(o->artifact) : g_strdup_printf("%s.tar.gz", name);
                *ret_rel_dir = g_build_filename(name, version, NULL);
        }
        if (strchr(*ret_artifact, '/') || streq(*ret_artifact, ".") || streq(*ret_artifact, "..")) {
                fprintf(stderr, "'%s' is not a file name.\n", *ret_artifact);
                return 2;
        }
        return 0;
}

/*
 * Gives the fetched artifact in 'tmp' (its bytes in 'data') its real name 'out', signed first with
 * --cert= and --key= when given, so that the pair appears together. Returns 0, or -1 after saying why
 * (and removing the temporary files).
 */
static int publish(const char *tmp, const char *out, const char *data, gsize size, const PackageMirrorOptions *o)
{
        g_autofree char *sig_file = g_strconcat(out, ".p7s", NULL);

        if (o->cert) {
                g_autofree char *sig_tmp = g_strconcat(tmp, ".p7s", NULL);

                if (sign_bytes(out, data, size, sig_tmp, o->cert, o->key) < 0) {
                        (void) unlink(tmp);
                        return -1;
                }
                if (rename(tmp, out) < 0 || rename(sig_tmp, sig_file) < 0) {
                        fprintf(stderr, "Cannot write %s: %s\n", out, g_strerror(errno));
                        (void) unlink(tmp);
                        (void) unlink(sig_tmp);
                        return -1;
                }
                printf("Mirrored:  %s, signed as %s\n", out, sig_file);
        } else {
                if (rename(tmp, out) < 0) {
                        fprintf(stderr, "Cannot write %s: %s\n", out, g_strerror(errno));
                        (void) unlink(tmp);
                        return -1;
                }
                printf("Mirrored:  %s, unsigned. Check it, then sign it:\n"
                       "  l3afctl package sign --cert=CERT.pem --key=KEY.pem %s\n", out, out);
        }
        return 0;
}

int package_mirror(const char *source, const char *name, const char *version, const char *dest,
                   const PackageMirrorOptions *o)
{
        FetchOptions fo = {
                .ca_file = o->ca_file,
                .size_max = FETCH_SIZE_MAX_DEFAULT,
                .connect_timeout_usec = CONNECT_TIMEOUT_USEC_DEFAULT,
                .timeout_usec = FETCH_TIMEOUT_USEC_DEFAULT,
                .stall_timeout_usec = STALL_TIMEOUT_USEC_DEFAULT,
                .retries = FETCH_RETRIES_DEFAULT,
        };
        g_autoptr(FetchSession) session = NULL;
        g_autofree char *base = g_strdup(source), *codename = NULL, *artifact = NULL, *rel_dir = NULL;
        g_autofree char *url = NULL, *dir = NULL, *out = NULL, *tmp = NULL, *sha = NULL, *error = NULL;
        g_autofree char *data = NULL;
        g_autoptr(GError) gerror = NULL;
        gsize size = 0;
        int fd, r;

        if (!package_name_is_valid(name) || !semver_is_valid(version)) {
                fprintf(stderr, "'%s' %s is not a package name and a semantic version (MAJOR.MINOR.PATCH).\n", name,
                        version);
                return 2;
        }
        if ((o->cert != NULL) != (o->key != NULL)) {
                fprintf(stderr, "--cert= and --key= go together. See --help.\n");
                return 2;
        }
        while (g_str_has_suffix(base, "/") && strlen(base) > 1)
                base[strlen(base) - 1] = 0;
        if (!fetch_url_is_supported(base)) {
                fprintf(stderr, "'%s' is not a file:///, http:// or https:// URL.\n", source);
                return 2;
        }
        r = repository_place(name, version, o, &codename, &artifact, &rel_dir);
        if (r != 0)
                return r;
        url = g_strdup_printf("%s/%s/%s", base, rel_dir, artifact);
        dir = g_build_filename(dest, rel_dir, NULL);
        out = g_build_filename(dir, artifact, NULL);
        r = mkdir_p(dir, 0755);
        if (r < 0) {
                fprintf(stderr, "Cannot create %s: %s\n", dir, g_strerror(-r));
                return 1;
        }

        /* Into a temporary name beside the destination: nothing is half-written under the real name. */
        tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, artifact);
        fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "Cannot create %s: %s\n", tmp, g_strerror(errno));
                return 1;
        }
        session = fetch_session_new();
        r = fetch_to_fd(session, &fo, url, fd, &error);
        if (r >= 0 && (fsync(fd) < 0 || fchmod(fd, 0644) < 0))
                r = -errno;
        close(fd);
        if (r < 0) {
                fprintf(stderr, "Cannot fetch %s: %s\n", url, error ? error : g_strerror(-r));
                (void) unlink(tmp);
                return 1;
        }
        (void) package_file_sha256(tmp, &sha);
        printf("Fetched:   %s (sha256 %s)\n", url, strna(sha));
        if (check_archive(url, tmp) < 0 || !g_file_get_contents(tmp, &data, &size, &gerror)) {
                if (gerror)
                        fprintf(stderr, "Cannot read %s: %s\n", tmp, gerror->message);
                (void) unlink(tmp);
                return 1;
        }
        if (publish(tmp, out, data, size, o) < 0)
                return 1;
        printf("Drop-in:   Package=%s Version=%s Repository=%s%s", name, version,
               g_path_is_absolute(dest) ? "file://" : "", dest);
        if (o->layout == PACKAGE_LAYOUT_L3AF)
                printf(" RepositoryLayout=l3af%s%s", o->codename ? " Codename=" : "", o->codename ? codename : "");
        if (o->artifact)
                printf(" Artifact=%s", artifact);
        printf("\n");
        return 0;
}
