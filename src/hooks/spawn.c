/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a hook: clone(CLONE_VM|CLONE_VFORK) + execve, its stdin a pipe
 * that already holds the JSON object, its stdout and stderr one pipe read
 * into a bounded buffer, and a wait bounded by kill_after_ms. Runs on a
 * worker lane (all signals blocked there), never on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "hooks/hooks.h"

#define CHILD_STACK (64u * 1024u)

const char *hook_status_name(enum hook_status s)
{
	static const char *const names[] = { "ok", "failed", "signaled", "timeout", "exec-error",
					     "skipped" };

	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

struct child {
	const struct hook_run *r;
	int in, out;
	int err;                        /* the exec's errno, seen by the parent (CLONE_VM) */
};

/* Between clone and execve, in the parent's memory (the parent waits:
 * CLONE_VFORK): only system calls, nothing that allocates or locks. */
static int child_main(void *arg)
{
	struct child *c = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int fd;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);       /* a copy of the table: not the daemon's */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 || dup2(c->out, 2) < 0)
		goto fail;
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
		for (int i = 3; i < 4096; i++)
			close(i);
	/* The daemon's -1000 must not make its hooks unkillable. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* raising it needs no privilege; nothing to do if it fails */
		}
		close(fd);
	}
	if (chdir("/") < 0)
		goto fail;
	execve(c->r->argv[0], c->r->argv, c->r->envp);
fail:
	c->err = errno ? errno : EIO;
	_exit(127);
}

/* Read what fd holds now (it is non-blocking), keeping the first bytes.
 * true: end of file (every writer closed it) or an error: nothing more
 * will come, do not poll it again. */
static bool drain(int fd, struct hook_run *r)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t keep = MIN((size_t)n, sizeof(r->output) - 1 - r->output_len);

		memcpy(r->output + r->output_len, buf, keep);
		r->output_len += keep;
	}
	r->output[r->output_len] = '\0';
	return n == 0 || (errno != EAGAIN && errno != EINTR);
}

/* Wait for pid until deadline (monotonic ms), reading out meanwhile.
 * true: it exited (not reaped yet). Once out is at its end (the hook
 * closed its stdout and stderr: POLLHUP for good), it is no longer polled,
 * else poll would return at once, again and again, spinning the lane
 * until the hook exits: only the pidfd (or the 10 ms look) is waited on. */
static bool wait_exit(pid_t pid, int out, uint64_t deadline, struct hook_run *r)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool exited = false;

	while (!exited) {
		uint64_t now = now_ms();
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = out, .events = POLLIN } };
		int wait_ms = now >= deadline ? 0 : (int)MIN(deadline - now, pidfd >= 0 ? 60000u : 10u);

		if (now >= deadline)
			break;
		/* Without pidfds (< 5.3): look every 10 ms. */
		if (poll(pidfd >= 0 ? p : p + 1, pidfd >= 0 ? 2 : 1, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[1].revents && drain(out, r))
			out = -1;       /* poll ignores a negative fd */
		if (pidfd >= 0) {
			exited = p[0].revents != 0;
		} else {
			siginfo_t si = { 0 };

			exited = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
				 si.si_pid == pid;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return exited;
}

int hook_spawn_run(struct hook_run *r)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, st = 0, ret = 0;
	struct child c = { .r = r };
	uint64_t start = now_ms();
	char *stack = NULL;
	pid_t pid;
	bool exited;

	r->status = HOOK_EXEC_ERROR;
	r->exit_code = -1;
	r->term_signal = r->err = 0;
	r->duration_ms = 0;
	r->output_len = 0;
	r->output[0] = '\0';
	/* stdin: the pipe holds the whole object before the hook starts (it is
	 * far smaller than a pipe's buffer), so writing it never blocks nor
	 * meets a reader that is gone. Only our end of the output pipe is
	 * non-blocking: the hook's stdout and stderr block as any pipe's do
	 * (O_NONBLOCK is the open file's, so pipe2's flag would reach the hook
	 * through dup2: a burst of output would fail with EAGAIN). */
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) {
		ret = -errno;
		goto out;
	}
	if (r->input_len && write(in[1], r->input, r->input_len) != (ssize_t)r->input_len) {
		ret = -EIO;
		goto out;
	}
	close(in[1]);
	in[1] = -1;
	if (!(stack = malloc(CHILD_STACK))) {
		ret = -ENOMEM;
		goto out;
	}
	c.in = in[0];
	c.out = out[1];
	pid = clone(child_main, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	close(out[1]);
	out[1] = -1;
	if (c.err) {            /* execve failed: the child has exited */
		waitpid(pid, &st, 0);
		r->err = c.err;
		r->duration_ms = now_ms() - start;
		goto out;
	}
	exited = wait_exit(pid, out[0], start + r->kill_after_ms, r);
	if (!exited)
		kill(-pid, SIGKILL);    /* its group; the leader is not reaped: the id is still its */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	drain(out[0], r);
	r->duration_ms = now_ms() - start;
	if (!exited) {
		r->status = HOOK_TIMEOUT;
		r->term_signal = SIGKILL;
	} else if (WIFEXITED(st)) {
		r->exit_code = WEXITSTATUS(st);
		r->status = r->exit_code ? HOOK_FAILED : HOOK_OK;
	} else {
		r->term_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		r->status = HOOK_SIGNALED;
	}
out:
	free(stack);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return ret;
}
