/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* A foreign tc program for the tests: lets everything on. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tcpass(struct __sk_buff *skb)
{
        return -1;  /* TCX_NEXT */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
