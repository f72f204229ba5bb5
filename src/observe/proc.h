/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Processes: pure parsers of /proc/PID files and a scanner that fills a
 * reusable list relative to a /proc directory fd. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PF_KTHREAD_FLAG 0x00200000u

struct proc_stat {
	int pid;
	char comm[64];          /* raw, as the kernel gives it (max 15 chars + NUL normally) */
	char state;
	int ppid;
	unsigned int flags;
	uint64_t utime, stime;  /* clock ticks */
	uint64_t starttime;     /* clock ticks after boot; identifies the process with pid */
	int64_t num_threads;
	uint64_t rss_pages;
};

struct proc_status {
	uid_t uid;              /* real uid */
	uint64_t vm_rss;        /* bytes */
	uint64_t rss_anon;
	uint64_t rss_file;
	uint64_t rss_shmem;
	uint64_t vm_swap;
	bool has_rss_split;     /* RssAnon/RssFile/RssShmem present */
};

/* /proc/PID/stat. The comm is delimited by the first '(' and the LAST ')',
 * because comm may itself contain ')' and spaces. */
int parse_proc_stat(const char *buf, struct proc_stat *ret);
/* Read and parse PID/stat relative to an open /proc dir fd. */
int proc_read_stat(int proc_fd, int pid, struct proc_stat *ret);
/* /proc/PID/status: Uid, VmRSS, RssAnon, RssFile, RssShmem, VmSwap. Kernel
 * threads have no VmRSS: all sizes read 0 then. Uid is required. */
int parse_proc_status(const char *buf, struct proc_status *ret);
/* /proc/PID/cgroup: the cgroup v2 path from the "0::PATH" line; if absent,
 * the v1 memory controller's path ("N:memory:PATH"). -ENOENT if neither. */
int parse_proc_cgroup(const char *buf, char *path, size_t size);
/* /proc/PID/cmdline of len bytes: NUL separators become spaces, trailing
 * NULs dropped, written NUL-terminated and truncated to size. Returns length. */
size_t parse_cmdline(const char *buf, size_t len, char *out, size_t size);

/* One process as the scanner sees it. Strings that are costly to read
 * (cmdline, exe, cgroup) are loaded on demand by proc_load_*() into the
 * list's arena; NULL until loaded, "" if unreadable (the process may have
 * exited: callers that need a field for a protect rule must treat "" as
 * "cannot decide" and skip the process). */
struct proc_info {
	int pid;
	int ppid;
	uid_t uid;
	char comm[64];
	uint64_t starttime;
	uint64_t cpu_ticks;     /* utime + stime */
	uint64_t rss, anon, file, shmem, swap;  /* bytes */
	int oom_score;
	int oom_score_adj;
	bool kthread;           /* PF_KTHREAD in /proc/PID/stat (never judged by pid or parent) */
	const char *cmdline;
	const char *exe;
	const char *cgroup;
};

struct proc_list {
	struct proc_info *v;
	size_t n, cap;
	size_t seen;            /* processes with memory seen by the last scan */
	char *arena;            /* bump allocator for lazy strings, reset per scan */
	size_t arena_used, arena_cap;
};

void proc_list_free(struct proc_list *l);

/* Read one process (stat, status, oom_score, oom_score_adj) relative to an
 * open /proc dir fd. -ENOENT/-ESRCH when it vanished mid-read. */
int proc_read_one(int proc_fd, int pid, struct proc_info *ret);

/* Scan every numeric entry of proc_fd into l (reusing its storage; grows
 * only when there are more processes than ever before). Kernel threads are
 * included with kthread=true so callers decide. Vanished processes are
 * skipped silently. Returns the number of processes or -errno. */
int proc_scan(int proc_fd, struct proc_list *l);

/* The fast scan: one cheap read (PID/statm) for every process, then the
 * full proc_read_one() only for the `top` largest by resident memory.
 * Processes without memory (kernel threads, zombies) are skipped. l->seen
 * gets the number of processes with memory. Returns l->n or -errno. */
#define PROC_SCAN_TOP 256
int proc_scan_top(int proc_fd, struct proc_list *l, size_t top);

/* Read exactly the given pids (e.g. a cgroup's members); vanished ones are
 * skipped. Returns l->n or -errno. */
int proc_scan_pids(int proc_fd, struct proc_list *l, const int *pids, size_t n);

/* /proc/PID/smaps_rollup: what the process's death frees, honestly: the
 * anonymous memory only it maps (the lower of Anonymous and Private_Clean +
 * Private_Dirty, so COW pages shared with a parent or child are not
 * counted twice) plus its share of swap (SwapPss). -EINVAL without the
 * needed lines. */
int parse_smaps_rollup(const char *buf, uint64_t *ret_private);
int proc_read_private(int proc_fd, int pid, uint64_t *ret_private);

/* Lazy loaders; each returns 0 or -errno and sets the field ("" on error). */
int proc_load_cmdline(int proc_fd, struct proc_list *l, struct proc_info *p);
int proc_load_exe(int proc_fd, struct proc_list *l, struct proc_info *p);
int proc_load_cgroup(int proc_fd, struct proc_list *l, struct proc_info *p);
