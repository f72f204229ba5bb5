/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include "tests/fixture.h"

/* The file at path below the fixture (NULL if unreadable); one static buffer. */
char *slurp(struct fixture *f, const char *path);
/* A cgroup v2 root offering root_avail, with root_on enabled, and cgroup a. */
struct fixture *v2_tree(const char *root_avail, const char *root_on);
/* A protected cgroup's files, at their defaults, in dir. */
void prot_files(struct fixture *f, const char *dir);
/* proc/PID/oom_score_adj of the fixture. */
int adj_of(struct fixture *f, int pid);
