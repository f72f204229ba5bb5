/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v2 memory files, relative to a cgroup directory fd. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "observe/mountinfo.h"  /* parse_mountinfo_cgroup2, for earlier users */
#include "observe/psi.h"

#define CG_MAX UINT64_MAX       /* "max" in memory.max and friends */

struct cg_events {
	uint64_t low, high, max, oom, oom_kill, oom_group_kill;
};

struct cg_mem {
	uint64_t current;
	uint64_t max;           /* CG_MAX if unlimited */
	uint64_t anon, file, shmem;     /* from memory.stat; file includes shmem */
	bool has_stat;          /* memory.stat was read (near the limit) */
	struct psi pressure;
	bool has_pressure;
};

/* "max\n" -> CG_MAX, "1234\n" -> 1234. */
int parse_cg_limit(const char *buf, uint64_t *ret);
/* memory.events: "low N\nhigh N\nmax N\noom N\noom_kill N\n..." (unknown keys ignored). */
int parse_cg_events(const char *buf, struct cg_events *ret);
/* memory.stat: fills anon, file, shmem of ret (other fields untouched). */
int parse_cg_memstat(const char *buf, struct cg_mem *ret);

/* cgroup.procs: one pid a line. Appends every pid in 1..INT_MAX to the
 * growing array *pids (*n used, *cap allocated; NULL/0/0 at first); other
 * lines are skipped (0 is a process in another pid namespace; the kernel
 * writes nothing else). Returns the number appended, or -ENOMEM (then *n is
 * as it was). */
int parse_cgroup_procs(const char *buf, size_t len, int **pids, size_t *n, size_t *cap);
/* Read all of cg_fd's cgroup.procs and append its pids as above. Reads to
 * the end (the kernel produces it a page per read, so one read would lose
 * the members past the first ~600), through a stack buffer: nothing is
 * allocated but the array's growth. Returns the number appended, or -errno
 * (then *n is as it was). */
int cgroup_read_procs(int cg_fd, int **pids, size_t *n, size_t *cap);

/* What a headroom decision uses, and nothing more: memory.current (required:
 * -ENOENT without the memory controller), memory.max and memory.pressure
 * when present, and memory.stat (the reclaimable page cache) only when the
 * headroom is within stat_within_percent of memory.max: further from the
 * limit the page cache cannot change the verdict. */
int cgroup_read_mem(int cg_fd, double stat_within_percent, struct cg_mem *ret);

/* Depth-first walk of every cgroup below root_fd (root itself first, with
 * relative path ""). The callback gets an fd for the cgroup dir (valid only
 * during the call) and its path relative to root; a non-zero return stops
 * the walk and is returned. Directories that vanish mid-walk are skipped.
 * max_depth bounds recursion. */
typedef int (*cgroup_walk_fn)(int cg_fd, const char *relpath, void *userdata);
int cgroup_walk(int root_fd, int max_depth, cgroup_walk_fn fn, void *userdata);

/* oomd's kill preference of the cgroup at rel (from the root fd; "" the
 * root): 1 prefer, -1 avoid, 0 none; *omit for systemd-oomd's omit.
 * trusted.oomd_prefer, user.oomd_prefer, trusted.oomd_avoid,
 * user.oomd_avoid, first present wins (oomd 0.5: presence, not value);
 * user.oomd_omit a boolean value (systemd writes "1" from
 * ManagedOOMPreference=omit). user.* only on a directory root owns, so that
 * nobody steers oomguard with an xattr on a cgroup of their own (setting
 * trusted.* takes CAP_SYS_ADMIN). With ancestors, the nearest cgroup up to
 * the root that has any of them decides (a process in a unit's sub-cgroup). */
int cgroup_oomd_preference(int cg_fd, const char *rel, bool ancestors, bool *omit);
