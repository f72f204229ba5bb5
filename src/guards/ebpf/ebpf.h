/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the eBPF guard offers the others (NULL or inactive: -ENOTSUP /
 * -ENOENT / -1, and callers go on without it). */
#pragma once
#include <stdint.h>

struct guard;

/* Wake me (through ebpf_on_wake's callback) once budget bytes of resident
 * memory were charged from now, or the kernel starts to reclaim. 0 turns
 * the budget off. Re-arm after each wake-up. */
int ebpf_watch(struct guard *ebpf, uint64_t budget);
/* kind: 1 budget, 2 kswapd woken, 3 direct reclaim. */
void ebpf_on_wake(struct guard *ebpf, void (*wake)(void *data, int kind), void *data);
/* The fastest allocator of the last 1 s look. 0 or -ENOENT. */
int ebpf_fastest(struct guard *ebpf, uint32_t *ret_pid, double *ret_bytes_s);
/* A process's rate at the last look, bytes/s; -1 unknown. */
double ebpf_rate_of(struct guard *ebpf, uint32_t pid);
