/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rebalance planner (issue 16, phase 2): hand-worked cases for each of
 * the seed's steps and for each refusal, then properties over random
 * parents: a donor never below max(calibrated min, current + margin), the
 * affected cgroup never past the parent or its calibrated max + margin,
 * what the siblings give is what the affected one gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guards/calibration/rebalance.h"

#define MiB (1024ull * 1024)

static struct rb_cgroup child(const char *path, uint64_t limit, uint64_t current, uint64_t min,
			      uint64_t median, uint64_t max)
{
	return (struct rb_cgroup){ .path = path, .limit = limit, .current = current,
				   .calibrated = true, .eligible = true,
				   .st = { .min = min, .median = median, .p95 = max, .max = max,
					   .samples = 100 } };
}

/* (1) the parent has room: the affected one gets the margin, nobody gives */
static void test_parent(void **state)
{
	struct rb_cgroup v[3] = {
		child("/p/a", 300 * MiB, 300 * MiB, 100 * MiB, 250 * MiB, 400 * MiB),
		child("/p/b", 300 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
		child("/p/c", 200 * MiB, 150 * MiB, 100 * MiB, 150 * MiB, 200 * MiB),
	};
	struct rb_input in = { v, 3, 0, 1000 * MiB, 64 * MiB };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_PARENT);        /* 1000 - 800 = 200 MiB free */
	assert_true(p.added == 64 * MiB);
	assert_int_equal(p.n, 1);
	assert_true(p.ch[0].idx == 0 && p.ch[0].old_limit == 300 * MiB &&
		    p.ch[0].new_limit == 364 * MiB);
	assert_string_equal(rb_source_name(p.source), "parent");
}

/* (2) the parent is full: b uses less than its median and gives; c uses
 * more than its median and does not */
static void test_siblings(void **state)
{
	struct rb_cgroup v[3] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/b", 400 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
		child("/p/c", 200 * MiB, 190 * MiB, 100 * MiB, 150 * MiB, 200 * MiB),
	};
	struct rb_input in = { v, 3, 0, 1000 * MiB, 64 * MiB };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_SIBLINGS);
	assert_true(p.added == 64 * MiB);
	assert_int_equal(p.n, 2);
	assert_true(p.ch[0].new_limit == 464 * MiB);
	assert_true(p.ch[1].idx == 1 && p.ch[1].new_limit == 336 * MiB);
	/* two donors share in proportion to what they can spare: b 400 - 164 =
	 * 236 MiB (floor: current + margin), d 300 - 100 = 200 MiB (floor: its
	 * calibrated min 100, = its current 36 + margin 64) */
	struct rb_cgroup w[3] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 600 * MiB),
		child("/p/b", 400 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
		child("/p/d", 300 * MiB, 36 * MiB, 100 * MiB, 150 * MiB, 200 * MiB),
	};
	in = (struct rb_input){ w, 3, 0, 1100 * MiB, 64 * MiB };
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_SIBLINGS);
	assert_int_equal(p.n, 3);
	uint64_t gb = p.ch[1].old_limit - p.ch[1].new_limit, gd = p.ch[2].old_limit - p.ch[2].new_limit;
	assert_true(gb + gd == 64 * MiB);
	assert_true(gb > gd);                          /* 236 : 200 */
	assert_true(gb % RB_PAGE == 0 && gd % RB_PAGE == 0);
	assert_true(p.ch[2].new_limit >= 100 * MiB + 0 && p.ch[2].new_limit >= 36 * MiB + 64 * MiB);
}

/* (3) nothing to give: the kill proceeds (RB_NONE, with the figures) */
static void test_nothing(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/b", 400 * MiB, 350 * MiB, 300 * MiB, 340 * MiB, 400 * MiB),
	};
	struct rb_input in = { v, 2, 0, 800 * MiB, 64 * MiB };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	assert_int_equal(p.n, 0);
	assert_non_null(strstr(p.why, "can spare 0 MiB"));
	/* b under its median but its floor (current + margin) leaves too little */
	v[1] = child("/p/b", 400 * MiB, 320 * MiB, 100 * MiB, 340 * MiB, 400 * MiB);
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);            /* 400 - 384 = 16 < 64 */
	assert_non_null(strstr(p.why, "can spare 16 MiB"));
}

