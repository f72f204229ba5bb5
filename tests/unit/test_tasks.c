/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The task iterator's records, without a kernel: the walk over a buffer
 * (whole records only), one record as a proc_info, and oom_score the way
 * proc_oom_score() computes it from oom_badness(). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "observe/tasks.h"

static const struct task_params tp = { .totalpages = 1000000, .page_size = 4096, .clk_tck = 100 };

static struct task_rec rec(uint32_t pid)
{
	struct task_rec r = {
		.pid = pid, .ppid = 1, .uid = 1000, .flags = TASK_F_RSS_ATOMIC,
		.start_ns = 123456789012ull, .runtime_ns = 2500000000ull,
		.rss_file = 100, .rss_anon = 100000, .rss_shmem = 20, .swapents = 5,
		.pgtables_bytes = 40960,
	};

	memcpy(r.comm, "worker", 6);
	return r;
}

struct seen {
	uint32_t pids[8];
	size_t idx[8];
	size_t n, stop_at;
};

static int collect(const struct task_rec *r, size_t i, void *u)
{
	struct seen *s = u;

	if (s->n < 8) {
		s->pids[s->n] = r->pid;
		s->idx[s->n] = i;
	}
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static void test_parse_whole_records(void **state)
{
	struct task_rec v[3] = { rec(10), rec(20), rec(30) };
	struct seen s = { 0 };

	assert_int_equal(parse_task_records(v, sizeof(v), collect, &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.pids[0], 10);
	assert_int_equal(s.pids[2], 30);
	assert_int_equal(s.idx[2], 2);
	/* nothing: no records, no calls */
	memset(&s, 0, sizeof(s));
	assert_int_equal(parse_task_records(v, 0, collect, &s), 0);
	assert_int_equal(parse_task_records(NULL, 0, collect, &s), 0);
	assert_int_equal(s.n, 0);
	/* a count only */
	assert_int_equal(parse_task_records(v, sizeof(v), NULL, NULL), 3);
	/* fn stops the walk */
	s.stop_at = 2;
	assert_int_equal(parse_task_records(v, sizeof(v), collect, &s), 42);
	assert_int_equal(s.n, 2);
	assert_int_equal(parse_task_records(NULL, sizeof(v), collect, &s), -EINVAL);
}

static void test_parse_truncated(void **state)
{
	struct task_rec v[2] = { rec(10), rec(20) };
	size_t odd[] = { 1, 7, sizeof(v[0]) - 1, sizeof(v[0]) + 1, sizeof(v) - 8, sizeof(v) - 1 };

	/* a partial record anywhere: refused whole, before any call */
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct seen s = { 0 };

		assert_int_equal(parse_task_records(v, odd[i], collect, &s), -EBADMSG);
		assert_int_equal(s.n, 0);
	}
}

static void test_parse_unaligned(void **state)
{
	struct task_rec v[2] = { rec(10), rec(20) };
	char *buf = malloc(sizeof(v) + 3);
	struct seen s = { 0 };

	assert_non_null(buf);
	memcpy(buf + 3, v, sizeof(v));
	assert_int_equal(parse_task_records(buf + 3, sizeof(v), collect, &s), 2);
	assert_int_equal(s.pids[1], 20);
	free(buf);
}

static void test_record_info(void **state)
{
	struct task_rec r = rec(4242);
	struct proc_info p;

	assert_int_equal(task_record_info(&r, &tp, &p), 0);
	assert_int_equal(p.pid, 4242);
	assert_int_equal(p.ppid, 1);
	assert_int_equal(p.uid, 1000);
	assert_string_equal(p.comm, "worker");
	assert_int_equal(p.starttime, 12345);   /* ns / (1e9 / USER_HZ), as /proc/PID/stat */
	assert_int_equal(p.cpu_ticks, 250);
	assert_int_equal(p.file, 100 * 4096);
	assert_int_equal(p.anon, 100000ull * 4096);
	assert_int_equal(p.shmem, 20 * 4096);
	assert_int_equal(p.swap, 5 * 4096);
	assert_int_equal(p.rss, (100 + 100000 + 20) * 4096ull);
	assert_false(p.kthread);
	assert_int_equal(p.unreadable, 0);
	assert_null(p.cmdline);         /* lazy: read from /proc when a rule asks */
	assert_null(p.exe);
	assert_null(p.cgroup);
	assert_int_equal(task_record_resident(&r), 100 + 100000 + 20);
}

static void test_record_comm_full(void **state)
{
	struct task_rec r = rec(7);
	struct proc_info p;

	memset(r.comm, 'x', sizeof(r.comm));    /* no NUL: 16 characters, ended here */
	assert_int_equal(task_record_info(&r, &tp, &p), 0);
	assert_int_equal(strlen(p.comm), 16);
}

static void test_record_negative_counters(void **state)
{
	struct task_rec r = rec(7);
	struct proc_info p;

	/* a counter can read < 0 for a moment: get_mm_counter() says 0 */
	r.rss_anon = -3;
	r.swapents = INT64_MIN;
	assert_int_equal(task_record_info(&r, &tp, &p), 0);
	assert_int_equal(p.anon, 0);
	assert_int_equal(p.swap, 0);
	assert_int_equal(p.rss, 120 * 4096);
	assert_int_equal(task_record_resident(&r), 120);
}

static void test_record_kthread_and_no_mm(void **state)
{
	struct task_rec r = rec(2);
	struct proc_info p;

	r.flags = TASK_F_KTHREAD | TASK_F_NO_MM;
	r.uid = 5;
	r.oom_score_adj = 100;
	assert_int_equal(task_record_info(&r, &tp, &p), 0);
	assert_true(p.kthread);
	assert_int_equal(p.rss, 0);
	assert_int_equal(p.uid, 0);             /* as /proc's scan leaves a kernel thread */
	assert_int_equal(p.oom_score_adj, 0);
	assert_int_equal(p.oom_score, 0);
	assert_int_equal(task_record_resident(&r), 0);
	/* a zombie leader: no mm, sizes 0, not a kernel thread */
	r = rec(9);
	r.flags = TASK_F_NO_MM;
	assert_int_equal(task_record_info(&r, &tp, &p), 0);
	assert_false(p.kthread);
	assert_int_equal(p.rss + p.swap, 0);
	assert_int_equal(p.oom_score, 0);
	assert_int_equal(p.uid, 1000);
}

static void test_record_refused(void **state)
{
	struct task_params bad = tp;
	struct task_rec r = rec(7);
	struct proc_info p = { .pid = -5 };

	r.pid = 0;
	assert_int_equal(task_record_info(&r, &tp, &p), -EINVAL);
	r = rec((uint32_t)INT_MAX + 1);
	assert_int_equal(task_record_info(&r, &tp, &p), -EINVAL);
	r = rec(7);
	r.ppid = UINT32_MAX;
	assert_int_equal(task_record_info(&r, &tp, &p), -EINVAL);
	r = rec(7);
	r.oom_score_adj = 1001;
	assert_int_equal(task_record_info(&r, &tp, &p), -EINVAL);
	r.oom_score_adj = -1001;
	assert_int_equal(task_record_info(&r, &tp, &p), -EINVAL);
	r = rec(7);
	bad.clk_tck = 0;
	assert_int_equal(task_record_info(&r, &bad, &p), -EINVAL);
	bad = tp;
	bad.totalpages = 0;
	assert_int_equal(task_record_info(&r, &bad, &p), -EINVAL);
	bad = tp;
	bad.page_size = 0;
	assert_int_equal(task_record_info(&r, &bad, &p), -EINVAL);
	bad.page_size = 1ull << 40;
	assert_int_equal(task_record_info(&r, &bad, &p), -EINVAL);
	assert_int_equal(task_record_info(&r, NULL, &p), -EINVAL);
	assert_int_equal(p.pid, -5);            /* untouched */
}

static void test_oom_score(void **state)
{
	struct task_rec r = rec(7);

	/* badness = rss 100120 + swap 5 + page tables 10 = 100135 pages of
	 * 1,000,000: (1000 + 100135 * 1000 / 1000000) * 2 / 3 = 1100 * 2 / 3 */
	assert_int_equal(task_oom_score(&r, &tp), 733);
	/* adj -500: 100135 - 500 * 1000 = -399865; * 1000 / 1e6 = -399
	 * (C's division truncates toward zero, as the kernel's); 601 * 2 / 3 */
	r.oom_score_adj = -500;
	assert_int_equal(task_oom_score(&r, &tp), 400);
	r.oom_score_adj = 1000;
	assert_int_equal(task_oom_score(&r, &tp), 1400);
	r.oom_score_adj = -999;         /* -898865 pages: (1000 - 898) * 2 / 3 */
	assert_int_equal(task_oom_score(&r, &tp), 68);
	r.rss_anon = 0;                 /* -998865: (1000 - 998) * 2 / 3 */
	assert_int_equal(task_oom_score(&r, &tp), 1);
	/* whoever oom_badness() skips reads 0 */
	r = rec(7);
	r.oom_score_adj = -1000;
	assert_int_equal(task_oom_score(&r, &tp), 0);
	r = rec(7);
	r.flags |= TASK_F_OOM_SKIP;
	assert_int_equal(task_oom_score(&r, &tp), 0);
	r = rec(7);
	r.flags |= TASK_F_VFORK;
	assert_int_equal(task_oom_score(&r, &tp), 0);
	r = rec(1);                     /* init */
	assert_int_equal(task_oom_score(&r, &tp), 0);
}

static void test_oom_score_no_overflow(void **state)
{
	struct task_params big = { .totalpages = 1ull << 48, .page_size = 4096, .clk_tck = 100 };
	struct task_rec r = rec(7);
	struct proc_info p;

	/* values no kernel writes: clamped, never undefined arithmetic */
	r.rss_file = r.rss_anon = r.rss_shmem = r.swapents = INT64_MAX;
	r.pgtables_bytes = UINT64_MAX;
	r.oom_score_adj = 1000;
	assert_true(task_oom_score(&r, &tp) > 0);
	assert_true(task_oom_score(&r, &big) > 0);
	assert_int_equal(task_record_info(&r, &big, &p), 0);
	r.oom_score_adj = -999;
	assert_true(task_oom_score(&r, &big) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_whole_records),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_unaligned),
		cmocka_unit_test(test_record_info),
		cmocka_unit_test(test_record_comm_full),
		cmocka_unit_test(test_record_negative_counters),
		cmocka_unit_test(test_record_kthread_and_no_mm),
		cmocka_unit_test(test_record_refused),
		cmocka_unit_test(test_oom_score),
		cmocka_unit_test(test_oom_score_no_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
