// SPDX-License-Identifier: GPL-2.0-or-later
/* Dynamic oom_score_adj: selection of the largest, the decisions (never
 * lower a higher value, leave protected ones, disown values others changed),
 * and whole rounds against a fixture /proc: written, restored when leaving
 * the top, on restore_all, and never across PID reuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "guards/shield/oomadj.h"
#include "core/util.h"
#include "tests/fixture.h"

static void test_top(void **state)
{
	const struct oa_proc v[] = {
		{ 10, 1, 100, true }, { 11, 1, 900, true }, { 12, 1, 900, false },  /* managed */
		{ 13, 1, 500, true }, { 14, 1, 0, true },   /* no memory */
		{ 9, 1, 500, true }, { 15, 1, 700, true },
	};
	size_t out[8];

	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 3, out), 3);
	assert_int_equal(v[out[0]].pid, 11);
	assert_int_equal(v[out[1]].pid, 15);
	assert_int_equal(v[out[2]].pid, 9);          /* tie at 500: the lower pid */
	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 8, out), 5);
	assert_int_equal(v[out[3]].pid, 13);
	assert_int_equal(v[out[4]].pid, 10);
	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 0, out), 0);
	assert_int_equal(oomadj_top(v, 0, 3, out), 0);
	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 1, out), 1);
	assert_int_equal(v[out[0]].pid, 11);
}

static void test_decide(void **state)
{
	struct oa_entry e = { .pid = 5, .starttime = 1, .original = 100, .applied = 700, .mode = OA_RAISE };

	/* raise: only upwards, never over someone's higher value, never a protected one */
	assert_int_equal(oomadj_decide(NULL, 0, 700, OA_RAISE), OA_WRITE);
	assert_int_equal(oomadj_decide(NULL, 699, 700, OA_RAISE), OA_WRITE);
	assert_int_equal(oomadj_decide(NULL, 700, 700, OA_RAISE), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, 900, 700, OA_RAISE), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, -1, 700, OA_RAISE), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, -1000, 700, OA_RAISE), OA_SKIP);
	/* lower (managed): only downwards */
	assert_int_equal(oomadj_decide(NULL, 0, -500, OA_LOWER), OA_WRITE);
	assert_int_equal(oomadj_decide(NULL, -500, -500, OA_LOWER), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, -900, -500, OA_LOWER), OA_SKIP);
	/* ours: keep; a new target: write; changed by someone: theirs now */
	assert_int_equal(oomadj_decide(&e, 700, 700, OA_RAISE), OA_KEEP);
	assert_int_equal(oomadj_decide(&e, 700, 800, OA_RAISE), OA_WRITE);
	assert_int_equal(oomadj_decide(&e, 300, 700, OA_RAISE), OA_DISOWN);
	assert_int_equal(oomadj_decide(&e, 100, 700, OA_RAISE), OA_DISOWN);
	/* restore only what is still ours */
	assert_true(oomadj_should_restore(&e, 700));
	assert_false(oomadj_should_restore(&e, 800));
	e.original = 700;
	assert_false(oomadj_should_restore(&e, 700));   /* nothing to do */
}

static int adj_of(struct fixture *f, int pid)
{
	char p[64], buf[32];
	int64_t v;

	snprintf(p, sizeof(p), "proc/%d/oom_score_adj", pid);
	if (read_file_at(f->dirfd, p, buf, sizeof(buf)) < 0)
		return -9999;
	buf[strcspn(buf, "\n")] = '\0';
	assert_int_equal(parse_int_range(buf, -1000, 1000, &v), 0);
	return (int)v;
}

static void set_adj(struct fixture *f, int pid, int v)
{
	char p[64], buf[32];

	snprintf(p, sizeof(p), "proc/%d/oom_score_adj", pid);
	snprintf(buf, sizeof(buf), "%d\n", v);
	fixture_file(f, p, buf);
}

static void add(struct fixture *f, int pid, unsigned long long start, int adj)
{
	struct fixture_proc p = { .pid = pid, .ppid = 1, .comm = "p", .rss_anon_kb = 1000,
				  .starttime = start, .oom_score_adj = adj };

	fixture_proc(f, "proc", &p);
}

