/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fixture helpers shared by test_shield and test_trust. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/util.h"
#include "unit/shield-util.h"

char *slurp(struct fixture *f, const char *path)
{
	static char buf[4096];

	if (read_file_at(f->dirfd, path, buf, sizeof(buf)) < 0)
		return NULL;
	return buf;
}

struct fixture *v2_tree(const char *root_avail, const char *root_on)
{
	struct fixture *f = fixture_new();

	fixture_file(f, "cg/cgroup.controllers", root_avail);
	fixture_file(f, "cg/cgroup.subtree_control", root_on);
	fixture_file(f, "cg/cgroup.procs", "1\n77\n");   /* the root may have processes */
	fixture_file(f, "cg/a/cgroup.controllers", "cpu io memory pids\n");
	fixture_file(f, "cg/a/cgroup.subtree_control", "");
	fixture_file(f, "cg/a/cgroup.procs", "");
	return f;
}

void prot_files(struct fixture *f, const char *dir)
{
	char p[PATH_MAX];
	static const char *const files[][2] = {
		{ "cgroup.controllers", "cpu io memory\n" }, { "cgroup.procs", "" },
		{ "memory.low", "0\n" }, { "memory.min", "0\n" }, { "cpu.weight", "100\n" },
		{ "io.weight", "default 100\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i][0]);
		fixture_file(f, p, files[i][1]);
	}
}

int adj_of(struct fixture *f, int pid)
{
	char p[64], *s;

	snprintf(p, sizeof(p), "proc/%d/oom_score_adj", pid);
	s = slurp(f, p);
	assert_non_null(s);
	return atoi(s);
}
