// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "observe/sysstat.h"
#include "tests/fixture.h"

#define NEAR(a, b) ((a) - (b) < 1e-9 && (b) - (a) < 1e-9)

/* A 2-CPU VM running 6.18 (its intr line cut short: hundreds of zeros). */
static const char real_stat[] =
	"cpu  1720714 2052 188471 596962 1751 0 762 3528 0 0\n"
	"cpu0 856736 1262 91248 305411 508 0 88 1743 0 0\n"
	"cpu1 863978 789 97222 291551 1242 0 674 1785 0 0\n"
	"intr 20007698 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 16 0 0 0 0 2539\n"
	"ctxt 64695732\n"
	"btime 1795945300\n"
	"processes 188652\n"
	"procs_running 3\n"
	"procs_blocked 0\n"
	"softirq 4445694 0 550256 4 2505 735335 0 5 1709190 0 1448399\n";

static void test_stat_real(void **state)
{
	struct cpu_times t;
	unsigned ncpu = 0;

	assert_int_equal(parse_proc_stat_cpu(real_stat, &t, &ncpu), 0);
	assert_int_equal(ncpu, 2);
	assert_true(t.user == 1720714 && t.nice == 2052 && t.system == 188471 && t.idle == 596962);
	assert_true(t.iowait == 1751 && t.irq == 0 && t.softirq == 762 && t.steal == 3528);
	assert_int_equal(parse_proc_stat_cpu(real_stat, &t, NULL), 0);
}

static void test_stat_fields(void **state)
{
	struct cpu_times t;
	unsigned ncpu = 9;

	/* 2.6.0: four fields; no cpuN line, no newline */
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4", &t, &ncpu), 0);
	assert_true(t.user == 1 && t.nice == 2 && t.system == 3 && t.idle == 4);
	assert_true(t.iowait == 0 && t.irq == 0 && t.softirq == 0 && t.steal == 0);
	assert_int_equal(ncpu, 0);
	/* 2.6.11: seven fields, tabs */
	assert_int_equal(parse_proc_stat_cpu("cpu\t1\t2\t3\t4\t5\t6\t7\ncpu0 1 2 3 4 5 6 7\n", &t, &ncpu), 0);
	assert_true(t.softirq == 7 && t.steal == 0);
	assert_int_equal(ncpu, 1);
	/* fields past steal: numbers, ignored (a future kernel's 11th too) */
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4 5 6 7 8 9 10 11\n", &t, NULL), 0);
	assert_true(t.steal == 8);
	assert_int_equal(parse_proc_stat_cpu("cpu  18446744073709551615 0 0 0\n", &t, NULL), 0);
	assert_true(t.user == UINT64_MAX);
}

static void test_stat_ncpu(void **state)
{
	struct cpu_times t;
	unsigned ncpu;

	/* counting stops at the first line that is not "cpuN" */
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 0\ncpu1 1 2 3 4\n",
					     &t, &ncpu), 0);
	assert_int_equal(ncpu, 1);
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4\ncpu0 1\ncpu17 1\ncpu255", &t, &ncpu), 0);
	assert_int_equal(ncpu, 3);
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4\ncpux 1\ncpu1 1\n", &t, &ncpu), 0);
	assert_int_equal(ncpu, 0);
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4\ncpu1x 1\n", &t, &ncpu), 0);
	assert_int_equal(ncpu, 0);
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4\ncp", &t, &ncpu), 0);
	assert_int_equal(ncpu, 0);
}

