// SPDX-License-Identifier: GPL-2.0-or-later
/* /proc/PID parsers and a scanner that reuses its storage between scans. */
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

/* Copy the token [s, e) into tmp (32 bytes), NUL-terminated. */
static int tok_copy(const char *s, const char *e, char *tmp)
{
	size_t n = (size_t)(e - s);

	if (n == 0)
		return -EINVAL;
	if (n >= 32)
		return -ERANGE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return 0;
}

/* Parse the token [s, e) as a number with the checked helpers. */
static int tok_u64(const char *s, const char *e, uint64_t *ret)
{
	char tmp[32];
	int r = tok_copy(s, e, tmp);

	return r < 0 ? r : parse_u64(tmp, ret);
}

static int tok_i64(const char *s, const char *e, int64_t lo, int64_t hi, int64_t *ret)
{
	char tmp[32];
	int r = tok_copy(s, e, tmp);

	return r < 0 ? r : parse_int_range(tmp, lo, hi, ret);
}

int parse_proc_stat(const char *buf, struct proc_stat *ret)
{
	struct proc_stat st = { 0 };
	const char *open, *close, *p, *e;
	int64_t v;
	uint64_t u;
	size_t n;
	int r;

	if (!buf)
		return -EINVAL;
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return -EINVAL;
	/* "PID " before the comm */
	e = open;
	if (e == buf || e[-1] != ' ')
		return -EINVAL;
	r = tok_i64(buf, e - 1, 1, INT_MAX, &v);
	if (r < 0)
		return r;
	st.pid = (int)v;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(st.comm))
		n = sizeof(st.comm) - 1;
	memcpy(st.comm, open + 1, n);
	st.comm[n] = '\0';

	/* Fields 3.. after ") ", one space apart. */
	p = close + 1;
	for (int field = 3; field <= 24; field++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		for (e = p; *e && *e != ' ' && *e != '\n'; e++)
			;
		if (e == p)
			return -EINVAL;
		switch (field) {
		case 3:
			if (e - p != 1)
				return -EINVAL;
			st.state = *p;
			break;
		case 4:
			r = tok_i64(p, e, 0, INT_MAX, &v);
			if (r < 0)
				return r;
			st.ppid = (int)v;
			break;
		case 9:
			r = tok_u64(p, e, &u);
			if (r < 0)
				return r;
			if (u > UINT_MAX)
				return -ERANGE;
			st.flags = (unsigned int)u;
			break;
		case 14:
			r = tok_u64(p, e, &st.utime);
			break;
		case 15:
			r = tok_u64(p, e, &st.stime);
			break;
		case 20:
			r = tok_i64(p, e, 0, INT64_MAX, &st.num_threads);
			break;
		case 22:
			r = tok_u64(p, e, &st.starttime);
			break;
		case 24:
			r = tok_u64(p, e, &st.rss_pages);
			break;
		default:
			/* not used: must still look like a (signed) number */
			r = tok_i64(p, e, INT64_MIN, INT64_MAX, &v);
			if (r == -ERANGE)
				r = tok_u64(p, e, &u);
			break;
		}
		if (r < 0)
			return r;
		p = e;
	}
	*ret = st;
	return 0;
}

/* "\t   1234 kB" up to eol -> bytes */
static int status_kb(const char *s, const char *eol, uint64_t *ret)
{
	const char *e;
	uint64_t v;
	int r;

	while (s < eol && (*s == ' ' || *s == '\t'))
		s++;
	for (e = s; e < eol && *e >= '0' && *e <= '9'; e++)
		;
	r = tok_u64(s, e, &v);
	if (r < 0)
		return r;
	while (e < eol && (*e == ' ' || *e == '\t'))
		e++;
	if (eol - e < 2 || strncmp(e, "kB", 2) != 0)
		return -EINVAL;
	if (v > UINT64_MAX / 1024)
		return -ERANGE;
	*ret = v * 1024;
	return 0;
}

enum { ST_UID = 1, ST_RSS = 2, ST_ANON = 4, ST_FILE = 8, ST_SHMEM = 16, ST_SWAP = 32 };

