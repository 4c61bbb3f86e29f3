/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "api-dropin.h"
#include "bus-change.h"
#include "bus-errors.h"
#include "chain.h"
#include "log.h"
#include "polkit.h"
#include "problem.h"
#include "reconcile.h"
#include "service.h"
#include "util.h"

#define FAILURE_TEXT_MAX 4096

Change *change_new(Context *c, sd_bus_message *request, const char *method, const char *action,
                   ChangeBuild build, ChangeFinish finish)
{
        Change *ch = g_new0(Change, 1);

        ch->ctx = c;
        ch->request = sd_bus_message_ref(request);
        ch->method = method;
        ch->action = action;
        ch->build = build;
        ch->finish = finish;
        ch->edits = g_ptr_array_new_with_free_func((GDestroyNotify) file_edit_free);
        ch->uid = (uid_t) -1;
        ch->failure = SD_BUS_ERROR_NULL;
        return ch;
}

void change_free(Change *ch)
{
        if (!ch)
                return;
        sd_bus_message_unref(ch->request);
        g_free(ch->chain);
        if (ch->free_data)
                ch->free_data(ch->data);
        g_ptr_array_unref(ch->edits);
        sd_bus_error_free(&ch->failure);
        g_free(ch);
}

void change_set_chain(Change *ch, const char *ifname, Hook hook)
{
        ChainId id;

        g_clear_pointer(&ch->chain, g_free);
        if (chain_id_init(&id, ifname, hook) >= 0)
                ch->chain = g_memdup2(&id, sizeof(id));
}

static void reply_error(Change *ch, const sd_bus_error *e)
{
        int r = sd_bus_reply_method_error(ch->request, e);

        if (r < 0)
                log_debug_errno(r, "Cannot reply to %s: %m", ch->method);
}

/* Sends the successful reply through 'finish'. */
static void reply_finish(Change *ch)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_return(ch->request, &reply);
        if (r < 0) {
                log_debug_errno(r, "Cannot reply to %s: %m", ch->method);
                return;
        }
        if (ch->finish) {
                r = ch->finish(ch, reply, &e);
                if (r < 0) {
                        if (!sd_bus_error_is_set(&e))
                                sd_bus_error_set_errnof(&e, r, "%s failed: %m", ch->method);
                        reply_error(ch, &e);
                        return;
                }
        }
        r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot reply to %s: %m", ch->method);
}

static void change_next(Context *c);

/* The running change is over: on to the next. */
static void change_done(Change *ch)
{
        Context *c = ch->ctx;

        if (c->change_running == ch)
                c->change_running = NULL;
        change_free(ch);
        change_next(c);
}

static bool edits_touch(Change *ch, const char *file)
{
        for (guint i = 0; i < ch->edits->len; i++)
                if (streq_ptr(((FileEdit *) ch->edits->pdata[i])->path, file))
                        return true;
        return false;
}

/* Did the change go live? If not, says why in 'error'. */
static bool change_applied(Change *ch, sd_bus_error *error)
{
        Context *c = ch->ctx;
        g_autoptr(GString) why = g_string_new(NULL);
        Chain *chain = ch->chain ? g_hash_table_lookup(c->chains, ch->chain) : NULL;
        bool verifier = false;

        for (guint i = 0; c->problems && i < c->problems->len; i++) {
                Problem *p = c->problems->pdata[i];

                if (p->warning)
                        continue;
                if ((ch->chain && p->chain_id && chain_id_equal(p->chain_id, ch->chain)) ||
                    (p->file && edits_touch(ch, p->file))) {
                        g_string_append_printf(why, "%s%s", why->len ? "\n" : "", p->text);
                        verifier |= p->kind == PROBLEM_VERIFIER_REJECTED;
                }
        }
        if (chain && chain->error && !chain->waiting && !strstr(why->str, chain->error)) {
                g_string_append_printf(why, "%s%s", why->len ? "\n" : "", chain->error);
                verifier |= chain->error_kind == PROBLEM_VERIFIER_REJECTED;
        }
        if (why->len == 0)
                return true;
        if (why->len > FAILURE_TEXT_MAX) {
                g_string_truncate(why, FAILURE_TEXT_MAX);
                g_string_append(why, "\n...");
        }
        sd_bus_error_setf(error,
                          verifier ? L3AF_ERROR_VERIFIER_REJECTED : L3AF_ERROR_INVALID_CONFIGURATION,
                          "%s", why->str);
        return false;
}

