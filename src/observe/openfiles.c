// SPDX-License-Identifier: GPL-2.0-or-later
/* Who has a file open (see openfiles.h). */
#include "observe/openfiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/util.h"
#include "observe/proc.h"

/* A number in base 8, 10 or 16 at *p, up to a byte not of it; advances *p.
 * -EINVAL without a digit, -ERANGE past max. */
static int number(const char **p, const char *e, unsigned base, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < e; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (d >= base)
			break;
		if (v > (max - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (s == *p)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

/* Skip one field of non-blanks and the single space after it. */
static int skip_field(const char **p, const char *e)
{
	const char *s = *p;

	while (s < e && *s != ' ')
		s++;
	if (s == *p || s == e)
		return -EINVAL;
	*p = s + 1;
	return 0;
}

int parse_maps_line(const char *line, size_t len, struct maps_entry *ret)
{
	const char *p = line, *e = line + len;
	uint64_t major, minor, ino;

	if (!line)
		return -EINVAL;
	/* START-END PERMS OFFSET */
	for (int i = 0; i < 3; i++)
		if (skip_field(&p, e) < 0)
			return -EINVAL;
	if (number(&p, e, 16, UINT32_MAX, &major) < 0 || p == e || *p++ != ':' ||
	    number(&p, e, 16, UINT32_MAX, &minor) < 0 || p == e || *p++ != ' ')
		return -EINVAL;
	if (number(&p, e, 10, UINT64_MAX, &ino) < 0 || (p < e && *p != ' '))
		return -EINVAL;
	ret->major = (unsigned)major;
	ret->minor = (unsigned)minor;
	ret->ino = ino;
	return 0;
}

int parse_fdinfo_flags(const char *buf, unsigned *ret)
{
	const char *p, *e;
	uint64_t v;

	if (!buf)
		return -EINVAL;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "flags:", 6))
			continue;
		p += 6;
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchrnul(p, '\n');
		if (number(&p, e, 8, UINT32_MAX, &v) < 0)
			return -EINVAL;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p != e)
			return -EINVAL;
		*ret = (unsigned)v;
		return 0;
	}
	return -ENOENT;
}

static bool wanted(const struct of_scan *s, dev_t dev)
{
	if (!s->ndevs)
		return true;
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i] == dev)
			return true;
	return false;
}

/* A process we may not look into: not a kernel thread (they hold no files). */
static void unchecked(int proc_fd, int pid, struct of_scan *s)
{
	struct proc_stat st;

	if (proc_read_stat(proc_fd, pid, &st) == 0 && (st.flags & PF_KTHREAD_FLAG))
		return;
	if (!s->unchecked++)
		s->unchecked_pid = pid;
}

static int scan_fds(int pid, int pid_fd, struct of_scan *s)
{
	char link[4096], name[300], info[1024];
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if ((fd = openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		struct of_hit h = { .pid = pid };
		struct stat st;
		int64_t n;

		if (parse_int_range(de->d_name, 0, INT32_MAX, &n) < 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			if (errno == EACCES || errno == EPERM)
				r = -errno;     /* listed, but its links may not be followed */
			continue;
		}
		if ((!(s->what & OF_ANY_TYPE) && !S_ISREG(st.st_mode)) || !wanted(s, st.st_dev))
			continue;
		h.fd = (int)n;
		h.dev = st.st_dev;
		h.ino = st.st_ino;
		h.st = &st;
		snprintf(name, sizeof(name), "fdinfo/%s", de->d_name);
		if ((s->what & OF_FLAGS) && (read_file_at(pid_fd, name, info, sizeof(info)) < 0 ||
					     parse_fdinfo_flags(info, &h.flags) < 0))
			continue;       /* closed meanwhile */
		if (s->what & OF_LINK) {
			ssize_t k = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

			if (k < 0)
				continue;
			link[k] = '\0';
			h.link = link;
		}
		r = s->hit(&h, s->userdata);
	}
	closedir(d);
	return r;
}

static int scan_maps(int pid, int pid_fd, struct of_scan *s)
{
	ssize_t len = read_file_whole_at(pid_fd, "maps", &s->maps, &s->maps_cap);
	const char *p;
	int r = 0;

	if (len < 0)
		return (int)len;
	for (p = s->maps; r == 0 && p && *p;) {
		const char *eol = strchrnul(p, '\n');
		struct maps_entry m;

		if (parse_maps_line(p, (size_t)(eol - p), &m) == 0 && m.ino &&
		    wanted(s, makedev(m.major, m.minor))) {
			struct of_hit h = { .pid = pid, .fd = -1, .dev = makedev(m.major, m.minor),
					    .ino = m.ino };

			r = s->hit(&h, s->userdata);
		}
		p = *eol ? eol + 1 : eol;
	}
	return r;
}

int openfiles_scan_pid(int proc_fd, int pid, struct of_scan *s)
{
	char name[16];
	int pid_fd, r = 0, e;
	bool denied;

	snprintf(name, sizeof(name), "%d", pid);
	if ((pid_fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	s->procs++;
	if (s->what & OF_FDS)
		r = scan_fds(pid, pid_fd, s);
	denied = r == -EACCES || r == -EPERM;
	if ((r == 0 || denied) && (s->what & OF_MAPS)) {
		e = scan_maps(pid, pid_fd, s);
		denied |= e == -EACCES || e == -EPERM;
		r = denied ? 0 : e;
	}
	if (denied)
		unchecked(proc_fd, pid, s);
	if (r < 0 && r != -ETIMEDOUT)
		r = 0;          /* gone meanwhile, a zombie's empty maps */
	close(pid_fd);
	return r;
}

struct each {
	int proc_fd;
	struct of_scan *s;
};

static int each_pid(int pid, void *userdata)
{
	struct each *x = userdata;
	int r;

	if (x->s->deadline_ms && now_ms() > x->s->deadline_ms)
		return -ETIMEDOUT;
	r = openfiles_scan_pid(x->proc_fd, pid, x->s);
	return r > 0 || r == -ETIMEDOUT ? r : 0;
}

int openfiles_scan(int proc_fd, struct of_scan *s)
{
	struct each x = { .proc_fd = proc_fd, .s = s };

	s->procs = s->unchecked = 0;
	s->unchecked_pid = 0;
	return proc_for_each_pid(proc_fd, each_pid, &x);
}

void openfiles_scan_free(struct of_scan *s)
{
	free(s->maps);
	s->maps = NULL;
	s->maps_cap = 0;
}
