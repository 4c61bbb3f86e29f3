/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "attach.h"
#include "bpf-util.h"
#include "l3af/root.h"
#include "root.skel.h"
#include "util.h"

/* The root's program in the skeleton: plain or counting, for XDP or tc. */
static struct bpf_program *root_program(struct root_bpf *skel, Hook hook, bool counting)
{
        if (hook == HOOK_XDP)
                return counting ? skel->progs.l3af_count_xdp : skel->progs.l3af_root_xdp;
        return counting ? skel->progs.l3af_count_tc : skel->progs.l3af_root_tc;
}

int root_load(Hook hook, bool frags, TcxPassPolicy tcx_pass, const CountingMaps *counting, int *ret_prog_fd,
              int *ret_slot_fd)
{
        struct root_bpf *skel;
        struct bpf_program *prog, *it;
        int prog_fd, slot_fd, r = 0;

        skel = root_bpf__open();
        if (!skel)
                return negative_errno();
        prog = root_program(skel, hook, counting);
        bpf_object__for_each_program(it, skel->obj)
                bpf_program__set_autoload(it, it == prog);
        if (hook == HOOK_XDP && frags)
                bpf_program__set_flags(prog, BPF_F_XDP_HAS_FRAGS);
        skel->rodata->l3af_tcx_pass = tcx_pass == TCX_PASS_POLICY_PASS ? L3AF_TCX_PASS_PASS : L3AF_TCX_PASS_NEXT;
        if (counting) {
                r = bpf_map__reuse_fd(skel->maps.l3af_stats, counting->stats_fd);
                if (r >= 0)
                        r = bpf_map__reuse_fd(skel->maps.l3af_clock, counting->clock_fd);
        } else {
                /* The plain root is exactly what it was before counting: no maps of it. */
                r = bpf_map__set_autocreate(skel->maps.l3af_stats, false);
                if (r >= 0)
                        r = bpf_map__set_autocreate(skel->maps.l3af_clock, false);
        }
        if (r >= 0)
                r = root_bpf__load(skel);
        if (r < 0) {
                root_bpf__destroy(skel);
                return r;
        }
        prog_fd = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3);
        slot_fd = fcntl(bpf_map__fd(skel->maps.l3af_slot), F_DUPFD_CLOEXEC, 3);
        root_bpf__destroy(skel);
        if (prog_fd < 0 || slot_fd < 0) {
                r = negative_errno();
                closep(&prog_fd);
                closep(&slot_fd);
                return r;
        }
        *ret_prog_fd = prog_fd;
        *ret_slot_fd = slot_fd;
        return 0;
}

int root_is_counting(int root_fd)
{
        struct bpf_prog_info info = {};
        int r;

        r = bpf_prog_info_of_fd(root_fd, &info);
        if (r < 0)
                return r;
        /* The kernel keeps the first 15 bytes of the name (BPF_OBJ_NAME_LEN). */
        return strncmp(info.name, "l3af_count_xdp", sizeof(info.name)) == 0 ||
               strncmp(info.name, "l3af_count_tc", sizeof(info.name)) == 0;
}

static uint32_t xdp_flags(XdpMode mode)
{
        switch (mode) {
        case XDP_MODE_NATIVE:
                return XDP_FLAGS_DRV_MODE;
        case XDP_MODE_GENERIC:
                return XDP_FLAGS_SKB_MODE;
        default:
                return 0;
        }
}

static int interface_mtu(int ifindex)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};

        if (fd < 0 || !if_indextoname(ifindex, ifr.ifr_name) || ioctl(fd, SIOCGIFMTU, &ifr) < 0)
                return -1;
        return ifr.ifr_mtu;
}

static char *mtu_error(int ifindex)
{
        return g_strdup_printf("the interface's MTU (%d) is too large for single-buffer XDP, and a chain runs "
                               "multi-buffer only when every program in it is written for that "
                               "(SEC(\"xdp.frags\")): use such programs, lower the MTU (the driver's limit, "
                               "about 3500 for veth) or use Mode=generic",
                               interface_mtu(ifindex));
}

