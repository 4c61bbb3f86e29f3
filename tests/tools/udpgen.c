/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udpgen: sends UDP packets at a steady rate and says how many it sent.
 *
 *   udpgen DST_IP PORT [COUNT [RATE_PPS]]
 *
 * COUNT 0 sends until SIGTERM/SIGINT. The number sent is printed on exit and,
 * with UDPGEN_COUNT_FILE set, written there too. UDPGEN_SIZE sets the UDP
 * payload size (default 64 bytes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        stop = 1;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
        struct sockaddr_in dst = { .sin_family = AF_INET };
        uint64_t count, rate, sent = 0, start, interval;
        const char *size_env = getenv("UDPGEN_SIZE");
        size_t size = size_env ? strtoul(size_env, NULL, 10) : 64;
        char *payload;
        const char *file = getenv("UDPGEN_COUNT_FILE");
        struct sigaction sa = { .sa_handler = on_signal };
        int fd;

        if (argc < 3) {
                fprintf(stderr, "usage: udpgen DST_IP PORT [COUNT [RATE_PPS]]\n");
                return 2;
        }
        if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
                fprintf(stderr, "udpgen: bad address %s\n", argv[1]);
                return 2;
        }
        if (size < 16 || size > 65000) {
                fprintf(stderr, "udpgen: UDPGEN_SIZE must be 16 to 65000\n");
                return 2;
        }
        payload = calloc(1, size);
        if (!payload)
                return 1;
        strcpy(payload, "l3afd-test");
        dst.sin_port = htons(atoi(argv[2]));
        count = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
        rate = argc > 4 ? strtoull(argv[4], NULL, 10) : 20000;
        interval = rate ? 1000000000ull / rate : 0;

        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) {
                perror("udpgen: socket");
                return 1;
        }
        start = now_ns();
        while (!stop && (count == 0 || sent < count)) {
                if (interval) {
                        uint64_t due = start + sent * interval, t = now_ns();

                        if (t < due) {
                                struct timespec ts = { 0, (long) (due - t) };

                                nanosleep(&ts, NULL);
                                continue;
                        }
                }
                if (sendto(fd, payload, size, 0, (struct sockaddr *) &dst, sizeof(dst)) < 0) {
                        if (errno == EINTR)
                                continue;
                        /* ECONNREFUSED from an earlier ICMP error: the packet still went out. */
                        if (errno != ECONNREFUSED) {
                                perror("udpgen: sendto");
                                break;
                        }
                }
                sent++;
        }
        free(payload);
        printf("%llu\n", (unsigned long long) sent);
        if (file) {
                FILE *f = fopen(file, "w");

                if (f) {
                        fprintf(f, "%llu\n", (unsigned long long) sent);
                        fclose(f);
                }
        }
        return 0;
}
