// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "observe/psi.h"
#include "tests/fixture.h"

static void test_parse_both(void **state)
{
	struct psi p;

	assert_int_equal(parse_psi("some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\n"
				   "full avg10=0.75 avg60=0.10 avg300=0.01 total=654321\n", &p), 0);
	assert_true(p.some.avg10 == 1.5);
	assert_true(p.some.avg60 == 0.25);
	assert_true(p.some.avg300 == 0.0);
	assert_true(p.some.total_us == 123456);
	assert_true(p.has_full);
	assert_true(p.full.avg10 == 0.75);
	assert_true(p.full.avg300 == 0.01);
	assert_true(p.full.total_us == 654321);
}

static void test_some_only(void **state)
{
	struct psi p;

	/* old cpu.pressure: no "full" line; also no trailing newline */
	assert_int_equal(parse_psi("some avg10=100.00 avg60=99.99 avg300=0.00 total=18446744073709551615", &p), 0);
	assert_false(p.has_full);
	assert_true(p.some.avg10 == 100.0);
	assert_true(p.some.total_us == UINT64_MAX);

	/* out-of-range averages are clamped to 100 % */
	assert_int_equal(parse_psi("some avg10=250.00 avg60=99999999999999999999999999999999999999999 "
				   "avg300=100.01 total=1\n", &p), 0);
	assert_true(p.some.avg10 == 100.0 && p.some.avg60 == 100.0 && p.some.avg300 == 100.0);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"\n",
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",      /* no some */
		"some avg10=0.00 avg60=0.00 avg300=0.00\n",
		"some avg10=0.00 avg60=0.00 total=0\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n",
		"some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=nan avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=inf avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=1e5 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=0x1 avg60=0.00 avg300=0.00 total=0\n",
		"some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n",
		"some avg10=0.00  avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=5x\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nbogus line\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00\ntotal=0\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00\n",
		"SOME avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	};
	struct psi p = { .some.total_us = 77 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_psi(bad[i], &p) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(p.some.total_us, 77);
	assert_int_equal(parse_psi(NULL, &p), -EINVAL);
}

static void test_read_fd(void **state)
{
	struct fixture *f = fixture_new();
	struct psi p;
	int fd;

	fixture_file(f, "pressure/memory",
		     "some avg10=2.00 avg60=1.00 avg300=0.50 total=1000\n"
		     "full avg10=1.00 avg60=0.50 avg300=0.25 total=500\n");
	fd = openat(f->dirfd, "pressure/memory", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(psi_read_fd(fd, &p), 0);
	assert_int_equal(psi_read_fd(fd, &p), 0);
	assert_true(p.some.total_us == 1000);
	assert_true(p.full.total_us == 500);
	close(fd);
	fixture_free(f);
}

static void test_share(void **state)
{
	assert_true(psi_share(0, 500000, 1000000) == 50.0);
	assert_true(psi_share(100, 100, 1000000) == 0.0);
	assert_true(psi_share(0, 5000000, 1000000) == 100.0);   /* clamped */
	assert_true(psi_share(500, 100, 1000000) == 0.0);       /* counter went back */
	assert_true(psi_share(0, 100, 0) == 0.0);
}

static void test_trigger_fixture(void **state)
{
	struct fixture *f = fixture_new();
	char buf[64];
	int fd;

	/* on a regular file the trigger is just written: check the exact bytes */
	fixture_file(f, "memory.pressure", "");
	fd = psi_trigger_open(f->dirfd, "memory.pressure", false, 150000, 1000000);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(read_file_at(f->dirfd, "memory.pressure", buf, sizeof(buf)), 20);
	assert_memory_equal(buf, "some 150000 1000000\0", 20);
	assert_int_equal(buf[19], '\0');

	fixture_file(f, "memory.pressure", "");
	fd = psi_trigger_open(f->dirfd, "memory.pressure", true, 1, 2000000);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(read_file_at(f->dirfd, "memory.pressure", buf, sizeof(buf)), 15);
	assert_string_equal(buf, "full 1 2000000");

	assert_int_equal(psi_trigger_open(f->dirfd, "missing", false, 1, 2), -ENOENT);
	fixture_free(f);
}

/* The real kernel: a 2 s window needs no privilege; either it works or the
 * kernel says why (no PSI, not permitted in this container). */
static void test_trigger_real(void **state)
{
	int dfd = open("/proc/pressure", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct psi p;
	int fd;

	if (dfd < 0)
		skip();
	fd = openat(dfd, "memory", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		close(dfd);
		skip();
	}
	if (psi_read_fd(fd, &p) < 0) {  /* PSI disabled: reads give EOPNOTSUPP */
		close(fd);
		close(dfd);
		skip();
	}
	close(fd);
	assert_true(p.some.avg10 >= 0.0 && p.some.avg10 <= 100.0);
	assert_true(p.has_full);
	fd = psi_trigger_open(dfd, "memory", false, 150000, 2000000);
	if (fd >= 0)
		close(fd);
	else
		assert_true(fd == -EPERM || fd == -EACCES || fd == -EINVAL ||
			    fd == -EOPNOTSUPP || fd == -EROFS);
	/* a stall larger than the window is always invalid */
	fd = psi_trigger_open(dfd, "memory", false, 3000000, 2000000);
	if (fd >= 0)
		close(fd);
	assert_true(fd < 0);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_both),
		cmocka_unit_test(test_some_only),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_trigger_fixture),
		cmocka_unit_test(test_trigger_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
