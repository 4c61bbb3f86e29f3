/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sys/eventfd.h>

#include "fd-limit.h"
#include "log.h"
#include "util.h"

int fd_limit_raise(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return log_error_errno(errno, "Cannot read RLIMIT_NOFILE: %m");
        if (rl.rlim_cur < rl.rlim_max) {
                struct rlimit raised = { .rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max };

                if (setrlimit(RLIMIT_NOFILE, &raised) < 0)
                        log_warning_errno(errno, "Cannot raise the soft RLIMIT_NOFILE from %llu to the hard limit "
                                          "%llu, so at most %llu descriptors are open at once: %m",
                                          (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max,
                                          (unsigned long long) rl.rlim_cur);
                else {
                        log_debug("Soft RLIMIT_NOFILE raised from %llu to the hard limit, %llu.",
                                  (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
                        rl = raised;
                }
        }
        return rl.rlim_cur > INT_MAX ? INT_MAX : (int) rl.rlim_cur;
}

unsigned fd_reserve_take(FdReserve *r)
{
        r->n = 0;
        r->fds[0] = eventfd(0, EFD_CLOEXEC);
        if (r->fds[0] < 0)
                return 0;
        for (r->n = 1; r->n < FD_RESERVE; r->n++) {
                r->fds[r->n] = fcntl(r->fds[0], F_DUPFD_CLOEXEC, 3);
                if (r->fds[r->n] < 0)
                        break;
        }
        return r->n;
}

void fd_reserve_release(FdReserve *r)
{
        while (r->n > 0)
                safe_close(&r->fds[--r->n]);
}
