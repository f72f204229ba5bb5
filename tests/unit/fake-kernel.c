// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "observe/proc.h"
#include "unit/fake-kernel.h"

struct fake_kernel K;

static int fake_open(int proc_fd, pid_t pid, uint64_t starttime, int *ret)
{
	struct proc_stat st;
	int fd;

	if (K.on_open)
		K.on_open(pid);
	if (proc_read_stat(proc_fd, pid, &st) < 0 || st.starttime != starttime)
		return -ESRCH;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(fd >= 0 && K.n_open < FAKE_MAX);
	K.open[K.n_open].fd = fd;
	K.open[K.n_open++].pid = pid;
	*ret = fd;
	return 0;
}

static int pid_of(int fd)
{
	for (size_t i = K.n_open; i-- > 0;)
		if (K.open[i].fd == fd)
			return K.open[i].pid;
	return -1;
}

static int fake_send(int pidfd, int sig)
{
	if (sig == SIGKILL && K.fail_sigkill)
		return K.fail_sigkill;
	assert_true(K.n_sent < FAKE_MAX);
	K.sent[K.n_sent].pid = pid_of(pidfd);
	K.sent[K.n_sent++].sig = sig;
	return 0;
}

static int fake_mrelease(int pidfd)
{
	K.n_mrelease++;
	return K.mrelease_ret;
}

static int fake_cgroup_kill(int cg_root_fd, const char *relpath)
{
	if (K.cgroup_kill_ret)
		return K.cgroup_kill_ret;
	snprintf(K.killed_cg[K.n_cg++], PATH_MAX, "%s", relpath);
	return 0;
}

const struct vp_kernel fake_kernel = { fake_open, fake_send, fake_mrelease, fake_cgroup_kill };

void fake_reset(void)
{
	for (size_t i = 0; i < K.n_open; i++)
		close(K.open[i].fd);
	memset(&K, 0, sizeof(K));
}

int fake_sent_to(int pid, int sig)
{
	int n = 0;

	for (size_t i = 0; i < K.n_sent; i++)
		n += K.sent[i].pid == pid && K.sent[i].sig == sig;
	return n;
}

int fake_fd_of(int pid)
{
	for (size_t i = K.n_open; i-- > 0;)
		if (K.open[i].pid == pid)
			return K.open[i].fd;
	return -1;
}
