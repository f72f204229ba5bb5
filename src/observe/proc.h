/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Processes: pure parsers of /proc/PID files and readers of one process
 * (proc.c), and a scanner that fills a reusable list relative to a /proc
 * directory fd (proc-scan.c). */
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
/* Resident pages from PID/statm (its second field): the fast scan's one
 * cheap read per process. */
int proc_read_statm_resident(int proc_fd, int pid, uint64_t *ret_pages);
/* Is pid still the process that started at starttime (stat's field 22)?
 * proc_open_same opens PID relative to proc_fd and reads stat through that
 * directory fd, which it returns (>= 0): files opened through it belong to
 * that process even if the pid is reused later (they fail with ESRCH).
 * proc_same reads PID/stat in one open and keeps nothing. -ESRCH when the
 * pid is gone or is another process now, -EINVAL for pid <= 0 or a stat
 * that does not parse, other -errno. ret_stat (may be NULL) gets the stat
 * that was read, on success only. */
int proc_open_same(int proc_fd, int pid, uint64_t starttime, struct proc_stat *ret_stat);
int proc_same(int proc_fd, int pid, uint64_t starttime, struct proc_stat *ret_stat);
/* /proc/PID/status: Uid, VmRSS, RssAnon, RssFile, RssShmem, VmSwap. Kernel
 * threads have no VmRSS: all sizes read 0 then. Uid is required. */
int parse_proc_status(const char *buf, struct proc_status *ret);
/* /proc/PID/cgroup: the cgroup v2 path from the "0::PATH" line; if absent,
 * the v1 memory controller's path ("N:memory:PATH"). -ENOENT if neither. */
int parse_proc_cgroup(const char *buf, char *path, size_t size);
/* /proc/PID/cmdline of len bytes: NUL separators become spaces, trailing
 * NULs dropped, written NUL-terminated and truncated to size. Returns length. */
size_t parse_cmdline(const char *buf, size_t len, char *out, size_t size);

/* Bits of proc_info.unreadable: the lazy field could not be read. */
enum {
	PROC_UNREAD_CMDLINE = 1u << 0,
	PROC_UNREAD_EXE = 1u << 1,
	PROC_UNREAD_CGROUP = 1u << 2,
};

/* One process as the scanner sees it. Strings that are costly to read
 * (cmdline, exe, cgroup) are loaded on demand by proc_load_*() into the
 * list's arena; NULL until loaded. A field that could not be read (the
 * process exited mid-read, EACCES, no room left in the arena) is "" with
 * its PROC_UNREAD_* bit set in `unreadable`: "cannot decide". A field read
 * as empty (a process that cleared its argv, a zombie) is "" without the
 * bit: known, and empty. */
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
	unsigned char unreadable;       /* PROC_UNREAD_* bits */
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

/* Call fn for every process directory of proc_fd (a name of digits, no
 * leading 0, up to INT_MAX), in directory order; a non-zero return stops the
 * walk and is returned. Reads with getdents64 into a stack buffer through
 * its own open file description (proc_fd's offset is untouched). 0 or
 * -errno. */
typedef int (*proc_pid_fn)(int pid, void *userdata);
int proc_for_each_pid(int proc_fd, proc_pid_fn fn, void *userdata);

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

/* The same over the given pids (a cgroup's members): one statm read each,
 * the full read for the `top` largest. Returns l->n or -errno. */
int proc_scan_pids_top(int proc_fd, struct proc_list *l, const int *pids, size_t n, size_t top);

/* What both scans (this one and the task iterator's, tasks.h) keep: the
 * `top` largest by resident pages in a min-heap (heap: room for top), and
 * how many had any (an offer of 0 pages is not counted: kernel threads,
 * zombies). On equal pages the one offered first stays, so two scans that
 * see the same sizes in the same (pid) order keep the same processes. */
struct proc_top {
	struct proc_top_item {
		uint64_t pages;
		int id;                 /* a pid, or the caller's index */
	} *heap;
	size_t n, top, seen;
};
void proc_top_offer(struct proc_top *t, uint64_t pages, int id);

/* Room for `want` entries in l->v (grown, never shrunk). 0 or -ENOMEM. */
int proc_list_reserve(struct proc_list *l, size_t want);

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

/* PID/exe's target into buf, NUL-terminated. Its length, or -errno
 * (-ENAMETOOLONG when it does not fit). */
ssize_t proc_read_exe(int proc_fd, int pid, char *buf, size_t size);
/* PID/cmdline with its arguments joined by spaces (parse_cmdline) into buf:
 * its length ("" for a kernel thread or a zombie), or -errno. */
ssize_t proc_read_cmdline(int proc_fd, int pid, char *buf, size_t size);

/* PID/status's real uid (the first Uid: field). 0 or -errno. */
int proc_read_uid(int proc_fd, int pid, uid_t *ret);
/* PID/loginuid: the audit login uid pam_loginuid set at login, inherited by
 * everything started from that session and unchangeable by its user;
 * PROC_LOGINUID_UNSET for processes no login started (system services).
 * -ENOENT on kernels without audit. */
#define PROC_LOGINUID_UNSET 4294967295u
int parse_loginuid(const char *buf, uint32_t *ret);
int proc_read_loginuid(int proc_fd, int pid, uint32_t *ret);

/* Lazy loaders; each returns 0 or -errno and sets the field ("" on error,
 * with its PROC_UNREAD_* bit). */
int proc_load_cmdline(int proc_fd, struct proc_list *l, struct proc_info *p);
int proc_load_exe(int proc_fd, struct proc_list *l, struct proc_info *p);
int proc_load_cgroup(int proc_fd, struct proc_list *l, struct proc_info *p);
