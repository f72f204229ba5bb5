/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Victim ranking: who may be killed, and in which order. Pure apart from
 * the lazy reads the rules ask for. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/config.h"
#include "observe/proc.h"

enum excl {
	EXCL_NONE = 0,
	EXCL_PID1,
	EXCL_KTHREAD,
	EXCL_SELF,
	EXCL_ADJ_MIN,           /* oom_score_adj == -1000 */
	EXCL_PROTECTED,         /* a protect rule */
	EXCL_UNDECIDABLE,       /* a protect rule could not be evaluated */
	EXCL_MANAGED,           /* a managed (critical) process */
	EXCL_NO_MEMORY,
	EXCL_OUTSIDE,           /* outside the cgroup being relieved */
	EXCL_IDLE,              /* used none of the resource over the window (CPU, I/O) */
	EXCL_OMIT,              /* its cgroup says user.oomd_omit (systemd's ManagedOOMPreference=omit) */
};

/* Where a candidate's value came from, in order of precedence. */
enum value_source {
	VALUE_DEFAULT = 0,
	VALUE_RULE,
	VALUE_XATTR,            /* trusted.oomguard.value on its cgroup */
	VALUE_REGISTRY_CGROUP,
	VALUE_REGISTRY_PID,
};

struct registry;

/* How long a process may stay "undecidable" (a field a protect rule needs
 * could not be read) and so left alone: until it was undecidable in
 * UNDECIDED_RANKINGS rankings, or UNDECIDED_MS after the first of them;
 * then it is ranked as if the rule did not match. Real read errors are
 * transient (the process exits mid-read): one that persists is broken or
 * made on purpose, and must not be a way to become unkillable. */
#define UNDECIDED_SLOTS 64
#define UNDECIDED_RANKINGS 3
#define UNDECIDED_MS 10000

struct undecided {
	struct undecided_entry {
		int pid;                /* 0 = free */
		uint64_t start;         /* its start time */
		uint64_t first_ms;      /* the first ranking that found it undecidable */
		uint64_t seq;           /* the last one */
		unsigned count;         /* rankings that found it undecidable */
		bool expired;           /* the bound was reached (and said so) */
	} v[UNDECIDED_SLOTS];
	uint64_t seq;                   /* rankings that used this table */
	bool full_said;                 /* more undecidable processes than slots, said once */
};

struct candidate {
	struct proc_info *p;
	enum excl excluded;
	int64_t badness;        /* higher dies first */
	int64_t value;          /* worth of keeping it (rules or default) */
	uint64_t freed;         /* estimate of what its death frees: anon + swap;
				 * ranked by usage: what it used over the window */
	int adjust;             /* rule delta included in badness */
	int oomd_pref;          /* its cgroup's oomd preference: 1 prefer, -1 avoid, 0 none;
				 * sorted before the badness, as oomd sorts (every prefer
				 * first, every avoid last) */
	enum value_source value_from;
	int rule_line;          /* first matching rule, 0 if none */
	bool undecided_bound;   /* a protect rule is undecidable, but for too long: ranked */
	bool undecided_say;     /* ... and this ranking is the first to say so (callers log) */
	int usage_err;          /* ranked by usage: -errno of a counter that could not be read */
};

struct rank_input {
	int proc_fd;
	pid_t self;
	uint64_t mem_total, swap_total;
	const char *cgroup;     /* restrict to this cgroup subtree ("/a/b"); NULL = all */
	/* optional: is this process managed (shielded)? NULL = none are */
	bool (*is_managed)(const struct proc_info *p, void *userdata);
	void *userdata;
	/* optional value sources: the runtime registry, cgroup xattrs */
	const struct registry *registry;
	bool use_xattr;                 /* look up trusted.oomguard.value and oomd's preference
					 * xattrs (cgroup_oomd_preference) ... */
	int cg_root_fd;                 /* ... on cgroups below this fd */
	/* optional: the bound on undecidable processes across rankings (NULL:
	 * an undecidable process is always left alone), and the time now */
	struct undecided *undecided;
	uint64_t now_ms;
	/* optional: rank by another resource than memory (the CPU and I/O
	 * guards): what process p used over the guard's window (ms of CPU,
	 * bytes of storage I/O), or -errno when its counter is unreadable (it
	 * is then ranked on 0 and says so in usage_err). The badness is then
	 * usage_score() (victim/usage.h) plus the rules' adjustment. NULL =
	 * memory. */
	int (*usage)(const struct proc_info *p, void *userdata, uint64_t *ret_amount);
	void *usage_data;
	/* with usage: the amount is what a death frees (GPU memory): the
	 * badness is 1000 * amount / max amount, no CPU-time weighing */
	bool usage_frees;
};

/* Fill out (capacity >= l->n) with every non-kernel-thread process of l:
 * eligible ones first, by badness descending (ties: more memory freed, then
 * the younger process), then the excluded ones with their reason. Returns
 * the number of eligible candidates; *ret_n gets the number written. */
size_t rank_candidates(const struct og_config *cfg, const struct rank_input *in,
		       struct proc_list *l, struct candidate *out, size_t *ret_n);

/* One ranking's look at an undecidable process: true when it has been
 * undecidable too long (or there is no slot left to count it in), so it is
 * no longer left alone. *ret_say: this is the first time for it. */
bool undecided_expired(struct undecided *t, int pid, uint64_t start, uint64_t now_ms,
		       bool *ret_say);

const char *excl_reason(enum excl e);
const char *value_source_name(enum value_source v);
/* Did any of the n candidates get its value from the registry or an xattr? */
bool candidates_have_values(const struct candidate *c, size_t n);

/* Is `path` equal to `prefix` or below it ("/a/b" is below "/a")? */
bool cgroup_path_within(const char *path, const char *prefix);
