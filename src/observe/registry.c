/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/* Set the outcome of a refresh; r->changed when it differs from the last. */
static int outcome(struct registry *r, int err, const char *why, bool dir, int line,
		   const struct stat *st)
{
	bool have = st != NULL;

	r->changed = r->err != err || r->why != why || r->dir_refused != dir || r->line != line ||
		     r->have_file != have ||
		     (have && (r->ino != st->st_ino || r->mtime.tv_sec != st->st_ctim.tv_sec ||
			       r->mtime.tv_nsec != st->st_ctim.tv_nsec));
	r->err = err;
	r->why = why;
	r->dir_refused = dir;
	r->line = line;
	r->have_file = have;
	r->ino = have ? st->st_ino : 0;
	r->mtime = have ? st->st_ctim : (struct timespec){ 0 };
	if (err)
		r->n = 0;
	return err;
}

/* The whole file into buf; -EFBIG when it does not fit (never a cut line). */
static int read_all(int fd, char *buf, size_t size)
{
	ssize_t n = reread_fd(fd, buf, size);

	if (n < 0)
		return (int)n;
	return (size_t)n == size - 1 ? -EFBIG : 0;
}

/* Would the daemon trust the directory? */
static const char *dir_problem(int dirfd)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return "cannot be examined";
	return trust_problem(&st, true, 0);
}

int registry_refresh(int dirfd, struct registry *r)
{
	static char buf[REGISTRY_MAX * 300];
	const char *why = NULL;
	struct stat st;
	int fd, rr, line = 0;

	r->changed = false;
	if ((why = dir_problem(dirfd)))
		return outcome(r, -EPERM, why, true, 0, NULL);
	fd = open_trusted_at(dirfd, REGISTRY_FILE, 0, &st, &why);
	if (fd == -ENOENT) {
		r->n = 0;
		return outcome(r, 0, NULL, false, 0, NULL);
	}
	if (fd < 0)
		return outcome(r, fd, fd == -ELOOP || fd == -EPERM ? why : NULL, false, 0, NULL);
	/* The same file as last time: nothing changed (nor anything to report). */
	if (r->have_file && st.st_ino == r->ino && st.st_ctim.tv_sec == r->mtime.tv_sec &&
	    st.st_ctim.tv_nsec == r->mtime.tv_nsec) {
		close(fd);
		return r->err;
	}
	rr = read_all(fd, buf, sizeof(buf));
	close(fd);
	if (rr == 0)
		rr = parse_registry(buf, r, &line);
	/* A read error may pass: try again next time. A bad file stays bad
	 * until it changes. */
	return outcome(r, rr, NULL, false, rr == -EINVAL ? line : 0,
		       rr == 0 || rr == -EINVAL || rr == -ENOSPC || rr == -EFBIG ? &st : NULL);
}

const char *registry_strerror(const struct registry *r, char *buf, size_t size)
{
	switch (r->err) {
	case 0:
		snprintf(buf, size, "%s", "");
		break;
	case -EPERM:
	case -ELOOP:
		snprintf(buf, size, "%s %s", r->dir_refused ? "its directory is" : "it is",
			 r->why ? r->why : "not trusted");
		break;
	case -EINVAL:
		snprintf(buf, size, "line %d is malformed (expected \"pid PID STARTTIME VALUE\" "
			 "or \"cgroup /PATH VALUE\", VALUE 0..%d)", r->line, VALUE_MAX);
		break;
	case -ENOSPC:
		snprintf(buf, size, "more than %d entries", REGISTRY_MAX);
		break;
	case -EFBIG:
		snprintf(buf, size, "larger than %zu bytes", (size_t)REGISTRY_MAX * 300 - 1);
		break;
	default:
		snprintf(buf, size, "%s", strerror(-r->err));
	}
	return buf;
}

static bool same_key(const struct registry_entry *a, const struct registry_entry *b)
{
	if (a->is_pid != b->is_pid)
		return false;
	return a->is_pid ? a->pid == b->pid : !strcmp(a->cgroup, b->cgroup);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* values.tmp, fresh: a stale one (a crashed update, or anything else by
 * that name, a symlink included) is removed first, under the lock; unlinkat
 * never follows a symlink. O_EXCL | O_NOFOLLOW: never someone else's file. */
static int create_tmp(int dirfd)
{
	int fd;

	if (unlinkat(dirfd, REGISTRY_FILE ".tmp", 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, REGISTRY_FILE ".tmp",
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0) {     /* whatever the umask: readable for `value list` */
		int r = -errno;

		close(fd);
		unlinkat(dirfd, REGISTRY_FILE ".tmp", 0);
		return r;
	}
	return fd;
}

int registry_update(int dirfd, const struct registry_entry *key, int64_t value,
		    char why[REGISTRY_WHY_MAX])
{
	static struct registry r;
	static char buf[REGISTRY_MAX * 300];
	const char *problem;
	struct stat st;
	int lock, fd, rr, line = 0;
	size_t i;

	if (why)
		why[0] = '\0';
	/* Values written where the daemon would ignore them are lost: say so. */
	if ((problem = dir_problem(dirfd))) {
		if (why)
			snprintf(why, REGISTRY_WHY_MAX, "its directory is %s", problem);
		return -EPERM;
	}
	lock = openat(dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0) {
		rr = -errno;
		if (rr == -ELOOP && why)
			snprintf(why, REGISTRY_WHY_MAX, ".lock is a symbolic link");
		return rr;
	}
	if (fstat(lock, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (why)
			snprintf(why, REGISTRY_WHY_MAX, ".lock is not a regular file");
		rr = -EPERM;
		goto out;
	}
	if (flock(lock, LOCK_EX) < 0) {
		rr = -errno;
		goto out;
	}
	r.n = 0;
	problem = NULL;
	fd = open_trusted_at(dirfd, REGISTRY_FILE, 0, NULL, &problem);
	if (fd >= 0) {
		rr = read_all(fd, buf, sizeof(buf));
		close(fd);
		if (rr == 0 && (rr = parse_registry(buf, &r, &line)) == -EINVAL && why)
			snprintf(why, REGISTRY_WHY_MAX, "line %d is malformed; fix or remove it first",
				 line);
		if (rr < 0)
			goto out;
	} else if (fd != -ENOENT) {
		rr = fd;
		if (problem && why)
			snprintf(why, REGISTRY_WHY_MAX, "it is %s", problem);
		goto out;
	}
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
	if ((fd = create_tmp(dirfd)) < 0) {
		rr = fd;
		goto out;
	}
	rr = write_all(fd, buf, strlen(buf));
	if (rr == 0 && fsync(fd) < 0)
		rr = -errno;
	if (close(fd) < 0 && rr == 0)
		rr = -errno;
	if (rr == 0 && renameat(dirfd, REGISTRY_FILE ".tmp", dirfd, REGISTRY_FILE) < 0)
		rr = -errno;
	if (rr < 0)
		unlinkat(dirfd, REGISTRY_FILE ".tmp", 0);
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
