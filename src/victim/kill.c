/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "victim/kill.h"
#include "core/util.h"
#include "observe/proc.h"

int kill_open(int proc_fd, pid_t pid, uint64_t starttime, int *ret_pidfd)
{
	struct proc_stat st;
	int fd, r;

	if (pid <= 1 || pid == getpid())
		return -EPERM;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* The pidfd now pins the process: if the pid was reused before the
	 * open, the stat read below shows the newcomer's starttime. */
	r = proc_same(proc_fd, (int)pid, starttime, &st);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (st.flags & PF_KTHREAD_FLAG) {
		close(fd);
		return -EPERM;
	}
	*ret_pidfd = fd;
	return 0;
}

int kill_send(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int kill_mrelease(int pidfd)
{
	if (syscall(SYS_process_mrelease, pidfd, 0) < 0)
		return -errno;
	return 0;
}

int kill_cgroup(int cg_root_fd, const char *relpath)
{
	char path[4096];

	while (*relpath == '/')
		relpath++;
	if (!*relpath)
		return -EPERM;
	if (snprintf(path, sizeof(path), "%s/cgroup.kill", relpath) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return write_file_at(cg_root_fd, path, "1");
}
