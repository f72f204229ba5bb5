/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield guard: the protected cgroup, managed processes moved in on
 * exec, and the dynamic oom_score_adj (shieldd.c does the work). It never
 * kills; it makes the pipeline skip managed processes (shield_is_managed)
 * and stays out of the way of an episode: no /proc pass while one is on. */
#include <errno.h>
#include <stdio.h>

#include "core/guard.h"
#include "core/loop.h"
#include "core/util.h"
#include "guards/shield/shieldd.h"

struct shield_guard {
	struct shield_rt rt;
};

static struct shield_guard *S(struct guard *g) { return g->state; }

static bool episode(void *userdata)
{
	struct guard *g = userdata;

	return vp_busy(g->env->vp);
}

static int shield_start(struct guard *g)
{
	struct shield_guard *s = S(g);
	const struct og_config *cfg = &g->env->c->cfg;

	if (g->env->loop) {
		shield_rt_lane(&s->rt, g->env->worker, g->lane);
		shield_rt_start(&s->rt, g->env->c, g->env->loop, episode, g);
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
	desc_int(d, "deferred_passes", s->rt.deferred);
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