static void on_undone(Context *c, int result, void *userdata)
{
        Change *ch = userdata;

        reply_error(ch, &ch->failure);
        change_done(ch);
}

/* Journals that someone else changed the file of 'e' under l3afd, and adds it to 'conflicts'. */
static void note_conflict(Change *ch, FileEdit *e, GString *conflicts)
{
        g_autofree char *field = g_strdup_printf("L3AF_DROPIN=%s", e->path);
        const char *extra[] = { field, NULL };
        LogFields f = { .extra = extra };

        log_structured(LOG_WARNING, 0, L3AF_MSG_DROPIN_CONFLICT, &f,
                       "%s: %s changed since l3afd last read or wrote it; it is kept as it is", ch->method, e->path);
        g_string_append_printf(conflicts, "%s%s", conflicts->len ? ", " : "", e->path);
}

/*
 * Makes ch->failure a Conflict naming the files in 'conflicts', keeping the
 * reason the change failed, if it did.
 */
static void set_conflict(Change *ch, const GString *conflicts)
{
        g_autofree char *failed = g_strdup(ch->failure.message);

        sd_bus_error_free(&ch->failure);
        sd_bus_error_setf(&ch->failure, L3AF_ERROR_CONFLICT,
                          "%s changed since l3afd last read or wrote it (edited by someone else while %s was in "
                          "progress): kept as it is, and %s is undone.%s%s",
                          conflicts->str, ch->method, ch->method, failed ? " It had also failed: " : "",
                          failed ? failed : "");
}

/*
 * Undoes the applied edits, last first. An edit whose file is no longer what
 * l3afd wrote is not undone: it is a conflict, added to 'conflicts'.
 */
static void undo_edits(Change *ch, GString *conflicts)
{
        for (guint i = ch->edits->len; i-- > 0;) {
                FileEdit *e = ch->edits->pdata[i];
                int r = file_edit_revert(e);

                if (r == -ESTALE)
                        note_conflict(ch, e, conflicts);
                else if (r < 0)
                        log_error_errno(r, "Cannot undo the change of %s: %m", e->path);
        }
}

/* Did someone else change a file this change wrote? */
static bool edits_overwritten(Change *ch)
{
        for (guint i = 0; i < ch->edits->len; i++)
                if (file_edit_check(ch->edits->pdata[i]) == -ESTALE)
                        return true;
        return false;
}

/*
 * Undoes the change, says why in ch->failure (a Conflict when a file was
 * changed by someone else), reconciles and replies.
 */
static void change_undo(Change *ch)
{
        Context *c = ch->ctx;
        g_autoptr(GString) conflicts = g_string_new(NULL);
        LogFields f = { .extra = NULL };

        undo_edits(ch, conflicts);
        if (conflicts->len > 0) {
                set_conflict(ch, conflicts);
                log_structured(LOG_WARNING, 0, L3AF_MSG_API_CHANGE, &f, "%s is undone: %s", ch->method,
                               ch->failure.message);
        } else
                log_structured(LOG_WARNING, 0, L3AF_MSG_API_CHANGE, &f, "%s did not apply and is undone: %s",
                               ch->method, ch->failure.message);
        if (reconcile_request(c, on_undone, ch) < 0)
                on_undone(c, -ECANCELED, ch);
}

static void on_applied(Context *c, int result, void *userdata)
{
        Change *ch = userdata;

        ch->result = result;
        if (ch->edits->len > 0) {
                /* Both, always: change_applied() also says why the change failed, for the reply. */
                bool overwritten = edits_overwritten(ch);
                bool applied = change_applied(ch, &ch->failure);

                if (!applied || overwritten) {
                        change_undo(ch);
                        return;
                }
        }
        reply_finish(ch);
        change_done(ch);
}

static char *describe_edits(Change *ch)
{
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < ch->edits->len; i++) {
                FileEdit *e = ch->edits->pdata[i];

                g_string_append_printf(s, "%s%s %s", s->len ? ", " : "",
                                       e->kind == FILE_EDIT_WRITE ? "wrote" :
                                       e->kind == FILE_EDIT_MASK  ? "masked" : "removed",
                                       e->path);
        }
        return g_string_free(s, FALSE);
}

