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
#include "observe/meminfo.h"
#include "tests/fixture.h"

#define KB(x) ((uint64_t)(x) * 1024)

static const char real_sample[] =
	"MemTotal:       24683620 kB\n"
	"MemFree:        24450336 kB\n"
	"MemAvailable:   24391576 kB\n"
	"Buffers:            1396 kB\n"
	"Cached:            52220 kB\n"
	"SwapCached:            0 kB\n"
	"Active:            23952 kB\n"
	"Inactive(anon):     5692 kB\n"
	"SwapTotal:       8388604 kB\n"
	"SwapFree:        8000000 kB\n"
	"AnonPages:         12596 kB\n"
	"Shmem:              8884 kB\n"
	"ShmemHugePages:        0 kB\n"
	"HugePages_Total:       0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap1G:    17825792 kB\n";

static void test_parse_real(void **state)
{
	struct meminfo m;

	assert_int_equal(parse_meminfo(real_sample, &m), 0);
	assert_true(m.mem_total == KB(24683620));
	assert_true(m.mem_free == KB(24450336));
	assert_true(m.mem_available == KB(24391576));
	assert_true(m.buffers == KB(1396));
	assert_true(m.cached == KB(52220));   /* not SwapCached */
	assert_true(m.shmem == KB(8884));     /* not ShmemHugePages */
	assert_true(m.anon_pages == KB(12596));
	assert_true(m.swap_total == KB(8388604));
	assert_true(m.swap_free == KB(8000000));
}

static void test_minimal_no_swap_no_newline(void **state)
{
	struct meminfo m;

	assert_int_equal(parse_meminfo("MemTotal: 100 kB\nMemAvailable: 50 kB", &m), 0);
	assert_true(m.mem_total == KB(100));
	assert_true(m.mem_available == KB(50));
	assert_true(m.swap_total == 0 && m.swap_free == 0 && m.cached == 0);
}

static void test_required_fields(void **state)
{
	struct meminfo m = { .mem_total = 42 };

	assert_int_equal(parse_meminfo("", &m), -EINVAL);
	assert_int_equal(parse_meminfo("MemTotal: 100 kB\n", &m), -EINVAL);
	assert_int_equal(parse_meminfo("MemAvailable: 100 kB\n", &m), -EINVAL);
	/* a prefix or suffix of the key is not the key */
	assert_int_equal(parse_meminfo("MemTotalX: 1 kB\nXMemAvailable: 1 kB\n", &m), -EINVAL);
	assert_int_equal(parse_meminfo("garbage\n\n\n:::\n", &m), -EINVAL);
	assert_true(m.mem_total == 42);         /* untouched on error */
}

