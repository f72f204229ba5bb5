/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NVIDIA driver packages (see driver.h): dpkg's status and the local apt
 * lists, deb822 stanzas read a run at a time through a bounded buffer. */
#include "guards/gpu/driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool span_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(s, want, n) == 0;
}

/* The fields of one deb822 stanza that matter here (values trimmed). */
struct stanza {
	const char *pkg, *ver, *status;
	size_t pkg_n, ver_n, status_n;
};

static void stanza_field(const char *p, const char *eol, struct stanza *st)
{
	const char *colon = memchr(p, ':', (size_t)(eol - p)), *v;
	size_t kn;

	if (!colon)
		return;
	kn = (size_t)(colon - p);
	for (v = colon + 1; v < eol && is_blank(*v); v++)
		;
	while (eol > v && is_blank(eol[-1]))
		eol--;
	if (kn == 7 && strncasecmp(p, "Package", 7) == 0) {
		st->pkg = v;
		st->pkg_n = (size_t)(eol - v);
	} else if (kn == 7 && strncasecmp(p, "Version", 7) == 0) {
		st->ver = v;
		st->ver_n = (size_t)(eol - v);
	} else if (kn == 6 && strncasecmp(p, "Status", 6) == 0) {
		st->status = v;
		st->status_n = (size_t)(eol - v);
	}
}

/* The next stanza of [*pos, end) (separated by lines that are empty or
 * blank; continuation lines, which start with a blank, are skipped); moves
 * *pos past it. false at the end. */
static bool next_stanza(const char **pos, const char *end, struct stanza *st)
{
	const char *p = *pos;
	bool any = false;

	memset(st, 0, sizeof(*st));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q;

		eol = eol ? eol : end;
		for (q = p; q < eol && is_blank(*q); q++)
			;
		if (q == eol && any)
			break;
		if (q != eol) {
			any = true;
			if (q == p)
				stanza_field(p, eol, st);
		}
		p = eol < end ? eol + 1 : end;
	}
	*pos = p;
	return any;
}

static bool is_version_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr(".+-~:", c));
}

/* The stanza's version as a string, if it has one that fits and is made of
 * the characters dpkg allows (letters, digits, ".+-~:"; no NUL, no blank). */
static bool stanza_version(const struct stanza *st, char v[64])
{
	if (st->ver_n == 0 || st->ver_n >= 64)
		return false;
	for (size_t i = 0; i < st->ver_n; i++)
		if (!is_version_char(st->ver[i]))
			return false;
	memcpy(v, st->ver, st->ver_n);
	v[st->ver_n] = '\0';
	return true;
}

static bool numbered(const char *s, size_t n, const char *prefix, bool flavours)
{
	size_t pn = strlen(prefix), d = 0;

	if (n <= pn || memcmp(s, prefix, pn) != 0)
		return false;
	s += pn;
	n -= pn;
	while (d < n && is_digit(s[d]))
		d++;
	if (d == 0)
		return false;
	s += d;
	n -= d;
	return n == 0 || (flavours && (span_is(s, n, "-server") || span_is(s, n, "-open") ||
				       span_is(s, n, "-server-open")));
}

static bool is_driver_pkg(const char *s, size_t n)
{
	return span_is(s, n, "libnvidia-ml1") || span_is(s, n, "nvidia-driver") ||
	       span_is(s, n, "nvidia-kernel-dkms") || span_is(s, n, "cuda-drivers") ||
	       numbered(s, n, "nvidia-driver-", true) ||
	       numbered(s, n, "libnvidia-compute-", true) ||
	       numbered(s, n, "cuda-drivers-", false);
}

/* Status "WANT ok installed". */
static bool is_installed(const struct stanza *st)
{
	const char *sp = st->status ? memchr(st->status, ' ', st->status_n) : NULL;

	return sp && span_is(sp, st->status_n - (size_t)(sp - st->status), " ok installed");
}

/* parse_dpkg_status appending to out[0..n). */
static size_t status_add(const char *buf, size_t len, struct drv_pkg *out, size_t n, size_t cap)
{
	const char *p = buf;
	struct stanza st;
	char v[64];

	if (!buf || !out)
		return n;
	while (next_stanza(&p, buf + len, &st)) {
		size_t i;

		if (!st.pkg || st.pkg_n >= sizeof(out->name) || !is_driver_pkg(st.pkg, st.pkg_n) ||
		    !is_installed(&st) || !stanza_version(&st, v))
			continue;
		for (i = 0; i < n && !span_is(st.pkg, st.pkg_n, out[i].name); i++)
			;
		if (i < n) {
			if (drv_vercmp(v, out[i].installed) > 0)
				memcpy(out[i].installed, v, sizeof(v));
			continue;
		}
		if (n == cap)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].name, st.pkg, st.pkg_n);
		memcpy(out[n].installed, v, sizeof(v));
		n++;
	}
	return n;
}

