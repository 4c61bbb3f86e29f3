/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "log.h"
#include "polkit.h"
#include "util.h"

#define POLKIT_FLAG_ALLOW_USER_INTERACTION 1u

typedef struct PolkitQuery {
        sd_bus *polkit_bus;
        sd_bus_message *request;
        char *action;
        char *sender;       /* NULL on a direct connection */
        uid_t uid;
        PolkitDone done;
        void *userdata;
} PolkitQuery;

static void polkit_query_free(PolkitQuery *q)
{
        if (!q)
                return;
        sd_bus_unref(q->polkit_bus);
        sd_bus_message_unref(q->request);
        g_free(q->action);
        g_free(q->sender);
        g_free(q);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PolkitQuery, polkit_query_free)

/* Calls 'done' once and frees the query. */
static void finish(PolkitQuery *q, int r, const sd_bus_error *error)
{
        q->done(r, q->uid, error, q->userdata);
        polkit_query_free(q);
}

static void finish_errno(PolkitQuery *q, int r, const char *what)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED, "Cannot check authorization (%s): %s", what,
                          g_strerror(-r));
        finish(q, -EACCES, &e);
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        PolkitQuery *q = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const sd_bus_error *err = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        if (err) {
                log_warning("polkit could not be asked about %s: %s", q->action, err->message);
                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED, "Cannot check authorization for %s: %s",
                                  q->action, err->message);
                finish(q, -EACCES, &e);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                finish_errno(q, r, "unexpected reply from polkit");
                return 0;
        }
        if (authorized) {
                finish(q, 1, NULL);
                return 0;
        }
        if (challenge && !sd_bus_message_get_allow_interactive_authorization(q->request))
                sd_bus_error_setf(&e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                  "Authentication is required for %s.", q->action);
        else
                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED, "Access denied: not authorized for %s.",
                                  q->action);
        finish(q, -EACCES, &e);
        return 0;
}

/* Appends the (sa{sv}) subject: the bus name, or the process of a direct peer. */
static int append_subject(sd_bus_message *m, PolkitQuery *q, pid_t pid, uid_t uid)
{
        if (q->sender)
                return sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s", q->sender);
        return sd_bus_message_append(m, "(sa{sv})", "unix-process", 3, "pid", "u", (uint32_t) pid, "start-time",
                                     "t", (uint64_t) 0, "uid", "i", (int32_t) uid);
}

static int ask_polkit(PolkitQuery *q, pid_t pid, uid_t uid)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(q->request) ?
                                 POLKIT_FLAG_ALLOW_USER_INTERACTION : 0;
        int r;

        if (!q->polkit_bus)
                return -ENOTCONN;
        r = sd_bus_message_new_method_call(q->polkit_bus, &m, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = append_subject(m, q, pid, uid);
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{ss}us", q->action, 0, flags, "");
        if (r < 0)
                return r;
        return sd_bus_call_async(q->polkit_bus, NULL, m, on_check_reply, q, 0 /* the default timeout */);
}

static int on_uid_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        PolkitQuery *q = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(reply);
        uint32_t uid;
        int r;

        if (err) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED, "Cannot identify the caller: %s", err->message);
                finish(q, -EACCES, &e);
                return 0;
        }
        r = sd_bus_message_read(reply, "u", &uid);
        if (r < 0) {
                finish_errno(q, r, "reading the caller's uid");
                return 0;
        }
        q->uid = uid;
        if (uid == 0) {
                finish(q, 1, NULL);
                return 0;
        }
        r = ask_polkit(q, 0, uid);
        if (r < 0)
                finish_errno(q, r, "asking polkit");
        return 0;
}

int polkit_check_async(sd_bus *polkit_bus, sd_bus_message *request, const char *action, PolkitDone done,
                       void *userdata)
{
        g_autoptr(PolkitQuery) q = g_new0(PolkitQuery, 1);
        sd_bus *bus = sd_bus_message_get_bus(request);
        const char *sender = sd_bus_message_get_sender(request);
        int r;

        q->polkit_bus = sd_bus_ref(polkit_bus);
        q->request = sd_bus_message_ref(request);
        q->action = g_strdup(action);
        q->sender = g_strdup(sender);
        q->done = done;
        q->userdata = userdata;
        q->uid = (uid_t) -1;

        if (sender) {
                /* Ask the bus who the sender is, without waiting for the answer here. */
                r = sd_bus_call_method_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "GetConnectionUnixUser", on_uid_reply, q, "s",
                                             sender);
                if (r < 0)
                        return r;
                TAKE_PTR(q);
                return 0;
        } else {
                _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
                pid_t pid = 0;
                uid_t uid;

                /* A direct connection: the kernel told us who is on the other end. */
                r = sd_bus_get_owner_creds(bus, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &creds);
                if (r < 0)
                        return r;
                r = sd_bus_creds_get_euid(creds, &uid);
                if (r < 0)
                        return r;
                (void) sd_bus_creds_get_pid(creds, &pid);
                q->uid = uid;
                if (uid == 0) {
                        finish(TAKE_PTR(q), 1, NULL);
                        return 0;
                }
                r = ask_polkit(q, pid, uid);
                if (r < 0)
                        return r;
                TAKE_PTR(q);
                return 0;
        }
}