static void test_stat_hostile(void **state)
{
	static const char *bad[] = {
		"", "\n", "cpu", "cpu\n", "cpu  1 2 3\n", "cpu  1 2 3\n4\n",
		"cpu0 1 2 3 4\n",                       /* no aggregate line */
		"intr 1\ncpu  1 2 3 4\n",               /* not the first line */
		"cpu1 2 3 4 5\n", "CPU  1 2 3 4\n", "cpux 1 2 3 4\n",
		"cpu  -1 2 3 4\n", "cpu  +1 2 3 4\n", "cpu  1 2 3 x\n", "cpu  1 2 3 4x\n",
		"cpu  0x1 2 3 4\n", "cpu  1 2 3 4 5 6 7 8 9 -10\n", "cpu  1 2 3 4.5\n",
		"cpu  1,2 3 4 5\n", "cpu  1 2 3 4\r\n",
	};
	struct cpu_times t = { .user = 77 };
	unsigned ncpu = 77;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_proc_stat_cpu(bad[i], &t, &ncpu) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(parse_proc_stat_cpu("cpu  18446744073709551616 2 3 4\n", &t, &ncpu), -ERANGE);
	assert_int_equal(parse_proc_stat_cpu("cpu  1 2 3 4 5 6 7 8 99999999999999999999999999999999999\n",
					     &t, &ncpu), -ERANGE);
	assert_int_equal(parse_proc_stat_cpu(NULL, &t, &ncpu), -EINVAL);
	assert_true(t.user == 77 && ncpu == 77);        /* untouched on error */
}

/* A /proc/stat of n cpuN lines, then an intr line of `intr` bytes. */
static char *big_stat(unsigned n, size_t intr)
{
	size_t size = 64 + (size_t)n * 64 + intr + 16, o;
	char *s = malloc(size);

	assert_non_null(s);
	o = (size_t)snprintf(s, size, "cpu  1 2 3 4 5 6 7 8 0 0\n");
	for (unsigned i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, size - o, "cpu%u 123456789 0 1234567 987654321 0 0 0 0 0 0\n", i);
	o += (size_t)snprintf(s + o, size - o, "intr");
	while (intr--)
		s[o++] = ' ';
	s[o++] = '0';
	s[o++] = '\n';
	s[o] = '\0';
	return s;
}

static void test_read_stat_fixture(void **state)
{
	struct fixture *f = fixture_new();
	struct cpu_times t;
	unsigned ncpu;
	char *s;

	fixture_file(f, "stat", real_stat);
	assert_int_equal(read_proc_stat_cpu(f->dirfd, &t, &ncpu), 0);
	assert_int_equal(ncpu, 2);
	assert_true(t.steal == 3528);

	/* 4096 CPUs (220 KiB of cpu lines) do not fit: said, not miscounted */
	s = big_stat(4096, 0);
	fixture_file(f, "stat", s);
	free(s);
	ncpu = 77;
	assert_int_equal(read_proc_stat_cpu(f->dirfd, &t, &ncpu), -EFBIG);
	assert_int_equal(ncpu, 77);
	assert_int_equal(read_proc_stat_cpu(f->dirfd, &t, NULL), 0);  /* the aggregate fits */
	assert_true(t.user == 1 && t.steal == 8);

	/* 500 CPUs and a 100 KiB intr line: the cpu lines fit, their end is seen */
	s = big_stat(500, 100000);
	fixture_file(f, "stat", s);
	free(s);
	assert_int_equal(read_proc_stat_cpu(f->dirfd, &t, &ncpu), 0);
	assert_int_equal(ncpu, 500);

	fixture_free(f);
	f = fixture_new();
	assert_int_equal(read_proc_stat_cpu(f->dirfd, &t, &ncpu), -ENOENT);
	fixture_free(f);
}

