/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <curl/curl.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

#include "fetch.h"
#include "log.h"
#include "util.h"

#define REDIRECTS_MAX 5
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 4000

static atomic_bool cancelled;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

struct FetchSession {
        CURL *curl;
};

FetchSession *fetch_session_new(void)
{
        return g_new0(FetchSession, 1);
}

void fetch_session_free(FetchSession *s)
{
        if (!s)
                return;
        if (s->curl)
                curl_easy_cleanup(s->curl);
        g_free(s);
}

void fetch_cancel(bool cancel)
{
        atomic_store(&cancelled, cancel);
}

bool fetch_url_is_supported(const char *url)
{
        return g_str_has_prefix(url, "file:///") || g_str_has_prefix(url, "http://") ||
               g_str_has_prefix(url, "https://");
}

static void curl_init_once(void)
{
        curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct Sink {
        int fd;
        uint64_t written;
        uint64_t size_max;
        bool too_large;
        int write_errno;
        /* Stall detection: curl's own low-speed check averages over seconds and reacts late. */
        uint64_t stall_timeout_usec;
        curl_off_t last_now;
        gint64 last_change_usec;
        bool stalled;
} Sink;

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
        Sink *s = userdata;
        size_t n = size * nmemb, done = 0;

        if (s->written + n > s->size_max) {
                s->too_large = true;
                return 0;  /* curl fails the transfer with CURLE_WRITE_ERROR */
        }
        while (done < n) {
                ssize_t k = write(s->fd, data + done, n - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        s->write_errno = k < 0 ? errno : EIO;
                        return 0;
                }
                done += k;
        }
        s->written += n;
        return n;
}

/* Called by curl at least once a second, also while nothing arrives. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        Sink *s = userdata;
        gint64 now = g_get_monotonic_time();

        if (atomic_load(&cancelled))
                return 1;
        if (dlnow != s->last_now) {
                s->last_now = dlnow;
                s->last_change_usec = now;
        } else if (s->stall_timeout_usec > 0 && (uint64_t) (now - s->last_change_usec) > s->stall_timeout_usec) {
                s->stalled = true;
                return 1;
        }
        return 0;
}

#define ERRTEXT (errbuf[0] ? errbuf : curl_easy_strerror(e))

typedef enum Outcome { OUTCOME_OK, OUTCOME_RETRY, OUTCOME_FAIL } Outcome;

/* The transfer's options: protocols, redirects, TLS checks, limits and where the data goes. */
static void set_options(CURL *c, const FetchOptions *o, const char *url, Sink *sink, char *errbuf)
{
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "file,http,https");
        /* Never downgrade from https on a redirect. */
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, g_str_has_prefix(url, "https:") ? "https" : "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long) REDIRECTS_MAX);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->ca_file)
                curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) MAX(o->connect_timeout_usec / 1000, 1u));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) MAX(o->timeout_usec / 1000, 1u));
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) MIN(o->size_max, (uint64_t) INT64_MAX));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, sink);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "l3afd/" L3AF_VERSION);
}

/* What a failed transfer means: -errno in *ret_r, a reason, and whether to try again. */
static Outcome classify(CURLcode e, long code, const Sink *sink, const FetchOptions *o, const char *errbuf,
                        int *ret_r, char **ret_error)
{
        switch (e) {
        case CURLE_ABORTED_BY_CALLBACK:
                if (sink->stalled) {
                        *ret_r = -ETIMEDOUT;
                        *ret_error = g_strdup_printf("the server stalled: no data for %.1f s (StallTimeoutSec=) "
                                                     "after %" G_GUINT64_FORMAT " bytes",
                                                     o->stall_timeout_usec / 1e6, sink->written);
                        return OUTCOME_RETRY;
                }
                *ret_r = -ECANCELED;
                *ret_error = g_strdup("cancelled");
                return OUTCOME_FAIL;
        case CURLE_FILESIZE_EXCEEDED:
                *ret_r = -EFBIG;
                *ret_error = g_strdup_printf("larger than %" G_GUINT64_FORMAT " bytes (FetchSizeMax=)", o->size_max);
                return OUTCOME_FAIL;
        case CURLE_WRITE_ERROR:
                if (sink->too_large) {
                        *ret_r = -EFBIG;
                        *ret_error = g_strdup_printf("larger than %" G_GUINT64_FORMAT " bytes (FetchSizeMax=)",
                                                     o->size_max);
                } else {
                        *ret_r = -(sink->write_errno ? sink->write_errno : EIO);
                        *ret_error = g_strdup_printf("cannot store the download: %s", g_strerror(-*ret_r));
                }
                return OUTCOME_FAIL;
        case CURLE_HTTP_RETURNED_ERROR:
                *ret_error = g_strdup_printf("the server answered HTTP %ld", code);
                if (code == 404 || code == 410) {
                        *ret_r = -ENOENT;
                        return OUTCOME_FAIL;
                }
                *ret_r = -EREMOTEIO;
                return code >= 500 || code == 408 || code == 429 ? OUTCOME_RETRY : OUTCOME_FAIL;
        case CURLE_FILE_COULDNT_READ_FILE:
                *ret_r = -ENOENT;
                *ret_error = g_strdup_printf("no such file (%s)", ERRTEXT);
                return OUTCOME_FAIL;
        case CURLE_OPERATION_TIMEDOUT:
                *ret_r = -ETIMEDOUT;
                *ret_error = g_strdup_printf("timed out (ConnectTimeoutSec=%.1fs, FetchTimeoutSec=%.1fs): %s",
                                             o->connect_timeout_usec / 1e6, o->timeout_usec / 1e6, ERRTEXT);
                return OUTCOME_RETRY;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
                *ret_r = e == CURLE_PARTIAL_FILE ? -EPIPE : -ECONNREFUSED;
                *ret_error = g_strdup_printf("%s%s", ERRTEXT,
                                             e == CURLE_PARTIAL_FILE ? " (the body was cut short)" : "");
                return OUTCOME_RETRY;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CONNECT_ERROR:
                *ret_r = -EKEYREJECTED;
                *ret_error = g_strdup_printf("TLS: %s", ERRTEXT);
                return OUTCOME_FAIL;
        default:
                *ret_r = -EIO;
                *ret_error = g_strdup(ERRTEXT);
                return OUTCOME_FAIL;
        }
}

