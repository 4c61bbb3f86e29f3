/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "bpf-util.h"
#include "file-stamp.h"
#include "util.h"

#define STAMP_READ_TRIES 3

static void digest_of(const void *data, size_t size, uint8_t digest[FILE_STAMP_DIGEST_SIZE])
{
        g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
        gsize n = FILE_STAMP_DIGEST_SIZE;

        g_checksum_update(sum, data, size);
        g_checksum_get_digest(sum, digest, &n);
}

static void stamp_from_stat(const struct stat *st, FileStamp *s)
{
        *s = (FileStamp) {
                .exists = true,
                .type = st->st_mode & S_IFMT,
                .dev = st->st_dev,
                .ino = st->st_ino,
                .size = st->st_size,
                .mtime = st->st_mtim,
        };
}

/* Only what lstat(2) says: the quick check before a rename. */
static bool stat_matches(const FileStamp *s, const struct stat *st)
{
        return s->exists && s->type == (st->st_mode & S_IFMT) && s->dev == st->st_dev && s->ino == st->st_ino &&
               s->size == st->st_size && s->mtime.tv_sec == st->st_mtim.tv_sec &&
               s->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int read_fd(int fd, GByteArray *buf)
{
        uint8_t chunk[4096];
        ssize_t n;

        while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                g_byte_array_append(buf, chunk, n);
        }
        return 0;
}

static int stamp_link(const char *path, const struct stat *st, FileStamp *ret, char **ret_text)
{
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof(target));

        if (n < 0)
                return negative_errno();
        if ((size_t) n >= sizeof(target))
                return -ENAMETOOLONG;
        stamp_from_stat(st, ret);
        digest_of(target, n, ret->digest);
        if (ret_text)
                *ret_text = g_strndup(target, n);
        return 0;
}

/* A regular file: stamp and bytes from one open file, read until it holds still. */
static int stamp_regular(const char *path, FileStamp *ret, char **ret_text)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        g_autoptr(GByteArray) buf = g_byte_array_new();
        struct stat before, after;
        int r;

        if (fd < 0)
                return negative_errno();
        for (int i = 0; i < STAMP_READ_TRIES; i++) {
                if (fstat(fd, &before) < 0)
                        return negative_errno();
                if (!S_ISREG(before.st_mode))
                        return -EAGAIN;  /* replaced by something else between lstat and open */
                g_byte_array_set_size(buf, 0);
                if (lseek(fd, 0, SEEK_SET) < 0)
                        return negative_errno();
                r = read_fd(fd, buf);
                if (r < 0)
                        return r;
                if (fstat(fd, &after) < 0)
                        return negative_errno();
                stamp_from_stat(&before, ret);
                if (stat_matches(ret, &after) && (off_t) buf->len == after.st_size) {
                        digest_of(buf->data, buf->len, ret->digest);
                        if (ret_text) {
                                g_byte_array_append(buf, (const uint8_t *) "", 1);
                                *ret_text = (char *) g_byte_array_free(TAKE_PTR(buf), FALSE);
                        }
                        return 0;
                }
        }
        return -EAGAIN;
}

int file_stamp_read(const char *path, FileStamp *ret, char **ret_text)
{
        FileStamp s = {};
        g_autofree char *text = NULL;
        struct stat st;
        int r = 0;

        for (int i = 0; i < STAMP_READ_TRIES; i++) {
                if (lstat(path, &st) < 0) {
                        if (errno != ENOENT)
                                return negative_errno();
                        s = (FileStamp) { .exists = false };
                        r = 0;
                        break;
                }
                if (S_ISLNK(st.st_mode))
                        r = stamp_link(path, &st, &s, ret_text ? &text : NULL);
                else if (S_ISREG(st.st_mode))
                        r = stamp_regular(path, &s, ret_text ? &text : NULL);
                else {
                        stamp_from_stat(&st, &s);
                        r = 0;
                }
                /* Replaced between the lstat and the read: look again. */
                if (r != -EAGAIN && r != -ENOENT && r != -ELOOP)
                        break;
        }
        if (r < 0)
                return r;
        *ret = s;
        if (ret_text)
                *ret_text = TAKE_PTR(text);
        return 0;
}

