/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the task iterator (tasks.bpf.c) writes and tasks.c reads: one
 * fixed-size record per thread group, in the order the kernel walks its
 * tasks (by pid). Include <linux/types.h> (userspace) or vmlinux.h (the
 * program) first. */
#pragma once

/* Bits of task_rec.flags. */
#define TASK_F_KTHREAD          (1u << 0)       /* PF_KTHREAD: no memory of its own */
#define TASK_F_NO_MM            (1u << 1)       /* no mm (a kernel thread, a zombie leader) */
#define TASK_F_OOM_SKIP         (1u << 2)       /* MMF_OOM_SKIP: already reaped */
#define TASK_F_VFORK            (1u << 3)       /* a vfork child sharing its parent's mm */
#define TASK_F_RSS_ATOMIC       (1u << 4)       /* <= 6.1: atomic counters, exact */
#define TASK_F_RSS_PERCPU_SUM   (1u << 5)       /* >= 6.2: percpu counters, summed: exact */
#define TASK_F_RSS_PERCPU       (1u << 6)       /* >= 6.2: only their global count (approximate) */
#define TASK_F_NO_PGTABLES      (1u << 7)       /* mm->pgtables_bytes absent: 0 */
#define TASK_F_THREADS_CUT      (1u << 8)       /* more threads than walked: runtime short */

#define TASK_COMM_SIZE 16
#define TASK_THREADS_MAX 65536  /* threads whose CPU time is summed */
#define TASK_CPUS_MAX 8192      /* CPUs whose percpu deltas are summed */

struct task_rec {
	__u32 pid;              /* the thread group id (pid as /proc names it) */
	__u32 ppid;             /* the real parent's thread group id */
	__u32 uid;              /* real uid (real_cred) */
	__u32 flags;            /* TASK_F_* */
	__s32 oom_score_adj;
	__u32 nr_threads;
	__u64 start_ns;         /* start_boottime: ns after boot, suspend included */
	__u64 runtime_ns;       /* CPU time of the group: dead threads' + live ones' */
	__u64 cgroup_id;        /* its cgroup v2 (the default hierarchy) inode id */
	__s64 rss_file;         /* pages, as the kernel counts them (may read < 0) */
	__s64 rss_anon;
	__s64 swapents;
	__s64 rss_shmem;
	__u64 pgtables_bytes;
	char comm[TASK_COMM_SIZE];
};
