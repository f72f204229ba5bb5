// SPDX-License-Identifier: GPL-2.0-or-later
/* /proc/PID: pure parsers and the readers of one process (the scanner is
 * proc-scan.c). */
#include "observe/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

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

/* stat of the process at dirfd/path: -ESRCH when gone, or not the one that
 * started at starttime. */
static int stat_same(int dirfd, const char *path, uint64_t starttime, struct proc_stat *ret_stat)
{
	struct proc_stat st;
	char buf[1024];
	ssize_t n;
	int r;

	n = read_file_at(dirfd, path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	r = parse_proc_stat(buf, &st);
	if (r < 0)
		return r;
	if (st.starttime != starttime)
		return -ESRCH;
	if (ret_stat)
		*ret_stat = st;
	return 0;
}

int proc_open_same(int proc_fd, int pid, uint64_t starttime, struct proc_stat *ret_stat)
{
	char name[16];
	int fd, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%d", pid);
	fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	r = stat_same(fd, "stat", starttime, ret_stat);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int proc_same(int proc_fd, int pid, uint64_t starttime, struct proc_stat *ret_stat)
{
	char name[32];

	if (pid <= 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%d/stat", pid);
	return stat_same(proc_fd, name, starttime, ret_stat);
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

ssize_t proc_read_exe(int proc_fd, int pid, char *buf, size_t size)
{
	char path[32];
	ssize_t n;

	if (!buf || size == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%d/exe", pid);
	n = readlinkat(proc_fd, path, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

ssize_t proc_read_cmdline(int proc_fd, int pid, char *buf, size_t size)
{
	char path[32], raw[4096];
	ssize_t n;

	if (!buf || size == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%d/cmdline", pid);
	n = read_file_at(proc_fd, path, raw, sizeof(raw));
	if (n < 0)
		return n;
	return (ssize_t)parse_cmdline(raw, (size_t)n, buf, size);
}

/* Resident pages from PID/statm ("size resident shared text lib data dt"). */
int proc_read_statm_resident(int proc_fd, int pid, uint64_t *ret_pages)
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
	return tok_u64(sp + 1, sp + 1 + strcspn(sp + 1, " \n"), ret_pages);
}

int proc_read_uid(int proc_fd, int pid, uid_t *ret)
{
	char name[32], buf[16384];   /* status with a long Groups: line */
	struct proc_status ss;
	ssize_t n;
	int r;

	snprintf(name, sizeof(name), "%d/status", pid);
	n = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	r = parse_proc_status(buf, &ss);
	if (r < 0)
		return r;
	*ret = ss.uid;
	return 0;
}

int parse_loginuid(const char *buf, uint32_t *ret)
{
	char tmp[24];
	uint64_t v;
	size_t l = strcspn(buf, "\n");

	if (l >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, l);
	tmp[l] = '\0';
	if (parse_u64(tmp, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int proc_read_loginuid(int proc_fd, int pid, uint32_t *ret)
{
	char name[32], buf[24];
	ssize_t n;

	snprintf(name, sizeof(name), "%d/loginuid", pid);
	n = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_loginuid(buf, ret);
}