int link_switch(int link_fd, int prog_fd, int old_fd, Hook hook, char **ret_error)
{
        LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE, .old_prog_fd = old_fd);
        uint32_t ifindex = 0;
        int r;

        if (bpf_link_update(link_fd, prog_fd, &opts) >= 0)
                return 0;
        r = negative_errno();
        (void) link_ifindex(link_fd, &ifindex);
        if (r == -ERANGE && hook == HOOK_XDP)
                *ret_error = mtu_error((int) ifindex);
        else if (r == -EPERM)
                *ret_error = g_strdup("cannot switch our link to the new generation: the link no longer runs the "
                                      "program l3afd attached (something else swapped it); nothing was changed");
        else
                *ret_error = g_strdup_printf("cannot switch our link to the new generation: %s", g_strerror(-r));
        return r;
}

int hook_attach(int prog_fd, Hook hook, int ifindex, XdpMode mode, int *ret_link_fd, char **ret_error)
{
        /* On tcx our root goes first: a program before it would see packets before the chain. */
        LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = hook == HOOK_XDP ? xdp_flags(mode) : L3AF_BPF_F_BEFORE);
        int fd, r;

        fd = bpf_link_create(prog_fd, ifindex, hook_attach_type(hook), &opts);
        if (fd >= 0) {
                *ret_link_fd = fd;
                return 0;
        }
        r = negative_errno();
        if (r == -EBUSY || r == -EEXIST) {
                uint32_t id = 0;

                (void) hook_query(hook, ifindex, &id);
                *ret_error = g_strdup_printf("another program (id %u) is attached to the hook; l3afd does not "
                                             "displace it", id);
        } else if (r == -EOPNOTSUPP && mode == XDP_MODE_NATIVE)
                *ret_error = g_strdup("the driver has no native XDP support (use Mode=generic or auto)");
        else if (r == -ERANGE && hook == HOOK_XDP)
                *ret_error = mtu_error(ifindex);
        else
                *ret_error = g_strdup_printf("cannot attach: %s", g_strerror(-r));
        return r;
}

int xdp_attached_mode(int ifindex, uint32_t prog_id, XdpMode *ret)
{
        LIBBPF_OPTS(bpf_xdp_query_opts, q);

        if (bpf_xdp_query(ifindex, 0, &q) < 0)
                return negative_errno();
        if (prog_id != 0 && q.drv_prog_id == prog_id)
                *ret = XDP_MODE_NATIVE;
        else if (prog_id != 0 && q.skb_prog_id == prog_id)
                *ret = XDP_MODE_GENERIC;
        else
                return -ENOENT;
        return 0;
}

int link_ifindex(int link_fd, uint32_t *ret)
{
        struct bpf_link_info info;
        int r = bpf_link_info_of_fd(link_fd, &info);

        if (r < 0)
                return r;
        /* xdp and tcx links both report their ifindex first in the union. */
        *ret = info.xdp.ifindex;
        return 0;
}

int link_prog_id(int link_fd, uint32_t *ret)
{
        struct bpf_link_info info;
        int r = bpf_link_info_of_fd(link_fd, &info);

        if (r < 0)
                return r;
        *ret = info.prog_id;
        return 0;
}

int hook_query(Hook hook, int ifindex, uint32_t *ret_id)
{
        if (hook == HOOK_XDP) {
                LIBBPF_OPTS(bpf_xdp_query_opts, q);

                if (bpf_xdp_query(ifindex, 0, &q) < 0)
                        return negative_errno();
                *ret_id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id :
                          q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
                return 0;
        } else {
                LIBBPF_OPTS(bpf_prog_query_opts, q);
                __u32 ids[64];

                q.prog_ids = ids;
                q.prog_cnt = ELEMENTSOF(ids);
                if (bpf_prog_query_opts(ifindex, hook_attach_type(hook), &q) < 0)
                        return negative_errno();
                *ret_id = q.prog_cnt > 0 ? ids[0] : 0;
                return 0;
        }
}
