/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fetching artifacts with libcurl: file://, http:// and https:// (TLS
 * verification always on; the CA file is configurable), with a size limit,
 * connect and total timeouts and bounded retries of transient failures. It
 * blocks: call it from a worker thread, never from the event loop.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct FetchOptions {
        const char *ca_file;          /* NULL: the system's CA store */
        uint64_t size_max;
        uint64_t connect_timeout_usec;
        uint64_t timeout_usec;        /* one attempt, from connect to last byte */
        uint64_t stall_timeout_usec;  /* gives up when no byte came for this long; 0: never */
        unsigned retries;             /* extra attempts after a transient failure */
} FetchOptions;

/*
 * A session keeps one transfer handle, so that the downloads of one package
 * (artifact, then signature) reuse the connection or resume the TLS session.
 * Use it from one thread at a time.
 */
typedef struct FetchSession FetchSession;
FetchSession *fetch_session_new(void);
void fetch_session_free(FetchSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FetchSession, fetch_session_free)

/*
 * Downloads 'url' into 'fd' (from offset 0, truncating it). Returns 0,
 * -ENOENT when the server says there is no such file (404, or a missing
 * file://), -ECANCELED after fetch_cancel(), or another negative errno; on
 * failure *ret_error says what happened.
 */
int fetch_to_fd(FetchSession *s, const FetchOptions *o, const char *url, int fd, char **ret_error);

/* Makes running and future fetches fail at once (shutdown), or allows them again. */
void fetch_cancel(bool cancel);

/* True for the URL schemes fetch_to_fd() takes. */
bool fetch_url_is_supported(const char *url);
