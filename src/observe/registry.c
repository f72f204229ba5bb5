/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "victim/rank.h"
#include "observe/registry.h"

#define FIELD_SEP " \t\n\v\f\r"     /* what sscanf's %s stops at */

int parse_registry(const char *buf, struct registry *ret, int *ret_line)
{
	struct registry r = { .n = 0 };
	int line = 0;

	for (const char *p = buf; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char l[400], *f[5], *save = NULL;
		struct registry_entry e = {0};
		int64_t v;
		int n = 0;

		line++;
		if (len >= sizeof(l))
			goto bad;
		memcpy(l, p, len);
		l[len] = '\0';
		p += len + (eol ? 1 : 0);
		if (!*l || *l == '#')
			continue;
		/* Whole fields (sscanf's %31s split a longer one in two). */
		for (char *t = strtok_r(l, FIELD_SEP, &save); t; t = strtok_r(NULL, FIELD_SEP, &save)) {
			if (n == (int)ARRAY_SIZE(f))
				goto bad;
			f[n++] = t;
		}
		if (n < 3)
			goto bad;
		if (!strcmp(f[0], "pid") && n == 4) {
			int64_t pid;
			uint64_t st;

			if (parse_int_range(f[1], 1, 0x7fffffff, &pid) < 0 || parse_u64(f[2], &st) < 0 ||
			    parse_int_range(f[3], 0, VALUE_MAX, &v) < 0)
				goto bad;
			e.is_pid = true;
			e.pid = (int)pid;
			e.starttime = st;
		} else if (!strcmp(f[0], "cgroup") && n == 3) {
			if (f[1][0] != '/' || strlen(f[1]) >= sizeof(e.cgroup) ||
			    parse_int_range(f[2], 0, VALUE_MAX, &v) < 0)
				goto bad;
			snprintf(e.cgroup, sizeof(e.cgroup), "%s", f[1]);
		} else {
			goto bad;
		}
		if (r.n == REGISTRY_MAX)
			return -ENOSPC;
		e.value = v;
		r.e[r.n++] = e;
	}
	ret->n = r.n;
	memcpy(ret->e, r.e, r.n * sizeof(r.e[0]));
	return 0;
bad:
	if (ret_line)
		*ret_line = line;
	return -EINVAL;
}

int format_registry(const struct registry *r, char *buf, size_t size)
{
	size_t off = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct registry_entry *e = &r->e[i];
		int n = e->is_pid ?
			snprintf(buf + off, size - off, "pid %d %llu %lld\n", e->pid,
				 (unsigned long long)e->starttime, (long long)e->value) :
			snprintf(buf + off, size - off, "cgroup %s %lld\n", e->cgroup,
				 (long long)e->value);

		if (n < 0 || (size_t)n >= size - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	if (off < size)
		buf[off] = '\0';
	return (int)off;
}

int registry_refresh(int dirfd, struct registry *r)
{
	static char buf[REGISTRY_MAX * 300];
	struct stat st;
	int fd, rr, line;
	ssize_t n;

	fd = openat(dirfd, REGISTRY_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r->n = 0;
		r->ino = 0;
		return errno == ENOENT ? 0 : -errno;
	}
	if (fstat(fd, &st) < 0) {
		rr = -errno;
		close(fd);
		return rr;
	}
	if (st.st_ino == r->ino && st.st_ctim.tv_sec == r->mtime.tv_sec &&
	    st.st_ctim.tv_nsec == r->mtime.tv_nsec) {
		close(fd);
		return 0;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) || !S_ISREG(st.st_mode)) {
		close(fd);
		r->n = 0;
		return -EPERM;
	}
	n = reread_fd(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return (int)n;
	rr = parse_registry(buf, r, &line);
	if (rr < 0)
		return rr;
	r->ino = st.st_ino;
	r->mtime = st.st_ctim;
	return 0;
}

static bool same_key(const struct registry_entry *a, const struct registry_entry *b)
{
	if (a->is_pid != b->is_pid)
		return false;
	return a->is_pid ? a->pid == b->pid : !strcmp(a->cgroup, b->cgroup);
}

int registry_update(int dirfd, const struct registry_entry *key, int64_t value)
{
	static struct registry r;
	static char buf[REGISTRY_MAX * 300];
	int lock, fd, rr, line = 0;
	size_t i;

	lock = openat(dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return -errno;
	if (flock(lock, LOCK_EX) < 0) {
		rr = -errno;
		goto out;
	}
	r.n = 0;
	rr = (int)read_file_at(dirfd, REGISTRY_FILE, buf, sizeof(buf));
	if (rr >= 0 && (rr = parse_registry(buf, &r, &line)) < 0)
		goto out;
	if (rr == -ENOENT)
		rr = 0;
	if (rr < 0)
		goto out;
	for (i = 0; i < r.n && !same_key(&r.e[i], key); i++)
		;
	if (value < 0) {
		if (i == r.n) {
			rr = -ENOENT;
			goto out;
		}
		r.e[i] = r.e[--r.n];
	} else {
		if (i == r.n) {
			if (r.n == REGISTRY_MAX) {
				rr = -ENOSPC;
				goto out;
			}
			r.n++;
		}
		r.e[i] = *key;
		r.e[i].value = value;
	}
	if ((rr = format_registry(&r, buf, sizeof(buf))) < 0)
		goto out;
	fd = openat(dirfd, REGISTRY_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rr = -errno;
		goto out;
	}
	if (write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf) || fsync(fd) < 0) {
		rr = -EIO;
		close(fd);
		goto out;
	}
	close(fd);
	rr = renameat(dirfd, REGISTRY_FILE ".tmp", dirfd, REGISTRY_FILE) < 0 ? -errno : 0;
out:
	close(lock);
	return rr;
}

bool registry_lookup(const struct registry *r, int pid, uint64_t starttime,
		     const char *cgroup, int64_t *ret)
{
	size_t best = (size_t)-1, best_len = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct registry_entry *e = &r->e[i];

		if (e->is_pid && e->pid == pid && e->starttime == starttime) {
			*ret = e->value;
			return true;
		}
		if (!e->is_pid && cgroup && *cgroup && cgroup_path_within(cgroup, e->cgroup) &&
		    (best == (size_t)-1 || strlen(e->cgroup) > best_len)) {
			best = i;
			best_len = strlen(e->cgroup);
		}
	}
	if (best == (size_t)-1)
		return false;
	*ret = r->e[best].value;
	return true;
}

int cgroup_value_xattr(int cg_root_fd, const char *relpath, int64_t *ret)
{
	char path[4096], val[32];

	while (*relpath == '/')
		relpath++;
	if (snprintf(path, sizeof(path), "%s", relpath) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (;;) {
		char full[4200];
		ssize_t n;
		int64_t v;
		char *slash;

		/* getxattr has no *at form: go through /proc/self/fd. */
		snprintf(full, sizeof(full), "/proc/self/fd/%d/%s", cg_root_fd, path);
		n = getxattr(full, REGISTRY_XATTR, val, sizeof(val) - 1);
		if (n > 0) {
			val[n] = '\0';
			if (parse_int_range(val, 0, VALUE_MAX, &v) == 0) {
				*ret = v;
				return 0;
			}
		}
		if (!*path)
			return -ENODATA;
		slash = strrchr(path, '/');
		if (slash)
			*slash = '\0';
		else
			path[0] = '\0';
	}
}
