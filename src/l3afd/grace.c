/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <glib.h>
#include <pthread.h>

#include "bpf-util.h"
#include "grace.h"
#include "util.h"

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool started;
        int outer_fd, inner_fd;
        uint64_t requested;  /* tickets handed out */
        uint64_t completed;  /* every ticket up to this one has had its grace period */
        uint64_t failed;     /* ... or, up to this one, the update that waits failed with 'error' */
        int error;
        uint64_t last_usec;  /* how long the last one took */
} grace = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .cond = PTHREAD_COND_INITIALIZER,
        .outer_fd = -EBADF,
        .inner_fd = -EBADF,
};

static void *grace_worker(void *userdata)
{
        uint32_t zero = 0;

        pthread_mutex_lock(&grace.lock);
        for (;;) {
                uint64_t upto, start;
                int r = 0;

                while (grace.completed == grace.requested)
                        pthread_cond_wait(&grace.cond, &grace.lock);
                /* Read after the switches of every ticket up to 'upto': the grace period below starts later. */
                upto = grace.requested;
                pthread_mutex_unlock(&grace.lock);
                start = g_get_monotonic_time();
                if (bpf_map_update_elem(grace.outer_fd, &zero, &grace.inner_fd, BPF_ANY) < 0)
                        r = negative_errno();
                pthread_mutex_lock(&grace.lock);
                if (r < 0) {
                        grace.failed = upto;
                        grace.error = r;
                } else
                        grace.last_usec = g_get_monotonic_time() - start;
                grace.completed = upto;
                pthread_cond_broadcast(&grace.cond);
        }
        return NULL;
}

/* The map-in-map whose updates wait, and the worker; called with the lock held. */
static int grace_start(void)
{
        LIBBPF_OPTS(bpf_map_create_opts, opts);
        pthread_attr_t attr;
        pthread_t thread;
        int r;

        grace.inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "l3af_grace_in", sizeof(uint32_t), sizeof(uint32_t), 1,
                                        NULL);
        if (grace.inner_fd < 0)
                return negative_errno();
        opts.inner_map_fd = grace.inner_fd;
        grace.outer_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "l3af_grace", sizeof(uint32_t),
                                        sizeof(uint32_t), 1, &opts);
        if (grace.outer_fd < 0) {
                r = negative_errno();
                safe_close(&grace.inner_fd);
                return r;
        }
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = -pthread_create(&thread, &attr, grace_worker, NULL);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                safe_close(&grace.outer_fd);
                safe_close(&grace.inner_fd);
                return r;
        }
        grace.started = true;
        return 0;
}

int grace_period_request(uint64_t *ret_ticket)
{
        int r = 0;

        pthread_mutex_lock(&grace.lock);
        if (!grace.started)
                r = grace_start();
        if (r >= 0) {
                *ret_ticket = ++grace.requested;
                pthread_cond_broadcast(&grace.cond);
        }
        pthread_mutex_unlock(&grace.lock);
        return r;
}

uint64_t grace_period_last_usec(void)
{
        uint64_t usec;

        pthread_mutex_lock(&grace.lock);
        usec = grace.last_usec;
        pthread_mutex_unlock(&grace.lock);
        return usec;
}

int grace_period_wait(uint64_t ticket)
{
        int r = 0;

        if (ticket == 0)
                return 0;
        pthread_mutex_lock(&grace.lock);
        while (grace.completed < ticket)
                pthread_cond_wait(&grace.cond, &grace.lock);
        if (grace.failed >= ticket)
                r = grace.error;
        pthread_mutex_unlock(&grace.lock);
        return r;
}
