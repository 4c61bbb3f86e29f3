/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The logging layer. With a journal, entries are structured (MESSAGE_ID per
 * event class from log-ids.h, L3AF_* fields); on a console they are readable
 * lines. Every function returns -abs(error), so "return log_error_errno(r, ...)"
 * logs and propagates in one line.
 */
#pragma once

#include <stdint.h>
#include <syslog.h>

#include "log-ids.h"
#include "util.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_CONSOLE,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_CONSOLE_JOURNAL,  /* both: tests and debugging */
} LogTarget;

/* Fields attached to an entry; any member may be left empty. */
typedef struct LogFields {
        const char *interface;
        const char *hook;
        const char *program;
        uint32_t prog_id;
        uint64_t generation;   /* 0: none */
        const char *const *extra;  /* NULL-terminated "KEY=value" list */
} LogFields;

void log_open(LogTarget target);
int log_target_from_string(const char *s);
void log_set_max_level(int level);
int log_level_from_string(const char *s);

int log_structured(int level, int error, const char *message_id, const LogFields *fields,
                   const char *format, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) log_structured((level), (error), NULL, NULL, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)
