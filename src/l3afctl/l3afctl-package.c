/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bpf-util.h"
#include "extract.h"
#include "l3afctl-package.h"
#include "manifest.h"
#include "package.h"
#include "settings.h"
#include "trust.h"
#include "util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define PACKAGE_FILES_MAX 1000

static void help_package(void)
{
        printf("l3afctl package build [OPTIONS...] DIR\n"
               "l3afctl package verify [OPTIONS...] FILE\n"
               "l3afctl package sign --cert=CERT --key=KEY [-o SIG] FILE\n"
               "l3afctl package mirror [OPTIONS...] SOURCE-URL NAME VERSION DEST-DIR\n\n"
               "build: checks the manifest (" MANIFEST_FILE ") in DIR and the BPF objects it\n"
               "names, and packs DIR into an archive to sign.\n"
               "  -o --output=FILE        Write the archive here (default ./NAME.tar.gz)\n"
               "     --repository=DIR     Write it as DIR/NAME/VERSION/NAME.tar.gz instead\n"
               "     --format=FORMAT      tar.gz (default) or zip\n\n"
               "verify: checks FILE's detached signature (FILE.p7s) against the trusted\n"
               "certificates, unpacks it safely into a temporary directory and checks its\n"
               "manifest, as l3afd would before loading it.\n"
               "     --trust-dir=DIR      Trusted certificates (default /etc/l3af/trust.d)\n"
               "     --signature=FILE     The signature (default FILE.p7s)\n"
               "     --name=NAME          Require this package name in the manifest\n"
               "     --version=VERSION    Require this version in the manifest\n"
               "     --unsigned           Skip the signature, check only the contents\n\n"
               "sign: writes FILE's detached CMS signature (DER, SHA-256) to FILE.p7s.\n"
               "     --cert=CERT          The signer's X.509 certificate (PEM or DER)\n"
               "     --key=KEY            Its private key, unencrypted (PEM or DER)\n"
               "  -o --output=SIG         Write the signature here (default FILE.p7s)\n\n"
               "mirror: fetches a package from SOURCE-URL (an L3AF repository by default),\n"
               "checks that it unpacks safely, and writes it at the same path under DEST-DIR,\n"
               "a private repository; signs it when --cert and --key are given.\n"
               "     --layout=LAYOUT      l3af (default: NAME/VERSION/CODENAME/l3af_NAME.tar.gz)\n"
               "                          or l3afd (NAME/VERSION/NAME.tar.gz)\n"
               "     --codename=CODENAME  Distribution directory (default: the host's, os-release)\n"
               "     --artifact=FILE      Artifact file name (default: the layout's)\n"
               "     --ca-file=FILE       CA certificates for https:// (default: the system's)\n"
               "     --cert=CERT --key=KEY  Sign the mirrored artifact\n\n"
               "  -h --help               Show this help\n\n"
               "Exit status: 0 when the package is good, 1 when it is refused, 2 on usage\n"
               "errors. See l3af-package(5) for the format and how to sign.\n");
}

static int silent_print(enum libbpf_print_level level, const char *format, va_list ap)
{
        return 0;
}

