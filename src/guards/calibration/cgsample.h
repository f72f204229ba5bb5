/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sampling every cgroup's memory (cgsample.c): cgroup v2's memory.current
 * and memory.stat, or v1's memory.usage_in_bytes and memory.stat where
 * the memory controller is on a v1 hierarchy. Reads files: call it from a
 * worker lane or a command, never from the event loop. */
#pragma once
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>

#include "guards/calibration/stats.h"

#define CG_SAMPLE_MAX 4096      /* cgroups per sample; more are counted, not read */

struct cg_tree {
	int fd;                 /* the hierarchy's root, -1 none */
	bool v1;                /* the v1 memory controller's hierarchy */
	char root[PATH_MAX];     /* where it is mounted (for messages) */
};

/* The v2 hierarchy when cg2_root_fd >= 0 and it has the memory controller,
 * else the v1 memory hierarchy from mountinfo (proc_fd: /proc). 0, or
 * -ENOENT with why filled. */
int cg_tree_open(int cg2_root_fd, const char *cg2_root, int proc_fd, struct cg_tree *t,
		 char *why, size_t size);
void cg_tree_close(struct cg_tree *t);

/* Every cgroup below the root (not the root itself), into *v (grown;
 * *n set). *skipped counts those not sampled (a path too long, past
 * CG_SAMPLE_MAX, gone mid-read). 0 or -errno. */
int cg_tree_sample(const struct cg_tree *t, struct cg_sample **v, size_t *n, size_t *cap,
		   size_t *skipped);
/* The samples near their limit: what they use beyond the reclaimable
 * page cache (current - reclaimable) leaves percent of the limit or less.
 * Their indices into out (at most max); how many. */
size_t cg_near_limit(const struct cg_sample *v, size_t n, double percent, size_t *out,
		     size_t max);
