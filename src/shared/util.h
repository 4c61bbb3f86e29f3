/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)


/* Hands an fd or pointer over to its new owner, leaving the old one empty. */
#define TAKE_FD(fd)                     \
        ({                              \
                int _fd_ = (fd);        \
                (fd) = -EBADF;          \
                _fd_;                   \
        })
#define TAKE_PTR(p)                     \
        ({                              \
                typeof(p) _p_ = (p);    \
                (p) = NULL;             \
                _p_;                    \
        })

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define container_of(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))
#define streq(a, b) (strcmp((a), (b)) == 0)
#define streq_ptr(a, b) ((a) == (b) || ((a) && (b) && streq((a), (b))))
#define isempty(s) (!(s) || !*(s))
#define strna(s) ((s) ? (s) : "n/a")
#define strempty(s) ((s) ? (s) : "")

/*
 * For the crash-consistency tests: with L3AF_TEST_CRASH_AT=NAME in its
 * environment, the daemon SIGKILLs itself when it reaches crash_point(NAME).
 */
static inline void crash_point(const char *name)
{
        const char *at = getenv("L3AF_TEST_CRASH_AT");

        if (at && strcmp(at, name) == 0)
                raise(SIGKILL);
}

/*
 * For the watchdog system test: with L3AF_TEST_STALL_AT=NAME in its
 * environment, the daemon stops at stall_point(NAME) and never returns, so
 * its event loop no longer sends WATCHDOG=1 (sd_notify(3)) and systemd's
 * WatchdogSec= ends it.
 */
static inline void stall_point(const char *name)
{
        const char *at = getenv("L3AF_TEST_STALL_AT");

        if (at && strcmp(at, name) == 0)
                for (;;)
                        pause();
}

/* For sorting arrays of strings (g_ptr_array_sort(), qsort()). */
static inline int strptr_compare(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

/* Closes an fd and sets it to -EBADF. */
static inline void safe_close(int *fd)
{
        closep(fd);
        *fd = -EBADF;
}

/* yes/no, true/false, on/off, 1/0 (as systemd); -EINVAL otherwise. GKeyFile knows only true/false/1/0. */
static inline int parse_boolean(const char *v)
{
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!v)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}
