/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the eBPF program (alloc.bpf.c) and the guard (ebpf.c) share: its map
 * values and its wake-up records. Include <linux/types.h> (userspace) or
 * vmlinux.h (the program) first. */
#pragma once

#define MM_ANON 1
#define MM_SHMEM 3

struct proc_mem {
	__s64 size[4];          /* bytes: file, anon, swap entries, shmem */
	__u64 grown;            /* anon + shmem charged since first seen, bytes */
};

struct watch {
	__u64 grown;            /* anon + shmem charged by anyone since userspace reset it */
	__u64 budget;           /* wake userspace past this; 0 = no wake-ups */
	__u32 fired;            /* a budget wake-up was sent since the reset */
	__u32 reclaim_fired;    /* a reclaim wake-up was sent since the reset */
	__u64 events;           /* rss_stat events seen (for the cost figures) */
};

enum wake_kind { WAKE_BUDGET = 1, WAKE_KSWAPD = 2, WAKE_DIRECT_RECLAIM = 3 };

struct wake {
	__u32 kind;
	__u32 pid;
	__u64 grown;
};
