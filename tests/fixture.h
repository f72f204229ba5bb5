/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fixture trees for tests: a fake /proc or cgroup v2 hierarchy built in a
 * fresh temp dir from a compact description, removed again by fixture_free. */
#pragma once
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct fixture {
	char dir[PATH_MAX];     /* absolute path of the temp dir */
	int dirfd;              /* O_DIRECTORY fd of it */
};

/* One entry of a description. content == NULL makes a directory; content
 * beginning with "->" makes a symlink to the rest; otherwise a file with
 * exactly that content (parent directories are created as needed). */
struct fixture_entry {
	const char *path;
	const char *content;
};
#define FIXTURE_END { NULL, NULL }

struct fixture *fixture_new(void);      /* aborts the test on failure */
void fixture_free(struct fixture *f);   /* rm -rf and free; NULL-safe */
void fixture_build(struct fixture *f, const struct fixture_entry *e);
void fixture_file(struct fixture *f, const char *path, const char *content);
void fixture_file_len(struct fixture *f, const char *path, const char *content, size_t len);
void fixture_dir(struct fixture *f, const char *path);
/* A symlink at path to target (parent directories created). */
void fixture_symlink(struct fixture *f, const char *path, const char *target);
/* A FIFO at path, fed by a child process that writes len bytes of content
 * in pieces of `chunk` bytes with a pause after each, so a reader sees short
 * reads long before the end (as from a kernel file produced a page at a
 * time). The child gives up after 10 s without a reader. fixture_reap waits
 * for it and aborts unless it wrote everything. */
pid_t fixture_fifo(struct fixture *f, const char *path, const char *content, size_t len,
		   size_t chunk);
void fixture_reap(pid_t writer);
/* O_DIRECTORY fd of f->dir/path ("" = the root). Caller closes. */
int fixture_open_dir(struct fixture *f, const char *path);

/* A plausible /proc/PID: stat, status, oom_score, oom_score_adj, comm,
 * cmdline (argv joined by NUL from the space-separated string), cgroup
 * ("0::CGROUP") and an exe symlink. Sizes in KiB. */
struct fixture_proc {
	int pid, ppid;
	const char *comm;
	const char *cmdline;    /* "prog arg1 arg2" */
	const char *exe;        /* symlink target */
	const char *cgroup;     /* "/user.slice/x.scope" */
	unsigned uid;
	unsigned long rss_anon_kb, rss_file_kb, rss_shmem_kb, swap_kb;
	int oom_score, oom_score_adj;
	unsigned long long starttime, utime, stime;
	int kthread;            /* sets PF_KTHREAD, no memory lines */
};
void fixture_proc(struct fixture *f, const char *procdir, const struct fixture_proc *p);
