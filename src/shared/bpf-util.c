/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "bpf-util.h"
#include "log.h"
#include "util.h"

int bpf_prog_info_of_fd(int fd, struct bpf_prog_info *ret)
{
        struct bpf_prog_info info = {};
        __u32 len = sizeof(info);

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return negative_errno();
        *ret = info;
        return 0;
}

int bpf_prog_id_of_fd(int fd, uint32_t *ret)
{
        struct bpf_prog_info info;
        int r = bpf_prog_info_of_fd(fd, &info);

        if (r < 0)
                return r;
        *ret = info.id;
        return 0;
}

int bpf_map_info_of_fd(int fd, struct bpf_map_info *ret)
{
        struct bpf_map_info info = {};
        __u32 len = sizeof(info);

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return negative_errno();
        *ret = info;
        return 0;
}

int bpf_link_info_of_fd(int fd, struct bpf_link_info *ret)
{
        struct bpf_link_info info = {};
        __u32 len = sizeof(info);

        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return negative_errno();
        *ret = info;
        return 0;
}

int map_value_layout(const struct bpf_map_info *info, MapValueLayout *ret)
{
        MapValueLayout l = { .value_size = info->value_size, .ncpus = 1 };

        l.percpu = info->type == BPF_MAP_TYPE_PERCPU_ARRAY || info->type == BPF_MAP_TYPE_PERCPU_HASH ||
                   info->type == BPF_MAP_TYPE_LRU_PERCPU_HASH || info->type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
        l.stride = l.percpu ? (l.value_size + 7) & ~(size_t) 7 : l.value_size;
        if (l.percpu) {
                l.ncpus = libbpf_num_possible_cpus();
                if (l.ncpus < 1)
                        return l.ncpus < 0 ? l.ncpus : -EIO;
        }
        *ret = l;
        return 0;
}

size_t map_value_layout_size(const MapValueLayout *l)
{
        return l->stride * l->ncpus;
}

uint8_t *map_value_replicate(const MapValueLayout *l, const void *value)
{
        uint8_t *buf = g_malloc0(map_value_layout_size(l) ? map_value_layout_size(l) : 1);

        for (int i = 0; i < l->ncpus; i++)
                memcpy(buf + i * l->stride, value, l->value_size);
        return buf;
}

int bpf_pin_open(const char *path)
{
        int fd = bpf_obj_get(path);

        return fd < 0 ? negative_errno() : fd;
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

int dir_list(const char *path, GPtrArray **ret_names)
{
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return negative_errno();
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return negative_errno();
                        break;
                }
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        g_ptr_array_add(names, g_strdup(de->d_name));
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
        return g_mkdir_with_parents(path, (int) mode) < 0 ? negative_errno() : 0;
}

int rm_rf(const char *path)
{
        g_autoptr(GDir) dir = NULL;
        struct stat st;
        const char *name;
        int r = 0;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 && errno != ENOENT ? negative_errno() : 0;

        dir = g_dir_open(path, 0, NULL);
        while (dir && (name = g_dir_read_name(dir))) {
                g_autofree char *child = g_build_filename(path, name, NULL);
                int k = rm_rf(child);

                if (k < 0 && r == 0)
                        r = k;
        }
        if (rmdir(path) < 0 && errno != ENOENT && r == 0)
                r = negative_errno();
        return r;
}

int path_is_bpffs(const char *path)
{
        struct statfs sfs;

        if (statfs(path, &sfs) < 0)
                return negative_errno();
        return sfs.f_type == BPF_FS_MAGIC;
}

static __thread GString *capture;

static int libbpf_print(enum libbpf_print_level level, const char *format, va_list ap)
{
        g_autofree char *line = g_strdup_vprintf(format, ap);

        if (capture)
                g_string_append(capture, line);
        g_strchomp(line);
        if (level == LIBBPF_DEBUG)
                return 0;  /* libbpf's debug stream is very chatty */
        log_debug("libbpf: %s", line);
        return 0;
}

void libbpf_log_setup(void)
{
        libbpf_set_print(libbpf_print);
}

void libbpf_capture_begin(void)
{
        if (capture)
                g_string_truncate(capture, 0);
        else
                capture = g_string_new(NULL);
}

char *libbpf_capture_end(void)
{
        char *s = capture ? g_string_free(capture, FALSE) : g_strdup("");

        capture = NULL;
        return s;
}

char *log_tail(const char *log, unsigned lines)
{
        g_auto(GStrv) all = NULL;
        g_autoptr(GPtrArray) kept = g_ptr_array_new();
        guint n;

        if (isempty(log))
                return g_strdup("");
        all = g_strsplit(log, "\n", -1);
        n = g_strv_length(all);
        for (guint i = 0; i < n; i++)
                if (!isempty(g_strstrip(all[i])))
                        g_ptr_array_add(kept, all[i]);
        n = kept->len > lines ? kept->len - lines : 0;
        g_ptr_array_add(kept, NULL);
        return g_strjoinv("\n", (char **) kept->pdata + n);
}
