/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a path held when l3afd last read or wrote it, and writes that happen
 * only while the path still holds that. l3afd writes drop-ins an
 * administrator may edit at the same time (l3af.d(5), "DROP-INS WRITTEN
 * THROUGH THE API"); with these, its writes never overwrite an edit it has
 * not seen.
 *
 * A stamp is what lstat(2) says of the path (file type, st_dev, st_ino,
 * st_size, st_mtim to the nanosecond) plus a SHA-256 of what it holds (a
 * regular file's bytes, a symlink's target). The digest is there because the
 * kernel stamps mtime from a coarse clock (current_time() in fs/inode.c, one
 * tick of jiffies), so two writes of the same size in one tick, into the same
 * inode, leave the same stat.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#define FILE_STAMP_DIGEST_SIZE 32  /* SHA-256 */
#define FILE_DEP_DIGEST_SIZE FILE_STAMP_DIGEST_SIZE

typedef struct FileStamp {
        bool exists;
        mode_t type;                  /* st_mode & S_IFMT */
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        uint8_t digest[FILE_STAMP_DIGEST_SIZE];  /* of the bytes or link target; zero for other types */
} FileStamp;

/*
 * Stamps 'path' (not following a final symlink). A missing path gives a stamp
 * with exists == false and returns 0. With 'ret_text', a regular file's bytes
 * (NUL-terminated) go there, read from the same open file as the stamp, so
 * they are exactly the bytes stamped; NULL for other types. Returns 0 or
 * -errno (-EAGAIN if the file kept changing while it was read).
 */
int file_stamp_read(const char *path, FileStamp *ret, char **ret_text);

/* True when two stamps describe the same file holding the same bytes. */
bool file_stamp_equal(const FileStamp *a, const FileStamp *b);

typedef enum FileContentKind {
        FILE_CONTENT_NONE,    /* no file: remove it */
        FILE_CONTENT_BYTES,   /* a regular file, mode 0644 */
        FILE_CONTENT_LINK,    /* a symlink */
} FileContentKind;

/*
 * Makes 'path' hold 'data' (bytes or link target, as 'kind' says), or
 * nothing, but only while it still matches 'expected'. The new file is
 * written (and fsync'ed) under a temporary name in the same directory and
 * renamed over 'path', so a reader sees the old file or the new one, never
 * part of one.
 *
 * The check is made twice: in full (stat and digest) before the temporary
 * file is written, and by lstat(2) alone just before the rename(2) or
 * unlink(2). What remains is the window between that lstat and the rename or
 * unlink, two system calls: a write landing there is lost. A path that must
 * not exist is created with renameat2(RENAME_NOREPLACE) (or link(2) where the
 * filesystem lacks it), which leaves no window at all.
 *
 * Returns 0 and, with 'ret_written', the stamp of what it wrote; -ESTALE when
 * the path no longer matches 'expected' (then nothing was changed); other
 * -errno on failure.
 */
int file_replace_if(const char *path, const FileStamp *expected, FileContentKind kind, const char *data,
                    FileStamp *ret_written);

/*
 * What a cached result was derived from: one file, by identity and content.
 *
 * The identity is what stat(2) says (following symlinks, as a reader of the
 * path does): st_dev, st_ino, file type, st_size, st_mtim and st_ctim, to
 * the nanosecond. st_ctim is in it because no system call sets it back:
 * utimensat(2) (touch -d) can put st_mtim back after an edit, but st_ctim
 * then moves to now (inode(7)).
 *
 * Identity alone is not proof while the file is fresh: the kernel stamps
 * times from a coarse clock (current_time() in fs/inode.c, one tick of
 * jiffies), so a second write of the same size into the same inode within
 * that tick leaves the same stat. A dependency whose st_ctim lies less than
 * FILE_DEP_SETTLE_NSEC before the moment it was checked is 'fresh': its
 * SHA-256 is compared as well, each time, until it has settled.
 */
#define FILE_DEP_SETTLE_NSEC (2ULL * 1000000000ULL)  /* two seconds: every kernel tick, and FAT's 2 s mtime */

typedef struct FileDep {
        char *path;
        dev_t dev;
        ino_t ino;
        mode_t type;
        off_t size;
        struct timespec mtime, ctime;
        bool settled;                            /* st_ctim was old enough when last checked: identity is proof */
        uint8_t digest[FILE_DEP_DIGEST_SIZE];    /* of the bytes the result was derived from */
        unsigned round;                          /* the round of checks that last looked (file_dep_round()) */
        bool held;                               /* what it found then */
} FileDep;

void file_dep_free(FileDep *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FileDep, file_dep_free)

/*
 * Records 'path' as a dependency. With 'data' (the exact bytes the result was
 * derived from, already read), the stat is taken after the read: a write in
 * between makes the file fresh, and then the digest of 'data' decides.
 * Without 'data' a fresh file is read now: record before the bytes are used,
 * so that a write between the two shows as a changed identity or digest. The
 * digest is only taken of a fresh file (a settled one's identity is proof).
 * Returns 0 or -errno (-ENOENT: no such file).
 */
int file_dep_record(const char *path, const void *data, size_t size, FileDep **ret);

/*
 * Starts a round of checks (a reload's prepare phase): within one round,
 * file_dep_holds() looks at each FileDep once, however many results share
 * it (every drop-in of one package shares its files), and a FileDep recorded
 * in the round holds in it. The next round looks again.
 */
void file_dep_round(void);

/*
 * True when 'path' still is what 'd' recorded: same identity and, while the
 * file is fresh, the same digest (read again; on the first check after it
 * settled, 'd' is marked settled). Any error reading it counts as changed.
 */
bool file_dep_holds(FileDep *d);
