/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a device's driver says it can do with XDP, from the kernel's netdev generic netlink family. */
#pragma once

#include <stdint.h>

/* enum netdev_xdp_act of the kernel's uapi linux/netdev.h (Linux 6.3), which Debian 12's headers predate. */
#define L3AF_NETDEV_XDP_ACT_BASIC (1ULL << 0)  /* XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX in the driver */

/*
 * The XDP features (a mask of NETDEV_XDP_ACT_*) the driver of ifindex
 * reports: the netdev family's dev-get, attribute xdp-features
 * (Documentation/netlink/specs/netdev.yaml). A driver with native XDP
 * reports at least NETDEV_XDP_ACT_BASIC; generic XDP needs nothing from it.
 * Returns 0, -EOPNOTSUPP when the kernel has no netdev family (before 6.3),
 * -ENODEV for no such device, -errno otherwise.
 */
int xdp_features_query(int ifindex, uint64_t *ret);
