/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <microhttpd.h>
#include <sys/epoll.h>
#include <systemd/sd-daemon.h>

#include "idle.h"
#include "log.h"
#include "metrics-http.h"
#include "metrics.h"
#include "util.h"

#define CONNECTIONS_MAX 16
#define CONNECTION_TIMEOUT_SEC 10

typedef struct MetricsHttp {
        Context *c;
        GPtrArray *daemons;        /* Server*, one per socket */
} MetricsHttp;

typedef struct Server {
        MetricsHttp *h;
        struct MHD_Daemon *d;
        sd_event_source *io, *timer;
} Server;

static int queue_text(struct MHD_Connection *conn, unsigned status, const char *text, const char *allow)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *) text,
                                                                    MHD_RESPMEM_MUST_COPY);
        enum MHD_Result r;

        if (!resp)
                return MHD_NO;
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        if (allow)
                (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
        r = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
        Server *s = cls;
        g_autoptr(GString) body = NULL;
        struct MHD_Response *resp;
        enum MHD_Result r;

        idle_exit_touch(s->h->c->idle);
        if (!streq(method, MHD_HTTP_METHOD_GET))
                return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Only GET is served here.\n", "GET");
        if (!streq(url, METRICS_PATH))
                return queue_text(conn, MHD_HTTP_NOT_FOUND, "Not found: the metrics are at " METRICS_PATH ".\n",
                                  NULL);
        body = g_string_new(NULL);
        metrics_format(s->h->c, body);
        resp = MHD_create_response_from_buffer(body->len, body->str, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
        r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return r;
}

/* Runs MHD once, then sets the timer to MHD's next timeout (off when it has none). */
static void server_run(Server *s)
{
        MHD_UNSIGNED_LONG_LONG ms = 0;
        uint64_t now = 0;

        (void) MHD_run(s->d);
        if (MHD_get_timeout(s->d, &ms) == MHD_YES) {
                (void) sd_event_now(sd_event_source_get_event(s->timer), CLOCK_MONOTONIC, &now);
                (void) sd_event_source_set_time(s->timer, now + ms * 1000);
                (void) sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        server_run(userdata);
        return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
        server_run(userdata);
        return 0;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        g_autofree char *text = g_strdup_vprintf(fmt, ap);

        log_warning("Metrics endpoint: %s", g_strchomp(text));
}

static void server_free(Server *s)
{
        if (!s)
                return;
        sd_event_source_disable_unref(s->io);
        sd_event_source_disable_unref(s->timer);
        if (s->d)
                MHD_stop_daemon(s->d);  /* closes the listening socket */
        g_free(s);
}

static int server_new(MetricsHttp *h, int fd, Server **ret)
{
        Server *s = g_new0(Server, 1);
        const union MHD_DaemonInfo *info;
        int r;

        s->h = h;
        s->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, s,
                                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) fd,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned) CONNECTIONS_MAX,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONNECTION_TIMEOUT_SEC,
                                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                MHD_OPTION_END);
        if (!s->d) {
                g_free(s);
                return -EINVAL;
        }
        info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info) {
                server_free(s);
                return -EINVAL;
        }
        r = sd_event_add_io(h->c->event, &s->io, info->epoll_fd, EPOLLIN, on_io, s);
        if (r >= 0)
                r = sd_event_add_time(h->c->event, &s->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, s);
        if (r < 0) {
                server_free(s);
                return r;
        }
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        *ret = s;
        return 0;
}

int metrics_http_setup(Context *c, int n, char **names)
{
        MetricsHttp *h = NULL;

        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                Server *s;
                int r;

                if (!names || !streq_ptr(names[i], METRICS_FD_NAME))
                        continue;
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                        log_warning("Ignoring passed fd %d named " METRICS_FD_NAME ": not a listening stream socket.",
                                    fd);
                        continue;
                }
                if (!h) {
                        h = g_new0(MetricsHttp, 1);
                        h->c = c;
                        h->daemons = g_ptr_array_new_with_free_func((GDestroyNotify) server_free);
                        c->metrics_http = h;
                }
                r = server_new(h, fd, &s);
                if (r < 0)
                        return log_error_errno(r, "Cannot serve metrics on passed fd %d: %m", fd);
                g_ptr_array_add(h->daemons, s);
        }
        if (!h)
                return 0;
        log_info("Serving Prometheus metrics at " METRICS_PATH " on %u passed socket(s).", h->daemons->len);
        return (int) h->daemons->len;
}

void metrics_http_done(Context *c)
{
        MetricsHttp *h = c->metrics_http;

        if (!h)
                return;
        g_ptr_array_unref(h->daemons);
        g_free(h);
        c->metrics_http = NULL;
}
