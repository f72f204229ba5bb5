/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard's userspace side: the rate a window shows and the alert
 * episodes (one alert per process per episode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guards/ebpf/rates.h"

#define S 1000000000ull

static void test_window_rate(void **state)
{
	/* 150 MB in a window 0.5 s old: 300 MB/s */
	assert_true(window_rate(150000000, 10 * S, 10 * S + S / 2) == 300e6);
	/* a full window: what it holds per second */
	assert_true(window_rate(120000000, 10 * S, 11 * S + S / 2) == 120e6);
	/* a window that began 2.5 s ago: nothing charged since, no rate */
	assert_true(window_rate(120000000, 10 * S, 12 * S + S / 2) == 0);
	/* a few ms old: counted over at least 100 ms, no absurd rate */
	assert_true(window_rate(1000000, 10 * S, 10 * S + 1000) == 10e6);
	/* a clock that went backwards (never, but no division by zero) */
	assert_true(window_rate(1000000, 10 * S, 9 * S) == 10e6);
}

static void test_episodes(void **state)
{
	struct episodes e = { 0 };

	assert_true(episode_hit(&e, 42, 1000));         /* starts: alert */
	assert_false(episode_hit(&e, 42, 2000));        /* the next window: on */
	assert_false(episode_hit(&e, 42, 3900));        /* 1.9 s later: still on */
	assert_true(episode_hit(&e, 7, 4000));          /* another process: its own */
	assert_true(episode_hit(&e, 42, 6000));         /* 2.1 s without: a new one */
	assert_int_equal(e.n, 2);
	assert_true(episode_hit(&e, 9, 9000));          /* the others are forgotten */
	assert_int_equal(e.n, 1);
}

static void test_episodes_full(void **state)
{
	struct episodes e = { 0 };

	for (uint32_t i = 0; i < EPISODES_MAX; i++)
		assert_true(episode_hit(&e, 1000 + i, 5000 + i));
	assert_int_equal(e.n, EPISODES_MAX);
	assert_true(episode_hit(&e, 1, 5300));          /* the oldest (1000) made room */
	assert_int_equal(e.n, EPISODES_MAX);
	assert_false(episode_hit(&e, 1001, 5301));
	assert_true(episode_hit(&e, 1000, 5302));       /* forgotten: a new episode */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_rate),
		cmocka_unit_test(test_episodes),
		cmocka_unit_test(test_episodes_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