/* Checks one program of the manifest against its object. */
static int check_program(const char *dir, const ManifestProgram *mp)
{
        g_autofree char *path = g_build_filename(dir, mp->object, NULL), *head = NULL;
        struct bpf_object *obj;
        struct bpf_program *prog = NULL, *it;
        struct bpf_map *map;
        struct stat st;
        gsize size = 0;
        int n = 0, r = 0;

        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                fprintf(stderr, "[Program %s] Object=: %s is not a regular file in the package\n", mp->name, mp->object);
                return -ENOENT;
        }
        if (!g_file_get_contents(path, &head, &size, NULL) || size < sizeof(Elf64_Ehdr) ||
            memcmp(head, ELFMAG, SELFMAG) != 0 || ((Elf64_Ehdr *) head)->e_machine != EM_BPF) {
                fprintf(stderr, "[Program %s] Object=: %s is not a BPF ELF object\n", mp->name, mp->object);
                return -ENOEXEC;
        }
        obj = bpf_object__open_file(path, NULL);
        if (!obj) {
                fprintf(stderr, "[Program %s] Object=: libbpf cannot open %s: %s\n", mp->name, mp->object,
                        g_strerror(errno));
                return -ENOEXEC;
        }
        if (mp->entry)
                prog = bpf_object__find_program_by_name(obj, mp->entry);
        else
                bpf_object__for_each_program(it, obj) {
                        prog = it;
                        n++;
                }
        if (!prog || (!mp->entry && n != 1)) {
                fprintf(stderr, "[Program %s] Entry=: %s\n", mp->name,
                        mp->entry ? "no such program in the object" : "missing, and the object holds several programs");
                r = -ENOENT;
        }
        if (mp->next_map) {
                map = bpf_object__find_map_by_name(obj, mp->next_map);
                if (!map || bpf_map__type(map) != BPF_MAP_TYPE_PROG_ARRAY) {
                        fprintf(stderr, "[Program %s] NextMap=: no program array '%s' in the object\n", mp->name,
                                mp->next_map);
                        r = -ENOENT;
                }
        }
        for (char **c = mp->config_maps; *c; c++)
                if (!bpf_object__find_map_by_name(obj, *c)) {
                        fprintf(stderr, "[Program %s] ConfigMaps=: no map '%s' in the object\n", mp->name, *c);
                        r = -ENOENT;
                }
        bpf_object__close(obj);
        return r;
}

/* The files of DIR, relative, sorted; links and special files are refused. */
static int list_files(const char *top, const char *rel, GPtrArray *out)
{
        g_autofree char *dir = rel ? g_build_filename(top, rel, NULL) : g_strdup(top);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;
        int r;

        if (!d) {
                fprintf(stderr, "Cannot read %s: %s\n", dir, g_strerror(errno));
                return -errno;
        }
        while ((name = g_dir_read_name(d)))
                g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_sort(names, strptr_compare);
        for (guint i = 0; i < names->len; i++) {
                g_autofree char *r_path = rel ? g_build_filename(rel, names->pdata[i], NULL) : g_strdup(names->pdata[i]);
                g_autofree char *path = g_build_filename(top, r_path, NULL);
                struct stat st;

                if (lstat(path, &st) < 0)
                        return -errno;
                if (g_str_has_suffix(r_path, ".p7s")) {
                        fprintf(stderr, "Leaving out %s: signatures go next to the archive, not in it\n", r_path);
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        g_ptr_array_add(out, g_strdup_printf("%s/", r_path));
                        r = list_files(top, r_path, out);
                        if (r < 0)
                                return r;
                } else if (S_ISREG(st.st_mode))
                        g_ptr_array_add(out, TAKE_PTR(r_path));
                else {
                        fprintf(stderr, "%s is not a regular file or directory; packages built here hold no links "
                                "or special files\n", path);
                        return -EPERM;
                }
                if (out->len > PACKAGE_FILES_MAX) {
                        fprintf(stderr, "%s holds more than %d files\n", top, PACKAGE_FILES_MAX);
                        return -E2BIG;
                }
        }
        return 0;
}

static int write_archive(const char *top, GPtrArray *files, const char *output, bool zip)
{
        struct archive *a = archive_write_new();
        g_autofree char *tmp = g_strdup_printf("%s.tmp-XXXXXX", output);
        int64_t epoch = 0;
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        int r = 0, fd;

        if (sde)
                epoch = g_ascii_strtoll(sde, NULL, 10);
        fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "Cannot create %s: %s\n", tmp, g_strerror(errno));
                archive_write_free(a);
                return -errno;
        }
        if (zip)
                archive_write_set_format_zip(a);
        else {
                archive_write_add_filter_gzip(a);
                (void) archive_write_set_filter_option(a, "gzip", "timestamp", NULL);  /* reproducible */
                archive_write_set_format_pax_restricted(a);
        }
        if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
                goto fail;
        for (guint i = 0; i < files->len; i++) {
                const char *rel = files->pdata[i];
                bool is_dir = g_str_has_suffix(rel, "/");
                g_autofree char *path = g_build_filename(top, rel, NULL), *data = NULL;
                struct archive_entry *e = archive_entry_new();
                struct stat st;
                gsize size = 0;

                if (stat(path, &st) < 0 || (!is_dir && !g_file_get_contents(path, &data, &size, NULL))) {
                        fprintf(stderr, "Cannot read %s: %s\n", path, g_strerror(errno));
                        archive_entry_free(e);
                        goto fail;
                }
                archive_entry_set_pathname(e, rel);
                archive_entry_set_filetype(e, is_dir ? AE_IFDIR : AE_IFREG);
                archive_entry_set_perm(e, is_dir || (st.st_mode & 0111) ? 0755 : 0644);
                archive_entry_set_size(e, is_dir ? 0 : (la_int64_t) size);
                archive_entry_set_mtime(e, epoch, 0);
                archive_entry_set_uid(e, 0);
                archive_entry_set_gid(e, 0);
                if (archive_write_header(a, e) != ARCHIVE_OK ||
                    (!is_dir && size > 0 && archive_write_data(a, data, size) != (la_ssize_t) size)) {
                        archive_entry_free(e);
                        goto fail;
                }
                archive_entry_free(e);
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                goto fail;
        archive_write_free(a);
        if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, output) < 0) {
                r = -errno;
                fprintf(stderr, "Cannot write %s: %s\n", output, g_strerror(errno));
                (void) unlink(tmp);
                return r;
        }
        return 0;
