// SPDX-License-Identifier: GPL-2.0-or-later
/* /proc/PID/mountinfo (see mountinfo.h). */
#include "observe/mountinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* The next space-separated token of [*p, eol), skipping leading spaces. */
static size_t token(const char **p, const char *eol, const char **ret)
{
	const char *s = *p, *e;

	while (s < eol && *s == ' ')
		s++;
	for (e = s; e < eol && *e != ' '; e++)
		;
	*ret = s;
	*p = e;
	return (size_t)(e - s);
}

/* "MAJ:MIN": two decimal numbers below 2^20 and 2^32 (the kernel's
 * MINORBITS, and a dev_t's halves). */
static int parse_devno(const char *s, size_t len, unsigned *ret_major, unsigned *ret_minor)
{
	const char *colon = memchr(s, ':', len), *e = s + len;
	uint64_t v[2] = { 0, 0 };

	if (!colon || colon == s || colon + 1 == e)
		return -EINVAL;
	for (const char *p = s; p < e; p++) {
		int i = p > colon;

		if (p == colon)
			continue;
		if (*p < '0' || *p > '9' || v[i] > UINT32_MAX / 10)
			return -EINVAL;
		v[i] = v[i] * 10 + (uint64_t)(*p - '0');
	}
	if (v[0] > UINT32_MAX || v[1] > UINT32_MAX)
		return -EINVAL;
	*ret_major = (unsigned)v[0];
	*ret_minor = (unsigned)v[1];
	return 0;
}

int mountinfo_next(const char **pos, struct mountinfo_line *ret)
{
	const char *p = *pos, *eol, *q, *t, *sep = NULL;
	struct mountinfo_line l = { 0 };
	size_t n = 0;

	if (!p || !*p)
		return -ENOENT;
	eol = strchrnul(p, '\n');
	*pos = *eol ? eol + 1 : eol;
	/* id parent maj:min root mountpoint */
	q = p;
	for (int i = 0; i < 5; i++) {
		n = token(&q, eol, &t);
		if (!n)
			return -EINVAL;
		if (i == 2 && parse_devno(t, n, &l.major, &l.minor) < 0)
			return -EINVAL;
		if (i == 3) {
			l.root = t;
			l.root_len = n;
		}
	}
	l.mnt = t;
	l.mnt_len = n;
	/* mount options and optional fields, up to a lone "-" */
	for (const char *o = q; o + 2 < eol; o++) {
		if (o[0] == ' ' && o[1] == '-' && o[2] == ' ') {
			sep = o + 2;
			break;
		}
	}
	if (!sep)
		return -EINVAL;
	if (q < sep - 2)
		l.opts_len = token(&q, sep - 2, &l.opts);
	l.fstype_len = token(&sep, eol, &l.fstype);
	if (!l.fstype_len)
		return -EINVAL;
	l.source_len = token(&sep, eol, &l.source);
	l.super_opts_len = token(&sep, eol, &l.super_opts);
	*ret = l;
	return 0;
}

/* Is [s, e) at an escape "\ooo" (first digit 0-3)? */
static bool at_escape(const char *s, const char *e)
{
	return s[0] == '\\' && e - s >= 4 && s[1] >= '0' && s[1] <= '3' &&
	       s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7';
}

int mountinfo_unescape(const char *s, size_t len, char *out, size_t size)
{
	const char *e = s + len;
	size_t n = 0, o = 0;

	if (!out || size == 0)
		return -EINVAL;
	/* measure first: out is written only on success */
	for (const char *p = s; p < e; n++)
		p += at_escape(p, e) ? 4 : 1;
	if (n == 0)
		return -EINVAL;
	if (n >= size)
		return -ENAMETOOLONG;
	while (s < e) {
		if (at_escape(s, e)) {
			out[o++] = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return 0;
}

static bool span_is(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

bool mountinfo_has_opt(const char *s, size_t len, const char *w)
{
	const char *e = s + len;

	while (s < e) {
		const char *c = memchr(s, ',', (size_t)(e - s));

		if (!c)
			c = e;
		if (span_is(s, (size_t)(c - s), w))
			return true;
		s = c + 1;
	}
	return false;
}

/* The first line of fstype (and with the option ctrl, if not NULL). */
static int find_mount(const char *buf, const char *fstype, const char *ctrl, char *path,
		      size_t size)
{
	struct mountinfo_line l;
	const char *pos = buf;
	int r;

	if (!buf || !path || size == 0)
		return -EINVAL;
	while ((r = mountinfo_next(&pos, &l)) != -ENOENT) {
		if (r < 0 || !span_is(l.fstype, l.fstype_len, fstype))
			continue;
		if (ctrl && !mountinfo_has_opt(l.super_opts, l.super_opts_len, ctrl))
			continue;
		return mountinfo_unescape(l.mnt, l.mnt_len, path, size);
	}
	return -ENOENT;
}

int parse_mountinfo_cgroup2(const char *buf, char *path, size_t size)
{
	return find_mount(buf, "cgroup2", NULL, path, size);
}

int parse_mountinfo_cgroup1(const char *buf, const char *ctrl, char *path, size_t size)
{
	if (!ctrl || !*ctrl)
		return -EINVAL;
	return find_mount(buf, "cgroup", ctrl, path, size);
}

ssize_t mountinfo_read(int proc_fd, char **buf, size_t *cap)
{
	return read_file_whole_at(proc_fd, "self/mountinfo", buf, cap);
}

int mountinfo_cgroup2_root(int proc_fd, char *path, size_t size)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = mountinfo_read(proc_fd, &buf, &cap);
	int r = n < 0 ? (int)n : parse_mountinfo_cgroup2(buf, path, size);

	free(buf);
	return r;
}
