/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard's userspace side: rates from two looks at the program's
 * counts, and the alert episodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guards/ebpf/rates.h"

static void test_rates(void **state)
{
	struct rates r = { 0 };
	struct alloc_count a[] = { { 30, 0 }, { 10, 100 << 20 }, { 20, 5 << 20 } };
	struct alloc_count b[] = { { 20, 55 << 20 }, { 10, 300 << 20 }, { 40, 1 << 30 } };

	assert_int_equal(rates_update(&r, a, 3, 1000), 0);
	assert_int_equal(r.n, 3);
	assert_true(rates_find(&r, 10)->bytes_s == 0);  /* a baseline, no rate yet */
	assert_int_equal(rates_update(&r, b, 3, 3000), 0);       /* 2 s later */
	assert_int_equal(r.n, 3);
	assert_null(rates_find(&r, 30));                /* gone */
	assert_true(rates_find(&r, 10)->bytes_s == (double)(100 << 20));
	assert_true(rates_find(&r, 20)->bytes_s == (double)(25 << 20));
	/* new since the last look: it grew all it has within the window */
	assert_true(rates_find(&r, 40)->bytes_s == (double)(1 << 30) / 2);
	rates_free(&r);
}

static void test_counter_reset(void **state)
{
	struct rates r = { 0 };
	struct alloc_count a[] = { { 10, 500 << 20 } }, b[] = { { 10, 1 << 20 } };

	/* the count went down (the LRU map forgot the pid and a new process
	 * came with it): no negative rate, no huge one */
	assert_int_equal(rates_update(&r, a, 1, 1000), 0);
	assert_int_equal(rates_update(&r, b, 1, 2000), 0);
	assert_true(rates_find(&r, 10)->bytes_s == 0);
	rates_free(&r);
}

static void test_episodes(void **state)
{
	bool in = false;

	assert_false(rates_alert(50e6, 100e6, &in));
	assert_true(rates_alert(150e6, 100e6, &in));    /* starts: one alert */
	assert_false(rates_alert(200e6, 100e6, &in));   /* still on: none */
	assert_false(rates_alert(10e6, 100e6, &in));    /* a look under ends it */
	assert_false(in);
	assert_true(rates_alert(120e6, 100e6, &in));    /* a new episode */
	assert_false(rates_alert(500e6, 0, &in));       /* threshold 0: off */
	assert_false(in);
}

static void test_episode_kept_across_looks(void **state)
{
	struct rates r = { 0 };
	struct alloc_count a[] = { { 10, 0 } }, b[] = { { 10, 200 << 20 } },
			   c[] = { { 10, 400 << 20 } };

	rates_update(&r, a, 1, 0 + 1000);
	rates_update(&r, b, 1, 2000);
	assert_true(rates_alert(rates_find(&r, 10)->bytes_s, 100e6, &rates_find(&r, 10)->in_critical));
	rates_update(&r, c, 1, 3000);
	assert_true(rates_find(&r, 10)->in_critical);
	assert_false(rates_alert(rates_find(&r, 10)->bytes_s, 100e6, &rates_find(&r, 10)->in_critical));
	rates_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_episodes),
		cmocka_unit_test(test_episode_kept_across_looks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