fail:
        fprintf(stderr, "Cannot write %s: %s\n", output, archive_error_string(a) ? archive_error_string(a) : "error");
        archive_write_free(a);
        close(fd);
        (void) unlink(tmp);
        return -EIO;
}

static int do_build(const char *dir, const char *output, const char *repository, bool zip)
{
        g_autoptr(Manifest) m = NULL;
        g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *error = NULL, *out = NULL, *sha = NULL;
        const char *ext = zip ? "zip" : "tar.gz";
        int r, bad = 0;

        r = manifest_load(dir, &m, &error);
        if (r == -ENOENT) {
                fprintf(stderr, "%s has no %s. See l3af-package(5).\n", dir, MANIFEST_FILE);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "%s/%s\n", dir, error);
                return 1;
        }
        for (guint i = 0; i < m->warnings->len; i++)
                fprintf(stderr, "warning: %s\n", (char *) m->warnings->pdata[i]);
        libbpf_set_print(silent_print);
        for (guint i = 0; i < m->programs->len; i++)
                if (check_program(dir, m->programs->pdata[i]) < 0)
                        bad++;
        if (m->companion) {
                g_autofree char *path = g_build_filename(dir, m->companion, NULL);
                struct stat st;

                if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                        fprintf(stderr, "[Package] Companion=: %s is not a regular file in the package\n", m->companion);
                        bad++;
                }
        }
        if (bad > 0)
                return 1;
        if (list_files(dir, NULL, files) < 0)
                return 1;

        if (repository) {
                g_autofree char *vdir = g_build_filename(repository, m->name, m->version, NULL);

                if (mkdir_p(vdir, 0755) < 0) {
                        fprintf(stderr, "Cannot create %s: %s\n", vdir, g_strerror(errno));
                        return 1;
                }
                out = g_strdup_printf("%s/%s.%s", vdir, m->name, ext);
        } else
                out = output ? g_strdup(output) : g_strdup_printf("%s.%s", m->name, ext);

        if (write_archive(dir, files, out, zip) < 0)
                return 1;
        if (package_file_sha256(out, &sha) < 0)
                return 1;
        printf("%s %s: %s (%u files, sha256 %s)\n", m->name, m->version, out, files->len, sha);
        printf("Sign it with, e.g.:\n"
               "  openssl cms -sign -binary -outform DER -in %s -signer CERT.pem -inkey KEY.pem -out %s.p7s\n",
               out, out);
        return 0;
}