static Outcome attempt(FetchSession *session, const FetchOptions *o, const char *url, int fd, int *ret_r,
                       char **ret_error)
{
        char errbuf[CURL_ERROR_SIZE] = "";
        Sink sink = {
                .fd = fd,
                .size_max = o->size_max,
                .stall_timeout_usec = o->stall_timeout_usec,
                .last_change_usec = g_get_monotonic_time(),
        };
        long code = 0;
        CURLcode e;
        CURL *c;

        /* A reset handle keeps its connections and TLS sessions, not its options. */
        if (session->curl)
                curl_easy_reset(session->curl);
        else
                session->curl = curl_easy_init();
        c = session->curl;
        if (!c) {
                *ret_r = -ENOMEM;
                *ret_error = g_strdup("cannot create a transfer");
                return OUTCOME_FAIL;
        }
        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
                *ret_r = negative_errno();
                *ret_error = g_strdup_printf("cannot reset the download file: %s", g_strerror(errno));
                return OUTCOME_FAIL;
        }

        set_options(c, o, url, &sink, errbuf);

        e = curl_easy_perform(c);
        (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);  /* errbuf is on this stack frame */
        if (e == CURLE_OK)
                return OUTCOME_OK;

        return classify(e, code, &sink, o, errbuf, ret_r, ret_error);
}

static bool sleep_unless_cancelled(unsigned ms)
{
        for (unsigned waited = 0; waited < ms; waited += 50) {
                if (atomic_load(&cancelled))
                        return false;
                (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        return !atomic_load(&cancelled);
}

int fetch_to_fd(FetchSession *s, const FetchOptions *o, const char *url, int fd, char **ret_error)
{
        unsigned backoff = BACKOFF_FIRST_MS;
        int r = -EIO;

        (void) pthread_once(&curl_once, curl_init_once);
        if (curl_init_result != CURLE_OK) {
                *ret_error = g_strdup_printf("cannot initialize libcurl: %s", curl_easy_strerror(curl_init_result));
                return -EIO;
        }
        if (!fetch_url_is_supported(url)) {
                *ret_error = g_strdup_printf("'%s' is not a file:///, http:// or https:// URL", url);
                return -EPROTONOSUPPORT;
        }

        for (unsigned i = 0; i <= o->retries; i++) {
                g_autofree char *error = NULL;
                Outcome out;

                if (atomic_load(&cancelled)) {
                        *ret_error = g_strdup("cancelled");
                        return -ECANCELED;
                }
                out = attempt(s, o, url, fd, &r, &error);
                if (out == OUTCOME_OK)
                        return 0;
                if (out == OUTCOME_FAIL || i == o->retries) {
                        *ret_error = o->retries > 0 && out == OUTCOME_RETRY
                                ? g_strdup_printf("%s (after %u attempts)", error, i + 1)
                                : TAKE_PTR(error);
                        return r;
                }
                log_debug("Fetching %s failed (%s); trying again in %u ms.", url, error, backoff);
                if (!sleep_unless_cancelled(backoff)) {
                        *ret_error = g_strdup("cancelled");
                        return -ECANCELED;
                }
                backoff = MIN(backoff * 2, BACKOFF_MAX_MS);
        }
        return r;
}
