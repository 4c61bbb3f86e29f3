/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RCU grace periods, for the chain's switch points (plan.h): once one has
 * passed after a switch, no packet still runs a generation from before it.
 *
 * The kernel waits for a grace period in every update of a map-in-map made
 * from user space, so that "all non-sleepable programs that could be running
 * use the new map value" when the call returns (maybe_wait_bpf_programs() in
 * kernel/bpf/syscall.c). XDP and tc programs are not sleepable, and a packet
 * runs its whole chain, tail calls included, inside one RCU read-side
 * section. A grace period takes milliseconds (4 to 16 ms measured on our
 * 2-CPU guest), so a worker thread waits for them in the background: a switch
 * asks for one, and the next switch that needs it waits only for what is left.
 */
#pragma once

#include <stdint.h>

/*
 * Asks for a grace period that starts after this call. *ret_ticket names it
 * for grace_period_wait(). Returns 0, or -errno when the kernel refuses the
 * maps it takes or the worker cannot start.
 */
int grace_period_request(uint64_t *ret_ticket);

/* How long the last grace period the worker waited for took, in µs; 0 before the first. */
uint64_t grace_period_last_usec(void);

/*
 * Waits until the grace period 'ticket' names has ended; ticket 0 names none
 * and returns at once. Returns 0, or -errno from the map update that was to
 * wait for it.
 */
int grace_period_wait(uint64_t ticket);