static void test_hostile_values(void **state)
{
	struct meminfo m = { .mem_total = 42 };

	assert_int_equal(parse_meminfo("MemTotal: 18446744073709551615 kB\nMemAvailable: 1 kB\n", &m),
			 -ERANGE);
	assert_int_equal(parse_meminfo("MemTotal: 99999999999999999999999999999 kB\nMemAvailable: 1 kB\n", &m),
			 -ERANGE);
	assert_int_equal(parse_meminfo("MemTotal: -5 kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
	assert_int_equal(parse_meminfo("MemTotal: kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
	assert_int_equal(parse_meminfo("MemTotal: 12 MB\nMemAvailable: 1 kB\n", &m), -EINVAL);
	assert_int_equal(parse_meminfo("MemTotal:\nMemAvailable: 1 kB\n", &m), -EINVAL);
	assert_true(m.mem_total == 42);
	/* truncated in the middle of a line that we do not need: fine */
	assert_int_equal(parse_meminfo("MemTotal: 1 kB\nMemAvailable: 1 kB\nCach", &m), 0);
	assert_int_equal(parse_meminfo(NULL, &m), -EINVAL);
}

static void test_read_fd_fixture(void **state)
{
	struct fixture *f = fixture_new();
	struct meminfo m;
	int fd;

	fixture_file(f, "meminfo", real_sample);
	fd = openat(f->dirfd, "meminfo", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(meminfo_read_fd(fd, &m), 0);
	assert_int_equal(meminfo_read_fd(fd, &m), 0);  /* re-read with pread */
	assert_true(m.mem_total == KB(24683620));
	close(fd);
	assert_int_equal(meminfo_read_fd(fd, &m), -EBADF);
	fixture_free(f);
}

/* Read-only look at this machine's real /proc/meminfo. */
static void test_real_proc_meminfo(void **state)
{
	struct meminfo m;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t phys;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		skip();
	assert_int_equal(meminfo_read_fd(fd, &m), 0);
	close(fd);
	phys = (uint64_t)pages * (uint64_t)psize;
	assert_true(m.mem_total > 0);
	assert_true(m.mem_total == phys);       /* sysconf reads the same value */
	assert_true(m.mem_available <= m.mem_total);
	assert_true(m.mem_free <= m.mem_total);
	assert_true(m.swap_free <= m.swap_total);
	assert_true(m.cached < m.mem_total);
}

static void test_parse_vmstat(void **state)
{
	struct vmstat v;

	(void)state;
	/* 6.1: refaults split into _anon and _file. */
	assert_int_equal(parse_vmstat("nr_free_pages 1000\nnr_inactive_anon 5\nnr_active_anon 6\n"
				      "nr_inactive_file 300\nnr_active_file 700\n"
				      "workingset_refault_anon 9\nworkingset_refault_file 4242\n", &v), 0);
	assert_int_equal(v.refault_file, 4242);
	assert_int_equal(v.file_lru, 1000);
	assert_false(v.has_reclaim);    /* no kswapd or allocstall lines */
	/* Global reclaim: kswapd's scans plus every zone's direct-reclaim
	 * entries; pgscan_direct (a cgroup's own reclaim counts there) not. */
	assert_int_equal(parse_vmstat("nr_inactive_file 1\nnr_active_file 2\nworkingset_refault_file 5\n"
				      "allocstall_dma 1\nallocstall_dma32 20\nallocstall_normal 300\n"
				      "allocstall_movable 4000\npgscan_kswapd 50000\npgscan_direct 77\n", &v), 0);
	assert_true(v.has_reclaim);
	assert_int_equal(v.reclaim, 54321);
	assert_int_equal(parse_vmstat("nr_inactive_file 1\nnr_active_file 2\nworkingset_refault_file 5\n"
				      "pgscan_kswapd 50000\n", &v), 0);
	assert_false(v.has_reclaim);
	assert_int_equal(parse_vmstat("nr_inactive_file 1\nnr_active_file 2\nworkingset_refault_file 5\n"
				      "pgscan_kswapd 1\nallocstall_normal x\n", &v), -EINVAL);
	/* Before 5.9 one counter, file pages only; no trailing newline. */
	assert_int_equal(parse_vmstat("nr_inactive_file 1\nnr_active_file 2\nworkingset_refault 77", &v), 0);
	assert_int_equal(v.refault_file, 77);
	assert_int_equal(v.file_lru, 3);
	/* A prefix is not the key; the first occurrence wins. */
	assert_int_equal(parse_vmstat("nr_inactive_file 1\nnr_active_file 2\nworkingset_refault_anon 5\n", &v), -EINVAL);
	assert_int_equal(parse_vmstat("nr_inactive_file 1\nnr_active_file 2\nworkingset_refault_file 5\n"
				      "workingset_refault_file 9\n", &v), 0);
	assert_int_equal(v.refault_file, 5);
	/* Missing LRU lines, garbage values, empty and NULL input. */
	assert_int_equal(parse_vmstat("nr_active_file 2\nworkingset_refault_file 5\n", &v), -EINVAL);
	assert_int_equal(parse_vmstat("nr_inactive_file x\nnr_active_file 2\nworkingset_refault_file 5\n", &v), -EINVAL);
	assert_int_equal(parse_vmstat("nr_inactive_file -1\nnr_active_file 2\nworkingset_refault_file 5\n", &v), -EINVAL);
	assert_int_equal(parse_vmstat("", &v), -EINVAL);
	assert_int_equal(parse_vmstat(NULL, &v), -EINVAL);
}

/* Read-only look at this machine's real /proc/vmstat, twice through one fd. */
static void test_real_proc_vmstat(void **state)
{
	struct vmstat a, b;
	int fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(vmstat_read_fd(fd, &a), 0);
	assert_int_equal(vmstat_read_fd(fd, &b), 0);
	close(fd);
	assert_true(b.refault_file >= a.refault_file);
	assert_true(a.has_reclaim && b.has_reclaim);    /* since 4.8 */
	assert_true(b.reclaim >= a.reclaim);
	assert_true(a.file_lru > 0);
	assert_true(a.file_lru < (uint64_t)sysconf(_SC_PHYS_PAGES));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_minimal_no_swap_no_newline),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_read_fd_fixture),
		cmocka_unit_test(test_real_proc_meminfo),
		cmocka_unit_test(test_parse_vmstat),
		cmocka_unit_test(test_real_proc_vmstat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
