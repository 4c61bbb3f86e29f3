/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>
#include <linux/if_link.h>
#include <stdio.h>

#include "bpf-util.h"
#include "foreign.h"
#include "util.h"

#define L3AF_BPF_LINK_TYPE_TCX 11   /* not in libbpf 1.1's uapi copy */

/* Finds the bpf_link attaching prog_id at (ifindex, hook), if any. */
static uint32_t find_link(Hook hook, int ifindex, uint32_t prog_id)
{
        uint32_t id = 0;

        while (bpf_link_get_next_id(id, &id) == 0) {
                _cleanup_close_ int fd = bpf_link_get_fd_by_id(id);
                struct bpf_link_info info;

                if (fd < 0 || bpf_link_info_of_fd(fd, &info) < 0)
                        continue;
                if (info.prog_id != prog_id || info.xdp.ifindex != (uint32_t) ifindex)
                        continue;
                if ((hook == HOOK_XDP && info.type == BPF_LINK_TYPE_XDP) ||
                    (hook != HOOK_XDP && info.type == L3AF_BPF_LINK_TYPE_TCX))
                        return id;
        }
        return 0;
}

/* The kernel tells who holds a BPF object through /proc/PID/fdinfo. */
static void find_holder(uint32_t prog_id, uint32_t link_id, ForeignInfo *f)
{
        g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
        g_autofree char *want_prog = g_strdup_printf("prog_id:\t%u\n", prog_id);
        g_autofree char *want_link = link_id ? g_strdup_printf("link_id:\t%u\n", link_id) : NULL;
        const char *pid;

        while (proc && (pid = g_dir_read_name(proc))) {
                g_autofree char *fddir = NULL;
                g_autoptr(GDir) fds = NULL;
                const char *fd;

                if (!g_ascii_isdigit(pid[0]) || atoi(pid) == getpid())
                        continue;
                fddir = g_strdup_printf("/proc/%s/fdinfo", pid);
                fds = g_dir_open(fddir, 0, NULL);
                while (fds && (fd = g_dir_read_name(fds))) {
                        g_autofree char *path = g_strdup_printf("%s/%s", fddir, fd), *text = NULL, *comm_path = NULL,
                                        *comm = NULL;

                        if (!g_file_get_contents(path, &text, NULL, NULL))
                                continue;
                        if (!strstr(text, want_prog) && !(want_link && strstr(text, want_link)))
                                continue;
                        f->holder_pid = atoi(pid);
                        comm_path = g_strdup_printf("/proc/%s/comm", pid);
                        if (g_file_get_contents(comm_path, &comm, NULL, NULL))
                                g_strlcpy(f->holder_comm, g_strchomp(comm), sizeof(f->holder_comm));
                        return;
                }
        }
}

int foreign_inspect(Hook hook, int ifindex, uint32_t prog_id, ForeignInfo *ret)
{
        ForeignInfo f = { .prog_id = prog_id };
        _cleanup_close_ int fd = bpf_prog_get_fd_by_id(prog_id);
        struct bpf_prog_info info;

        if (fd >= 0 && bpf_prog_info_of_fd(fd, &info) >= 0) {
                g_strlcpy(f.name, info.name, sizeof(f.name));
                for (int i = 0; i < BPF_TAG_SIZE; i++)
                        snprintf(f.tag + 2 * i, 3, "%02x", info.tag[i]);
        }
        f.link_id = find_link(hook, ifindex, prog_id);
        find_holder(prog_id, f.link_id, &f);
        *ret = f;
        return 0;
}

int foreign_remove(Hook hook, int ifindex, const ForeignInfo *f, char **ret_error)
{
        if (f->link_id) {
                _cleanup_close_ int fd = bpf_link_get_fd_by_id(f->link_id);

                if (fd < 0 || bpf_link_detach(fd) < 0) {
                        int r = negative_errno();

                        *ret_error = g_strdup_printf("cannot detach the foreign link %u: %s", f->link_id, g_strerror(-r));
                        return r;
                }
                return 0;
        }
        if (hook == HOOK_XDP) {
                LIBBPF_OPTS(bpf_xdp_query_opts, q);
                int r = 0;

                if (bpf_xdp_query(ifindex, 0, &q) < 0)
                        return negative_errno();
                if (q.skb_prog_id && bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL) < 0)
                        r = negative_errno();
                if (q.drv_prog_id && bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL) < 0)
                        r = negative_errno();
                if (q.hw_prog_id && bpf_xdp_detach(ifindex, XDP_FLAGS_HW_MODE, NULL) < 0)
                        r = negative_errno();
                if (r < 0)
                        *ret_error = g_strdup_printf("cannot detach the foreign XDP program %u: %s", f->prog_id,
                                                     g_strerror(-r));
                return r;
        }
        *ret_error = g_strdup_printf("the foreign program %u is not attached through a link; l3afd cannot remove it",
                                     f->prog_id);
        return -EOPNOTSUPP;
}
