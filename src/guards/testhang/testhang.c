/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test fixture in the shipped binary, inert unless the environment of the
 * daemon (set only by whoever starts it: root, a unit file, a VM scenario)
 * has OOMGUARD_TEST_HANG_MS: then this guard keeps its worker lane busy with
 * an "action" that blocks for that long, again and again, so a test can
 * prove that a hung action never delays another guard's detection or kill
 * (VM scenario 26). Its records: hang-start, hang-timeout (the deadline
 * passed; the call still runs), hang-end (the call finally returned). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/guard.h"
#include "core/loop.h"
#include "core/util.h"
#include "core/worker.h"
#include "report/record.h"

#define HANG_DEADLINE_MS 1000
#define HANG_TICK_MS 500

struct hang_guard {
	struct loop_timer timer;
	uint64_t hang_ms;
	bool outstanding;               /* a call was submitted and not yet seen to end */
	unsigned calls;
};

static struct hang_guard *H(struct guard *g) { return g->state; }

static struct hang_guard *H(struct guard *g);

/* On the lane's thread; arg is the guard (hang_ms never changes). */
static int hang(void *arg)
{
	uint64_t ms = H(arg)->hang_ms;
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

static void done(void *arg, int result, bool timed_out)
{
	struct guard *g = arg;

	report_event(g->env->rep, g->ops->name, timed_out ? "hang-timeout" : "hang-end",
		     timed_out ? "the deadline passed; the call still blocks its lane" : "returned");
	if (!timed_out)
		H(g)->outstanding = false;
}

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct hang_guard *h = H(g);
	char msg[64];

	if (h->outstanding && !worker_lane_busy(g->env->worker, g->lane)) {
		report_event(g->env->rep, g->ops->name, "hang-end", "the timed-out call returned");
		h->outstanding = false;
	}
	if (!h->outstanding && worker_submit(g->env->worker, g->lane, hang, g,
					     HANG_DEADLINE_MS, done, NULL) == 0) {
		h->outstanding = true;
		snprintf(msg, sizeof(msg), "call %u blocks its lane for %llu ms", ++h->calls,
			 (unsigned long long)h->hang_ms);
		report_event(g->env->rep, g->ops->name, "hang-start", msg);
	}
	loop_timer_arm(&h->timer, HANG_TICK_MS);
}

static int testhang_start(struct guard *g)
{
	struct hang_guard *h = H(g);
	const char *env = getenv("OOMGUARD_TEST_HANG_MS");
	int r;

	h->timer.src.fd = -1;
	if (!env || parse_u64(env, &h->hang_ms) < 0 || !h->hang_ms || !g->env->loop ||
	    !g->env->worker) {
		snprintf(g->why, sizeof(g->why), "test fixture, off");
		return -ENOTSUP;
	}
	if ((r = loop_timer_init(g->env->loop, &h->timer, on_timer, g)) < 0)
		return r;
	loop_timer_arm(&h->timer, 1);
	return 0;
}

static void testhang_stop(struct guard *g)
{
	loop_timer_close(g->env->loop, &H(g)->timer);
}

const struct guard_ops testhang_guard_ops = {
	.name = "test-hang",
	.hidden = true,
	.state_size = sizeof(struct hang_guard),
	.start = testhang_start,
	.stop = testhang_stop,
};
