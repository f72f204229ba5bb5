/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield guard: the protected cgroup, managed processes moved in on
 * exec, and the dynamic oom_score_adj (shieldd.c does the work). It never
 * kills; it makes the pipeline skip managed processes (shield_is_managed)
 * and stays out of the way of an episode: no /proc pass while one is on. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/loop.h"
#include "core/util.h"
#include "guards/shield/shieldd.h"

#define EPISODE_RETRY_MS 1000   /* a pass due during an episode waits this long */

struct shield_guard {
	struct shield_rt rt;
	struct loop_source timer, conn; /* dispatch targets of shieldd's own fds */
	unsigned deferred;              /* passes put off during episodes */
};

static struct shield_guard *S(struct guard *g) { return g->state; }

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct shield_guard *s = S(g);

	if (vp_busy(g->env->vp)) {
		struct itimerspec its = { .it_value.tv_sec = EPISODE_RETRY_MS / 1000 };
		uint64_t x;

		if (read(s->rt.timer_fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
			return;
		timerfd_settime(s->rt.timer_fd, 0, &its, NULL);
		s->deferred++;
		return;
	}
	shield_rt_on_timer(&s->rt, g->env->c);
}

static void on_conn(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	shield_rt_on_conn(&S(g)->rt, g->env->c);
}

static int shield_start(struct guard *g)
{
	struct shield_guard *s = S(g);
	const struct og_config *cfg = &g->env->c->cfg;

	if (!g->env->loop) {
		s->rt.timer_fd = s->rt.conn_fd = -1;
	} else {
		/* shieldd registers its fds itself; the tags point here. */
		s->timer = (struct loop_source){ .fd = INT_MAX, .fn = on_timer, .userdata = g };
		s->conn = (struct loop_source){ .fd = INT_MAX, .fn = on_conn, .userdata = g };
		shield_rt_start(&s->rt, g->env->c, loop_epoll_fd(g->env->loop),
				(uint64_t)(uintptr_t)&s->timer, (uint64_t)(uintptr_t)&s->conn);
	}
	if (!shield_wanted(cfg) && !cfg->n_managed && !cfg->dyn_enabled) {
		snprintf(g->why, sizeof(g->why),
			 "not configured (cgroup_settings, managed_processes, dynamic_adjustment)");
		return -ENOTSUP;
	}
	return 0;
}

static void shield_reload(struct guard *g)
{
	const struct og_config *cfg = &g->env->c->cfg;

	shield_rt_reload(&S(g)->rt, g->env->c);
	g->active = shield_wanted(cfg) || cfg->n_managed || cfg->dyn_enabled;
	if (!g->active)
		snprintf(g->why, sizeof(g->why),
			 "not configured (cgroup_settings, managed_processes, dynamic_adjustment)");
}

static void shield_describe_guard(struct guard *g, struct describe *d)
{
	struct shield_guard *s = S(g);

	desc_int(d, "moved", s->rt.moved);
	desc_int(d, "deferred_passes", s->deferred);
	if (g->active && d->text)
		shield_print(d->text, g->env->c);
}

static void shield_stop(struct guard *g)
{
	if (g->env->loop)
		shield_rt_stop(&S(g)->rt, g->env->c);
}

const struct guard_ops shield_guard_ops = {
	.name = "shield",
	.state_size = sizeof(struct shield_guard),
	.start = shield_start,
	.reload = shield_reload,
	.describe = shield_describe_guard,
	.stop = shield_stop,
};