bool file_stamp_equal(const FileStamp *a, const FileStamp *b)
{
        if (!a->exists || !b->exists)
                return a->exists == b->exists;
        return a->type == b->type && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
               memcmp(a->digest, b->digest, FILE_STAMP_DIGEST_SIZE) == 0;
}

/* The quick check: is 'path' still what 'expected' stamped, as far as lstat(2) tells? */
static int still_matches(const char *path, const FileStamp *expected)
{
        struct stat st;

        if (lstat(path, &st) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                return expected->exists ? -ESTALE : 0;
        }
        return stat_matches(expected, &st) ? 0 : -ESTALE;
}

/* Writes 'data' into a new temporary file in 'dir'; returns its path and stamp. */
static int write_temp(const char *dir, const char *base, const char *data, char **ret_tmp, FileStamp *ret)
{
        g_autofree char *tmp = g_strdup_printf("%s/.#%s.XXXXXX", dir, base);
        _cleanup_close_ int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
        size_t size = strlen(data), done = 0;
        struct stat st;
        int r = 0;

        if (fd < 0)
                return negative_errno();
        while (done < size && r == 0) {
                ssize_t n = write(fd, data + done, size - done);

                if (n < 0 && errno != EINTR)
                        r = negative_errno();
                else if (n > 0)
                        done += n;
        }
        if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || fstat(fd, &st) < 0))
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        stamp_from_stat(&st, ret);
        digest_of(data, size, ret->digest);
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

static int link_temp(const char *dir, const char *base, const char *target, char **ret_tmp, FileStamp *ret)
{
        g_autofree char *tmp = g_strdup_printf("%s/.#%s.%08x", dir, base, g_random_int());
        struct stat st;

        if (symlink(target, tmp) < 0)
                return negative_errno();
        if (lstat(tmp, &st) < 0) {
                int r = negative_errno();

                (void) unlink(tmp);
                return r;
        }
        stamp_from_stat(&st, ret);
        digest_of(target, strlen(target), ret->digest);
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

/* Puts 'tmp' at 'path', which must not exist. */
static int rename_noreplace(const char *tmp, const char *path)
{
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno == EEXIST)
                return -ESTALE;
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
                return negative_errno();
        /* No RENAME_NOREPLACE here: link(2) refuses an existing name too. */
        if (link(tmp, path) < 0)
                return errno == EEXIST ? -ESTALE : negative_errno();
        (void) unlink(tmp);
        return 0;
}

int file_replace_if(const char *path, const FileStamp *expected, FileContentKind kind, const char *data,
                    FileStamp *ret_written)
{
        g_autofree char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path), *tmp = NULL;
        FileStamp now, written = { .exists = false };
        int r;

        r = file_stamp_read(path, &now, NULL);
        if (r == -EAGAIN)
                return -ESTALE;  /* it kept changing while it was read: not what was expected either */
        if (r < 0)
                return r;
        if (!file_stamp_equal(&now, expected))
                return -ESTALE;

        if (kind == FILE_CONTENT_NONE) {
                if (expected->exists) {
                        r = still_matches(path, expected);
                        if (r < 0)
                                return r;
                        if (unlink(path) < 0 && errno != ENOENT)
                                return negative_errno();
                }
        } else {
                if (g_mkdir_with_parents(dir, 0755) < 0)
                        return negative_errno();
                r = kind == FILE_CONTENT_LINK ? link_temp(dir, base, data, &tmp, &written) :
                                                write_temp(dir, base, data, &tmp, &written);
                if (r < 0)
                        return r;
                r = still_matches(path, expected);
                if (r >= 0)
                        r = expected->exists ? (rename(tmp, path) < 0 ? negative_errno() : 0) :
                                               rename_noreplace(tmp, path);
                if (r < 0) {
                        (void) unlink(tmp);
                        return r;
                }
        }
        if (ret_written)
                *ret_written = written;
        return 0;
}

/* Dependencies of cached results */

static unsigned dep_round = 1;

