/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Worker lanes with real threads: results through the fd, deadlines, a hung
 * lane beside a working one, release, teardown with a call still hanging.
 * Calls that hang block on a pipe the test writes to later; every wait is a
 * poll() on an fd with a generous limit, never a sleep. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "core/worker.h"

#define WAIT_MS 5000 /* the most any wait here may take before it fails */

struct call {
	int value;        /* what fn returns */
	int gate[2];      /* fn blocks reading gate[0] when gate[0] >= 0 */
	int notify[2];    /* release writes a byte here when notify[1] >= 0 */
	int done_calls;
	int result;
	bool timed_out;
	uint64_t done_at_ms;
	int released;     /* written on the lane thread, read after a sync */
	int sigs_blocked; /* fn: 1 if SIGTERM, SIGINT and SIGHUP are blocked */
};

static void call_init(struct call *c, int value, bool gated)
{
	memset(c, 0, sizeof(*c));
	c->value = value;
	c->gate[0] = c->gate[1] = c->notify[0] = c->notify[1] = -1;
	if (gated)
		assert_int_equal(pipe(c->gate), 0);
}

static void call_fini(struct call *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->gate[i] >= 0)
			close(c->gate[i]);
		if (c->notify[i] >= 0)
			close(c->notify[i]);
	}
}

static void open_gate(struct call *c)
{
	assert_int_equal(write(c->gate[1], "g", 1), 1);
}

static int fn_call(void *arg)
{
	struct call *c = arg;
	sigset_t set;
	char b;

	pthread_sigmask(SIG_SETMASK, NULL, &set);
	c->sigs_blocked = sigismember(&set, SIGTERM) && sigismember(&set, SIGINT) &&
			  sigismember(&set, SIGHUP);
	if (c->gate[0] >= 0 && read(c->gate[0], &b, 1) != 1)
		return -EIO;
	return c->value;
}

static void done_call(void *arg, int result, bool timed_out)
{
	struct call *c = arg;

	c->done_calls++;
	c->result = result;
	c->timed_out = timed_out;
	c->done_at_ms = now_ms();
}

static void release_call(void *arg)
{
	struct call *c = arg;

	c->released++;
	if (c->notify[1] >= 0 && write(c->notify[1], "r", 1) != 1)
		c->released = -1000;
}

static bool readable(int fd, uint64_t timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, (int)timeout_ms) == 1;
}

/* Dispatch whenever the worker's fd is readable until *flag turns nonzero
 * (a done counter) or WAIT_MS pass. */
static void pump_until(struct worker *w, const int *flag)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (*flag == 0) {
		uint64_t now = now_ms();

		assert_true(now < end);
		if (readable(worker_fd(w), end - now))
			worker_dispatch(w);
	}
}

/* The same until the lane is free again (a hung call returned). */
static void pump_until_free(struct worker *w, unsigned lane)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (worker_lane_busy(w, lane)) {
		uint64_t now = now_ms();

		assert_true(now < end);
		if (readable(worker_fd(w), end - now))
			worker_dispatch(w);
	}
}

static void test_result_through_fd(void **state)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct worker *w = NULL;
	struct call c;
	int ep;

	(void)state;
	call_init(&c, 42, false);
	assert_int_equal(worker_new(2, &w), 0);
	/* The fd nests in the daemon's epoll loop. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, worker_fd(w), &ev), 0);
	assert_false(readable(worker_fd(w), 0));

	assert_int_equal(worker_submit(w, 1, fn_call, &c, 5000, done_call, release_call), 0);
	assert_true(worker_lane_busy(w, 1));
	assert_false(worker_lane_busy(w, 0));
	assert_int_equal(epoll_wait(ep, &out, 1, WAIT_MS), 1);
	worker_dispatch(w);
	assert_int_equal(c.done_calls, 1);
	assert_int_equal(c.result, 42);
	assert_false(c.timed_out);
	assert_int_equal(c.released, 0);
	assert_true(c.sigs_blocked);
	assert_false(worker_lane_busy(w, 1));
	/* Nothing more is due: the fd is quiet again. */
	assert_false(readable(worker_fd(w), 0));

	/* The lane takes the next call; a -errno result comes back as it is. */
	call_init(&c, -ENOENT, false);
	assert_int_equal(worker_submit(w, 1, fn_call, &c, 5000, done_call, NULL), 0);
	pump_until(w, &c.done_calls);
	assert_int_equal(c.result, -ENOENT);
	assert_int_equal(c.done_calls, 1);
	close(ep);
	worker_free(w);
}