static int do_verify(const char *file, const char *sig_file, const char *trust_dir, const char *name,
                     const char *version, bool unsigned_ok)
{
        g_autofree char *data = NULL, *sig = NULL, *error = NULL, *signer = NULL, *tmp = NULL, *tree = NULL;
        g_autofree char *sig_default = g_strconcat(file, ".p7s", NULL), *sha = NULL;
        g_autoptr(TrustStore) trust = NULL;
        g_autoptr(Manifest) m = NULL;
        g_autoptr(GError) gerror = NULL;
        ExtractLimits limits = { .entries_max = EXTRACT_ENTRIES_MAX_DEFAULT, .size_max = EXTRACT_SIZE_MAX_DEFAULT };
        gsize size = 0, sig_size = 0;
        int r, status = 0;

        if (!g_file_get_contents(file, &data, &size, &gerror)) {
                fprintf(stderr, "%s: %s\n", file, gerror->message);
                return 1;
        }
        (void) package_file_sha256(file, &sha);
        printf("Artifact:  %s (%zu bytes, sha256 %s)\n", file, (size_t) size, strna(sha));
        if (!unsigned_ok) {
                sig_file = sig_file ? sig_file : sig_default;
                if (!g_file_get_contents(sig_file, &sig, &sig_size, NULL)) {
                        fprintf(stderr, "%s: refused: not signed (no %s)\n", file, sig_file);
                        return 1;
                }
                r = trust_store_load(trust_dir, &trust, &error);
                if (r >= 0)
                        r = trust_verify(trust, data, size, sig, sig_size, &signer, &error);
                if (r < 0) {
                        fprintf(stderr, "%s: refused: %s\n", file, error);
                        return 1;
                }
                printf("Signed by: %s\n", signer);
        } else
                printf("Signature: not checked (--unsigned)\n");

        tmp = g_dir_make_tmp("l3afctl-verify-XXXXXX", &gerror);
        if (!tmp) {
                fprintf(stderr, "Cannot create a temporary directory: %s\n", gerror->message);
                return 1;
        }
        tree = g_build_filename(tmp, "package", NULL);
        r = extract_archive_memory(data, size, tree, &limits, &error);
        if (r < 0) {
                fprintf(stderr, "%s: refused: unsafe or broken archive: %s\n", file, error);
                status = 1;
                goto finish;
        }
        r = manifest_load(tree, &m, &error);
        if (r == -ENOENT) {
                printf("Manifest:  none (usable when the drop-in names Entry=, and NextMap= and Type= as needed)\n");
                if (name || version) {
                        fprintf(stderr, "%s: refused: no manifest to compare --name/--version with\n", file);
                        status = 1;
                }
                goto finish;
        }
        if (r < 0) {
                fprintf(stderr, "%s: refused: %s\n", file, error);
                status = 1;
                goto finish;
        }
        printf("Package:   %s %s\n", m->name, m->version);
        if (m->description)
                printf("           %s\n", m->description);
        if (m->license)
                printf("License:   %s\n", m->license);
        if (m->companion)
                printf("Companion: %s\n", m->companion);
        for (guint i = 0; i < m->programs->len; i++) {
                const ManifestProgram *mp = m->programs->pdata[i];

                printf("Program:   %s: %s%s%s%s%s%s%s\n", mp->name, mp->object, mp->entry ? " entry " : "",
                       mp->entry ? mp->entry : "", mp->type ? " type " : "", mp->type ? mp->type : "",
                       mp->next_map ? " next " : "", mp->next_map ? mp->next_map : "");
                if (check_program(tree, mp) < 0)
                        status = 1;
        }
        for (guint i = 0; i < m->warnings->len; i++)
                fprintf(stderr, "warning: %s\n", (char *) m->warnings->pdata[i]);
        if ((name && !streq(name, m->name)) || (version && !streq(version, m->version))) {
                fprintf(stderr, "%s: refused: the manifest names %s %s, expected %s %s\n", file, m->name, m->version,
                        name ? name : m->name, version ? version : m->version);
                status = 1;
        }
finish:
        (void) rm_rf(tmp);
        if (status == 0)
                printf("OK\n");
        return status;
}

/* What the options of l3afctl package say. */
typedef struct PackageArgs {
        const char *output, *repository, *trust_dir, *signature, *name, *version;
        bool zip, unsigned_ok;
        PackageMirrorOptions mirror;   /* mirror's options, and sign's --cert= and --key= */
} PackageArgs;