static void change_run(Change *ch)
{
        Context *c = ch->ctx;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autofree char *what = NULL, *uid = NULL;
        const char *extra[] = { NULL, NULL };
        LogFields f = { .extra = extra };
        int r;

        /* Build again: an earlier change may have changed what this one finds. */
        g_ptr_array_set_size(ch->edits, 0);
        r = ch->build(ch, &e);
        if (r < 0) {
                reply_error(ch, &e);
                change_done(ch);
                return;
        }
        if (r == 0 && !ch->reconcile) {
                reply_finish(ch);
                change_done(ch);
                return;
        }

        for (guint i = 0; i < ch->edits->len; i++) {
                FileEdit *fe = ch->edits->pdata[i];

                r = file_edit_apply(fe);
                if (r < 0) {
                        g_autoptr(GString) conflicts = g_string_new(NULL);

                        /* Nothing was reconciled yet: put back what was written, and reply. */
                        if (r == -ESTALE)
                                note_conflict(ch, fe, conflicts);
                        else {
                                sd_bus_error_setf(&ch->failure, L3AF_ERROR_CHANGE_FAILED, "Cannot change %s: %s",
                                                  fe->path, g_strerror(-r));
                                log_error_errno(r, "%s: cannot change %s: %m", ch->method, fe->path);
                        }
                        undo_edits(ch, conflicts);
                        if (conflicts->len > 0)
                                set_conflict(ch, conflicts);
                        reply_error(ch, &ch->failure);
                        change_done(ch);
                        return;
                }
        }

        uid = g_strdup_printf("L3AF_UID=%d", (int) ch->uid);
        extra[0] = uid;
        what = describe_edits(ch);
        log_structured(LOG_NOTICE, 0, L3AF_MSG_API_CHANGE, &f, "%s by uid %d%s%s", ch->method, (int) ch->uid,
                       isempty(what) ? "" : ": ", what);

        if (ch->edits->len == 0 && !ch->reconcile) {
                reply_finish(ch);
                change_done(ch);
                return;
        }
        /* Reload is a reload for systemd too (RELOADING=1 ... READY=1); other changes are not. */
        if (ch->edits->len == 0 && ch->reconcile)
                r = service_reload(c, "D-Bus Reload", on_applied, ch);
        else
                r = reconcile_request(c, on_applied, ch);
        if (r < 0) {
                g_autoptr(GString) conflicts = g_string_new(NULL);

                sd_bus_error_setf(&ch->failure, L3AF_ERROR_CHANGE_FAILED, "Cannot reconcile: %s", g_strerror(-r));
                undo_edits(ch, conflicts);
                if (conflicts->len > 0)
                        set_conflict(ch, conflicts);
                on_undone(c, r, ch);
        }
}

static void change_next(Context *c)
{
        Change *ch;

        if (c->change_running || !c->changes)
                return;
        ch = g_queue_pop_head(c->changes);
        if (!ch)
                return;
        c->change_running = ch;
        change_run(ch);
}

static void on_authorized(int r, uid_t uid, const sd_bus_error *error, void *userdata)
{
        Change *ch = userdata;
        Context *c = ch->ctx;

        if (r < 0) {
                reply_error(ch, error);
                change_free(ch);
                return;
        }
        ch->uid = uid;
        if (!c->changes)
                c->changes = g_queue_new();
        g_queue_push_tail(c->changes, ch);
        change_next(c);
}

int change_submit(Change *ch, sd_bus_error *error)
{
        g_autoptr(Change) owned = ch;
        Context *c = ch->ctx;
        int r;

        r = ch->build(ch, error);
        if (r < 0)
                return r;
        if (r == 0 && !ch->reconcile) {
                reply_finish(ch);
                return 1;
        }
        g_ptr_array_set_size(ch->edits, 0);
        r = polkit_check_async(c->bus, ch->request, ch->action, on_authorized, ch);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot check authorization: %m");
        TAKE_PTR(owned);
        return 1;  /* handled: the reply follows */
}

void changes_drop(Context *c)
{
        Change *ch;

        while (c->changes && (ch = g_queue_pop_head(c->changes)))
                change_free(ch);
        g_clear_pointer(&c->changes, g_queue_free);
        /* A running change belongs to a pending reconcile, which is cancelled with it. */
        g_clear_pointer(&c->change_running, change_free);
}