static void test_rounds(void **state)
{
	struct fixture *f = fixture_new();
	struct oa_state st = { 0 };
	struct oa_stats s;
	int proc;

	add(f, 101, 1001, 0);
	add(f, 102, 1002, 100);
	add(f, 103, 1003, 900);         /* someone set it higher */
	add(f, 104, 1004, -200);        /* someone protected it */
	add(f, 105, 1005, 50);
	proc = fixture_open_dir(f, "proc");

	struct oa_want w1[] = {
		{ 101, 1001, 700, OA_RAISE, "a" }, { 102, 1002, 700, OA_RAISE, "b" },
		{ 103, 1003, 700, OA_RAISE, "c" }, { 104, 1004, 700, OA_RAISE, "d" },
		{ 105, 1005, -500, OA_LOWER, "managed" },
	};
	assert_int_equal(oomadj_sync(&st, proc, w1, ARRAY_SIZE(w1), &s), 0);
	assert_int_equal(s.written, 3);
	assert_int_equal(st.n, 3);
	assert_int_equal(adj_of(f, 101), 700);
	assert_int_equal(adj_of(f, 102), 700);
	assert_int_equal(adj_of(f, 103), 900);        /* never lowered */
	assert_int_equal(adj_of(f, 104), -200);       /* left protected */
	assert_int_equal(adj_of(f, 105), -500);

	/* same again: nothing to write */
	assert_int_equal(oomadj_sync(&st, proc, w1, ARRAY_SIZE(w1), &s), 0);
	assert_int_equal(s.written + s.restored + s.disowned + s.gone, 0);

	/* 102 leaves the top: its original comes back; 101's was changed by
	 * someone else meanwhile: theirs stays and is never "restored" */
	set_adj(f, 101, 300);
	struct oa_want w2[] = { { 101, 1001, 700, OA_RAISE, "a" }, { 105, 1005, -500, OA_LOWER, "m" } };
	assert_int_equal(oomadj_sync(&st, proc, w2, ARRAY_SIZE(w2), &s), 0);
	assert_int_equal(s.restored, 1);
	assert_int_equal(s.disowned, 1);
	assert_int_equal(adj_of(f, 102), 100);
	assert_int_equal(adj_of(f, 101), 300);
	assert_int_equal(st.n, 2);                    /* 105, and 101 hands-off */
	assert_int_equal(oomadj_in_force(&st), 1);

	/* PID reuse: 105 is now another process (another start time): the
	 * new one is never written to, and the entry goes */
	add(f, 105, 7777, 0);
	struct oa_want w3[] = { { 101, 1001, 700, OA_RAISE, "a" } };
	assert_int_equal(oomadj_sync(&st, proc, w3, ARRAY_SIZE(w3), &s), 0);
	assert_int_equal(s.gone, 1);
	assert_int_equal(adj_of(f, 105), 0);
	assert_int_equal(st.n, 1);
	/* 101's owner changed it: never fought over, round after round */
	assert_int_equal(oomadj_sync(&st, proc, w3, ARRAY_SIZE(w3), &s), 0);
	assert_int_equal(adj_of(f, 101), 300);
	assert_int_equal(s.written, 0);

	/* a wanted process whose pid was reused is not written either */
	struct oa_want w4[] = { { 101, 1001, 700, OA_RAISE, "a" }, { 105, 1005, 700, OA_RAISE, "old" } };
	assert_int_equal(oomadj_sync(&st, proc, w4, ARRAY_SIZE(w4), &s), 0);
	assert_int_equal(adj_of(f, 105), 0);
	assert_int_equal(s.gone, 1);

	/* exit: everything back */
	add(f, 106, 1006, 10);
	struct oa_want w5[] = { { 101, 1001, 700, OA_RAISE, "a" }, { 106, 1006, 700, OA_RAISE, "f" } };
	assert_int_equal(oomadj_sync(&st, proc, w5, ARRAY_SIZE(w5), &s), 0);
	assert_int_equal(adj_of(f, 106), 700);
	char buf[512];
	struct oa_state back;

	assert_true(oomadj_format(&st, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "106 1006 10 700 raise f\n");   /* hands-off 101 is not in force */
	assert_int_equal(oomadj_parse(buf, &back), 1);
	/* the state file of a crashed run restores just the same */
	oomadj_restore_all(&back, proc, &s);
	assert_int_equal(s.restored, 1);
	assert_int_equal(back.n, 0);
	assert_int_equal(adj_of(f, 101), 300);
	assert_int_equal(adj_of(f, 106), 10);
	oomadj_free(&back);
	/* restoring again (the live state) finds the original there already */
	oomadj_restore_all(&st, proc, &s);
	assert_int_equal(s.restored, 0);
	assert_int_equal(s.disowned, 1);
	assert_int_equal(st.n, 0);
	assert_int_equal(oomadj_format(&st, buf, sizeof(buf)), 0);
	assert_int_equal(oomadj_format(&back, buf, 0), 0);
	assert_int_equal(oomadj_parse("junk\n1 2 3\n-1 5 0 700 raise x\n5 5 0 7000 raise x\n"
				      "6 6 0 700 sideways x\n7 7 0 700 lower y\n", &back), 1);
	assert_int_equal(back.v[0].pid, 7);
	assert_int_equal(back.v[0].mode, OA_LOWER);
	oomadj_free(&back);
	oomadj_free(&st);
	close(proc);
	fixture_free(f);
}

static void test_read_write(void **state)
{
	struct fixture *f = fixture_new();
	int proc, v = 1;

	add(f, 50, 500, 42);
	proc = fixture_open_dir(f, "proc");
	assert_int_equal(oomadj_read(proc, 50, 500, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(oomadj_read(proc, 50, 501, &v), -ESRCH);
	assert_int_equal(oomadj_read(proc, 51, 500, &v), -ESRCH);
	assert_int_equal(oomadj_write(proc, 50, 501, 700), -ESRCH);
	assert_int_equal(adj_of(f, 50), 42);
	assert_int_equal(oomadj_write(proc, 50, 500, -17), 0);
	assert_int_equal(adj_of(f, 50), -17);
	fixture_file(f, "proc/50/oom_score_adj", "garbage\n");
	assert_int_equal(oomadj_read(proc, 50, 500, &v), -EINVAL);
	close(proc);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_read_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
