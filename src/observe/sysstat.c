// SPDX-License-Identifier: GPL-2.0-or-later
/* CPU and I/O counters: /proc/stat, /proc/loadavg, /proc/PID/io,
 * /proc/diskstats, cgroup v2 cpu.stat and io.stat. */
#include "observe/sysstat.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The token [s, e) as a number: digits only (no sign, no blank inside),
 * then the checked parse_u64. */
static int tok_u64(const char *s, const char *e, uint64_t *ret)
{
	char tmp[32];
	size_t n = (size_t)(e - s);

	if (n == 0)
		return -EINVAL;
	for (const char *c = s; c < e; c++)
		if (!is_digit(*c))
			return -EINVAL;
	if (n >= sizeof(tmp))
		return -ERANGE;         /* 32 digits and more: past UINT64_MAX */
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_u64(tmp, ret);
}

static int tok_uint(const char *s, const char *e, unsigned *ret)
{
	uint64_t v;
	int r = tok_u64(s, e, &v);

	if (r < 0)
		return r;
	if (v > UINT_MAX)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

/* The next blank-separated token of [*sp, eol) in [*ts, *te); false at
 * the end of the line. */
static bool next_tok(const char **sp, const char *eol, const char **ts, const char **te)
{
	const char *s = *sp;

	while (s < eol && is_blank(*s))
		s++;
	if (s == eol)
		return false;
	*ts = s;
	while (s < eol && !is_blank(*s))
		s++;
	*te = s;
	*sp = s;
	return true;
}

static bool line_blank(const char *p, const char *eol)
{
	while (p < eol && is_blank(*p))
		p++;
	return p == eol;
}

#define NEXT_LINE(eol) (*(eol) ? (eol) + 1 : (eol))

/* ---- /proc/stat ---- */

/* parse_proc_stat_cpu, and where the scan stopped: the end of the first
 * line, or (with ret_ncpu) the start of the first line after the cpuN ones
 * or the terminating NUL. */
static int stat_cpu(const char *buf, struct cpu_times *ret, unsigned *ret_ncpu, const char **ret_end)
{
	uint64_t v[8] = { 0 };
	const char *p, *s, *eol, *ts, *te;
	size_t nf = 0;
	unsigned ncpu = 0;
	int r;

	if (!buf || strncmp(buf, "cpu", 3) != 0 || !is_blank(buf[3]))
		return -EINVAL;
	eol = strchrnul(buf, '\n');
	for (s = buf + 3; next_tok(&s, eol, &ts, &te); nf++) {
		uint64_t x;

		r = tok_u64(ts, te, &x);
		if (r < 0)
			return r;
		if (nf < ARRAY_SIZE(v))
			v[nf] = x;
	}
	if (nf < 4)
		return -EINVAL;
	if (ret_ncpu) {
		for (p = NEXT_LINE(eol); *p; p = NEXT_LINE(eol)) {
			eol = strchrnul(p, '\n');
			if (strncmp(p, "cpu", 3) != 0)
				break;
			for (s = p + 3; s < eol && is_digit(*s); s++)
				;
			if (s == p + 3 || (s < eol && !is_blank(*s)))
				break;
			if (ncpu < UINT_MAX)
				ncpu++;
		}
		eol = p;
	}
	*ret = (struct cpu_times){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
	if (ret_ncpu)
		*ret_ncpu = ncpu;
	*ret_end = eol;
	return 0;
}

int parse_proc_stat_cpu(const char *buf, struct cpu_times *ret, unsigned *ret_ncpu)
{
	const char *end;

	return stat_cpu(buf, ret, ret_ncpu, &end);
}

/* In a full buffer, whether what the scan needed may go on past its end:
 * it stopped at the NUL, or at a last, unterminated line that could be the
 * start of a "cpuN" line. */
static bool cut_short(const char *end)
{
	size_t n = strnlen(end, 3);

	return !strchr(end, '\n') && strncmp(end, "cpu", n) == 0;
}

int read_proc_stat_cpu(int proc_fd, struct cpu_times *ret, unsigned *ret_ncpu)
{
	char buf[65536];
	struct cpu_times t;
	unsigned ncpu;
	const char *end;
	ssize_t n;
	int r;

	n = read_file_at(proc_fd, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	r = stat_cpu(buf, &t, ret_ncpu ? &ncpu : NULL, &end);
	if (r < 0)
		return r;
	if ((size_t)n == sizeof(buf) - 1 && cut_short(end))
		return -EFBIG;          /* a number or a cpu line may be lost */
	*ret = t;
	if (ret_ncpu)
		*ret_ncpu = ncpu;
	return 0;
}

static uint64_t cpu_total(const struct cpu_times *t)
{
	const uint64_t f[] = { t->user, t->nice, t->system, t->idle, t->iowait, t->irq,
			       t->softirq, t->steal };
	uint64_t s = 0;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		s = sat_add(s, f[i]);
	return s;
}

double cpu_busy_percent(const struct cpu_times *before, const struct cpu_times *after)
{
	uint64_t t0, t1, i0, i1, dt, di;

	if (!before || !after)
		return -1;
	t0 = cpu_total(before);
	t1 = cpu_total(after);
	i0 = sat_add(before->idle, before->iowait);
	i1 = sat_add(after->idle, after->iowait);
	if (t1 <= t0 || i1 < i0)
		return -1;
	dt = t1 - t0;
	di = i1 - i0;
	if (di >= dt)
		return 0.0;             /* another field went backwards */
	/* The share first: a quotient of doubles a <= b is <= 1, so 100 times
	 * it is <= 100; (100.0 * a) / b rounded twice and could exceed 100. */
	return 100.0 * ((double)(dt - di) / (double)dt);
}

/* ---- /proc/loadavg ---- */

/* Digits at *sp, then the character end, as an unsigned; advances past
 * end (not past a NUL). */
static int field_uint(const char **sp, char end, unsigned *ret)
{
	const char *s = *sp, *e;
	int r;

	for (e = s; is_digit(*e); e++)
		;
	if (*e != end)
		return -EINVAL;
	r = tok_uint(s, e, ret);
	if (r < 0)
		return r;
	*sp = end ? e + 1 : e;
	return 0;
}

int parse_loadavg(const char *buf, struct loadavg *ret)
{
	struct loadavg l;
	double *load[] = { &l.load1, &l.load5, &l.load15 };
	const char *s = buf;
	int r;

	if (!buf)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(load); i++) {
		if (!is_digit(*s))
			return -EINVAL;         /* no sign, no blank, no "nan" */
		if (parse_decimal_double(&s, load[i]) < 0 || s[-1] == '.' || *s != ' ')
			return -EINVAL;
		s++;
	}
	r = field_uint(&s, '/', &l.running);
	if (r < 0)
		return r;
	r = field_uint(&s, ' ', &l.total);
	if (r < 0)
		return r;
	r = field_uint(&s, '\n', &l.last_pid);
	if (r == -EINVAL)       /* or the end without a newline */
		r = field_uint(&s, '\0', &l.last_pid);
	if (r < 0)
		return r;
	if (*s)
		return -EINVAL;
	*ret = l;
	return 0;
}

int read_loadavg(int proc_fd, struct loadavg *ret)
{
	char buf[256];
	ssize_t n;

	n = read_file_at(proc_fd, "loadavg", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_loadavg(buf, ret);
}

/* ---- "key: value" and "key value" files ---- */

struct key {
	const char *name;
	size_t len, off;        /* offset of its uint64_t in the struct */
};
#define KEY(s, f) { #f, sizeof(#f) - 1, offsetof(s, f) }

/* Lines "KEY<sep>VALUE" into dst: known keys (the first occurrence) need
 * a number, unknown ones are ignored, blank lines skipped; a line without
 * sep or with an empty key is -EINVAL. *ret_seen: bit i for keys[i]. */
static int parse_keyed(const char *buf, char sep, const struct key *keys, size_t nkeys,
		       void *dst, unsigned *ret_seen)
{
	const char *p, *eol, *k, *s, *e;
	unsigned seen = 0;
	int r;

	if (!buf)
		return -EINVAL;
	for (p = buf; *p; p = NEXT_LINE(eol)) {
		eol = strchrnul(p, '\n');
		if (line_blank(p, eol))
			continue;
		k = memchr(p, sep, (size_t)(eol - p));
		if (!k || k == p)
			return -EINVAL;
		for (size_t i = 0; i < nkeys; i++) {
			if ((size_t)(k - p) != keys[i].len || memcmp(p, keys[i].name, keys[i].len) != 0)
				continue;
			if (seen & (1u << i))
				break;
			for (s = k + 1; s < eol && is_blank(*s); s++)
				;
			for (e = eol; e > s && is_blank(e[-1]); e--)
				;
			r = tok_u64(s, e, (uint64_t *)((char *)dst + keys[i].off));
			if (r < 0)
				return r;
			seen |= 1u << i;
			break;
		}
	}
	*ret_seen = seen;
	return 0;
}

/* ---- /proc/PID/io ---- */

int parse_proc_io(const char *buf, struct proc_io *ret)
{
	static const struct key keys[] = {
		KEY(struct proc_io, read_bytes), KEY(struct proc_io, write_bytes),
		KEY(struct proc_io, rchar), KEY(struct proc_io, wchar),
		KEY(struct proc_io, syscr), KEY(struct proc_io, syscw),
		KEY(struct proc_io, cancelled_write_bytes),
	};
	struct proc_io io = { 0 };
	unsigned seen;
	int r;

	r = parse_keyed(buf, ':', keys, ARRAY_SIZE(keys), &io, &seen);
	if (r < 0)
		return r;
	if ((seen & 3u) != 3u)
		return -EINVAL;         /* read_bytes and write_bytes */
	*ret = io;
	return 0;
}

int proc_read_io(int proc_fd, int pid, struct proc_io *ret)
{
	char name[32], buf[512];
	ssize_t n;

	snprintf(name, sizeof(name), "%d/io", pid);
	n = read_file_at(proc_fd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_proc_io(buf, ret);
}

uint64_t proc_io_storage_bytes(const struct proc_io *io)
{
	uint64_t s;

	if (!io)
		return 0;
	s = sat_add(io->read_bytes, io->write_bytes);
	return s > io->cancelled_write_bytes ? s - io->cancelled_write_bytes : 0;
}

/* ---- cgroup v2 cpu.stat ---- */

int parse_cg_cpu_stat(const char *buf, struct cg_cpu_stat *ret)
{
	static const struct key keys[] = {
		KEY(struct cg_cpu_stat, usage_usec), KEY(struct cg_cpu_stat, user_usec),
		KEY(struct cg_cpu_stat, system_usec), KEY(struct cg_cpu_stat, nr_periods),
		KEY(struct cg_cpu_stat, nr_throttled), KEY(struct cg_cpu_stat, throttled_usec),
		KEY(struct cg_cpu_stat, nr_bursts), KEY(struct cg_cpu_stat, burst_usec),
	};
	struct cg_cpu_stat c = { 0 };
	unsigned seen;
	int r;

	r = parse_keyed(buf, ' ', keys, ARRAY_SIZE(keys), &c, &seen);
	if (r < 0)
		return r;
	if (!(seen & 1u))
		return -EINVAL;         /* usage_usec */
	*ret = c;
	return 0;
}

/* ---- /proc/diskstats ---- */

/* A line_fn (below): ret is a struct diskstat. */
static int diskstat_line(const char *s, const char *eol, void *ret)
{
	struct diskstat d = { 0 };
	uint64_t *f[] = { &d.reads, &d.reads_merged, &d.read_sectors, &d.read_ms,
			  &d.writes, &d.writes_merged, &d.write_sectors, &d.write_ms,
			  &d.in_flight, &d.io_ms, &d.weighted_ms };
	const char *ts, *te;
	int r;

	if (!next_tok(&s, eol, &ts, &te))
		return -EINVAL;
	r = tok_uint(ts, te, &d.major);
	if (r < 0)
		return r;
	if (!next_tok(&s, eol, &ts, &te))
		return -EINVAL;
	r = tok_uint(ts, te, &d.minor);
	if (r < 0)
		return r;
	if (!next_tok(&s, eol, &ts, &te) || (size_t)(te - ts) >= sizeof(d.name))
		return -EINVAL;
	memcpy(d.name, ts, (size_t)(te - ts));
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!next_tok(&s, eol, &ts, &te))
			return -EINVAL;
		r = tok_u64(ts, te, f[i]);
		if (r < 0)
			return r;
	}
	*(struct diskstat *)ret = d;
	return 0;
}

/* A file of one record per line (blank lines skipped): every line is
 * parsed by line_fn into a scratch record of elem bytes; out[0..cap) is
 * filled only once every line was checked (out untouched on error), and
 * *ret_n gets the number of records, which may exceed cap. */
typedef int (*line_fn)(const char *s, const char *eol, void *ret);

static int lines_walk(const char *buf, line_fn fn, void *scratch, void *out, size_t elem,
		      size_t cap, size_t *ret_n)
{
	const char *p, *eol;
	size_t n = 0;
	int r;

	for (p = buf; *p; p = NEXT_LINE(eol)) {
		eol = strchrnul(p, '\n');
		if (line_blank(p, eol))
			continue;
		r = fn(p, eol, scratch);
		if (r < 0)
			return r;
		if (out && n < cap)
			memcpy((char *)out + n * elem, scratch, elem);
		n++;
	}
	*ret_n = n;
	return 0;
}

static int parse_lines(const char *buf, line_fn fn, void *scratch, void *out, size_t elem,
		       size_t cap, size_t *ret_n)
{
	size_t n;
	int r;

	if (!buf || (!out && cap))
		return -EINVAL;
	r = lines_walk(buf, fn, scratch, NULL, elem, 0, &n);    /* first check */
	if (r < 0)
		return r;
	if (cap)
		(void)lines_walk(buf, fn, scratch, out, elem, cap, &n);
	if (ret_n)
		*ret_n = n;
	return 0;
}


int parse_diskstats(const char *buf, struct diskstat *out, size_t cap, size_t *ret_n)
{
	struct diskstat d;

	return parse_lines(buf, diskstat_line, &d, out, sizeof(d), cap, ret_n);
}

/* ---- cgroup v2 io.stat ---- */

/* A line_fn (below): ret is a struct cg_io_stat. */
static int io_stat_line(const char *s, const char *eol, void *ret)
{
	static const struct key keys[] = {
		KEY(struct cg_io_stat, rbytes), KEY(struct cg_io_stat, wbytes),
		KEY(struct cg_io_stat, rios), KEY(struct cg_io_stat, wios),
		KEY(struct cg_io_stat, dbytes), KEY(struct cg_io_stat, dios),
	};
	struct cg_io_stat v = { 0 };
	const char *ts, *te, *c;
	unsigned seen = 0;
	int r;

	if (!next_tok(&s, eol, &ts, &te) || !(c = memchr(ts, ':', (size_t)(te - ts))))
		return -EINVAL;
	r = tok_uint(ts, c, &v.major);
	if (r < 0)
		return r;
	r = tok_uint(c + 1, te, &v.minor);
	if (r < 0)
		return r;
	while (next_tok(&s, eol, &ts, &te)) {
		c = memchr(ts, '=', (size_t)(te - ts));
		if (!c || c == ts)
			return -EINVAL;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if ((size_t)(c - ts) != keys[i].len || memcmp(ts, keys[i].name, keys[i].len) != 0)
				continue;
			if (seen & (1u << i))
				break;
			r = tok_u64(c + 1, te, (uint64_t *)((char *)&v + keys[i].off));
			if (r < 0)
				return r;
			seen |= 1u << i;
			break;
		}
	}
	*(struct cg_io_stat *)ret = v;
	return 0;
}


int parse_cg_io_stat(const char *buf, struct cg_io_stat *out, size_t cap, size_t *ret_n)
{
	struct cg_io_stat v;

	return parse_lines(buf, io_stat_line, &v, out, sizeof(v), cap, ret_n);
}

uint64_t cg_io_stat_bytes(const struct cg_io_stat *v, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; v && i < n; i++)
		s = sat_add(sat_add(s, v[i].rbytes), v[i].wbytes);
	return s;
}
