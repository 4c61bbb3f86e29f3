/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network devices by name and by index, with a definite "no such device"
 * kept apart from every other failure: only -ENODEV may be read as "the
 * device is not there"; anything else (EMFILE, ENOMEM, ...) means "unknown".
 */
#pragma once

#include <net/if.h>
#include <stdint.h>

/*
 * The ifindex of the device that has 'name' as its name or one of its
 * alternative names (ip-link(8) "property add altname": the kernel resolves
 * both through SIOCGIFINDEX, see netdevice(7)). Returns 0, -ENODEV when no
 * device has that name, or another -errno when the kernel could not be asked.
 */
int netdev_index_of_name(const char *name, uint32_t *ret_ifindex);

/*
 * The current name of device 'ifindex' (netdevice(7) SIOCGIFNAME) into
 * ret_name (IF_NAMESIZE bytes). Returns 0, -ENODEV when no device has that
 * index in our network namespace, or another -errno.
 */
int netdev_name_of_index(uint32_t ifindex, char ret_name[static IF_NAMESIZE]);