void file_dep_round(void)
{
        __atomic_add_fetch(&dep_round, 1, __ATOMIC_RELAXED);
}

void file_dep_free(FileDep *d)
{
        if (!d)
                return;
        g_free(d->path);
        g_free(d);
}

/* SHA-256 of a directory's entries: their names, sorted, each with its NUL. */
static int digest_dir(const char *path, GChecksum *sum)
{
        g_autoptr(GPtrArray) names = NULL;
        int r = dir_list(path, &names);

        if (r < 0)
                return r;
        g_ptr_array_sort(names, strptr_compare);
        for (guint i = 0; i < names->len; i++)
                g_checksum_update(sum, names->pdata[i], strlen(names->pdata[i]) + 1);
        return 0;
}

/* SHA-256 of what the file holds now, read in chunks (or of a directory's entries). */
static int digest_file(const char *path, uint8_t digest[FILE_DEP_DIGEST_SIZE])
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
        uint8_t chunk[65536];
        gsize n = FILE_DEP_DIGEST_SIZE;
        struct stat st;
        ssize_t k;

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode)) {
                int r = digest_dir(path, sum);

                if (r < 0)
                        return r;
                g_checksum_get_digest(sum, digest, &n);
                return 0;
        }
        while ((k = read(fd, chunk, sizeof(chunk))) != 0) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                g_checksum_update(sum, chunk, k);
        }
        g_checksum_get_digest(sum, digest, &n);
        return 0;
}

static bool ctime_settled(const struct timespec *ctime)
{
        struct timespec now;
        int64_t age;

        if (clock_gettime(CLOCK_REALTIME, &now) < 0)
                return false;
        age = (int64_t) (now.tv_sec - ctime->tv_sec) * 1000000000LL + (now.tv_nsec - ctime->tv_nsec);
        return age >= (int64_t) FILE_DEP_SETTLE_NSEC;
}

static bool dep_matches(const FileDep *d, const struct stat *st)
{
        return d->dev == st->st_dev && d->ino == st->st_ino && d->type == (st->st_mode & S_IFMT) &&
               d->size == st->st_size && d->mtime.tv_sec == st->st_mtim.tv_sec &&
               d->mtime.tv_nsec == st->st_mtim.tv_nsec && d->ctime.tv_sec == st->st_ctim.tv_sec &&
               d->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

int file_dep_record(const char *path, const void *data, size_t size, FileDep **ret)
{
        g_autoptr(FileDep) d = g_new0(FileDep, 1);
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return negative_errno();
        d->path = g_strdup(path);
        d->dev = st.st_dev;
        d->ino = st.st_ino;
        d->type = st.st_mode & S_IFMT;
        d->size = st.st_size;
        d->mtime = st.st_mtim;
        d->ctime = st.st_ctim;
        /* Settled, nothing was written since well before 'data' was read: the identity is proof, and
         * the digest is never consulted. Fresh: the digest decides, as long as it stays fresh. */
        d->settled = ctime_settled(&st.st_ctim);
        d->round = __atomic_load_n(&dep_round, __ATOMIC_RELAXED);
        d->held = true;
        if (d->settled)
                ;
        else if (data)
                digest_of(data, size, d->digest);
        else {
                r = digest_file(path, d->digest);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(d);
        return 0;
}

/* One look at the file, whatever the round. */
static bool dep_still_holds(FileDep *d)
{
        uint8_t digest[FILE_DEP_DIGEST_SIZE];
        struct stat st;

        if (stat(d->path, &st) < 0 || !dep_matches(d, &st))
                return false;
        if (d->settled)
                return true;
        if (digest_file(d->path, digest) < 0 || memcmp(digest, d->digest, sizeof(digest)) != 0)
                return false;
        /* Unchanged, and now old enough that a later write would show in its st_ctim. */
        d->settled = ctime_settled(&st.st_ctim);
        return true;
}

bool file_dep_holds(FileDep *d)
{
        unsigned round = __atomic_load_n(&dep_round, __ATOMIC_RELAXED);

        if (d->round != round) {
                d->held = dep_still_holds(d);
                d->round = round;
        }
        return d->held;
}
