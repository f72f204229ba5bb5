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
	__u64 win_start;        /* ns (CLOCK_MONOTONIC): its 1 s window began */
	__u64 win_bytes;        /* anon + shmem charged in that window */
	__u32 win_said;         /* bit 0, 1: a WAKE_RATE was sent for that window past rate_bytes, high_bytes */
	__u32 pad;
};

/* A cgroup's charges (keyed by its id, the inode of its directory). */
struct cg_charge {
	__u64 grown;            /* anon + shmem charged by its processes since first seen */
	__u64 win_start;        /* ns: its 1 s window began */
	__u64 win_bytes;        /* charged in that window */
};

struct watch {
	__u64 grown;            /* anon + shmem charged by anyone since userspace reset it */
	__u64 budget;           /* wake userspace past this; 0 = no wake-ups */
	__u32 fired;            /* a budget wake-up was sent since the reset */
	__u32 reclaim_fired;    /* a reclaim wake-up was sent since the reset */
	__u64 events;           /* rss_stat events seen (for the cost figures) */
	__u64 rate_bytes;       /* a process charging this much within 1 s: WAKE_RATE; 0 = off */
	__u64 high_bytes;       /* and again past this (the higher threshold); 0 = none */
};

enum wake_kind { WAKE_BUDGET = 1, WAKE_KSWAPD = 2, WAKE_DIRECT_RECLAIM = 3, WAKE_RATE = 4 };

#define WINDOW_NS 1000000000ull

struct wake {
	__u32 kind;
	__u32 pid;
	__u64 grown;            /* WAKE_RATE: the process's bytes in its window; else the budget's */
	__u64 win_start;        /* WAKE_RATE: when that window began, ns */
};
