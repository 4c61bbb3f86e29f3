/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"
#include "xdp-features.h"

/* From the kernel's uapi linux/netdev.h (Linux 6.3). */
#define NETDEV_FAMILY_NAME "netdev"
#define NETDEV_CMD_DEV_GET 1
#define NETDEV_A_DEV_IFINDEX 1
#define NETDEV_A_DEV_XDP_FEATURES 3

typedef struct GenlRequest {
        struct nlmsghdr nlh;
        struct genlmsghdr genl;
        char attrs[64];
} GenlRequest;

static void request_init(GenlRequest *req, uint16_t family, uint8_t cmd)
{
        memset(req, 0, sizeof(*req));
        req->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
        req->nlh.nlmsg_type = family;
        req->nlh.nlmsg_flags = NLM_F_REQUEST;
        req->genl.cmd = cmd;
        req->genl.version = 1;
}

static void request_put(GenlRequest *req, uint16_t type, const void *data, uint16_t len)
{
        struct nlattr *a = (struct nlattr *) ((char *) req + NLMSG_ALIGN(req->nlh.nlmsg_len));

        a->nla_type = type;
        a->nla_len = NLA_HDRLEN + len;
        memcpy((char *) a + NLA_HDRLEN, data, len);
        req->nlh.nlmsg_len = NLMSG_ALIGN(req->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Sends the request and finds attribute 'type' of at least 'len' bytes in the answer; copies it to 'ret'. */
static int request_get(int fd, GenlRequest *req, uint16_t type, void *ret, size_t len)
{
        char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
        struct nlmsghdr *h = (struct nlmsghdr *) buf;
        ssize_t n;
        int left;

        if (send(fd, req, req->nlh.nlmsg_len, 0) < 0)
                return negative_errno();
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0)
                return negative_errno();
        if (!NLMSG_OK(h, (size_t) n))
                return -EBADMSG;
        if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);

                return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error < 0 ? e->error : -EBADMSG;
        }
        left = (int) h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
        for (struct nlattr *a = (struct nlattr *) ((char *) NLMSG_DATA(h) + GENL_HDRLEN);
             left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left;
             left -= NLA_ALIGN(a->nla_len), a = (struct nlattr *) ((char *) a + NLA_ALIGN(a->nla_len)))
                if ((a->nla_type & NLA_TYPE_MASK) == type && a->nla_len >= NLA_HDRLEN + len) {
                        memcpy(ret, (char *) a + NLA_HDRLEN, len);
                        return 0;
                }
        return -ENODATA;
}

int xdp_features_query(int ifindex, uint64_t *ret)
{
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        uint32_t index = (uint32_t) ifindex;
        uint64_t features;
        uint16_t family;
        GenlRequest req;
        int r;

        if (fd < 0)
                return negative_errno();
        request_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
        request_put(&req, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME));
        r = request_get(fd, &req, CTRL_ATTR_FAMILY_ID, &family, sizeof(family));
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;

        request_init(&req, family, NETDEV_CMD_DEV_GET);
        request_put(&req, NETDEV_A_DEV_IFINDEX, &index, sizeof(index));
        r = request_get(fd, &req, NETDEV_A_DEV_XDP_FEATURES, &features, sizeof(features));
        if (r < 0)
                return r;
        *ret = features;
        return 0;
}
