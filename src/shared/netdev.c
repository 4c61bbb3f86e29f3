/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "netdev.h"

int netdev_index_of_name(const char *name, uint32_t *ret_ifindex)
{
        unsigned ifindex;

        errno = 0;
        ifindex = if_nametoindex(name);
        if (ifindex == 0)
                /* glibc passes on the ioctl's ENODEV; a failing socket() gives EMFILE, ENOBUFS, ... */
                return errno == ENODEV || errno == 0 ? -ENODEV : -errno;
        *ret_ifindex = ifindex;
        return 0;
}

int netdev_name_of_index(uint32_t ifindex, char ret_name[static IF_NAMESIZE])
{
        char name[IF_NAMESIZE];

        errno = 0;
        if (!if_indextoname(ifindex, name))
                /* glibc turns the ioctl's ENODEV into ENXIO. */
                return errno == ENXIO || errno == ENODEV || errno == 0 ? -ENODEV : -errno;
        memcpy(ret_name, name, IF_NAMESIZE);
        return 0;
}