size_t parse_dpkg_status(const char *buf, size_t len, struct drv_pkg *out, size_t cap)
{
	return status_add(buf, len, out, 0, cap);
}

void parse_apt_packages(const char *buf, size_t len, struct drv_pkg *pkgs, size_t n)
{
	const char *p = buf;
	struct stanza st;
	char v[64];

	if (!buf || !pkgs)
		return;
	while (next_stanza(&p, buf + len, &st)) {
		if (!st.pkg || !stanza_version(&st, v))
			continue;
		for (size_t i = 0; i < n; i++)
			if (span_is(st.pkg, st.pkg_n, pkgs[i].name) &&
			    drv_vercmp(v, pkgs[i].installed) > 0 &&
			    (!pkgs[i].candidate[0] || drv_vercmp(v, pkgs[i].candidate) > 0))
				memcpy(pkgs[i].candidate, v, sizeof(v));
	}
}

struct pkg_list {
	struct drv_pkg *pkgs;
	size_t n, cap;
};
typedef void (*stanzas_fn)(const char *buf, size_t len, struct pkg_list *l);

static void status_chunk(const char *buf, size_t len, struct pkg_list *l)
{
	l->n = status_add(buf, len, l->pkgs, l->n, l->cap);
}

static void apt_chunk(const char *buf, size_t len, struct pkg_list *l)
{
	parse_apt_packages(buf, len, l->pkgs, l->n);
}

/* The end of the last "\n\n" in [s, s+n), 0 when none. */
static size_t last_sep(const char *s, size_t n)
{
	for (size_t i = n; i >= 2; i--)
		if (s[i - 1] == '\n' && s[i - 2] == '\n')
			return i;
	return 0;
}

/* dirfd/path handed to fn in runs of whole stanzas through buf
 * (DRV_STANZA_BUF bytes), cut after an empty line ("\n\n": a line of
 * blanks ends a stanza for the parsers but is no cut point; dpkg and apt
 * write none); a stanza that does not fit is dropped up to the next empty
 * line. O_NONBLOCK: a FIFO among the lists never blocks the guard. 0 or
 * -errno. */
static int stream_stanzas(int dirfd, const char *path, char *buf, stanzas_fn fn,
			  struct pkg_list *l)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r = 0;
	size_t len = 0, from, cut;
	bool skip = false, eof = false;

	if (fd < 0)
		return -errno;
	while (!eof) {
		ssize_t got = read(fd, buf + len, DRV_STANZA_BUF - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		eof = got == 0;
		len += (size_t)got;
		from = 0;
		if (skip) {
			const char *sep = memmem(buf, len, "\n\n", 2);

			if (!sep) {     /* keep a last '\n': "\n\n" may straddle reads */
				buf[0] = len ? buf[len - 1] : 0;
				len = len ? 1 : 0;
				continue;
			}
			from = (size_t)(sep - buf) + 2;
			skip = false;
		}
		cut = eof ? len : from + last_sep(buf + from, len - from);
		if (cut > from) {
			fn(buf + from, cut - from, l);
		} else if (from == 0 && len == DRV_STANZA_BUF) {
			skip = true;
			cut = len - 1;
		}
		memmove(buf, buf + cut, len - cut);
		len -= cut;
	}
	close(fd);
	return r;
}

int drv_packages(int root_fd, struct drv_pkg *out, size_t cap)
{
	struct pkg_list l = { .cap = cap };
	struct dirent *de;
	DIR *d = NULL;
	char *buf;
	int r, fd;

	if (!out && cap)
		return -EINVAL;
	buf = malloc(DRV_STANZA_BUF);
	l.pkgs = calloc(cap ? cap : 1, sizeof(*l.pkgs));
	r = buf && l.pkgs ? 0 : -ENOMEM;
	if (r == 0)
		r = stream_stanzas(root_fd, "var/lib/dpkg/status", buf, status_chunk, &l);
	if (r == 0 && l.n > 0 &&
	    (fd = openat(root_fd, "var/lib/apt/lists", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
	    !(d = fdopendir(fd)))
		close(fd);
	/* uncompressed lists only: "_Packages.lz4" and "_Packages.gz" are skipped */
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 9 && strcmp(de->d_name + n - 9, "_Packages") == 0)
			(void)stream_stanzas(dirfd(d), de->d_name, buf, apt_chunk, &l);
	}
	if (d)
		closedir(d);
	if (r == 0 && l.n > 0)
		memcpy(out, l.pkgs, l.n * sizeof(*out));
	free(buf);
	free(l.pkgs);
	return r < 0 ? r : (int)l.n;
}
