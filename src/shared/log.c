/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <glib.h>

#include "log.h"

static LogTarget log_target = LOG_TARGET_CONSOLE;
static int log_max_level = LOG_INFO;

static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_open(LogTarget target)
{
        if (target == LOG_TARGET_AUTO)
                target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_CONSOLE;
        log_target = target;
}

int log_target_from_string(const char *s)
{
        if (streq(s, "auto"))
                return LOG_TARGET_AUTO;
        if (streq(s, "console"))
                return LOG_TARGET_CONSOLE;
        if (streq(s, "journal"))
                return LOG_TARGET_JOURNAL;
        if (streq(s, "console+journal"))
                return LOG_TARGET_CONSOLE_JOURNAL;
        return -EINVAL;
}

void log_set_max_level(int level)
{
        log_max_level = level;
}


int log_level_from_string(const char *s)
{
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
                [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        if (streq(s, "error"))
                return LOG_ERR;
        return -EINVAL;
}

static void log_to_journal(int level, int error, const char *message_id, const LogFields *f,
                           const char *message)
{
        g_autoptr(GPtrArray) strs = g_ptr_array_new_with_free_func(g_free);
        struct iovec iov[32];
        size_t n = 0;

        g_ptr_array_add(strs, g_strdup_printf("MESSAGE=%s", message));
        g_ptr_array_add(strs, g_strdup_printf("PRIORITY=%d", level));
        g_ptr_array_add(strs, g_strdup("SYSLOG_IDENTIFIER=l3afd"));
        if (message_id)
                g_ptr_array_add(strs, g_strdup_printf("MESSAGE_ID=%s", message_id));
        if (error != 0)
                g_ptr_array_add(strs, g_strdup_printf("ERRNO=%d", abs(error)));
        if (f) {
                if (f->interface)
                        g_ptr_array_add(strs, g_strdup_printf("L3AF_INTERFACE=%s", f->interface));
                if (f->hook)
                        g_ptr_array_add(strs, g_strdup_printf("L3AF_HOOK=%s", f->hook));
                if (f->program)
                        g_ptr_array_add(strs, g_strdup_printf("L3AF_PROGRAM=%s", f->program));
                if (f->prog_id)
                        g_ptr_array_add(strs, g_strdup_printf("L3AF_PROG_ID=%" PRIu32, f->prog_id));
                if (f->generation)
                        g_ptr_array_add(strs, g_strdup_printf("L3AF_GENERATION=%" PRIu64, f->generation));
                for (const char *const *e = f->extra; e && *e && strs->len < ELEMENTSOF(iov); e++)
                        g_ptr_array_add(strs, g_strdup(*e));
        }
        for (guint i = 0; i < strs->len && n < ELEMENTSOF(iov); i++) {
                iov[n].iov_base = strs->pdata[i];
                iov[n].iov_len = strlen(strs->pdata[i]);
                n++;
        }
        if (sd_journal_sendv(iov, (int) n) < 0)
                fprintf(stderr, "%s\n", message);
}

static void log_to_console(int level, const LogFields *f, const char *message)
{
        const char *prefix = level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "";

        if (f && f->interface && f->hook)
                fprintf(stderr, "%s%s/%s: %s\n", prefix, f->interface, f->hook, message);
        else
                fprintf(stderr, "%s%s\n", prefix, message);
}

int log_structured(int level, int error, const char *message_id, const LogFields *fields,
                   const char *format, ...)
{
        g_autofree char *message = NULL;
        int saved = errno;
        va_list ap;

        if (level > log_max_level)
                goto out;

        /* %m in the format refers to 'error', as in systemd. */
        errno = abs(error);
        va_start(ap, format);
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        va_end(ap);
        if (!message)
                goto out;

        if (log_target == LOG_TARGET_JOURNAL || log_target == LOG_TARGET_CONSOLE_JOURNAL)
                log_to_journal(level, error, message_id, fields, message);
        if (log_target != LOG_TARGET_JOURNAL)
                log_to_console(level, fields, message);
out:
        errno = saved;
        return error == 0 ? 0 : -abs(error);
}
