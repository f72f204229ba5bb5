/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sampling every cgroup's memory: see cgsample.h. */
#include "guards/calibration/cgsample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "observe/cgroup.h"
#include "observe/mountinfo.h"

#define WALK_DEPTH 16

int cg_tree_open(int cg2_root_fd, const char *cg2_root, int proc_fd, struct cg_tree *t,
		 char *why, size_t size)
{
	char ctl[256], *info = NULL;
	size_t cap = 0;
	int r;

	*t = (struct cg_tree){ .fd = -1 };
	if (cg2_root_fd >= 0 && read_file_at(cg2_root_fd, "cgroup.controllers", ctl,
					     sizeof(ctl)) > 0) {
		for (char *save = NULL, *c = strtok_r(ctl, " \n", &save); c;
		     c = strtok_r(NULL, " \n", &save))
			if (!strcmp(c, "memory")) {
				t->fd = fcntl(cg2_root_fd, F_DUPFD_CLOEXEC, 3);
				snprintf(t->root, sizeof(t->root), "%s", cg2_root ? cg2_root : "");
				return t->fd < 0 ? -errno : 0;
			}
	}
	if ((r = (int)read_file_whole_at(proc_fd, "self/mountinfo", &info, &cap)) < 0) {
		snprintf(why, size, "/proc/self/mountinfo: %s", strerror(-r));
		return r;
	}
	r = parse_mountinfo_cgroup1(info, "memory", t->root, sizeof(t->root));
	free(info);
	if (r < 0) {
		snprintf(why, size, "no memory controller: neither in cgroup v2 nor on a v1 "
			 "hierarchy");
		return -ENOENT;
	}
	if ((t->fd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(why, size, "%s: %s", t->root, strerror(-r));
		return r;
	}
	t->v1 = true;
	return 0;
}

void cg_tree_close(struct cg_tree *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

struct walk {
	const struct cg_tree *t;
	struct cg_sample **v;
	size_t *n, *cap, *skipped;
};

static int one(int cg_fd, const char *relpath, void *u)
{
	struct walk *w = u;
	char buf[8192], num[64];
	struct cg_sample s = { 0 };
	ssize_t len;

	if (!*relpath)
		return 0;               /* the root: the machine, not a cgroup with a limit */
	if (strlen(relpath) + 1 >= sizeof(s.path) || *w->n >= CG_SAMPLE_MAX) {
		(*w->skipped)++;
		return 0;
	}
	snprintf(s.path, sizeof(s.path), "/%s", relpath);
	if (read_file_at(cg_fd, w->t->v1 ? "memory.usage_in_bytes" : "memory.current", num,
			 sizeof(num)) <= 0 || (num[strcspn(num, "\n")] = '\0', 0) ||
	    parse_u64(num, &s.current) < 0 ||
	    (len = read_file_at(cg_fd, "memory.stat", buf, sizeof(buf))) <= 0 ||
	    cg_sample_parse_stat(buf, w->t->v1, &s) < 0) {
		(*w->skipped)++;        /* gone, or no memory controller here */
		return 0;
	}
	if (*w->n == *w->cap) {
		size_t ncap = *w->cap ? *w->cap * 2 : 64;
		struct cg_sample *nv = realloc(*w->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*w->v = nv;
		*w->cap = ncap;
	}
	s.limit = UINT64_MAX;
	if (read_file_at(cg_fd, w->t->v1 ? "memory.limit_in_bytes" : "memory.max", num,
			 sizeof(num)) > 0 && parse_cg_limit(num, &s.limit) == 0 &&
	    s.limit >= 1ull << 62)
		s.limit = UINT64_MAX;   /* v1's unlimited: a page-rounded LLONG_MAX */
	(*w->v)[(*w->n)++] = s;
	return 0;
}

size_t cg_near_limit(const struct cg_sample *v, size_t n, double percent, size_t *out,
		     size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		uint64_t used = v[i].current - MIN(v[i].reclaimable, v[i].current);

		if (v[i].limit != UINT64_MAX &&
		    (used >= v[i].limit ||
		     (double)(v[i].limit - used) <= (double)v[i].limit * percent / 100))
			out[k++] = i;
	}
	return k;
}

int cg_tree_sample(const struct cg_tree *t, struct cg_sample **v, size_t *n, size_t *cap,
		   size_t *skipped)
{
	struct walk w = { t, v, n, cap, skipped };

	*n = 0;
	*skipped = 0;
	if (t->fd < 0)
		return -EBADF;
	return cgroup_walk(t->fd, WALK_DEPTH, one, &w);
}