static void test_busy_lane_refuses_second_call(void **state)
{
	struct worker *w = NULL;
	struct call a, b;

	(void)state;
	call_init(&a, 7, true);
	call_init(&b, 8, false);
	assert_int_equal(worker_new(1, &w), 0);
	assert_int_equal(worker_submit(w, 0, fn_call, &a, 5000, done_call, release_call), 0);
	assert_int_equal(worker_submit(w, 0, fn_call, &b, 5000, done_call, release_call), -EBUSY);
	assert_true(worker_lane_busy(w, 0));
	assert_false(worker_lane_hung(w, 0));

	open_gate(&a);
	pump_until(w, &a.done_calls);
	assert_int_equal(a.result, 7);
	assert_false(a.timed_out);
	/* In time: done owns arg, release is not called. */
	assert_int_equal(a.released, 0);
	assert_int_equal(b.done_calls, 0);
	assert_int_equal(worker_submit(w, 0, fn_call, &b, 5000, done_call, release_call), 0);
	pump_until(w, &b.done_calls);
	assert_int_equal(b.result, 8);
	worker_free(w);
	call_fini(&a);
	call_fini(&b);
}

/* The key property: lane 0 hangs past its deadline while lane 1 keeps
 * working; the hang is reported at its deadline, not before and not much
 * later; release runs once the call returns and the lane is free again. */
static void test_hung_lane_does_not_hold_back_another(void **state)
{
	const uint64_t timeout = 300, margin = 1000;
	struct worker *w = NULL;
	struct call hang, quick, next;
	uint64_t t0;

	(void)state;
	call_init(&hang, 1, true);
	call_init(&quick, 2, false);
	assert_int_equal(worker_new(2, &w), 0);

	t0 = now_ms();
	assert_int_equal(worker_submit(w, 0, fn_call, &hang, timeout, done_call, release_call), 0);
	assert_int_equal(worker_submit(w, 1, fn_call, &quick, 5000, done_call, release_call), 0);
	pump_until(w, &quick.done_calls);
	assert_int_equal(quick.result, 2);
	assert_int_equal(hang.done_calls, 0);
	assert_true(quick.done_at_ms < t0 + timeout);

	pump_until(w, &hang.done_calls);
	assert_int_equal(hang.done_calls, 1);
	assert_true(hang.timed_out);
	assert_int_equal(hang.result, -ETIMEDOUT);
	assert_true(hang.done_at_ms >= t0 + timeout);
	assert_true(hang.done_at_ms < t0 + timeout + margin);
	assert_true(worker_lane_busy(w, 0));
	assert_true(worker_lane_hung(w, 0));
	assert_int_equal(worker_submit(w, 0, fn_call, &quick, 5000, done_call, NULL), -EBUSY);
	assert_int_equal(hang.released, 0);

	/* Lane 1 still works while lane 0 hangs. */
	call_init(&quick, 3, false);
	assert_int_equal(worker_submit(w, 1, fn_call, &quick, 5000, done_call, NULL), 0);
	pump_until(w, &quick.done_calls);
	assert_int_equal(quick.result, 3);
	assert_true(worker_lane_hung(w, 0));

	/* The hung call returns: release runs, done is not called again. */
	open_gate(&hang);
	pump_until_free(w, 0);
	assert_int_equal(hang.released, 1);
	assert_int_equal(hang.done_calls, 1);
	assert_false(worker_lane_hung(w, 0));

	call_init(&next, 4, false);
	assert_int_equal(worker_submit(w, 0, fn_call, &next, 5000, done_call, release_call), 0);
	pump_until(w, &next.done_calls);
	assert_int_equal(next.result, 4);
	assert_false(next.timed_out);
	assert_int_equal(hang.done_calls, 1);
	worker_free(w);
	call_fini(&hang);
}

/* Freeing the worker while a call hangs (timed out, or not yet) returns at
 * once; the call's release still runs when it returns, done never again. */
static void test_free_with_hung_lane_is_prompt(void **state)
{
	struct worker *w = NULL;
	struct call timed, running;
	uint64_t t0;
	char b;

	(void)state;
	call_init(&timed, 1, true);
	call_init(&running, 2, true);
	assert_int_equal(pipe(timed.notify), 0);
	assert_int_equal(pipe(running.notify), 0);
	assert_int_equal(worker_new(3, &w), 0);
	assert_int_equal(worker_submit(w, 0, fn_call, &timed, 50, done_call, release_call), 0);
	assert_int_equal(worker_submit(w, 1, fn_call, &running, 60000, done_call, release_call), 0);
	pump_until(w, &timed.done_calls);
	assert_true(timed.timed_out);

	t0 = now_ms();
	worker_free(w);
	assert_true(now_ms() - t0 < 100);

	open_gate(&timed);
	open_gate(&running);
	assert_true(readable(timed.notify[0], WAIT_MS));
	assert_true(readable(running.notify[0], WAIT_MS));
	assert_int_equal(read(timed.notify[0], &b, 1), 1);
	assert_int_equal(read(running.notify[0], &b, 1), 1);
	assert_int_equal(timed.released, 1);
	assert_int_equal(running.released, 1);
	assert_int_equal(timed.done_calls, 1);
	assert_int_equal(running.done_calls, 0);
	call_fini(&timed);
	call_fini(&running);
}

