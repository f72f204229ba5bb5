/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake kernel for the victim pipeline (struct vp_kernel): pidfds are
 * eventfds, signals and cgroup.kill writes are recorded, not sent. Shared by
 * test_pipeline and test_pressure. */
#pragma once
#include <limits.h>
#include <stddef.h>

#include "victim/pipeline.h"

#define FAKE_MAX 64

struct fake_kernel {
	struct { int fd, pid; } open[FAKE_MAX];
	size_t n_open;
	struct { int pid, sig; } sent[FAKE_MAX];
	size_t n_sent;
	char killed_cg[8][PATH_MAX];
	size_t n_cg;
	int fail_sigkill;               /* -errno for every SIGKILL sent, 0 = succeed */
	int mrelease_ret;               /* what process_mrelease answers */
	int n_mrelease;                 /* how often it was called */
	int cgroup_kill_ret;            /* what a write to cgroup.kill answers */
	void (*on_open)(int pid);       /* called first on every open (a test's hook) */
};

extern struct fake_kernel K;
extern const struct vp_kernel fake_kernel;

/* Forget everything (the eventfds of the last test are closed). */
void fake_reset(void);
/* How many times sig was sent to pid. */
int fake_sent_to(int pid, int sig);
/* The fake pidfd of the last victim opened for pid, -1 if none. */
int fake_fd_of(int pid);
