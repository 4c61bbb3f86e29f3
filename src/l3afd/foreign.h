/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Programs at our hooks that are not ours: who they are, who holds them, and
 * how to take them off. */
#pragma once

#include <linux/bpf.h>
#include <stdint.h>
#include <sys/types.h>

#include "hook.h"

typedef struct ForeignInfo {
        uint32_t prog_id;
        char name[BPF_OBJ_NAME_LEN];
        char tag[2 * BPF_TAG_SIZE + 1];
        uint32_t link_id;          /* the bpf_link holding it; 0: attached through netlink */
        pid_t holder_pid;          /* a process with an fd on it or its link; 0: none found */
        char holder_comm[16];
} ForeignInfo;

/* Describes the program 'prog_id' attached at (ifindex, hook). */
int foreign_inspect(Hook hook, int ifindex, uint32_t prog_id, ForeignInfo *ret);

/* Takes the foreign attachment off the hook, whether it came through a link or netlink. */
int foreign_remove(Hook hook, int ifindex, const ForeignInfo *f, char **ret_error);
