/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The protected cgroup: which processes are managed (matching), creating the
 * cgroup with its controllers enabled on the way down (cgroup v2) or in each
 * v1 hierarchy (fallback), applying and checking its settings, moving
 * processes in. Everything works relative to directory fds; nothing logs. */
#pragma once
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* ---- matching managed_processes entries ------------------------------- */

enum shield_kind {
	SM_COMM,                /* "name": the comm, exactly (as in the seed) */
	SM_COMM_RE,             /* "comm:REGEX" */
	SM_EXE_RE,              /* "exe:REGEX": the /proc/PID/exe target */
	SM_CMDLINE_RE,          /* "cmdline:REGEX": arguments joined by spaces */
};

struct shield_entry {
	enum shield_kind kind;
	const char *pattern;    /* points into the config's string */
	regex_t re;             /* compiled for the *_RE kinds */
};

struct shield_matcher {
	struct shield_entry v[OG_MAX_MANAGED];
	size_t n;
	bool need_exe, need_cmdline;
};

/* Split an entry into its kind and pattern (no compiling). */
void shield_entry_parse(const char *s, enum shield_kind *kind, const char **pattern);
/* Check an entry: 0, or -EINVAL with the reason in err (bad or empty regex). */
int shield_entry_check(const char *s, char *err, size_t errsize);
/* Compile entries (config strings; they must outlive m). 0 or -errno with err. */
int shield_matcher_init(struct shield_matcher *m, char *const *entries, size_t n,
			char *err, size_t errsize);
void shield_matcher_free(struct shield_matcher *m);
/* Does a process match any entry? exe and cmdline may be NULL when the
 * matcher does not need them ("" = unreadable: no regex matches it). */
bool shield_matches(const struct shield_matcher *m, const char *comm, const char *exe,
		    const char *cmdline);
/* The process's exe (what = SM_EXE_RE) or cmdline (SM_CMDLINE_RE), read when
 * shield_matches_lazy needs it: the string, "" when unreadable. */
typedef const char *(*shield_load_fn)(enum shield_kind what, void *userdata);
/* The one managed-process check: comm first; exe and cmdline are loaded
 * (once each) only when comm did not match and an entry needs them. */
bool shield_matches_lazy(const struct shield_matcher *m, const char *comm, shield_load_fn load,
			 void *userdata);

/* ---- the cgroup ------------------------------------------------------- */

enum shield_mode { SHIELD_OFF, SHIELD_V2, SHIELD_V1 };
enum { SH_MEM, SH_CPU, SH_IO, SH_NCTRL };       /* v1 hierarchies: memory, cpu, blkio */
#define SH_BIT(c) (1u << (c))

struct shield_settings {
	uint64_t memory_low, memory_min;        /* bytes */
	int64_t cpu_weight, io_weight;          /* 1..10000; 0 = not read */
};

struct shield_cg {
	enum shield_mode mode;
	int fd[SH_NCTRL];       /* v2: fd[0] is the cgroup; v1: one dir per hierarchy, -1 if none */
	char path[PATH_MAX];    /* "/parent/name", relative to the hierarchy root(s) */
	unsigned ctrls;         /* SH_BIT()s of the controllers in force there */
};

/* Join parent ("" / NULL / "/" = the root) and name into "/parent/name".
 * -EINVAL for empty, "." or ".." components, -ENAMETOOLONG. */
int shield_path(const char *parent, const char *name, char *buf, size_t size);

/* v2: create root_fd/path, enabling memory, cpu and io (where the kernel
 * offers them) in cgroup.subtree_control of the root and every ancestor on
 * the way down. A non-root ancestor with processes cannot enable
 * controllers for its children (the no-internal-processes rule): when that
 * ancestor is `delegated` (the configured parent, whose processes are ours)
 * they are moved into its leaf child "leaf_name" first; otherwise -EBUSY
 * with the ancestor's path in why. */
int shield_v2_create(int root_fd, const char *path, const char *delegated,
		     const char *leaf_name, struct shield_cg *ret, char *why, size_t whysize);
/* v1: mkdir path in each hierarchy root given (fd -1 = not mounted). -ENOENT
 * when there is no memory hierarchy. */
int shield_v1_create(const int root_fd[SH_NCTRL], const char *path, struct shield_cg *ret);
/* Open an existing protected cgroup (for `status`: never creates). */
int shield_v2_open(int root_fd, const char *path, struct shield_cg *ret);
int shield_v1_open(const int root_fd[SH_NCTRL], const char *path, struct shield_cg *ret);
void shield_cg_close(struct shield_cg *cg);
/* Does the v2 hierarchy at root_fd offer the memory controller? */
bool shield_v2_usable(int root_fd);
/* Open the v1 roots of memory, cpu and blkio found in proc_fd's
 * self/mountinfo (-1 where not mounted); mem_path (may be NULL, PATH_MAX
 * bytes) gets the memory mount point. 0, or -ENOENT without a v1 memory
 * hierarchy (then nothing is left open). */
int shield_v1_roots(int proc_fd, int roots[SH_NCTRL], char *mem_path);
void shield_v1_roots_close(int roots[SH_NCTRL]);

/* Apply the settings, writing only the files whose value differs (so a
 * check every few seconds is cheap and notices changes behind our back).
 * *ret_rewritten gets the SH_BIT()s of the settings that had to be written.
 * v2: memory.low, memory.min, cpu.weight, io.weight. v1: memory.soft_limit_
 * in_bytes (memory_low, only when > 0), cpu.shares (weight * 1024 / 100),
 * blkio.weight or blkio.bfq.weight (clamped to 10..1000). Returns 0, or the
 * first -errno (the other files are still tried). */
int shield_apply(const struct shield_cg *cg, const struct shield_settings *s,
		 unsigned *ret_rewritten);
/* Read the settings back from the kernel (fields it cannot read stay 0;
 * v1 reports soft limit as memory_low and shares converted to a weight). */
int shield_read(const struct shield_cg *cg, struct shield_settings *ret);

/* Move a whole process (thread group) in: its pid into cgroup.procs (of
 * each hierarchy for v1). */
int shield_move(const struct shield_cg *cg, int pid);
/* Move every process of cgroup src_fd into dst_fd (cgroup.procs). */
int shield_move_all(int src_fd, int dst_fd);
/* The member pids (v2 cgroup.procs, v1 the memory hierarchy's), sorted
 * ascending, into the growing array *pids (*cap allocated, reused) and *n.
 * Returns the count or -errno. */
int shield_members(const struct shield_cg *cg, int **pids, size_t *n, size_t *cap);
/* Sort pids for shield_pid_in. */
void shield_sort_pids(int *pids, size_t n);
/* Is pid in a sorted array? */
bool shield_pid_in(const int *pids, size_t n, int pid);

/* config_describe's lines for cgroup_settings, managed_processes and
 * dynamic_adjustment (file is a FILE *). */
void shield_describe(const struct og_config *cfg, void *file);
/* Is the protected cgroup wanted by this config (enabled, and managed
 * processes or a cgroup_settings section)? */
bool shield_wanted(const struct og_config *cfg);
