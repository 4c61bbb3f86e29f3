/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * busclient: N concurrent clients, each on its own connection, each making M
 * GetChain (or other read) calls to org.l3af.Chain1. Reports how many calls
 * were answered and the round-trip latency percentiles. Used by the
 * responsiveness test and the benchmarks.
 *
 *   busclient CLIENTS CALLS IFACE HOOK
 *   prints: calls=N answered=N errors=N p50_us=X p99_us=Y max_us=Z
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* One result: latency in ns, top bit set for an error reply, all ones for no reply. */
#define ERROR_BIT (1ull << 63)
#define NO_REPLY UINT64_MAX

static void run_client(int fd, int calls, const char *iface, const char *hook)
{
        sd_bus *bus = NULL;
        uint64_t *res = calloc(calls, sizeof(uint64_t));
        int r = sd_bus_open_system(&bus);

        for (int i = 0; i < calls; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                uint64_t t0 = now_ns();

                if (r < 0) {
                        res[i] = NO_REPLY;
                        continue;
                }
                int k = sd_bus_call_method(bus, "org.l3af.Chain1", "/org/l3af/Chain1", "org.l3af.Chain1", "GetChain",
                                           &e, &reply, "ss", iface, hook);
                uint64_t dt = now_ns() - t0;

                if (k >= 0)
                        res[i] = dt;
                else if (sd_bus_error_is_set(&e) && !sd_bus_error_has_name(&e, SD_BUS_ERROR_NO_REPLY) &&
                         !sd_bus_error_has_name(&e, SD_BUS_ERROR_TIMEOUT))
                        res[i] = dt | ERROR_BIT;
                else
                        res[i] = NO_REPLY;
                sd_bus_message_unref(reply);
                sd_bus_error_free(&e);
        }
        /* Whole records only: write in chunks under PIPE_BUF. */
        for (int i = 0; i < calls; i += 256) {
                int n = calls - i < 256 ? calls - i : 256;

                if (write(fd, res + i, n * sizeof(uint64_t)) < 0)
                        _exit(1);
        }
        sd_bus_flush_close_unref(bus);
        _exit(0);
}

static int cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        int clients, calls, p[2];
        uint64_t *all, *lat;
        size_t total, got = 0, answered = 0, errors = 0, nlat = 0;

        if (argc != 5) {
                fprintf(stderr, "usage: busclient CLIENTS CALLS IFACE HOOK\n");
                return 2;
        }
        clients = atoi(argv[1]);
        calls = atoi(argv[2]);
        total = (size_t) clients * calls;
        all = calloc(total, sizeof(uint64_t));
        lat = calloc(total, sizeof(uint64_t));
        if (pipe(p) < 0)
                return 1;
        for (int c = 0; c < clients; c++) {
                pid_t pid = fork();

                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        close(p[0]);
                        run_client(p[1], calls, argv[3], argv[4]);
                }
        }
        close(p[1]);
        while (got < total * sizeof(uint64_t)) {
                ssize_t n = read(p[0], (char *) all + got, total * sizeof(uint64_t) - got);

                if (n <= 0)
                        break;
                got += n;
        }
        while (wait(NULL) > 0)
                ;
        for (size_t i = 0; i < got / sizeof(uint64_t); i++) {
                if (all[i] == NO_REPLY)
                        continue;
                answered++;
                if (all[i] & ERROR_BIT)
                        errors++;
                lat[nlat++] = all[i] & ~ERROR_BIT;
        }
        qsort(lat, nlat, sizeof(uint64_t), cmp);
        printf("calls=%zu answered=%zu errors=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f\n", total, answered, errors,
               nlat ? lat[nlat / 2] / 1000.0 : 0, nlat ? lat[(nlat * 99) / 100] / 1000.0 : 0,
               nlat ? lat[nlat - 1] / 1000.0 : 0);
        free(all);
        free(lat);
        return answered == total && errors == 0 ? 0 : 1;
}
