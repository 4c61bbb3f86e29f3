/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include "bus-server.h"
#include "metrics-http.h"
#include "bus.h"
#include "idle.h"
#include "log.h"
#include "util.h"

static void drop_connection(Context *c, sd_bus *bus)
{
        if (c->bus_connections)
                for (guint i = 0; i < c->bus_connections->len; i++)
                        if (c->bus_connections->pdata[i] == bus) {
                                g_ptr_array_remove_index_fast(c->bus_connections, i);
                                sd_bus_flush_close_unref(bus);
                                break;
                        }
        if (c->p2p_unheard)
                g_hash_table_remove(c->p2p_unheard, bus);
        if (c->p2p_connections > 0)
                c->p2p_connections--;
        idle_exit_touch(c->idle);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;

        log_debug("A direct D-Bus client disconnected.");
        drop_connection(c, sd_bus_message_get_bus(m));
        return 0;
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;

        idle_exit_touch(c->idle);
        /* The peer has spoken: its first reply (to Hello, for busctl and gdbus) is being made
         * now, so signals may follow it. */
        if (c->p2p_unheard)
                g_hash_table_remove(c->p2p_unheard, sd_bus_message_get_bus(m));
        return 0;  /* let it through */
}

/*
 * busctl and gdbus say Hello first even on a direct connection, as to a bus.
 * Answer as a bus would, with a unique name for the peer.
 */
static int method_hello(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        g_autofree char *name = g_strdup_printf(":1.%u", ++c->p2p_serial);

        return sd_bus_reply_method_return(m, "s", name);
}

static const sd_bus_vtable hello_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Hello", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", unique_name), method_hello,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Context *c = userdata;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int cfd = -EBADF;
        sd_id128_t id;
        int r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                        return 0;
                return log_error_errno(errno, "Cannot accept a D-Bus connection: %m");
        }
        idle_exit_touch(c->idle);
        r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, cfd, cfd);
        if (r >= 0) {
                TAKE_FD(cfd);
                r = sd_bus_set_server(bus, true, id);
        }
        if (r >= 0)
                r = sd_bus_set_description(bus, "l3afd-direct");
        if (r >= 0)
                r = sd_bus_negotiate_creds(bus, true, SD_BUS_CREDS_PID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_filter(bus, NULL, on_message, c);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, c);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus", hello_vtable, c);
        if (r >= 0)
                r = bus_serve(c, bus);
        if (r < 0)
                return log_error_errno(r, "Cannot serve a direct D-Bus connection: %m");
        c->p2p_connections++;
        if (!c->p2p_unheard)
                c->p2p_unheard = g_hash_table_new(NULL, NULL);
        g_hash_table_add(c->p2p_unheard, bus);
        log_debug("A direct D-Bus client connected.");
        /* c->bus_connections holds its own reference: drop ours, without closing. */
        sd_bus_unref(TAKE_PTR(bus));
        return 0;
}

static void source_free(gpointer s)
{
        sd_event_source_disable_unref(s);
}

int bus_server_setup(Context *c, int n, char **names)
{
        int r;

        c->listen_sources = g_ptr_array_new_with_free_func(source_free);
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                sd_event_source *s = NULL;

                if (names && streq_ptr(names[i], METRICS_FD_NAME))
                        continue;

                if (sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1) <= 0) {
                        log_warning("Ignoring passed fd %d: not a listening unix stream socket.", fd);
                        continue;
                }
                r = sd_event_add_io(c->event, &s, fd, EPOLLIN, on_accept, c);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch the passed socket: %m");
                (void) sd_event_source_set_io_fd_own(s, true);
                g_ptr_array_add(c->listen_sources, s);
        }
        if (c->listen_sources->len > 0)
                log_info("Serving org.l3af.Chain1 directly on %u passed socket(s).", c->listen_sources->len);
        return (int) c->listen_sources->len;
}

void bus_server_done(Context *c)
{
        g_clear_pointer(&c->listen_sources, g_ptr_array_unref);
        g_clear_pointer(&c->p2p_unheard, g_hash_table_unref);
}

unsigned bus_server_connections(Context *c)
{
        return c->p2p_connections;
}
