/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The act layer on real child processes of this test (safe anywhere) and
 * a fixture cgroup directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "victim/kill.h"
#include "core/util.h"
#include "fixture.h"
#include "observe/proc.h"

static int proc_fd = -1;

static int setup(void **state)
{
	(void)state;
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return proc_fd < 0;
}

static int teardown(void **state)
{
	(void)state;
	close(proc_fd);
	return 0;
}

static pid_t spawn_sleeper(bool ignore_term)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		/* Tell the parent the disposition is in place. */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static uint64_t starttime_of(pid_t pid)
{
	struct proc_info p;

	assert_int_equal(proc_read_one(proc_fd, pid, &p), 0);
	return p.starttime;
}

static void test_term_through_pidfd(void **state)
{
	pid_t pid = spawn_sleeper(false);
	int pidfd = -1, status;

	(void)state;
	assert_int_equal(kill_open(proc_fd, pid, starttime_of(pid), &pidfd), 0);
	assert_true(pidfd >= 0);
	assert_int_equal(kill_send(pidfd, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	/* The pidfd still names the reaped process: signalling fails safely. */
	assert_int_equal(kill_send(pidfd, SIGKILL), -ESRCH);
	close(pidfd);
}

static void test_kill_after_ignored_term(void **state)
{
	pid_t pid = spawn_sleeper(true);
	int pidfd = -1, status, r;

	(void)state;
	assert_int_equal(kill_open(proc_fd, pid, starttime_of(pid), &pidfd), 0);
	assert_int_equal(kill_send(pidfd, SIGTERM), 0);
	usleep(50000);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);    /* still alive */
	assert_int_equal(kill_send(pidfd, SIGKILL), 0);
	r = kill_mrelease(pidfd);
	assert_true(r == 0 || r == -ENOSYS || r == -EINVAL || r == -ESRCH);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WTERMSIG(status), SIGKILL);
	close(pidfd);
}

static void test_refuses_replaced_process(void **state)
{
	pid_t pid = spawn_sleeper(false);
	int pidfd = -1, status;

	(void)state;
	/* A different starttime means the pid now names another process. */
	assert_int_equal(kill_open(proc_fd, pid, starttime_of(pid) + 1, &pidfd), -ESRCH);
	assert_int_equal(pidfd, -1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Gone entirely. */
	assert_int_equal(kill_open(proc_fd, pid, 1, &pidfd), -ESRCH);
}

static void test_refuses_pid1_self_kthread(void **state)
{
	int pidfd = -1;

	(void)state;
	assert_int_equal(kill_open(proc_fd, 1, starttime_of(1), &pidfd), -EPERM);
	assert_int_equal(kill_open(proc_fd, getpid(), starttime_of(getpid()), &pidfd), -EPERM);
	assert_int_equal(kill_open(proc_fd, 0, 0, &pidfd), -EPERM);
	assert_int_equal(kill_open(proc_fd, -5, 0, &pidfd), -EPERM);
	/* kthreadd (pid 2) exists on a normal kernel and is a kernel thread. */
	if (access("/proc/2/stat", R_OK) == 0) {
		struct proc_info p;

		if (proc_read_one(proc_fd, 2, &p) == 0 && p.kthread)
			assert_int_equal(kill_open(proc_fd, 2, p.starttime, &pidfd), -EPERM);
	}
	assert_int_equal(pidfd, -1);
}

static void test_cgroup_kill_file(void **state)
{
	struct fixture *f = fixture_new();
	char buf[16];
	int root;

	(void)state;
	fixture_file(f, "app.slice/hog.scope/cgroup.kill", "");
	root = fixture_open_dir(f, "");
	assert_int_equal(kill_cgroup(root, "/app.slice/hog.scope"), 0);
	assert_true(read_file_at(root, "app.slice/hog.scope/cgroup.kill", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1");
	/* Never the root cgroup. */
	assert_int_equal(kill_cgroup(root, "/"), -EPERM);
	assert_int_equal(kill_cgroup(root, ""), -EPERM);
	/* A cgroup that vanished. */
	assert_int_equal(kill_cgroup(root, "/gone.scope"), -ENOENT);
	close(root);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term_through_pidfd),
		cmocka_unit_test(test_kill_after_ignored_term),
		cmocka_unit_test(test_refuses_replaced_process),
		cmocka_unit_test(test_refuses_pid1_self_kthread),
		cmocka_unit_test(test_cgroup_kill_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
