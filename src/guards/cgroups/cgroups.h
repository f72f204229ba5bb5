/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <limits.h>

#include "core/guard.h"

/* The worst limited cgroup found by a scan. */
struct cg_pick {
	bool found;
	char path[PATH_MAX];            /* "/a/b" relative to the cgroup root */
	struct cg_mem mem;
	struct verdict v;
	uint64_t next_ms;               /* shortest interval any limited cgroup asks for */
	unsigned limited;               /* cgroups with a memory.max */
};

/* Walk (when due) and check the limited cgroups. */
void cgroups_scan(struct guard *g, struct cg_pick *ret);
/* The last scan (explain). */
const struct cg_pick *cgroups_last(struct guard *g);
/* Walks of the cgroup tree since start (tests). */
unsigned cgroups_walks(struct guard *g);
/* OOMs at a limited cgroup's own limit seen since start (tests). */
unsigned cgroups_oom_rises(struct guard *g);
/* Give up inotify (its watch limit reached, or a test): the tree is walked
 * every CG_WALK_MS and every look reads the OOM counts. */
void cgroups_drop_inotify(struct guard *g);
/* Limited cgroups known now, and the i-th one (tests, explain). */
size_t cgroups_limited(struct guard *g, size_t i, const char **ret_path);
extern const struct guard_ops cgroups_guard_ops;
