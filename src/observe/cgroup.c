// SPDX-License-Identifier: GPL-2.0-or-later
/* cgroup v2 memory files relative to a cgroup dir fd, and a bounded walk. */
#include "observe/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

int parse_cg_limit(const char *buf, uint64_t *ret)
{
	const char *s, *e;
	char tmp[32];
	size_t n;

	if (!buf)
		return -EINVAL;
	for (s = buf; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	n = (size_t)(e - s);
	if (n == 3 && memcmp(s, "max", 3) == 0) {
		*ret = CG_MAX;
		return 0;
	}
	if (n == 0 || n >= sizeof(tmp))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_u64(tmp, ret);
}

/* Iterate "key value" lines; calls fn for each with the value parsed. */
typedef int (*kv_fn)(const char *key, size_t klen, uint64_t v, void *ud);

static int parse_kv(const char *buf, kv_fn fn, void *ud)
{
	const char *p, *eol, *sp;
	char tmp[32];
	uint64_t v;
	size_t n;
	int r;

	if (!buf)
		return -EINVAL;
	for (p = buf; *p; p = *eol ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		if (eol == p)
			continue;
		sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp || sp == p)
			return -EINVAL;
		n = (size_t)(eol - sp - 1);
		if (n == 0 || n >= sizeof(tmp))
			return n == 0 ? -EINVAL : -ERANGE;
		memcpy(tmp, sp + 1, n);
		tmp[n] = '\0';
		r = parse_u64(tmp, &v);
		if (r < 0)
			return r;
		r = fn(p, (size_t)(sp - p), v, ud);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool key_is(const char *key, size_t klen, const char *want)
{
	return strlen(want) == klen && memcmp(key, want, klen) == 0;
}

static int events_kv(const char *key, size_t klen, uint64_t v, void *ud)
{
	struct cg_events *ev = ud;

	if (key_is(key, klen, "low"))
		ev->low = v;
	else if (key_is(key, klen, "high"))
		ev->high = v;
	else if (key_is(key, klen, "max"))
		ev->max = v;
	else if (key_is(key, klen, "oom"))
		ev->oom = v;
	else if (key_is(key, klen, "oom_kill"))
		ev->oom_kill = v;
	else if (key_is(key, klen, "oom_group_kill"))
		ev->oom_group_kill = v;
	return 0;
}

int parse_cg_events(const char *buf, struct cg_events *ret)
{
	struct cg_events ev = { 0 };
	int r;

	r = parse_kv(buf, events_kv, &ev);
	if (r < 0)
		return r;
	*ret = ev;
	return 0;
}

struct memstat3 {
	uint64_t anon, file, shmem;
};

static int memstat_kv(const char *key, size_t klen, uint64_t v, void *ud)
{
	struct memstat3 *m = ud;

	if (key_is(key, klen, "anon"))
		m->anon = v;
	else if (key_is(key, klen, "file"))
		m->file = v;
	else if (key_is(key, klen, "shmem"))
		m->shmem = v;
	return 0;
}

int parse_cg_memstat(const char *buf, struct cg_mem *ret)
{
	struct memstat3 m = { 0 };
	int r;

	r = parse_kv(buf, memstat_kv, &m);
	if (r < 0)
		return r;
	ret->anon = m.anon;
	ret->file = m.file;
	ret->shmem = m.shmem;
	return 0;
}

static int pids_push(int **pids, size_t *n, size_t *cap, int pid)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		int *v = realloc(*pids, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*pids = v;
		*cap = c;
	}
	(*pids)[(*n)++] = pid;
	return 0;
}

int parse_cgroup_procs(const char *buf, size_t len, int **pids, size_t *n, size_t *cap)
{
	const char *p = buf, *e = buf + len;
	size_t n0 = *n;

	if (!buf && len)
		return -EINVAL;
	while (p < e) {
		const char *eol = memchr(p, '\n', (size_t)(e - p));
		size_t l;
		char tmp[24];
		int64_t v;

		if (!eol)
			eol = e;
		l = (size_t)(eol - p);
		if (l && l < sizeof(tmp) && !memchr(p, '\0', l)) {
			memcpy(tmp, p, l);
			tmp[l] = '\0';
			if (parse_int_range(tmp, 1, INT_MAX, &v) == 0 &&
			    pids_push(pids, n, cap, (int)v) < 0) {
				*n = n0;
				return -ENOMEM;
			}
		}
		p = eol + 1;
	}
	return (int)MIN(*n - n0, (size_t)INT_MAX);
}

int cgroup_read_procs(int cg_fd, int **pids, size_t *n, size_t *cap)
{
	char buf[8192];
	size_t have = 0, n0 = *n;
	bool skip = false;      /* in a line longer than buf: no pid */
	int fd, r = 0;

	fd = openat(cg_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - have);
		const char *nl, *start = buf;
		size_t used;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (got == 0) {         /* the end: a last line without '\n' */
			if (!skip && have)
				r = parse_cgroup_procs(buf, have, pids, n, cap);
			break;
		}
		have += (size_t)got;
		/* parse the complete lines, keep the partial last one */
		nl = memrchr(buf, '\n', have);
		if (!nl) {
			if (have == sizeof(buf)) {
				skip = true;
				have = 0;
			}
			continue;
		}
		used = (size_t)(nl + 1 - buf);
		if (skip) {
			start = (const char *)memchr(buf, '\n', have) + 1;
			skip = false;
		}
		r = parse_cgroup_procs(start, (size_t)(buf + used - start), pids, n, cap);
		if (r < 0)
			break;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	close(fd);
	if (r < 0) {
		*n = n0;
		return r;
	}
	return (int)MIN(*n - n0, (size_t)INT_MAX);
}

/* Read an optional file into buf; false when it cannot be read. */
static bool read_opt(int fd, const char *name, char *buf, size_t size)
{
	return read_file_at(fd, name, buf, size) >= 0;
}

int cgroup_read_mem(int cg_fd, double stat_within_percent, struct cg_mem *ret)
{
	struct cg_mem m = { 0 };
	char buf[8192];
	ssize_t n;
	int r;

	n = read_file_at(cg_fd, "memory.current", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	r = parse_cg_limit(buf, &m.current);
	if (r < 0)
		return r;
	if (m.current == CG_MAX)
		return -EINVAL;
	m.max = CG_MAX;
	if (read_opt(cg_fd, "memory.max", buf, sizeof(buf)) &&
	    (r = parse_cg_limit(buf, &m.max)) < 0)
		return r;
	/* The page cache matters only near the limit. */
	if (m.max != CG_MAX && (double)(m.max > m.current ? m.max - m.current : 0) <=
	    (double)m.max * stat_within_percent / 100.0 &&
	    read_opt(cg_fd, "memory.stat", buf, sizeof(buf))) {
		if ((r = parse_cg_memstat(buf, &m)) < 0)
			return r;
		m.has_stat = true;
	}
	if (read_opt(cg_fd, "memory.pressure", buf, sizeof(buf))) {
		r = parse_psi(buf, &m.pressure);
		if (r < 0)
			return r;
		m.has_pressure = true;
	}
	*ret = m;
	return 0;
}

static bool skip_errno(int err)
{
	return err == ENOENT || err == ENOTDIR || err == EACCES || err == ELOOP;
}

/* Calls fn for dfd (which it owns and closes), then its children. Reads
 * the directory with getdents64 into a stack buffer: no DIR allocation and
 * none of fdopendir's extra system calls, on a path the daemon takes every
 * few seconds. */
static int walk(int dfd, char *path, size_t len, int depth, int max_depth,
		cgroup_walk_fn fn, void *ud)
{
	char buf[2048] __attribute__((aligned(8)));
	ssize_t n;
	int r;

	r = fn(dfd, path, ud);
	while (r == 0 && depth < max_depth && (n = getdents64(dfd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno != ENOENT)    /* removed while read */
				r = -errno;
			break;
		}
		for (ssize_t off = 0; off < n && r == 0;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			size_t nl, nlen;
			int cfd;

			off += de->d_reclen;
			if (de->d_name[0] == '.' &&
			    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			nl = strlen(de->d_name);
			nlen = len + (len ? 1 : 0) + nl;
			if (nlen >= PATH_MAX)
				continue;
			cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				if (!skip_errno(errno))
					r = -errno;
				continue;
			}
			if (len)
				path[len] = '/';
			memcpy(path + len + (len ? 1 : 0), de->d_name, nl + 1);
			r = walk(cfd, path, nlen, depth + 1, max_depth, fn, ud);
			path[len] = '\0';
		}
	}
	close(dfd);
	return r;
}

int cgroup_walk(int root_fd, int max_depth, cgroup_walk_fn fn, void *userdata)
{
	char path[PATH_MAX];
	int dfd;

	if (!fn || max_depth < 0)
		return -EINVAL;
	/* own open file description, so the caller's fd offset is untouched */
	dfd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	path[0] = '\0';
	return walk(dfd, path, 0, 0, max_depth, fn, userdata);
}

static int preference_of(int cg_fd, const char *rel, bool *found, bool *omit)
{
	static const struct { const char *name; int pref; bool user; } x[] = {
		{ "trusted.oomd_prefer", 1, false }, { "user.oomd_prefer", 1, true },
		{ "trusted.oomd_avoid", -1, false }, { "user.oomd_avoid", -1, true },
	};
	struct stat st;
	bool root_owned;
	int fd, pref = 0;
	char val[16];
	ssize_t n;

	*found = false;
	if ((fd = openat(cg_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	/* root's, and only root may write it: nobody else set its user.* */
	root_owned = fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022);
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]) && !*found; i++)
		if ((!x[i].user || root_owned) && fgetxattr(fd, x[i].name, NULL, 0) >= 0) {
			pref = x[i].pref;
			*found = true;
		}
	if (root_owned && (n = fgetxattr(fd, "user.oomd_omit", val, sizeof(val) - 1)) > 0) {
		val[n] = '\0';
		*omit = val[0] == '1' || val[0] == 'y' || val[0] == 't';
		*found = true;
	}
	close(fd);
	return pref;
}

int cgroup_oomd_preference(int cg_fd, const char *rel, bool ancestors, bool *omit)
{
	char path[4096];
	bool found;
	int pref;

	*omit = false;
	while (*rel == '/')
		rel++;
	if (snprintf(path, sizeof(path), "%s", rel) >= (int)sizeof(path))
		return 0;
	for (;;) {
		char *slash;

		pref = preference_of(cg_fd, path, &found, omit);
		if (found || !ancestors || !*path)
			return pref;
		slash = strrchr(path, '/');
		if (slash)
			*slash = '\0';
		else
			path[0] = '\0';
	}
}