static void test_busy(void **state)
{
	const struct cpu_times zero = { 0 };
	struct cpu_times a, b;

	b = (struct cpu_times){ .user = 50, .idle = 50 };
	assert_true(cpu_busy_percent(&zero, &b) == 50.0);
	/* iowait is idle time; irq, softirq, steal, system, nice are busy */
	b = (struct cpu_times){ .user = 10, .iowait = 25, .idle = 50, .nice = 5, .system = 5,
				.irq = 1, .softirq = 2, .steal = 2 };
	assert_true(cpu_busy_percent(&zero, &b) == 25.0);
	b = (struct cpu_times){ .idle = 100 };
	assert_true(cpu_busy_percent(&zero, &b) == 0.0);
	b = (struct cpu_times){ .system = 100 };
	assert_true(cpu_busy_percent(&zero, &b) == 100.0);

	/* no time passed; counters went backwards (total, or idle + iowait) */
	assert_true(cpu_busy_percent(&b, &b) == -1);
	assert_true(cpu_busy_percent(&zero, &zero) == -1);
	assert_true(cpu_busy_percent(&b, &zero) == -1);
	a = (struct cpu_times){ .user = 10, .idle = 100 };
	b = (struct cpu_times){ .user = 200, .idle = 90 };
	assert_true(cpu_busy_percent(&a, &b) == -1);
	/* iowait alone going back (documented) is fine while idle grows more */
	a = (struct cpu_times){ .user = 100, .idle = 100, .iowait = 30 };
	b = (struct cpu_times){ .user = 150, .idle = 180, .iowait = 0 };
	assert_true(cpu_busy_percent(&a, &b) == 50.0);
	/* another field going back cannot make the share negative */
	a = (struct cpu_times){ .user = 100, .idle = 100 };
	b = (struct cpu_times){ .user = 90, .idle = 120 };
	assert_true(cpu_busy_percent(&a, &b) == 0.0);
	/* the real sample, one second later on two CPUs: 150 of 200 ticks busy */
	assert_int_equal(parse_proc_stat_cpu(real_stat, &a, NULL), 0);
	b = a;
	b.user += 140;
	b.system += 10;
	b.idle += 45;
	b.iowait += 5;
	assert_true(cpu_busy_percent(&a, &b) == 75.0);
	/* found by fuzz_sysstat: 100.0 * busy / total rounded twice gave
	 * 100.00000000000001 */
	assert_int_equal(parse_proc_stat_cpu("cpu  99999999999999999 22 3 4\n", &b, NULL), 0);
	a = (struct cpu_times){ 0 };
	assert_true(cpu_busy_percent(&a, &b) <= 100.0);
	assert_true(cpu_busy_percent(&a, &b) > 99.9);
	/* hostile sums saturate: no wrap into a bogus share */
	a = (struct cpu_times){ .user = UINT64_MAX, .idle = UINT64_MAX };
	b = a;
	assert_true(cpu_busy_percent(&a, &b) == -1);
	assert_true(cpu_busy_percent(NULL, &b) == -1);
	assert_true(cpu_busy_percent(&a, NULL) == -1);
}

/* Read-only look at this machine's /proc/stat, twice. */
static void test_real_proc_stat(void **state)
{
	struct cpu_times a, b;
	unsigned ncpu = 0;
	double busy;
	int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (pfd < 0)
		skip();
	assert_int_equal(read_proc_stat_cpu(pfd, &a, &ncpu), 0);
	assert_true(ncpu >= 1);
	assert_true(a.user + a.system + a.idle > 0);
	usleep(20000);
	assert_int_equal(read_proc_stat_cpu(pfd, &b, NULL), 0);
	busy = cpu_busy_percent(&a, &b);
	assert_true(busy == -1 || (busy >= 0.0 && busy <= 100.0));
	close(pfd);
}

