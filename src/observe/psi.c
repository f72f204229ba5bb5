// SPDX-License-Identifier: GPL-2.0-or-later
/* Pressure stall information: parser, re-reader, trigger registration. */
#include "observe/psi.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* "key=" then a non-negative decimal "D[.D]" (the kernel prints "%lu.%02lu");
 * advances *sp past it. No strtod: on every tick it cost more than reading
 * the file. */
static int parse_avg(const char **sp, const char *key, double *ret)
{
	const char *s = *sp;
	size_t kl = strlen(key);
	double v;

	if (strncmp(s, key, kl) != 0 || s[kl] != '=')
		return -EINVAL;
	s += kl + 1;
	if (!(*s >= '0' && *s <= '9'))
		return -EINVAL;         /* no sign, no "inf"/"nan", no blanks */
	if (parse_decimal_double(&s, &v) < 0 || s[-1] == '.')
		return -EINVAL;         /* "1." has no fraction digits */
	*sp = s;
	*ret = v > 100.0 ? 100.0 : v;   /* a share: never above 100 % */
	return 0;
}

/* One "avg10=.. avg60=.. avg300=.. total=N" tail, ending at eol. */
static int parse_line(const char *s, const char *eol, struct psi_line *ret)
{
	struct psi_line l;
	char tmp[32];
	size_t n;
	int r;

	r = parse_avg(&s, "avg10", &l.avg10);
	if (r < 0 || *s++ != ' ')
		return -EINVAL;
	r = parse_avg(&s, "avg60", &l.avg60);
	if (r < 0 || *s++ != ' ')
		return -EINVAL;
	r = parse_avg(&s, "avg300", &l.avg300);
	if (r < 0 || *s++ != ' ')
		return -EINVAL;
	if (strncmp(s, "total=", 6) != 0)
		return -EINVAL;
	s += 6;
	if (s > eol)
		return -EINVAL;
	n = (size_t)(eol - s);
	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	r = parse_u64(tmp, &l.total_us);
	if (r < 0)
		return r;
	*ret = l;
	return 0;
}

int parse_psi(const char *buf, struct psi *ret)
{
	struct psi p = { 0 };
	bool has_some = false;
	const char *s, *eol;
	int r;

	if (!buf)
		return -EINVAL;
	for (s = buf; *s; s = *eol ? eol + 1 : eol) {
		eol = strchrnul(s, '\n');
		if (eol == s)
			continue;       /* blank line */
		if (strncmp(s, "some ", 5) == 0 && !has_some) {
			r = parse_line(s + 5, eol, &p.some);
			has_some = true;
		} else if (strncmp(s, "full ", 5) == 0 && !p.has_full) {
			r = parse_line(s + 5, eol, &p.full);
			p.has_full = true;
		} else {
			r = -EINVAL;
		}
		if (r < 0)
			return -EINVAL;
	}
	if (!has_some)
		return -EINVAL;
	*ret = p;
	return 0;
}

int psi_read_fd(int fd, struct psi *ret)
{
	char buf[512];
	ssize_t n;

	n = reread_whole_fd(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_psi(buf, ret);
}

int psi_trigger_open(int dirfd, const char *path, bool full,
		     uint64_t stall_us, uint64_t window_us)
{
	char trig[64];
	int fd, n, err;

	n = snprintf(trig, sizeof(trig), "%s %llu %llu", full ? "full" : "some",
		     (unsigned long long)stall_us, (unsigned long long)window_us);
	if (n < 0 || (size_t)n >= sizeof(trig))
		return -EINVAL;
	fd = openat(dirfd, path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* The kernel's documented example writes strlen + 1 (with the NUL). */
	if (write(fd, trig, (size_t)n + 1) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

double psi_share(uint64_t total_before, uint64_t total_after, uint64_t elapsed_us)
{
	double v;

	if (elapsed_us == 0 || total_after <= total_before)
		return 0.0;
	v = (double)(total_after - total_before) * 100.0 / (double)elapsed_us;
	return v > 100.0 ? 100.0 : v;
}