/* One pass over the lines; the first occurrence of a key counts. */
int parse_proc_status(const char *buf, struct proc_status *ret)
{
	static const struct { const char *key; unsigned bit; } keys[] = {
		{ "Uid:", ST_UID }, { "VmRSS:", ST_RSS }, { "RssAnon:", ST_ANON },
		{ "RssFile:", ST_FILE }, { "RssShmem:", ST_SHMEM }, { "VmSwap:", ST_SWAP },
	};
	struct proc_status st = { 0 };
	const char *p, *eol, *s, *e;
	unsigned seen = 0;
	uint64_t *dst;
	int64_t v;
	int r;

	if (!buf)
		return -EINVAL;
	for (p = buf; *p; p = *eol ? eol + 1 : eol) {
		unsigned bit = 0;
		size_t kl = 0;

		eol = strchrnul(p, '\n');
		if (*p != 'U' && *p != 'V' && *p != 'R')
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			kl = strlen(keys[i].key);
			if ((size_t)(eol - p) >= kl && memcmp(p, keys[i].key, kl) == 0) {
				bit = keys[i].bit;
				break;
			}
		}
		if (!bit || (seen & bit))
			continue;
		seen |= bit;
		s = p + kl;
		switch (bit) {
		case ST_UID:
			while (s < eol && (*s == ' ' || *s == '\t'))
				s++;
			for (e = s; e < eol && *e != '\t' && *e != ' '; e++)
				;
			r = tok_i64(s, e, 0, UINT32_MAX - 1, &v);
			if (r < 0)
				return r;
			st.uid = (uid_t)v;
			continue;
		case ST_RSS:
			dst = &st.vm_rss;
			break;
		case ST_ANON:
			dst = &st.rss_anon;
			break;
		case ST_FILE:
			dst = &st.rss_file;
			break;
		case ST_SHMEM:
			dst = &st.rss_shmem;
			break;
		default:
			dst = &st.vm_swap;
			break;
		}
		r = status_kb(s, eol, dst);
		if (r < 0)
			return r;
	}
	if (!(seen & ST_UID))
		return -EINVAL;
	st.has_rss_split = (seen & (ST_ANON | ST_FILE | ST_SHMEM)) == (ST_ANON | ST_FILE | ST_SHMEM);
	*ret = st;
	return 0;
}

int parse_proc_cgroup(const char *buf, char *path, size_t size)
{
	const char *p, *eol, *c1, *c2, *mem = NULL, *mem_eol = NULL;
	size_t n;

	if (!buf || !path || size == 0)
		return -EINVAL;
	for (p = buf; *p; p = *eol ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		c1 = memchr(p, ':', (size_t)(eol - p));
		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1));
		if (!c2)
			continue;
		if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1) {
			mem = c2 + 1;   /* cgroup v2 wins */
			mem_eol = eol;
			break;
		}
		if (!mem) {
			/* comma-separated controller list containing "memory" */
			for (const char *t = c1 + 1; t < c2;) {
				const char *te = memchr(t, ',', (size_t)(c2 - t));

				if (!te)
					te = c2;
				if (te - t == 6 && memcmp(t, "memory", 6) == 0) {
					mem = c2 + 1;
					mem_eol = eol;
					break;
				}
				t = te + 1;
			}
		}
	}
	if (!mem)
		return -ENOENT;
	n = (size_t)(mem_eol - mem);
	if (n == 0)
		return -EINVAL;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(path, mem, n);
	path[n] = '\0';
	return 0;
}

size_t parse_cmdline(const char *buf, size_t len, char *out, size_t size)
{
	size_t n;

	if (!out || size == 0)
		return 0;
	if (!buf)
		len = 0;
	while (len && buf[len - 1] == '\0')
		len--;
	n = MIN(len, size - 1);
	for (size_t i = 0; i < n; i++)
		out[i] = buf[i] == '\0' ? ' ' : buf[i];
	out[n] = '\0';
	return n;
}

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

