/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of guards and what the daemon, explain and status do with all
 * of them. Adding a guard: its folder under src/guards/, one line here, its
 * keys in the config schema. */
#include "core/guard.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"
#include "report/record.h"

extern const struct guard_ops memory_guard_ops, cgroups_guard_ops, shield_guard_ops,
	cpu_guard_ops, io_guard_ops, disk_guard_ops, network_guard_ops, gpu_guard_ops,
	ebpf_guard_ops, calibration_guard_ops, rulesets_guard_ops, testhang_guard_ops;

const struct guard_ops *const guard_table[] = {
	&memory_guard_ops, &cgroups_guard_ops, &shield_guard_ops, &cpu_guard_ops, &io_guard_ops,
	&disk_guard_ops, &network_guard_ops, &gpu_guard_ops, &ebpf_guard_ops,
	&calibration_guard_ops, &rulesets_guard_ops,
	&testhang_guard_ops,
};
const size_t guard_count = ARRAY_SIZE(guard_table);

void guards_start(struct guard *g, struct guard_env *env)
{
	for (size_t i = 0; i < guard_count; i++) {
		const struct guard_ops *ops = guard_table[i];
		int r;

		memset(&g[i], 0, sizeof(g[i]));
		g[i].ops = ops;
		g[i].env = env;
		g[i].lane = (unsigned)i;
		if (ops->state_size && !(g[i].state = calloc(1, ops->state_size))) {
			snprintf(g[i].why, sizeof(g[i].why), "out of memory");
			continue;
		}
		r = ops->start ? ops->start(&g[i]) : -ENOTSUP;
		g[i].active = r == 0;
		if (r < 0 && !*g[i].why)
			snprintf(g[i].why, sizeof(g[i].why), "%s", strerror(-r));
		if (env->loop && r < 0 && r != -ENOTSUP)
			log_warn("%s guard not active: %s", ops->name, g[i].why);
		if (env->loop && r == -ENOTSUP && ops->state_size && !ops->hidden)
			log_notice("%s guard off: %s", ops->name, g[i].why);
	}
}

int guards_check(struct guard *g, const struct og_config *next, char *err, size_t size)
{
	for (size_t i = 0; i < guard_count; i++)
		if (g[i].ops->check && g[i].ops->check(&g[i], next, err, size) < 0)
			return -EINVAL;
	return 0;
}

void guards_reload(struct guard *g)
{
	for (size_t i = 0; i < guard_count; i++) {
		if (g[i].ops->reload) {
			g[i].why[0] = '\0';
			g[i].ops->reload(&g[i]);
		}
	}
}

void guards_describe(struct guard *g, struct describe *d)
{
	for (size_t i = 0; i < guard_count; i++) {
		struct describe sub = { .text = d->text };

		if (g[i].ops->hidden && !g[i].active)
			continue;
		sub.json = desc_obj(d, g[i].ops->name);
		desc_line(&sub, "\n[%s] %s%s%s", g[i].ops->name, g[i].active ? "active" : "not active",
			  g[i].active ? "" : ": ", g[i].active ? "" : g[i].why);
		desc_bool(&sub, "active", g[i].active);
		if (!g[i].active)
			desc_str(&sub, "why", g[i].why);
		if (g[i].ops->describe && g[i].state)
			g[i].ops->describe(&g[i], &sub);
	}
}

void guards_stop(struct guard *g)
{
	for (size_t i = guard_count; i-- > 0;) {
		if (g[i].ops->stop && g[i].state)
			g[i].ops->stop(&g[i]);
		free(g[i].state);
		g[i].state = NULL;
	}
}

struct guard *guard_find(struct guard *g, const char *name)
{
	for (size_t i = 0; i < guard_count; i++)
		if (!strcmp(g[i].ops->name, name))
			return &g[i];
	return NULL;
}

static void wake(void *userdata, uint64_t in_ms)
{
	struct guard *g = userdata;

	loop_timer_arm(g->tick, in_ms);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static enum vp_result ask(struct guard *g, struct vp_request *rq, uint64_t now,
			  uint64_t *ret_next_ms, bool *relieved)
{
	if (rq->v->level != LEVEL_OK && g->ops->relieve && !vp_busy(g->env->vp) &&
	    g->ops->relieve(g, rq) > 0) {
		report_event(g->env->rep, g->ops->name, "relieve", rq->v->reason);
		*relieved = true;
		return VP_IDLE;
	}
	return vp_request(g->env->vp, rq, now, ret_next_ms);
}

void guard_prepare(struct guard *g, const struct vp_request *rq, uint64_t now)
{
	if (g->env->vp)
		vp_prepare(g->env->vp, rq, now);
}

enum vp_result guard_ask(struct guard *g, struct vp_request *rq, uint64_t now,
			 uint64_t *ret_next_ms)
{
	struct guard_env *env = g->env;
	uint64_t t0 = env->asked ? mono_us() : 0;
	bool relieved = false;
	enum vp_result r;

	rq->guard = g->ops->name;
	if (!rq->wake && g->tick) {
		rq->wake = wake;
		rq->userdata = g;
	}
	if (rq->still)
		rq->userdata = g;
	r = ask(g, rq, now, ret_next_ms, &relieved);
	if (env->asked)
		env->asked(env->asked_data, g, rq, r == VP_ACTED || relieved, mono_us() - t0);
	return r;
}