static void test_loadavg(void **state)
{
	static const char *bad[] = {
		"", "\n", "1.16 1.25 1.50 4/97", "1.16 1.25 1.50 4/97 ", "1.16 1.25 4/97 26359\n",
		"-1.16 1.25 1.50 4/97 26359\n", "1.16 -1.25 1.50 4/97 26359\n",
		"1.16 1.25 1.50 -4/97 26359\n", "1.16 1.25 1.50 4/-97 26359\n",
		"1.16 1.25 1.50 4/97 -26359\n", "1. 1.25 1.50 4/97 26359\n",
		".5 1.25 1.50 4/97 26359\n", "nan 1.25 1.50 4/97 26359\n", "1e3 1.25 1.50 4/97 26359\n",
		"1.16  1.25 1.50 4/97 26359\n", " 1.16 1.25 1.50 4/97 26359\n",
		"1.16 1.25 1.50 4 97 26359\n", "1.16 1.25 1.50 /97 26359\n", "1.16 1.25 1.50 4/ 26359\n",
		"1.16 1.25 1.50 4/97 26359 x\n", "1.16 1.25 1.50 4/97 26359\n\n",
		"1.16 1.25 1.50 4/97 26359x", "1.16 1.25 1.50 4/97/3 26359\n",
		"1.16 1.25 1.50 4/97 0x1\n", "1.16,1.25,1.50 4/97 26359\n",
	};
	struct loadavg l = { .running = 77 };

	/* this machine's */
	assert_int_equal(parse_loadavg("1.16 1.25 1.50 4/97 26359\n", &l), 0);
	assert_true(NEAR(l.load1, 1.16) && NEAR(l.load5, 1.25) && NEAR(l.load15, 1.50));
	assert_true(l.running == 4 && l.total == 97 && l.last_pid == 26359);
	assert_int_equal(parse_loadavg("0.00 0.00 0.00 1/1 1", &l), 0);
	assert_true(l.load1 == 0.0 && l.running == 1 && l.last_pid == 1);
	/* a load past 2^64 saturates; counts past UINT_MAX do not fit */
	assert_int_equal(parse_loadavg("99999999999999999999999.5 1 2 4/97 26359\n", &l), 0);
	assert_true(l.load1 == (double)UINT64_MAX && l.load5 == 1.0 && l.load15 == 2.0);
	l.running = 77;
	assert_int_equal(parse_loadavg("1 1 1 4294967296/97 26359\n", &l), -ERANGE);
	assert_int_equal(parse_loadavg("1 1 1 4/97 4294967296\n", &l), -ERANGE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_loadavg(bad[i], &l) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(parse_loadavg(NULL, &l), -EINVAL);
	assert_int_equal(l.running, 77);
}

static void test_read_loadavg(void **state)
{
	struct fixture *f = fixture_new();
	struct loadavg l;
	int pfd;

	fixture_file(f, "loadavg", "0.52 0.58 0.59 3/1220 12345\n");
	assert_int_equal(read_loadavg(f->dirfd, &l), 0);
	assert_true(NEAR(l.load15, 0.59) && l.total == 1220 && l.last_pid == 12345);
	fixture_file(f, "loadavg", "garbage\n");
	assert_int_equal(read_loadavg(f->dirfd, &l), -EINVAL);
	fixture_free(f);

	pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		skip();
	assert_int_equal(read_loadavg(pfd, &l), 0);
	assert_true(l.load1 >= 0.0 && l.running >= 1 && l.total >= l.running);
	close(pfd);
}

/* A process of this machine (memfd:sealed-91), from its /proc/PID/io. */
static const char real_io[] =
	"rchar: 467726\n"
	"wchar: 562351\n"
	"syscr: 466\n"
	"syscw: 405\n"
	"read_bytes: 106496\n"
	"write_bytes: 1536000\n"
	"cancelled_write_bytes: 819200\n";

static void test_proc_io(void **state)
{
	static const char *bad[] = {
		"", "rchar: 1\n", "read_bytes: 1\n", "write_bytes: 1\n",
		"read_bytes: -1\nwrite_bytes: 1\n", "read_bytes: 1\nwrite_bytes: x\n",
		"read_bytes: 1\nwrite_bytes:\n", "read_bytes: 1\nwrite_bytes: 1 2\n",
		"read_bytes: +1\nwrite_bytes: 1\n", "read_bytes: 1\nwrite_bytes: 1\nrchar: 0x10\n",
		"read_bytes 1\nwrite_bytes: 1\n", "read_bytes: 1\nwrite_bytes: 1\ngarbage\n",
		": 1\nread_bytes: 1\nwrite_bytes: 1\n", "READ_BYTES: 1\nWRITE_BYTES: 1\n",
		"read_bytes: 1\nwrite_bytes: 1\nsyscw: 1.5\n",
	};
	struct proc_io io = { .rchar = 77 };

	assert_int_equal(parse_proc_io(real_io, &io), 0);
	assert_true(io.rchar == 467726 && io.wchar == 562351 && io.syscr == 466 && io.syscw == 405);
	assert_true(io.read_bytes == 106496 && io.write_bytes == 1536000);
	assert_true(io.cancelled_write_bytes == 819200);
	assert_true(proc_io_storage_bytes(&io) == 106496 + 1536000 - 819200);

	/* the two required, no newline; unknown keys ignored; first wins */
	assert_int_equal(parse_proc_io("write_bytes: 2\nread_bytes: 1", &io), 0);
	assert_true(io.read_bytes == 1 && io.write_bytes == 2 && io.rchar == 0);
	assert_int_equal(parse_proc_io("read_bytes: 1\nfuture_key: whatever\nwrite_bytes: 2\n"
				       "read_bytes: 9\n\n", &io), 0);
	assert_true(io.read_bytes == 1);
	assert_int_equal(parse_proc_io("read_bytes:\t18446744073709551615 \nwrite_bytes:0\n", &io), 0);
	assert_true(io.read_bytes == UINT64_MAX && io.write_bytes == 0);

	io.rchar = 77;
	assert_int_equal(parse_proc_io("read_bytes: 18446744073709551616\nwrite_bytes: 1\n", &io), -ERANGE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_proc_io(bad[i], &io) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(parse_proc_io(NULL, &io), -EINVAL);
	assert_int_equal(io.rchar, 77);
}

static void test_storage_bytes(void **state)
{
	struct proc_io io = { .read_bytes = 100, .write_bytes = 50, .cancelled_write_bytes = 30 };

	assert_true(proc_io_storage_bytes(&io) == 120);
	io.cancelled_write_bytes = 500;         /* truncated a file others wrote */
	assert_true(proc_io_storage_bytes(&io) == 0);
	io = (struct proc_io){ .read_bytes = UINT64_MAX, .write_bytes = 10 };
	assert_true(proc_io_storage_bytes(&io) == UINT64_MAX);
	io.cancelled_write_bytes = 1;
	assert_true(proc_io_storage_bytes(&io) == UINT64_MAX - 1);
	assert_true(proc_io_storage_bytes(NULL) == 0);
}

static void test_read_io(void **state)
{
	struct fixture *f = fixture_new();
	struct proc_io io;
	int pfd, r;

	fixture_file(f, "4242/io", real_io);
	assert_int_equal(proc_read_io(f->dirfd, 4242, &io), 0);
	assert_true(io.write_bytes == 1536000);
	assert_int_equal(proc_read_io(f->dirfd, 4243, &io), -ENOENT);
	fixture_free(f);

	pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		skip();
	io.rchar = 0;
	r = proc_read_io(pfd, getpid(), &io);
	if (r == -ENOENT) {
		close(pfd);
		skip();                 /* no CONFIG_TASK_IO_ACCOUNTING */
	}
	assert_int_equal(r, 0);
	assert_true(io.rchar > 0);      /* this test has read files */
	close(pfd);
}

/* This machine's, 6.18: 20 fields (discard 4.18, flush 5.5). */
static const char real_diskstats[] =
	"   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"   7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	" 254       0 vda 247009 17173 8329602 326249 295894 190088 19817880 135637 0 72612 "
	"502723 413341 28 14273216 40654 2429 181\n"
	" 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

static void test_diskstats(void **state)
{
	struct diskstat d[8];
	size_t n = 0;

	assert_int_equal(parse_diskstats(real_diskstats, d, ARRAY_SIZE(d), &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(d[0].name, "loop0");
	assert_true(d[0].major == 7 && d[1].minor == 1);
	assert_string_equal(d[2].name, "vda");
	assert_true(d[2].major == 254 && d[2].minor == 0);
	assert_true(d[2].reads == 247009 && d[2].reads_merged == 17173 && d[2].read_sectors == 8329602);
	assert_true(d[2].read_ms == 326249 && d[2].writes == 295894 && d[2].writes_merged == 190088);
	assert_true(d[2].write_sectors == 19817880 && d[2].write_ms == 135637);
	assert_true(d[2].in_flight == 0 && d[2].io_ms == 72612 && d[2].weighted_ms == 502723);
	assert_string_equal(d[3].name, "zram0");

	/* before 4.18: 14 fields; no newline at the end */
	assert_int_equal(parse_diskstats("   8       0 sda 1 2 3 4 5 6 7 8 9 10 11", d, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_true(d[0].reads == 1 && d[0].weighted_ms == 11 && d[0].major == 8);
	/* no block device at all; blank lines */
	assert_int_equal(parse_diskstats("", d, ARRAY_SIZE(d), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse_diskstats("\n  \n", d, ARRAY_SIZE(d), &n), 0);
	assert_int_equal(n, 0);
}

static void test_diskstats_cap(void **state)
{
	struct diskstat d[3];
	size_t n = 0;

	memset(d, 0xa5, sizeof(d));
	/* n counts every line; only cap are written */
	assert_int_equal(parse_diskstats(real_diskstats, d, 2, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(d[1].name, "loop1");
	assert_true(d[2].major == 0xa5a5a5a5);
	assert_int_equal(parse_diskstats(real_diskstats, NULL, 0, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(parse_diskstats(real_diskstats, d, 2, NULL), 0);
	assert_int_equal(parse_diskstats(real_diskstats, NULL, 1, &n), -EINVAL);
}

static void test_diskstats_hostile(void **state)
{
	static const char *bad[] = {
		"   8       0 sda 1 2 3 4 5 6 7 8 9 10\n",             /* 13 fields */
		"   8       0 sda\n", "8\n", "8 0\n", "sda 8 0 1 2 3 4 5 6 7 8 9 10 11\n",
		"   8       0 sda 1 2 3 4 5 6 7 8 -9 10 11\n", "  -8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
		"   8       0 sda 1 2 3 4 5 6 7 8 9 10 x\n", "   8       0 sda 1 2 3 4 5 6 7 8 9 10 1.5\n",
		"   8       0 sda 1 2 3 4 5 6 7 8 9 10 +11\n", "   8       0 sda 0x1 2 3 4 5 6 7 8 9 10 11\n",
		"  0x8      0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
		/* 32 bytes of name: longer than the kernel's, refused (not truncated) */
		"   8       0 abcdefghijklmnopqrstuvwxyz012345 1 2 3 4 5 6 7 8 9 10 11\n",
		/* a good line, then a bad one */
		"   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8       1 sda1 1 2\n",
	};
	struct diskstat d[4], d0[4];
	size_t n = 77;

	/* 31 bytes of name: the longest */
	assert_int_equal(parse_diskstats("8 0 abcdefghijklmnopqrstuvwxyz01234 1 2 3 4 5 6 7 8 9 10 11\n",
					 d, 1, &n), 0);
	assert_int_equal(strlen(d[0].name), 31);
	/* fields past the 14th are not looked at */
	assert_int_equal(parse_diskstats("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 whatever -1\n", d, 1, &n), 0);

	memset(d, 0x5a, sizeof(d));
	memcpy(d0, d, sizeof(d));
	n = 77;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_diskstats(bad[i], d, ARRAY_SIZE(d), &n) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(parse_diskstats("8 0 sda 1 2 3 4 5 6 7 8 9 10 18446744073709551616\n",
					 d, ARRAY_SIZE(d), &n), -ERANGE);
	assert_int_equal(parse_diskstats("4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
					 d, ARRAY_SIZE(d), &n), -ERANGE);
	assert_int_equal(parse_diskstats(NULL, d, ARRAY_SIZE(d), &n), -EINVAL);
	assert_memory_equal(d, d0, sizeof(d));  /* out untouched on error */
	assert_int_equal(n, 77);
}

static void test_cg_cpu_stat(void **state)
{
	static const char *bad[] = {
		"", "\n", "user_usec 1\nsystem_usec 2\n",               /* no usage_usec */
		"usage_usec\n", "usage_usec \n", "usage_usec -1\n", "usage_usec x\n",
		"usage_usec 1 2\n", "usage_usec 0x10\n", "usage_usec 1\ngarbage\n",
		" 1\nusage_usec 1\n", "usage_usec 1\nnr_periods 1.5\n", "usage_usec=1\n",
	};
	struct cg_cpu_stat c = { .usage_usec = 77 };

	/* Documentation/admin-guide/cgroup-v2.rst: three keys always, five
	 * more with the cpu controller on (nr_bursts, burst_usec: 5.14) */
	assert_int_equal(parse_cg_cpu_stat("usage_usec 2918451\nuser_usec 2043907\n"
					   "system_usec 874544\nnr_periods 1210\nnr_throttled 87\n"
					   "throttled_usec 5203310\nnr_bursts 0\nburst_usec 0\n", &c), 0);
	assert_true(c.usage_usec == 2918451 && c.user_usec == 2043907 && c.system_usec == 874544);
	assert_true(c.nr_periods == 1210 && c.nr_throttled == 87 && c.throttled_usec == 5203310);
	assert_true(c.nr_bursts == 0 && c.burst_usec == 0);
	/* controller off; an unknown key (6.x core scheduling) ignored */
	assert_int_equal(parse_cg_cpu_stat("usage_usec 10\nuser_usec 7\nsystem_usec 3\n"
					   "core_sched.force_idle_usec 0\nfuture_key -1\n", &c), 0);
	assert_true(c.usage_usec == 10 && c.user_usec == 7 && c.system_usec == 3);
	assert_true(c.nr_periods == 0 && c.nr_throttled == 0 && c.throttled_usec == 0);
	assert_int_equal(parse_cg_cpu_stat("usage_usec 18446744073709551615", &c), 0);
	assert_true(c.usage_usec == UINT64_MAX && c.user_usec == 0);
	assert_int_equal(parse_cg_cpu_stat("usage_usec 5\nusage_usec 6\n", &c), 0);
	assert_true(c.usage_usec == 5);         /* first wins */

	c.usage_usec = 77;
	assert_int_equal(parse_cg_cpu_stat("usage_usec 18446744073709551616\n", &c), -ERANGE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_cg_cpu_stat(bad[i], &c) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(parse_cg_cpu_stat(NULL, &c), -EINVAL);
	assert_true(c.usage_usec == 77);
}

/* Documentation/admin-guide/cgroup-v2.rst's example. */
static const char doc_io_stat[] =
	"8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
	"8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n";

static void test_cg_io_stat(void **state)
{
	struct cg_io_stat v[4];
	size_t n = 0;

	assert_int_equal(parse_cg_io_stat(doc_io_stat, v, ARRAY_SIZE(v), &n), 0);
	assert_int_equal(n, 2);
	assert_true(v[0].major == 8 && v[0].minor == 16);
	assert_true(v[0].rbytes == 1459200 && v[0].wbytes == 314773504 && v[0].rios == 192);
	assert_true(v[0].wios == 353 && v[0].dbytes == 0 && v[0].dios == 0);
	assert_true(v[1].major == 8 && v[1].minor == 0 && v[1].dbytes == 50331648 && v[1].dios == 3021);
	assert_true(cg_io_stat_bytes(v, n) == 1459200ull + 314773504 + 90430464 + 299008000);

	/* io.cost and io.latency add keys, some not numbers; all ignored */
	assert_int_equal(parse_cg_io_stat("259:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6 "
					  "cost.vrate=100.00 cost.usage=0 depth=max avg_lat=0 "
					  "use_delay=-1\n", v, ARRAY_SIZE(v), &n), 0);
	assert_true(n == 1 && v[0].major == 259 && v[0].rbytes == 1 && v[0].dios == 6);
	/* before 5.2: no dbytes/dios; missing keys read 0; a bare device; first wins */
	assert_int_equal(parse_cg_io_stat("8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16\n"
					  "8:32 wbytes=5 wbytes=7", v, ARRAY_SIZE(v), &n), 0);
	assert_int_equal(n, 3);
	assert_true(v[0].dbytes == 0 && v[1].minor == 16 && v[1].rbytes == 0 && v[2].wbytes == 5);
	assert_true(cg_io_stat_bytes(v, n) == 35);
	assert_int_equal(parse_cg_io_stat("", v, ARRAY_SIZE(v), &n), 0);
	assert_int_equal(n, 0);

	/* cap: n counts all */
	memset(v, 0xa5, sizeof(v));
	assert_int_equal(parse_cg_io_stat(doc_io_stat, v, 1, &n), 0);
	assert_int_equal(n, 2);
	assert_true(v[0].minor == 16 && v[1].major == 0xa5a5a5a5);
	assert_int_equal(parse_cg_io_stat(doc_io_stat, NULL, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse_cg_io_stat(doc_io_stat, NULL, 2, &n), -EINVAL);

	/* the sum saturates */
	v[0] = (struct cg_io_stat){ .rbytes = UINT64_MAX - 1, .wbytes = 1 };
	v[1] = (struct cg_io_stat){ .rbytes = 5 };
	assert_true(cg_io_stat_bytes(v, 1) == UINT64_MAX);
	assert_true(cg_io_stat_bytes(v, 2) == UINT64_MAX);
	assert_true(cg_io_stat_bytes(NULL, 2) == 0);
}

static void test_cg_io_stat_hostile(void **state)
{
	static const char *bad[] = {
		"8 rbytes=1\n", "8:\n", ":16\n", "8:16:1 rbytes=1\n", "-8:16 rbytes=1\n", "8:-16\n",
		"rbytes=1 8:16\n", "8:16 rbytes\n", "8:16 =1\n", "8:16 rbytes=-1\n", "8:16 rbytes=\n",
		"8:16 rbytes=1x\n", "8:16 rbytes=0x1\n", "8:16 rbytes=1.5\n", "8:16 rbytes=+1\n",
		"sda rbytes=1\n", "8:16 rbytes=1\n8:0 wbytes=oops\n",
	};
	struct cg_io_stat v[2], v0[2];
	size_t n = 77;

	memset(v, 0x5a, sizeof(v));
	memcpy(v0, v, sizeof(v));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_cg_io_stat(bad[i], v, ARRAY_SIZE(v), &n) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(parse_cg_io_stat("8:16 rbytes=18446744073709551616\n", v, 2, &n), -ERANGE);
	assert_int_equal(parse_cg_io_stat("8:4294967296 rbytes=1\n", v, 2, &n), -ERANGE);
	assert_int_equal(parse_cg_io_stat(NULL, v, 2, &n), -EINVAL);
	assert_memory_equal(v, v0, sizeof(v));
	assert_int_equal(n, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_real),
		cmocka_unit_test(test_stat_fields),
		cmocka_unit_test(test_stat_ncpu),
		cmocka_unit_test(test_stat_hostile),
		cmocka_unit_test(test_read_stat_fixture),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_real_proc_stat),
		cmocka_unit_test(test_loadavg),
		cmocka_unit_test(test_read_loadavg),
		cmocka_unit_test(test_proc_io),
		cmocka_unit_test(test_storage_bytes),
		cmocka_unit_test(test_read_io),
		cmocka_unit_test(test_diskstats),
		cmocka_unit_test(test_diskstats_cap),
		cmocka_unit_test(test_diskstats_hostile),
		cmocka_unit_test(test_cg_cpu_stat),
		cmocka_unit_test(test_cg_io_stat),
		cmocka_unit_test(test_cg_io_stat_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
