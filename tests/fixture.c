// SPDX-License-Identifier: GPL-2.0-or-later
/* Fixture trees for tests: fake /proc and cgroup hierarchies in a temp dir.
 * Every failure prints its reason and aborts: a broken fixture must never
 * let a test pass. */
#include "tests/fixture.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fixture: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

struct fixture *fixture_new(void)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f;
	int n;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	f = calloc(1, sizeof(*f));
	if (!f)
		die("out of memory");
	n = snprintf(f->dir, sizeof(f->dir), "%s/oomguard-fixture.XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(f->dir))
		die("TMPDIR too long: %s", tmp);
	if (!mkdtemp(f->dir))
		die("mkdtemp %s: %s", f->dir, strerror(errno));
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		die("open %s: %s", f->dir, strerror(errno));
	return f;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		fprintf(stderr, "fixture: remove %s: %s\n", path, strerror(errno));
	return 0;
}

void fixture_free(struct fixture *f)
{
	if (!f)
		return;
	if (f->dirfd >= 0)
		close(f->dirfd);
	if (f->dir[0] && nftw(f->dir, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "fixture: nftw %s: %s\n", f->dir, strerror(errno));
	free(f);
}

/* mkdir -p of path relative to the fixture root. */
static void mkdir_p(struct fixture *f, const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		die("path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (buf[0] && p != buf && p[-1] != '/' &&
			    mkdirat(f->dirfd, buf, 0755) < 0 && errno != EEXIST)
				die("mkdir %s/%s: %s", f->dir, buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
}

static void mkdir_parent(struct fixture *f, const char *path)
{
	char buf[PATH_MAX];
	char *slash;
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		die("path too long: %s", path);
	memcpy(buf, path, n + 1);
	slash = strrchr(buf, '/');
	if (!slash)
		return;
	*slash = '\0';
	mkdir_p(f, buf);
}

void fixture_dir(struct fixture *f, const char *path)
{
	mkdir_p(f, path);
}

void fixture_file_len(struct fixture *f, const char *path, const char *content, size_t len)
{
	size_t done = 0;
	ssize_t w;
	int fd;

	mkdir_parent(f, path);
	fd = openat(f->dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		die("create %s/%s: %s", f->dir, path, strerror(errno));
	while (done < len) {
		w = write(fd, content + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write %s/%s: %s", f->dir, path, strerror(errno));
		}
		done += (size_t)w;
	}
	if (close(fd) < 0)
		die("close %s/%s: %s", f->dir, path, strerror(errno));
}

void fixture_file(struct fixture *f, const char *path, const char *content)
{
	fixture_file_len(f, path, content, strlen(content));
}

void fixture_symlink(struct fixture *f, const char *path, const char *target)
{
	mkdir_parent(f, path);
	if (symlinkat(target, f->dirfd, path) < 0)
		die("symlink %s/%s -> %s: %s", f->dir, path, target, strerror(errno));
}

void fixture_build(struct fixture *f, const struct fixture_entry *e)
{
	for (; e && e->path; e++) {
		if (!e->content)
			fixture_dir(f, e->path);
		else if (strncmp(e->content, "->", 2) == 0)
			fixture_symlink(f, e->path, e->content + 2);
		else
			fixture_file(f, e->path, e->content);
	}
}

pid_t fixture_fifo(struct fixture *f, const char *path, const char *content, size_t len,
		   size_t chunk)
{
	const struct timespec pause = { 0, 200000 };    /* 0.2 ms */
	pid_t pid;

	mkdir_parent(f, path);
	if (mkfifoat(f->dirfd, path, 0644) < 0)
		die("mkfifo %s/%s: %s", f->dir, path, strerror(errno));
	if (chunk == 0)
		die("fixture_fifo: chunk 0");
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	alarm(10);
	int fd = openat(f->dirfd, path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		_exit(2);
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, content + done, MIN(chunk, len - done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		done += (size_t)w;
		nanosleep(&pause, NULL);
	}
	_exit(close(fd) < 0 ? 4 : 0);
}

void fixture_reap(pid_t writer)
{
	int st;

	if (waitpid(writer, &st, 0) < 0)
		die("waitpid %d: %s", (int)writer, strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("fifo writer %d failed (status 0x%x)", (int)writer, st);
}

int fixture_open_dir(struct fixture *f, const char *path)
{
	int fd;

	fd = openat(f->dirfd, path && *path ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open dir %s/%s: %s", f->dir, path ? path : "", strerror(errno));
	return fd;
}

/* "procdir/PID/name" */
static void proc_path(char *buf, size_t size, const char *procdir, int pid, const char *name)
{
	int n;

	if (procdir && *procdir)
		n = snprintf(buf, size, "%s/%d/%s", procdir, pid, name);
	else
		n = snprintf(buf, size, "%d/%s", pid, name);
	if (n < 0 || (size_t)n >= size)
		die("proc path too long");
}

void fixture_proc(struct fixture *f, const char *procdir, const struct fixture_proc *p)
{
	char path[PATH_MAX], buf[4096], cmd[4096];
	unsigned long rss_kb = p->rss_anon_kb + p->rss_file_kb + p->rss_shmem_kb;
	unsigned flags = p->kthread ? 0x00208040u : 0x00400100u;
	const char *comm = p->comm ? p->comm : "proc";
	size_t len;
	int n;

	/* stat: fields as in Linux 6.x, 52 of them */
	n = snprintf(buf, sizeof(buf),
		"%d (%s) %c %d %d %d 0 -1 %u 1234 0 5 0 %llu %llu 0 0 20 0 1 0 %llu "
		"%lu %lu 18446744073709551615 %s 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
		"%s\n",
		p->pid, comm, p->kthread ? 'I' : 'S', p->ppid,
		p->kthread ? 0 : p->pid, p->kthread ? 0 : p->pid, flags,
		p->utime, p->stime, p->starttime,
		p->kthread ? 0ul : rss_kb * 1024ul + 8ul * 1024 * 1024,
		p->kthread ? 0ul : rss_kb / 4,
		p->kthread ? "0 0 0 0" : "94133269266432 94133269286313 140723000492016 0",
		p->kthread ? "0 0 0 0 0 0 0" :
		"94133269302320 94133269303936 94133896224768 140723000494535 "
		"140723000494555 140723000494555 140723000496107 0");
	if (n < 0 || (size_t)n >= sizeof(buf))
		die("stat too long");
	proc_path(path, sizeof(path), procdir, p->pid, "stat");
	fixture_file(f, path, buf);

	/* status */
	if (p->kthread)
		n = snprintf(buf, sizeof(buf),
			"Name:\t%s\nUmask:\t0000\nState:\tI (idle)\nTgid:\t%d\nNgid:\t0\n"
			"Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\n"
			"Gid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t%d\n"
			"NSpid:\t%d\nNSpgid:\t0\nNSsid:\t0\nKthread:\t1\nThreads:\t1\n"
			"SigQ:\t0/96365\nCpus_allowed_list:\t0-1\n",
			comm, p->pid, p->pid, p->ppid, p->pid, p->pid);
	else
		n = snprintf(buf, sizeof(buf),
			"Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\n"
			"Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
			"Gid:\t%u\t%u\t%u\t%u\nFDSize:\t256\nGroups:\t%u \nNStgid:\t%d\n"
			"NSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n"
			"VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n"
			"VmPin:\t       0 kB\nVmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n"
			"RssAnon:\t%8lu kB\nRssFile:\t%8lu kB\nRssShmem:\t%8lu kB\n"
			"VmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\n"
			"VmLib:\t    1528 kB\nVmPTE:\t      40 kB\nVmSwap:\t%8lu kB\n"
			"HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\n"
			"Threads:\t1\nSigQ:\t0/96365\nSigPnd:\t0000000000000000\n"
			"CapEff:\t0000000000000000\nCpus_allowed_list:\t0-1\n"
			"voluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t1\n",
			comm, p->pid, p->pid, p->ppid, p->uid, p->uid, p->uid, p->uid,
			p->uid, p->uid, p->uid, p->uid, p->uid, p->pid, p->pid, p->pid, p->pid,
			rss_kb + 8192, rss_kb + 8192, rss_kb, rss_kb,
			p->rss_anon_kb, p->rss_file_kb, p->rss_shmem_kb, p->swap_kb);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die("status too long");
	proc_path(path, sizeof(path), procdir, p->pid, "status");
	fixture_file(f, path, buf);

	/* statm in pages: size resident shared text lib data dt (0s for kthreads) */
	snprintf(buf, sizeof(buf), "%lu %lu %lu 10 0 %lu 0\n",
		 p->kthread ? 0 : (rss_kb + 8192) / 4, p->kthread ? 0 : rss_kb / 4,
		 p->kthread ? 0 : (p->rss_file_kb + p->rss_shmem_kb) / 4,
		 p->kthread ? 0 : p->rss_anon_kb / 4);
	proc_path(path, sizeof(path), procdir, p->pid, "statm");
	fixture_file(f, path, buf);

	snprintf(buf, sizeof(buf), "%d\n", p->oom_score);
	proc_path(path, sizeof(path), procdir, p->pid, "oom_score");
	fixture_file(f, path, buf);
	snprintf(buf, sizeof(buf), "%d\n", p->oom_score_adj);
	proc_path(path, sizeof(path), procdir, p->pid, "oom_score_adj");
	fixture_file(f, path, buf);

	snprintf(buf, sizeof(buf), "%s\n", comm);
	proc_path(path, sizeof(path), procdir, p->pid, "comm");
	fixture_file(f, path, buf);

	/* cmdline: words joined by NUL, with a trailing NUL; empty for kthreads */
	len = 0;
	if (p->cmdline && *p->cmdline) {
		len = strlen(p->cmdline);
		if (len + 1 > sizeof(cmd))
			die("cmdline too long");
		for (size_t i = 0; i < len; i++)
			cmd[i] = p->cmdline[i] == ' ' ? '\0' : p->cmdline[i];
		cmd[len++] = '\0';
	}
	proc_path(path, sizeof(path), procdir, p->pid, "cmdline");
	fixture_file_len(f, path, cmd, len);

	if (p->cgroup) {
		snprintf(buf, sizeof(buf), "0::%s\n", p->cgroup);
		proc_path(path, sizeof(path), procdir, p->pid, "cgroup");
		fixture_file(f, path, buf);
	}
	if (p->exe) {
		proc_path(path, sizeof(path), procdir, p->pid, "exe");
		fixture_symlink(f, path, p->exe);
	}
}
