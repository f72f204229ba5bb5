// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the CPU and I/O parsers (/proc/stat's cpu lines,
 * /proc/loadavg, /proc/PID/io, /proc/diskstats, cgroup v2 cpu.stat and
 * io.stat). The same input goes to each. A failed parse writes nothing;
 * shares stay within 0-100 (or -1); the arrays are written only below both
 * cap and the count, with names NUL-terminated within bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/sysstat.h"
#include "fuzz.h"

#define CAP 4

static void check_share(const struct cpu_times *a, const struct cpu_times *b)
{
	double s = cpu_busy_percent(a, b);

	if (!(s == -1 || (s >= 0.0 && s <= 100.0)))
		abort();
}

static void check_stat(const char *buf)
{
	struct cpu_times t, t0, z = { 0 };
	unsigned ncpu = 7;

	memset(&t, 0xa5, sizeof(t));
	t0 = t;
	if (parse_proc_stat_cpu(buf, &t, &ncpu) < 0) {
		if (memcmp(&t, &t0, sizeof(t)) != 0 || ncpu != 7)
			abort();
		return;
	}
	check_share(&z, &t);
	check_share(&t, &z);
	check_share(&t0, &t);
	check_share(&t, &t0);
}

static void check_loadavg(const char *buf)
{
	struct loadavg l, l0;

	memset(&l, 0x5a, sizeof(l));
	l0 = l;
	if (parse_loadavg(buf, &l) == 0) {
		/* plain decimals: never negative, NaN or infinite */
		if (!(l.load1 >= 0 && l.load5 >= 0 && l.load15 >= 0) ||
		    !(l.load1 <= (double)UINT64_MAX && l.load5 <= (double)UINT64_MAX &&
		      l.load15 <= (double)UINT64_MAX))
			abort();
	} else if (memcmp(&l, &l0, sizeof(l)) != 0) {
		abort();
	}
}

static void check_io(const char *buf)
{
	struct proc_io io, io0;
	struct cg_cpu_stat c, c0;

	memset(&io, 0xa5, sizeof(io));
	io0 = io;
	if (parse_proc_io(buf, &io) == 0) {
		uint64_t s = proc_io_storage_bytes(&io);

		if (s > io.read_bytes + io.write_bytes && io.read_bytes <= UINT64_MAX - io.write_bytes)
			abort();
	} else if (memcmp(&io, &io0, sizeof(io)) != 0) {
		abort();
	}

	memset(&c, 0x5a, sizeof(c));
	c0 = c;
	if (parse_cg_cpu_stat(buf, &c) < 0 && memcmp(&c, &c0, sizeof(c)) != 0)
		abort();
}

static void check_diskstats(const char *buf)
{
	struct diskstat d[CAP], d0[CAP];
	size_t n = 77, n0 = 77;
	int r;

	memset(d, 0xa5, sizeof(d));
	memcpy(d0, d, sizeof(d));
	r = parse_diskstats(buf, d, CAP, &n);
	if (r < 0) {
		if (n != 77 || memcmp(d, d0, sizeof(d)) != 0 || parse_diskstats(buf, NULL, 0, &n0) != r)
			abort();
		return;
	}
	if (parse_diskstats(buf, NULL, 0, &n0) != 0 || n0 != n)
		abort();
	for (size_t i = 0; i < CAP; i++) {
		if (i >= n) {
			if (memcmp(&d[i], &d0[i], sizeof(d[i])) != 0)
				abort();
			continue;
		}
		size_t l = strnlen(d[i].name, sizeof(d[i].name));

		if (l == 0 || l >= sizeof(d[i].name) || strpbrk(d[i].name, " \t\n"))
			abort();
	}
}

static void check_io_stat(const char *buf)
{
	struct cg_io_stat v[CAP], v0[CAP];
	size_t n = 77, n0 = 77;
	uint64_t sum;
	int r;

	memset(v, 0x5a, sizeof(v));
	memcpy(v0, v, sizeof(v));
	r = parse_cg_io_stat(buf, v, CAP, &n);
	if (r < 0) {
		if (n != 77 || memcmp(v, v0, sizeof(v)) != 0 || parse_cg_io_stat(buf, NULL, 0, &n0) != r)
			abort();
		return;
	}
	if (parse_cg_io_stat(buf, NULL, 0, &n0) != 0 || n0 != n)
		abort();
	sum = cg_io_stat_bytes(v, n < CAP ? n : CAP);
	for (size_t i = 0; i < CAP; i++) {
		if (i >= n) {
			if (memcmp(&v[i], &v0[i], sizeof(v[i])) != 0)
				abort();
		} else if (sum < v[i].rbytes || sum < v[i].wbytes) {
			abort();        /* saturates, never wraps */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	check_stat(buf);
	check_loadavg(buf);
	check_io(buf);
	check_diskstats(buf);
	check_io_stat(buf);
	free(buf);
	return 0;
}