static void test_refusals(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/b", 400 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
	};
	struct rb_input in = { v, 2, 0, 2000 * MiB, 64 * MiB };
	struct rb_plan p;

	v[0].eligible = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "rebalance.cgroups"));
	v[0].eligible = true;
	v[0].calibrated = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "calibration"));
	v[0].calibrated = true;
	v[0].limit = RB_NO_LIMIT;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "no memory.max"));
	/* no creep: at its calibrated max + margin already */
	v[0].limit = 564 * MiB;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "creep"));
	/* near it: raised only up to it */
	v[0].limit = 540 * MiB;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_PARENT && p.ch[0].new_limit == 564 * MiB && p.added == 24 * MiB);
	/* a donor without calibration, or not in rebalance.cgroups, gives nothing */
	v[0].limit = 400 * MiB;
	in.parent_limit = 800 * MiB;
	v[1].calibrated = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	v[1].calibrated = true;
	v[1].eligible = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	/* bad input */
	in.affected = 2;
	assert_int_equal(rb_plan(&in, &p), -EINVAL);
	in.affected = 0;
	in.margin = 0;
	assert_int_equal(rb_plan(&in, &p), -EINVAL);
}

/* A child without a limit holds its use plus the margin of the parent. */
static void test_unlimited_sibling(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/free", RB_NO_LIMIT, 500 * MiB, 0, 0, 0),
	};
	struct rb_input in = { v, 2, 0, 1000 * MiB, 64 * MiB };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);  /* 1000 - 400 - 564 = 36 < 64 */
	assert_int_equal(p.source, RB_NONE);
	in.parent_limit = 1028 * MiB;           /* 64 free */
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_PARENT);
}

static uint64_t rnd(uint64_t lo, uint64_t hi)
{
	return lo + (uint64_t)random() % (hi - lo + 1);
}

static void test_properties(void **state)
{
	srandom(16);
	for (int round = 0; round < 20000; round++) {
		struct rb_cgroup v[8];
		size_t n = (size_t)rnd(1, 8);
		uint64_t sum_before = 0, sum_after = 0, alloc = 0;
		struct rb_input in = { v, n, (size_t)rnd(0, n - 1), 0, rnd(1, 128) * MiB };
		struct rb_plan p;
		uint64_t lim[8];

		for (size_t i = 0; i < n; i++) {
			uint64_t min = rnd(0, 400) * MiB, max = min + rnd(0, 800) * MiB;
			uint64_t med = rnd(min, max), limit = rnd(1, 1200) * MiB;

			v[i] = child("/p/x", random() % 8 ? limit : RB_NO_LIMIT,
				     rnd(0, 1200) * MiB, min, med, max);
			v[i].calibrated = random() % 6;
			v[i].eligible = random() % 6;
			lim[i] = v[i].limit;
			alloc += v[i].limit != RB_NO_LIMIT ? v[i].limit : v[i].current + in.margin;
		}
		in.parent_limit = alloc + rnd(0, 300) * MiB - (random() % 2 ? rnd(0, 300) * MiB : 0);
		assert_int_equal(rb_plan(&in, &p), 0);
		if (p.source == RB_NONE) {
			assert_int_equal(p.n, 0);
			continue;
		}
		const struct rb_cgroup *a = &v[in.affected];
		assert_true(p.ch[0].idx == in.affected && p.ch[0].old_limit == a->limit);
		assert_true(p.ch[0].new_limit == a->limit + p.added && p.added > 0);
		assert_true(p.ch[0].new_limit <= a->st.max + in.margin + RB_PAGE);
		for (size_t k = 1; k < p.n; k++) {
			const struct rb_cgroup *d = &v[p.ch[k].idx];
			uint64_t floor = d->st.min > d->current + in.margin ? d->st.min
									  : d->current + in.margin;

			assert_true(p.ch[k].idx != in.affected);
			assert_true(d->eligible && d->calibrated && d->current < d->st.median);
			assert_true(p.ch[k].new_limit < p.ch[k].old_limit);
			assert_true(p.ch[k].new_limit >= floor);        /* never below its floor */
			lim[p.ch[k].idx] = p.ch[k].new_limit;
		}
		lim[in.affected] = p.ch[0].new_limit;
		for (size_t i = 0; i < n; i++) {
			if (v[i].limit == RB_NO_LIMIT)
				continue;
			sum_before += v[i].limit;
			sum_after += lim[i];
		}
		if (p.source == RB_SIBLINGS)
			assert_true(sum_after == sum_before);           /* conserved */
		else
			assert_true(sum_after == sum_before + p.added &&
				    alloc + p.added <= in.parent_limit);  /* within the parent */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parent),
		cmocka_unit_test(test_siblings),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_unlimited_sibling),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