static int read_small_int(int dfd, const char *name, int lo, int hi, int *ret)
{
	char buf[32];
	ssize_t n;
	int64_t v;
	int r;

	n = read_file_at(dfd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	r = parse_int_range(buf, lo, hi, &v);
	if (r < 0)
		return r;
	*ret = (int)v;
	return 0;
}

/* PF_KTHREAD alone (every kernel thread has carried it since 2.6.27): pid 2
 * is kthreadd only in the initial pid namespace. In any other (a container,
 * or oomguard itself run under unshare --pid) pid 2 and its children are
 * ordinary processes, /proc shows no kernel threads at all, and a test on
 * the pid or the parent would hide real memory hogs from the ranking. */
static bool is_kthread(const struct proc_stat *st)
{
	return st->flags & PF_KTHREAD_FLAG;
}

int proc_read_one(int proc_fd, int pid, struct proc_info *ret)
{
	char name[16], buf[16384];   /* status with a long Groups: line */
	struct proc_info pi = { 0 };
	struct proc_stat st;
	struct proc_status ss;
	ssize_t n;
	int dfd, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%d", pid);
	dfd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	n = read_file_at(dfd, "stat", buf, sizeof(buf));
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	r = parse_proc_stat(buf, &st);
	if (r < 0)
		goto out;
	pi.pid = pid;
	pi.ppid = st.ppid;
	memcpy(pi.comm, st.comm, sizeof(pi.comm));
	pi.starttime = st.starttime;
	pi.cpu_ticks = st.utime + st.stime;
	pi.kthread = is_kthread(&st);

	/* Kernel threads have no memory, run as root and are never OOM
	 * victims: skip the three other files (they are half the work). */
	if (!pi.kthread) {
		n = read_file_at(dfd, "status", buf, sizeof(buf));
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		r = parse_proc_status(buf, &ss);
		if (r < 0)
			goto out;
		pi.uid = ss.uid;
		pi.rss = ss.vm_rss;
		pi.swap = ss.vm_swap;
		if (ss.has_rss_split) {
			pi.anon = ss.rss_anon;
			pi.file = ss.rss_file;
			pi.shmem = ss.rss_shmem;
		} else {
			pi.anon = ss.vm_rss;    /* best guess on very old kernels */
		}
		r = read_small_int(dfd, "oom_score", 0, 100000, &pi.oom_score);
		if (r < 0)
			goto out;
		r = read_small_int(dfd, "oom_score_adj", -1000, 1000, &pi.oom_score_adj);
		if (r < 0)
			goto out;
	}
	*ret = pi;
	r = 0;
out:
	close(dfd);
	return r;
}

static int list_reserve(struct proc_list *l, size_t want)
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
		if (*s < '0' || *s > '9' || v > (INT_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Call fn for every numeric entry of proc_fd; a non-zero return stops. */
static int pid_iter(int proc_fd, int (*fn)(int pid, void *u), void *u)
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
	int r = list_reserve(s->l, s->l->n + 1);

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
	r = pid_iter(proc_fd, scan_one, &s);
	if (r < 0)
		return r;
	l->seen = l->n;
	return l->n > INT_MAX ? INT_MAX : (int)l->n;
}

/* A min-heap of (resident pages, pid): the `top` largest seen so far. */
struct big {
	uint64_t pages;
	int pid;
};

static void big_sift(struct big *h, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		struct big t;

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

/* Resident pages from PID/statm ("size resident shared text lib data dt"). */
static int statm_resident(int proc_fd, int pid, uint64_t *ret)
{
	char name[32], buf[128];
	const char *sp;
	ssize_t n;

	snprintf(name, sizeof(name), "%d/statm", pid);
	n = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	sp = strchr(buf, ' ');
	if (!sp)
		return -EINVAL;
	return tok_u64(sp + 1, sp + 1 + strcspn(sp + 1, " \n"), ret);
}

struct scan_top {
	int proc_fd;
	struct big *heap;
	size_t hn, top, seen;
};

static int top_one(int pid, void *u)
{
	struct scan_top *t = u;
	uint64_t pages;

	if (statm_resident(t->proc_fd, pid, &pages) < 0 || pages == 0)
		return 0;
	t->seen++;
	if (t->hn < t->top) {
		t->heap[t->hn++] = (struct big){ pages, pid };
		if (t->hn == t->top)
			for (size_t i = t->hn / 2; i-- > 0;)
				big_sift(t->heap, t->hn, i);
	} else if (pages > t->heap[0].pages) {
		t->heap[0] = (struct big){ pages, pid };
		big_sift(t->heap, t->hn, 0);
	}
	return 0;
}

int proc_scan_top(int proc_fd, struct proc_list *l, size_t top)
{
	static struct big heap[PROC_SCAN_TOP];
	struct scan_top t = { proc_fd, heap, 0, MIN(top, (size_t)PROC_SCAN_TOP), 0 };
	int r;

	if (!l || top == 0)
		return -EINVAL;
	l->n = 0;
	l->arena_used = 0;
	if ((r = pid_iter(proc_fd, top_one, &t)) < 0)
		return r;
	l->seen = t.seen;
	if ((r = list_reserve(l, t.hn)) < 0)
		return r;
	for (size_t i = 0; i < t.hn; i++)
		if (proc_read_one(proc_fd, heap[i].pid, &l->v[l->n]) == 0)
			l->n++;
	return (int)l->n;
}

int parse_smaps_rollup(const char *buf, uint64_t *ret_private)
{
	static const char *const keys[] = { "Anonymous:", "Private_Clean:", "Private_Dirty:", "SwapPss:" };
	uint64_t v[4] = {0};
	unsigned seen = 0;

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *eol = strchr(p, '\n');

		if (!eol)
			eol = p + strlen(p);
		for (unsigned k = 0; k < 4; k++) {
			size_t kl = strlen(keys[k]);

			if (!strncmp(p, keys[k], kl) && status_kb(p + kl, eol, &v[k]) == 0)
				seen |= 1u << k;
		}
	}
	if ((seen & 7u) != 7u)
		return -EINVAL;
	*ret_private = MIN(v[0], v[1] + v[2]) + v[3];
	return 0;
}

int proc_read_stat(int proc_fd, int pid, struct proc_stat *ret)
{
	char name[32], buf[1024];
	ssize_t n;

	snprintf(name, sizeof(name), "%d/stat", pid);
	n = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_proc_stat(buf, ret);
}

int proc_read_private(int proc_fd, int pid, uint64_t *ret_private)
{
	char name[40], buf[4096];
	ssize_t n;

	snprintf(name, sizeof(name), "%d/smaps_rollup", pid);
	n = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_smaps_rollup(buf, ret_private);
}

int proc_scan_pids(int proc_fd, struct proc_list *l, const int *pids, size_t n)
{
	int r;

	if (!l)
		return -EINVAL;
	l->n = 0;
	l->seen = 0;
	l->arena_used = 0;
	if ((r = list_reserve(l, n)) < 0)
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

/* Store s into *field through the arena; "" and -ENOMEM when full. */
static int set_field(struct proc_list *l, const char **field, const char *s, size_t len)
{
	const char *p = arena_put(l, s, len);

	if (!p) {
		*field = "";
		return -ENOMEM;
	}
	*field = p;
	return 0;
}

/* Read PID/name for a lazy field; on failure the field becomes "" (read,
 * but unknown) and -errno is returned. */
static ssize_t load_raw(int proc_fd, struct proc_info *p, const char *name,
			const char **field, char *raw, size_t size)
{
	char path[40];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/%s", p->pid, name);
	n = read_file_at(proc_fd, path, raw, size);
	if (n < 0)
		*field = "";
	return n;
}

int proc_load_cmdline(int proc_fd, struct proc_list *l, struct proc_info *p)
{
	char raw[4096], out[4096];
	ssize_t n;
	size_t len;

	if (p->cmdline)
		return 0;
	n = load_raw(proc_fd, p, "cmdline", &p->cmdline, raw, sizeof(raw));
	if (n < 0)
		return (int)n;
	len = parse_cmdline(raw, (size_t)n, out, sizeof(out));
	return set_field(l, &p->cmdline, out, len);
}

int proc_load_exe(int proc_fd, struct proc_list *l, struct proc_info *p)
{
	char path[32], target[PATH_MAX];
	ssize_t n;

	if (p->exe)
		return 0;
	if (p->kthread) {
		p->exe = "";
		return 0;
	}
	snprintf(path, sizeof(path), "%d/exe", p->pid);
	n = readlinkat(proc_fd, path, target, sizeof(target));
	if (n < 0) {
		p->exe = "";
		return -errno;
	}
	if ((size_t)n >= sizeof(target)) {
		p->exe = "";
		return -ENAMETOOLONG;
	}
	return set_field(l, &p->exe, target, (size_t)n);
}

int proc_load_cgroup(int proc_fd, struct proc_list *l, struct proc_info *p)
{
	char raw[4096], cg[PATH_MAX];
	ssize_t n;
	int r;

	if (p->cgroup)
		return 0;
	n = load_raw(proc_fd, p, "cgroup", &p->cgroup, raw, sizeof(raw));
	if (n < 0)
		return (int)n;
	r = parse_proc_cgroup(raw, cg, sizeof(cg));
	if (r < 0) {
		p->cgroup = "";
		return r;
	}
	return set_field(l, &p->cgroup, cg, strlen(cg));
}
