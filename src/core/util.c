// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared helpers: checked number parsing, file I/O relative to directory
 * fds, escaping of untrusted strings, clocks. */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits only (no sign, no base prefix), then blanks, then the end. */
int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s)
		return -EINVAL;
	s = skip_blanks(s);
	if (*s == '+')
		s++;
	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10) {
			/* keep scanning so that junk still reads -EINVAL */
			while (is_digit(*s))
				s++;
			s = skip_blanks(s);
			return *s ? -EINVAL : -ERANGE;
		}
		v = v * 10 + d;
	}
	s = skip_blanks(s);
	if (*s)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_i64(const char *s, int64_t *ret)
{
	uint64_t mag;
	bool neg = false;
	int r;

	if (!s)
		return -EINVAL;
	s = skip_blanks(s);
	if (*s == '-') {
		neg = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	if (!is_digit(*s))
		return -EINVAL;
	r = parse_u64(s, &mag);
	if (r < 0)
		return r;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*ret = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > INT64_MAX)
			return -ERANGE;
		*ret = (int64_t)mag;
	}
	return 0;
}

int parse_int_range(const char *s, int64_t lo, int64_t hi, int64_t *ret)
{
	int64_t v;
	int r;

	r = parse_i64(s, &v);
	if (r < 0)
		return r;
	if (v < lo || v > hi)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* A non-negative decimal "123", "1.5", ".5": integer part and up to 9
 * fraction digits (more are accepted and truncated). Advances *sp. */
struct decimal {
	uint64_t ip;
	uint64_t frac;          /* fraction * 10^ndig */
	unsigned ndig;
};

static int parse_decimal(const char **sp, struct decimal *d)
{
	const char *s = *sp;
	bool any = false;

	d->ip = 0;
	d->frac = 0;
	d->ndig = 0;
	for (; is_digit(*s); s++) {
		unsigned v = (unsigned)(*s - '0');

		if (d->ip > (UINT64_MAX - v) / 10)
			return -ERANGE;
		d->ip = d->ip * 10 + v;
		any = true;
	}
	if (*s == '.') {
		s++;
		for (; is_digit(*s); s++) {
			if (d->ndig < 9) {
				d->frac = d->frac * 10 + (uint64_t)(*s - '0');
				d->ndig++;
			}
			any = true;
		}
	}
	if (!any)
		return -EINVAL;
	*sp = s;
	return 0;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

/* d * mult, with the fractional part rounded down (round_up: up). */
static int decimal_scale(const struct decimal *d, uint64_t mult, bool round_up, uint64_t *ret)
{
	uint64_t whole, part = 0, p;

	if (d->ip && mult > UINT64_MAX / d->ip)
		return -ERANGE;
	whole = d->ip * mult;
	if (d->ndig) {
		p = pow10u(d->ndig);
		/* frac * mult may overflow: split mult = q * p + r. With
		 * frac < p <= 1e9, frac * q < mult and frac * r < 1e18. */
		uint64_t q = mult / p, r = mult % p;
		uint64_t rem = d->frac * r;

		part = d->frac * q;

		part += rem / p;
		if (round_up && rem % p)
			part++;
	}
	if (whole > UINT64_MAX - part)
		return -ERANGE;
	*ret = whole + part;
	return 0;
}

int parse_decimal_double(const char **sp, double *ret)
{
	struct decimal d;
	int r = parse_decimal(sp, &d);

	if (r == -ERANGE) {     /* the integer part overflowed: skip the rest */
		while (is_digit(**sp))
			(*sp)++;
		if (**sp == '.')
			while (is_digit(*++*sp))
				;
		*ret = (double)UINT64_MAX;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = (double)d.ip + (double)d.frac / (double)pow10u(d.ndig);
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	struct decimal d;
	uint64_t mult = 1, v;
	int r;

	if (!s)
		return -EINVAL;
	s = skip_blanks(s);
	if (*s == '+')
		s++;
	r = parse_decimal(&s, &d);
	if (r < 0)
		return r;
	s = skip_blanks(s);
	switch (*s) {
	case 'k': case 'K': mult = 1ULL << 10; s++; break;
	case 'm': case 'M': mult = 1ULL << 20; s++; break;
	case 'g': case 'G': mult = 1ULL << 30; s++; break;
	case 't': case 'T': mult = 1ULL << 40; s++; break;
	default: break;
	}
	if (mult > 1 && (*s == 'i' || *s == 'I')) {
		s++;
		if (*s != 'b' && *s != 'B')
			return -EINVAL;
	}
	if (*s == 'b' || *s == 'B')
		s++;
	s = skip_blanks(s);
	if (*s)
		return -EINVAL;
	if (mult == 1 && d.frac)        /* fractional bytes make no sense */
		return -EINVAL;
	r = decimal_scale(&d, mult, false, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *ret)
{
	static const struct { const char *unit; uint64_t us; } units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", 1000000 }, { "sec", 1000000 },
		{ "min", 60000000 }, { "m", 60000000 }, { "h", 3600000000ULL },
		{ "d", 86400000000ULL },
	};
	struct decimal d;
	uint64_t mult = 1000, us;
	size_t n;
	int r;

	if (!s)
		return -EINVAL;
	s = skip_blanks(s);
	if (*s == '+')
		s++;
	r = parse_decimal(&s, &d);
	if (r < 0)
		return r;
	s = skip_blanks(s);
	if (*s) {
		n = strlen(s);
		while (n && is_blank(s[n - 1]))
			n--;
		mult = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			if (strlen(units[i].unit) == n && strncasecmp(s, units[i].unit, n) == 0) {
				mult = units[i].us;
				break;
			}
		}
		if (!mult)
			return -EINVAL;
	}
	r = decimal_scale(&d, mult, true, &us);
	if (r < 0)
		return r;
	*ret = us / 1000 + (us % 1000 ? 1 : 0);
	return 0;
}

int parse_percent(const char *s, double *ret)
{
	struct decimal d;
	double v;
	int r;

	if (!s)
		return -EINVAL;
	s = skip_blanks(s);
	if (*s == '+')
		s++;
	r = parse_decimal(&s, &d);
	if (r < 0)
		return r;
	s = skip_blanks(s);
	if (*s == '%')
		s++;
	s = skip_blanks(s);
	if (*s)
		return -EINVAL;
	if (d.ip > 100)
		return -ERANGE;
	v = (double)d.ip + (d.ndig ? (double)d.frac / (double)pow10u(d.ndig) : 0.0);
	if (v > 100.0)
		return -ERANGE;
	*ret = v;
	return 0;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int fd, err;

	if (!buf || size == 0)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got < size - 1) {
		size_t want = size - 1 - got;

		n = read(fd, buf + got, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		got += (size_t)n;
		/* For kernel (seq) files and regular files a short read is the
		 * end: no second read() just to see 0 (syscalls are what a
		 * /proc scan costs). */
		if ((size_t)n < want)
			break;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Room for at least one more byte and the NUL. */
static int grow(char **buf, size_t *cap, size_t got)
{
	size_t ncap;
	char *nb;

	if (*buf && got + 1 < *cap)
		return 0;
	if (*buf && *cap >= READ_WHOLE_MAX)
		return -EFBIG;
	ncap = *buf && *cap >= 4096 ? *cap * 2 : 4096;
	ncap = MIN(ncap, (size_t)READ_WHOLE_MAX);
	nb = realloc(*buf, ncap);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

ssize_t read_file_whole_at(int dirfd, const char *path, char **buf, size_t *cap)
{
	size_t got = 0;
	ssize_t n;
	int fd, r = 0;

	if (!buf || !cap)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		r = grow(buf, cap, got);
		if (r < 0)
			break;
		n = read(fd, *buf + got, *cap - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	(*buf)[got] = '\0';
	return (ssize_t)got;
}

ssize_t reread_fd(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	if (!buf || size == 0)
		return -EINVAL;
	while (got < size - 1) {
		n = pread(fd, buf + got, size - 1 - got, (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

ssize_t reread_whole_fd(int fd, char *buf, size_t size)
{
	ssize_t n;

	if (!buf || size == 0)
		return -EINVAL;
	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static int write_at(int dirfd, const char *path, const char *s, int flags)
{
	size_t len = strlen(s), done = 0;
	ssize_t n;
	int fd, err = 0;

	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags);
	if (fd < 0)
		return -errno;
	while (done < len) {
		n = write(fd, s + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			err = -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && !err && errno != EINTR)
		err = -errno;
	return err;
}

int write_file_at(int dirfd, const char *path, const char *s)
{
	return write_at(dirfd, path, s, 0);
}

int write_file_trunc_at(int dirfd, const char *path, const char *s)
{
	return write_at(dirfd, path, s, O_TRUNC);
}

int open_mkdir_parent(const char *path, int flags, unsigned mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode);
	char dir[PATH_MAX], *slash;

	if (fd >= 0)
		return fd;
	if (errno != ENOENT || !(flags & O_CREAT))
		return -errno;
	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return -ENOENT;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -ENOENT;
	fd = open(path, flags | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

const char *trust_problem(const struct stat *st, bool dir, uid_t owner)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return dir ? "not a directory" : "not a regular file";
	if (st->st_uid != 0 && st->st_uid != owner)
		return "not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

int open_trusted_at(int dirfd, const char *name, uid_t owner, struct stat *ret_st,
		    const char **ret_why)
{
	struct stat st;
	const char *why;
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP && ret_why)
			*ret_why = "a symbolic link";
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if ((why = trust_problem(&st, false, owner))) {
		close(fd);
		if (ret_why)
			*ret_why = why;
		return -EPERM;
	}
	if (ret_st)
		*ret_st = st;
	return fd;
}

/* The length (2 to 4) of the well-formed UTF-8 sequence at s, or 0: not a
 * lead byte (ASCII, a lone continuation byte, 0xc0, 0xc1, 0xf5..0xff), an
 * overlong form, a surrogate (U+D800..U+DFFF), a code point past U+10FFFF,
 * a sequence cut short (by the NUL too), or a C1 control (U+0080..U+009F),
 * which terminals obey like ASCII control characters. */
size_t utf8_printable(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xc2)
		lo = 0xa0;              /* U+0080..U+009F: C1 controls */
	else if (c == 0xe0)
		lo = 0xa0;              /* overlong */
	else if (c == 0xed)
		hi = 0x9f;              /* surrogates */
	else if (c == 0xf0)
		lo = 0x90;              /* overlong */
	else if (c == 0xf4)
		hi = 0x8f;              /* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static size_t escape_bytes(const char *src, char *dst, size_t size, bool quotes)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	if (!dst || size == 0)
		return 0;
	while (s && *s) {
		unsigned char c = *s;
		size_t n = c >= 0x80 ? utf8_printable(s) : 0;

		if (n) {                /* printable UTF-8: as it is, never split */
			if (o + n >= size)
				break;
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		} else if (c < 0x20 || c >= 0x7f || c == '\\' || (quotes && (c == '"' || c == '\''))) {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
			s++;
		} else {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
			s++;
		}
	}
	dst[o] = '\0';
	return o;
}

void escape_untrusted(const char *src, char *dst, size_t size)
{
	escape_bytes(src, dst, size, true);
}

size_t escape_log(const char *src, char *dst, size_t size)
{
	return escape_bytes(src, dst, size, false);
}

int timerfd_arm_ms(int tfd, uint64_t ms)
{
	struct itimerspec its = { 0 };

	if (!ms)
		ms = 1;
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

int timerfd_disarm(int tfd)
{
	struct itimerspec its = { 0 };

	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

uint64_t now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

uint64_t now_ms(void)
{
	return clock_us(CLOCK_MONOTONIC) / 1000ULL;
}

uint64_t realtime_ms(void)
{
	return clock_us(CLOCK_REALTIME) / 1000ULL;
}