/* A hung call that returns while its done() is still running must not have
 * its arg released under done(): release waits until done() has returned. */
static int release_during_done = -1;

static void done_then_unblock(void *arg, int result, bool timed_out)
{
	struct call *c = arg;

	done_call(arg, result, timed_out);
	open_gate(c);
	/* Give a release that does not wait every chance to run now. */
	release_during_done = readable(c->notify[0], 200);
}

static void test_release_waits_for_done(void **state)
{
	struct worker *w = NULL;
	struct call c;

	(void)state;
	call_init(&c, 1, true);
	assert_int_equal(pipe(c.notify), 0);
	assert_int_equal(worker_new(1, &w), 0);
	assert_int_equal(worker_submit(w, 0, fn_call, &c, 50, done_then_unblock, release_call), 0);
	pump_until(w, &c.done_calls);
	assert_true(c.timed_out);
	assert_int_equal(release_during_done, 0);
	pump_until_free(w, 0);
	assert_int_equal(c.released, 1);
	assert_int_equal(c.done_calls, 1);
	worker_free(w);
	call_fini(&c);
}

/* Many calls on several lanes, each submitted again from its own done:
 * every submit gets exactly one done with its own result. */
#define N_LANES 4
#define PER_LANE 200

struct chain {
	struct worker *w;
	unsigned lane;
	int submitted, finished, wrong;
};

static int fn_echo(void *arg)
{
	struct chain *ch = arg;

	return ch->submitted;
}

static void done_chain(void *arg, int result, bool timed_out)
{
	struct chain *ch = arg;

	if (timed_out || result != ch->submitted)
		ch->wrong++;
	ch->finished++;
	if (ch->submitted < PER_LANE) {
		ch->submitted++;
		if (worker_submit(ch->w, ch->lane, fn_echo, ch, 5000, done_chain, NULL) < 0)
			ch->wrong++;
	}
}

static void test_done_once_per_submit(void **state)
{
	struct chain ch[N_LANES];
	struct worker *w = NULL;
	int all_done = 0;

	(void)state;
	assert_int_equal(worker_new(N_LANES, &w), 0);
	for (unsigned i = 0; i < N_LANES; i++) {
		ch[i] = (struct chain){ .w = w, .lane = i, .submitted = 1 };
		assert_int_equal(worker_submit(w, i, fn_echo, &ch[i], 5000, done_chain, NULL), 0);
	}
	while (!all_done) {
		assert_true(readable(worker_fd(w), WAIT_MS));
		worker_dispatch(w);
		all_done = 1;
		for (unsigned i = 0; i < N_LANES; i++)
			all_done &= ch[i].finished == PER_LANE;
	}
	for (unsigned i = 0; i < N_LANES; i++) {
		assert_int_equal(ch[i].finished, PER_LANE);
		assert_int_equal(ch[i].submitted, PER_LANE);
		assert_int_equal(ch[i].wrong, 0);
		assert_false(worker_lane_busy(w, i));
	}
	assert_false(readable(worker_fd(w), 0));
	worker_free(w);
}

static void test_bad_arguments(void **state)
{
	struct worker *w = NULL;
	struct call c;

	(void)state;
	call_init(&c, 0, false);
	assert_int_equal(worker_new(0, &w), -EINVAL);
	assert_int_equal(worker_new(WORKER_LANES_MAX + 1, &w), -EINVAL);
	assert_null(w);
	assert_int_equal(worker_new(2, &w), 0);
	assert_int_equal(worker_submit(w, 2, fn_call, &c, 100, done_call, NULL), -EINVAL);
	assert_int_equal(worker_submit(w, 0, NULL, &c, 100, done_call, NULL), -EINVAL);
	assert_int_equal(worker_submit(w, 0, fn_call, &c, 0, done_call, NULL), -EINVAL);
	assert_false(worker_lane_busy(w, 2));
	assert_false(worker_lane_hung(w, 2));
	/* Nothing was started and nothing is due. */
	assert_false(readable(worker_fd(w), 0));
	worker_dispatch(w);
	assert_int_equal(c.done_calls, 0);
	worker_free(w);
	worker_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_through_fd),
		cmocka_unit_test(test_busy_lane_refuses_second_call),
		cmocka_unit_test(test_hung_lane_does_not_hold_back_another),
		cmocka_unit_test(test_free_with_hung_lane_is_prompt),
		cmocka_unit_test(test_release_waits_for_done),
		cmocka_unit_test(test_done_once_per_submit),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