/* Reads the options into 'a' (argv[0] is the subcommand). Returns 0, 1 after --help, or 2 on a usage error. */
static int parse_package_options(int argc, char **argv, PackageArgs *a)
{
        enum { ARG_REPOSITORY = 0x100, ARG_FORMAT, ARG_TRUST_DIR, ARG_SIGNATURE, ARG_NAME, ARG_VERSION, ARG_UNSIGNED,
               ARG_CERT, ARG_KEY, ARG_LAYOUT, ARG_CODENAME, ARG_ARTIFACT, ARG_CA_FILE };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "output", required_argument, NULL, 'o' },
                { "repository", required_argument, NULL, ARG_REPOSITORY },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "trust-dir", required_argument, NULL, ARG_TRUST_DIR },
                { "signature", required_argument, NULL, ARG_SIGNATURE },
                { "name", required_argument, NULL, ARG_NAME },
                { "version", required_argument, NULL, ARG_VERSION },
                { "unsigned", no_argument, NULL, ARG_UNSIGNED },
                { "cert", required_argument, NULL, ARG_CERT },
                { "key", required_argument, NULL, ARG_KEY },
                { "layout", required_argument, NULL, ARG_LAYOUT },
                { "codename", required_argument, NULL, ARG_CODENAME },
                { "artifact", required_argument, NULL, ARG_ARTIFACT },
                { "ca-file", required_argument, NULL, ARG_CA_FILE },
                {}
        };
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help_package();
                        return 1;
                case 'o':
                        a->output = optarg;
                        break;
                case ARG_REPOSITORY:
                        a->repository = optarg;
                        break;
                case ARG_FORMAT:
                        if (streq(optarg, "zip"))
                                a->zip = true;
                        else if (streq(optarg, "tar.gz") || streq(optarg, "tgz"))
                                a->zip = false;
                        else {
                                fprintf(stderr, "Unknown format '%s' (tar.gz, zip).\n", optarg);
                                return 2;
                        }
                        break;
                case ARG_TRUST_DIR:
                        a->trust_dir = optarg;
                        break;
                case ARG_SIGNATURE:
                        a->signature = optarg;
                        break;
                case ARG_NAME:
                        a->name = optarg;
                        break;
                case ARG_VERSION:
                        a->version = optarg;
                        break;
                case ARG_UNSIGNED:
                        a->unsigned_ok = true;
                        break;
                case ARG_CERT:
                        a->mirror.cert = optarg;
                        break;
                case ARG_KEY:
                        a->mirror.key = optarg;
                        break;
                case ARG_LAYOUT:
                        a->mirror.layout = package_layout_from_string(optarg);
                        if (a->mirror.layout < 0) {
                                fprintf(stderr, "Unknown layout '%s' (l3af, l3afd).\n", optarg);
                                return 2;
                        }
                        break;
                case ARG_CODENAME:
                        a->mirror.codename = optarg;
                        break;
                case ARG_ARTIFACT:
                        a->mirror.artifact = optarg;
                        break;
                case ARG_CA_FILE:
                        a->mirror.ca_file = optarg;
                        break;
                default:
                        return 2;
                }
        return 0;
}

int verb_package(int argc, char **argv)
{
        PackageArgs a = { .trust_dir = "/etc/l3af/trust.d", .mirror = { .layout = PACKAGE_LAYOUT_L3AF } };
        const char *sub;
        int r;

        if (argc < 2 || streq(argv[1], "-h") || streq(argv[1], "--help")) {
                help_package();
                return argc < 2 ? 2 : 0;
        }
        sub = argv[1];
        if (!streq(sub, "build") && !streq(sub, "verify") && !streq(sub, "sign") && !streq(sub, "mirror")) {
                fprintf(stderr, "Unknown package command '%s' (build, verify, sign, mirror). See l3afctl package "
                        "--help.\n", sub);
                return 2;
        }
        argc--;
        argv++;
        r = parse_package_options(argc, argv, &a);
        if (r != 0)
                return r == 1 ? 0 : r;
        if (streq(sub, "mirror")) {
                if (optind != argc - 4) {
                        fprintf(stderr, "l3afctl package mirror takes SOURCE-URL NAME VERSION DEST-DIR. See --help.\n");
                        return 2;
                }
                return package_mirror(argv[optind], argv[optind + 1], argv[optind + 2], argv[optind + 3], &a.mirror);
        }
        if (optind != argc - 1) {
                fprintf(stderr, "l3afctl package %s takes one %s. See --help.\n", sub,
                        streq(sub, "build") ? "directory" : "file");
                return 2;
        }
        if (streq(sub, "build"))
                return do_build(argv[optind], a.output, a.repository, a.zip);
        if (streq(sub, "sign"))
                return package_sign_file(argv[optind], a.output, a.mirror.cert, a.mirror.key);
        return do_verify(argv[optind], a.signature, a.trust_dir, a.name, a.version, a.unsigned_ok);
}
