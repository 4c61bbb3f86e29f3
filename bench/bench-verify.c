/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-verify TRUST_DIR ARTIFACT SIGNATURE ROUNDS
 *
 * Times, per round, what l3afd does with a package before loading it:
 * re-checking the cached artifact's sha256, verifying its CMS signature
 * against the trust directory (loading the trust directory included), and
 * unpacking it. Prints the median of each, in ms and ms per MiB.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpf-util.h"
#include "extract.h"
#include "package.h"
#include "trust.h"

static int compare_doubles(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, n, sizeof(double), compare_doubles);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
        g_autofree char *data = NULL, *sig = NULL, *tmp = NULL;
        gsize size, sig_size;
        int rounds;
        double *t_sha, *t_verify, *t_extract, mib;

        if (argc != 5) {
                fprintf(stderr, "usage: bench-verify TRUST_DIR ARTIFACT SIGNATURE ROUNDS\n");
                return 2;
        }
        rounds = atoi(argv[4]);
        if (rounds < 1 || !g_file_get_contents(argv[2], &data, &size, NULL) ||
            !g_file_get_contents(argv[3], &sig, &sig_size, NULL)) {
                fprintf(stderr, "cannot read the inputs\n");
                return 1;
        }
        tmp = g_dir_make_tmp("bench-verify-XXXXXX", NULL);
        t_sha = g_new(double, rounds);
        t_verify = g_new(double, rounds);
        t_extract = g_new(double, rounds);
        mib = size / (1024.0 * 1024.0);

        for (int i = 0; i < rounds; i++) {
                g_autoptr(TrustStore) t = NULL;
                g_autofree char *error = NULL, *signer = NULL, *sha = NULL;
                g_autofree char *dest = g_build_filename(tmp, "tree", NULL);
                ExtractLimits limits = { .entries_max = 1000, .size_max = 1ull << 30 };
                gint64 a, b, c, d;

                a = g_get_monotonic_time();
                if (package_file_sha256(argv[2], &sha) < 0)
                        return 1;
                b = g_get_monotonic_time();
                if (trust_store_load(argv[1], &t, &error) < 0 ||
                    trust_verify(t, data, size, sig, sig_size, &signer, &error) < 0) {
                        fprintf(stderr, "verification failed: %s\n", error);
                        return 1;
                }
                c = g_get_monotonic_time();
                if (extract_archive(argv[2], dest, &limits, &error) < 0) {
                        fprintf(stderr, "extraction failed: %s\n", error);
                        return 1;
                }
                d = g_get_monotonic_time();
                rm_rf(dest);
                t_sha[i] = (b - a) / 1000.0;
                t_verify[i] = (c - b) / 1000.0;
                t_extract[i] = (d - c) / 1000.0;
        }
        rm_rf(tmp);
        double s = median(t_sha, rounds), v = median(t_verify, rounds), e = median(t_extract, rounds);
        printf("%.2f MiB  sha256 %.2f ms (%.2f ms/MiB)  verify %.2f ms (%.2f ms/MiB)  extract %.2f ms (%.2f ms/MiB)\n",
               mib, s, s / mib, v, v / mib, e, e / mib);
        return 0;
}
