// SPDX-License-Identifier: GPL-2.0-or-later
/* The /proc scanner: the walk over process directories, the list that
 * reuses its storage between scans, and the lazy loaders of its strings. */
#include "observe/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

#define PROC_ARENA_SIZE (1u << 20)

void proc_list_free(struct proc_list *l)
{
	if (!l)
		return;
	free(l->v);
	free(l->arena);
	l->v = NULL;
	l->arena = NULL;
	l->n = l->cap = 0;
	l->arena_used = l->arena_cap = 0;
}

int proc_list_reserve(struct proc_list *l, size_t want)
{
	struct proc_info *v;
	size_t cap;

	if (want <= l->cap)
		return 0;
	cap = l->cap ? l->cap : 256;
	while (cap < want)
		cap *= 2;
	v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int parse_pid_name(const char *s)
{
	int v = 0;

	if (!*s || *s == '0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int proc_for_each_pid(int proc_fd, proc_pid_fn fn, void *u)
{
	char dbuf[32768] __attribute__((aligned(8)));
	ssize_t nread;
	int dfd, r = 0;

	/* a fresh open file description: independent offset from proc_fd */
	dfd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	while (r == 0 && (nread = getdents64(dfd, dbuf, sizeof(dbuf))) != 0) {
		if (nread < 0) {
			r = -errno;
			break;
		}
		for (ssize_t off = 0; r == 0 && off < nread;) {
			struct linux_dirent64_ *d = (void *)(dbuf + off);
			int pid;

			off += d->d_reclen;
			if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
				continue;
			pid = parse_pid_name(d->d_name);
			if (pid > 0)
				r = fn(pid, u);
		}
	}
	close(dfd);
	return r;
}

struct scan_all {
	int proc_fd;
	struct proc_list *l;
};

static int scan_one(int pid, void *u)
{
	struct scan_all *s = u;
	int r = proc_list_reserve(s->l, s->l->n + 1);

	if (r < 0)
		return r;
	/* vanished, or a process we may not read: skipped */
	if (proc_read_one(s->proc_fd, pid, &s->l->v[s->l->n]) == 0)
		s->l->n++;
	return 0;
}

int proc_scan(int proc_fd, struct proc_list *l)
{
	struct scan_all s = { proc_fd, l };
	int r;

	if (!l)
		return -EINVAL;
	l->n = 0;
	l->arena_used = 0;
	r = proc_for_each_pid(proc_fd, scan_one, &s);
	if (r < 0)
		return r;
	l->seen = l->n;
	return l->n > INT_MAX ? INT_MAX : (int)l->n;
}

/* A min-heap of (resident pages, id): its root is the smallest of the
 * `top` largest seen so far. */
static void top_sift(struct proc_top_item *h, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		struct proc_top_item t;

		if (c >= n)
			return;
		if (c + 1 < n && h[c + 1].pages < h[c].pages)
			c++;
		if (h[i].pages <= h[c].pages)
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

void proc_top_offer(struct proc_top *t, uint64_t pages, int id)
{
	if (pages == 0)
		return;
	t->seen++;
	if (t->n < t->top) {
		t->heap[t->n++] = (struct proc_top_item){ pages, id };
		if (t->n == t->top)
			for (size_t i = t->n / 2; i-- > 0;)
				top_sift(t->heap, t->n, i);
	} else if (pages > t->heap[0].pages) {
		t->heap[0] = (struct proc_top_item){ pages, id };
		top_sift(t->heap, t->n, 0);
	}
}

struct scan_top {
	int proc_fd;
	struct proc_top top;
};

static int top_one(int pid, void *u)
{
	struct scan_top *t = u;
	uint64_t pages;

	if (proc_read_statm_resident(t->proc_fd, pid, &pages) == 0)
		proc_top_offer(&t->top, pages, pid);
	return 0;
}

/* Read the processes the heap kept. */
static int top_read(struct scan_top *t, struct proc_list *l)
{
	int r;

	l->seen = t->top.seen;
	if ((r = proc_list_reserve(l, t->top.n)) < 0)
		return r;
	for (size_t i = 0; i < t->top.n; i++)
		if (proc_read_one(t->proc_fd, t->top.heap[i].id, &l->v[l->n]) == 0)
			l->n++;
	return (int)l->n;
}

int proc_scan_top(int proc_fd, struct proc_list *l, size_t top)
{
	static struct proc_top_item heap[PROC_SCAN_TOP];
	struct scan_top t = { proc_fd, { heap, 0, MIN(top, (size_t)PROC_SCAN_TOP), 0 } };
	int r;

	if (!l || top == 0)
		return -EINVAL;
	l->n = 0;
	l->arena_used = 0;
	if ((r = proc_for_each_pid(proc_fd, top_one, &t)) < 0)
		return r;
	return top_read(&t, l);
}

int proc_scan_pids_top(int proc_fd, struct proc_list *l, const int *pids, size_t n, size_t top)
{
	static struct proc_top_item heap[PROC_SCAN_TOP];
	struct scan_top t = { proc_fd, { heap, 0, MIN(top, (size_t)PROC_SCAN_TOP), 0 } };

	if (!l || top == 0)
		return -EINVAL;
	l->n = 0;
	l->arena_used = 0;
	for (size_t i = 0; i < n; i++)
		top_one(pids[i], &t);
	return top_read(&t, l);
}

int proc_scan_pids(int proc_fd, struct proc_list *l, const int *pids, size_t n)
{
	int r;

	if (!l)
		return -EINVAL;
	l->n = 0;
	l->seen = 0;
	l->arena_used = 0;
	if ((r = proc_list_reserve(l, n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (proc_read_one(proc_fd, pids[i], &l->v[l->n]) == 0)
			l->n++;
	l->seen = l->n;
	return (int)l->n;
}

static const char *arena_put(struct proc_list *l, const char *s, size_t len)
{
	char *p;

	if (!l->arena) {
		l->arena = malloc(PROC_ARENA_SIZE);
		if (!l->arena)
			return NULL;
		l->arena_cap = PROC_ARENA_SIZE;
		l->arena_used = 0;
	}
	if (len + 1 > l->arena_cap - l->arena_used)
		return NULL;
	p = l->arena + l->arena_used;
	memcpy(p, s, len);
	p[len] = '\0';
	l->arena_used += len + 1;
	return p;
}

/* A lazy field that could not be read: "" with its unreadable bit. */
static int unread(struct proc_info *p, const char **field, unsigned bit, int err)
{
	*field = "";
	p->unreadable |= (unsigned char)bit;
	return err;
}

/* Store s into *field through the arena; unreadable and -ENOMEM when full. */
static int set_field(struct proc_list *l, struct proc_info *p, const char **field, unsigned bit,
		     const char *s, size_t len)
{
	const char *v = arena_put(l, s, len);

	if (!v)
		return unread(p, field, bit, -ENOMEM);
	*field = v;
	return 0;
}

int proc_load_cmdline(int proc_fd, struct proc_list *l, struct proc_info *p)
{
	char out[4096];
	ssize_t n;

	if (p->cmdline)
		return 0;
	n = proc_read_cmdline(proc_fd, p->pid, out, sizeof(out));
	if (n < 0)
		return unread(p, &p->cmdline, PROC_UNREAD_CMDLINE, (int)n);
	return set_field(l, p, &p->cmdline, PROC_UNREAD_CMDLINE, out, (size_t)n);
}

int proc_load_exe(int proc_fd, struct proc_list *l, struct proc_info *p)
{
	char target[PATH_MAX];
	ssize_t n;

	if (p->exe)
		return 0;
	if (p->kthread) {
		p->exe = "";    /* known: none */
		return 0;
	}
	n = proc_read_exe(proc_fd, p->pid, target, sizeof(target));
	if (n < 0)
		return unread(p, &p->exe, PROC_UNREAD_EXE, (int)n);
	return set_field(l, p, &p->exe, PROC_UNREAD_EXE, target, (size_t)n);
}

int proc_load_cgroup(int proc_fd, struct proc_list *l, struct proc_info *p)
{
	char raw[4096], cg[PATH_MAX], path[40];
	ssize_t n;
	int r;

	if (p->cgroup)
		return 0;
	snprintf(path, sizeof(path), "%d/cgroup", p->pid);
	n = read_file_at(proc_fd, path, raw, sizeof(raw));
	if (n < 0)
		return unread(p, &p->cgroup, PROC_UNREAD_CGROUP, (int)n);
	r = parse_proc_cgroup(raw, cg, sizeof(cg));
	if (r < 0)
		return unread(p, &p->cgroup, PROC_UNREAD_CGROUP, r);
	return set_field(l, p, &p->cgroup, PROC_UNREAD_CGROUP, cg, strlen(cg));
}
