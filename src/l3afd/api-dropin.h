/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drop-ins that org.l3af.Chain1 writes. An API change is a drop-in change,
 * so the drop-ins stay the one source of truth (see l3af.d(5), "DROP-INS
 * WRITTEN THROUGH THE API"):
 *
 *  - a program nobody declares yet gets "api-IFACE:HOOK:NAME.conf" (':' can
 *    be in neither an interface nor a program name, so the name is unique);
 *  - a program some drop-in declares is changed under that drop-in's file name,
 *    in /run/l3af.d (runtime) or /etc/l3af.d (persistent): the same name in a
 *    higher directory overrides it, as the admin would by hand;
 *  - a runtime change cannot override a drop-in in /etc/l3af.d (-EROFS);
 *  - a removal deletes the name where the target directory or a lower one
 *    holds it and masks it (a symlink to /dev/null) if a lower directory still
 *    holds it.
 *
 * FileEdit records one file change and what was there before, so a change
 * that does not apply can be undone. Every write is conditional (see
 * file-stamp.h): it happens only while the file is still what l3afd last read
 * (for the change) or wrote (for its undo); otherwise someone else edited it
 * meanwhile, and their file is kept.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "file-stamp.h"
#include "hook.h"
#include "settings.h"

typedef enum FileEditKind {
        FILE_EDIT_WRITE,
        FILE_EDIT_DELETE,
        FILE_EDIT_MASK,
} FileEditKind;

typedef struct FileEdit {
        FileEditKind kind;
        char *path;
        char *content;       /* FILE_EDIT_WRITE */
        /* Read by file_edit_new(): what 'path' held, and its bytes or link target. */
        int read_error;      /* < 0: it could not be read; the edit will not apply */
        FileStamp before;
        char *old_content;   /* a regular file's bytes */
        char *old_link;      /* or a symlink's target */
        /* Saved by file_edit_apply(): what l3afd put there. */
        bool applied;
        FileStamp written;
} FileEdit;

/*
 * An edit of 'path'; reads what 'path' holds now, to check before the write
 * and to put back on undo. 'seen' is the stamp of the copy the caller read to
 * compute 'content' (NULL if it read none): if 'path' changed since, the edit
 * will not apply (-ESTALE).
 */
FileEdit *file_edit_new(FileEditKind kind, const char *path, const char *content, const FileStamp *seen);
void file_edit_free(FileEdit *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FileEdit, file_edit_free)

/*
 * Makes the change (atomically per file) if 'path' still holds what
 * file_edit_new() read. -ESTALE when it does not: someone else changed it,
 * and it is left as it is.
 */
int file_edit_apply(FileEdit *e);
/*
 * Puts back what file_edit_new() read, if 'path' still holds what
 * file_edit_apply() wrote. -ESTALE when it does not: it is left as it is.
 */
int file_edit_revert(FileEdit *e);
/* 0 while 'path' holds what file_edit_apply() wrote (or the edit is not applied), -ESTALE if not. */
int file_edit_check(FileEdit *e);

/* "api-IFACE:HOOK:NAME.conf" */
char *api_dropin_name(const char *ifname, Hook hook, const char *name);

/*
 * Finds the drop-in that declares program (ifname, hook, name) in 'dirs'
 * (highest priority first; hidden and masked names skipped). Returns 1 and
 * its path, or 0 when no drop-in declares it.
 */
int api_dropin_find(char *const *dirs, const char *ifname, Hook hook, const char *name, char **ret_path);

/*
 * Where a change of a program goes: the file name of 'declared' (or
 * 'default_name' when it is NULL) in the runtime or persistent directory.
 * -EROFS when 'declared' lives in a directory that hides that one;
 * -EXDEV when that directory is not among the ones drop-ins are read from.
 */
int api_dropin_target(const Settings *s, const char *declared, const char *default_name, bool runtime,
                      char **ret_path);

/* The edits that remove the program declared by 'declared'; see above. */
int api_dropin_plan_remove(const Settings *s, const char *declared, bool runtime, GPtrArray *edits);

/*
 * Reads a drop-in to edit it: its keys and comments into a new GKeyFile, and
 * the stamp of the bytes parsed (for file_edit_new()'s 'seen'). Returns 0,
 * -ENOENT, -EINVAL when it does not parse, or another -errno.
 */
int api_dropin_load_stamped(const char *path, GKeyFile **ret, FileStamp *ret_stamp);

/* The text l3afd writes: a header comment (method names the caller, for logs), then the groups of kf. */
char *api_dropin_to_text(GKeyFile *kf, const char *method);

/* True when two drop-in texts declare the same (comments and layout aside). */
bool api_dropin_same(const char *a, const char *b);

