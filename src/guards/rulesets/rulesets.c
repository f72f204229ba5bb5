/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rulesets guard (issue 17): runs the oomd rulesets of the config
 * (engine.c) four times a second (oomd: once, with Debian's --interval 1),
 * so that it acts no later than oomd on the same config. A
 * kill plugin's choice goes to the victim pipeline as a whole-cgroup kill
 * (cgroup.kill, a pidfd, records, kmsg), where protected and managed
 * processes still never die: a cgroup holding one loses only its
 * killable processes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "guards/rulesets/engine.h"
#include "observe/meminfo.h"
#include "report/record.h"

#define TICK_MS 250              /* evaluations; oomd's history stays at 1 s (engine.h) */

struct rsg {
	struct loop_timer timer;
	struct rs_engine e;
	bool engine;
	uint64_t acted, nobody, busy;
	char last[512];
};

static struct rsg *S(struct guard *g) { return g->state; }

__attribute__((format(printf, 4, 5)))
static void say(void *u, bool engine, bool silenced, const char *fmt, ...)
{
	va_list ap;
	char msg[768];

	if (silenced)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (engine)
		log_debug("rulesets: %s", msg);
	else
		log_notice("rulesets: %s", msg);
}

static int kill_cgroup(void *u, const struct rs_kill *k)
{
	struct guard *g = u;
	struct rsg *s = S(g);
	struct meminfo mi = { 0 };
	struct verdict v = { .level = LEVEL_KILL, .trigger = TRIG_RULESET };
	char scope[RS_PATH_MAX + 2];
	struct vp_request rq = { .v = &v, .mi = &mi, .scope = scope, .whole_scope = true };
	enum vp_result r;

	char why[1024];

	snprintf(scope, sizeof(scope), "/%s", k->cgroup);
	snprintf(why, sizeof(why), "ruleset \"%s\": detector group \"%s\" fired; %s chose %s (%s)",
		 k->ruleset, k->group, k->plugin, scope, k->why);
	snprintf(v.reason, sizeof(v.reason), "%.*s", (int)sizeof(v.reason) - 1, why);
	if (k->dry) {           /* the plugin's dry: oomd logs, kills nothing */
		snprintf(why, sizeof(why), "would kill %s (dry): %s", scope, v.reason);
		snprintf(s->last, sizeof(s->last), "%.*s", (int)sizeof(s->last) - 1, why);
		report_event(g->env->rep, "rulesets", "dry-kill", s->last);
		log_notice("rulesets: %s", s->last);
		return 1;
	}
	meminfo_read_fd(g->env->c->meminfo_fd, &mi);
	r = guard_ask(g, &rq, now_ms(), NULL);
	snprintf(why, sizeof(why), "%s: %s", vp_result_name(r), v.reason);
	snprintf(s->last, sizeof(s->last), "%.*s", (int)sizeof(s->last) - 1, why);
	switch (r) {
	case VP_ACTED:
		s->acted++;
		return 1;
	case VP_BUSY:
	case VP_COOLDOWN:
		s->busy++;
		return -1;
	default:
		s->nobody++;
		return 0;
	}
}

static void tick(struct guard *g)
{
	struct og_ctx *c = g->env->c;
	struct rs_env env = { .cg_fd = c->cg_root_fd, .cg_root = c->cg_root, .proc_fd = c->proc_fd,
			      .now_ms = now_ms(), .kill = kill_cgroup, .say = say, .u = g };

	if (c->cg_root_fd >= 0)
		rs_engine_tick(&S(g)->e, &env);
	loop_timer_arm(&S(g)->timer, TICK_MS);
}

static void on_timer(void *userdata, uint32_t events) { tick(userdata); }

static int setup(struct guard *g)
{
	struct rsg *s = S(g);
	const struct rs_config *rc = &g->env->c->cfg.rulesets;

	if (s->engine)
		rs_engine_free(&s->e);
	s->engine = false;
	if (!rc->n_rulesets) {
		snprintf(g->why, sizeof(g->why), "no oomd rulesets in the config");
		return -ENOTSUP;
	}
	if (g->env->c->cg_root_fd < 0) {
		snprintf(g->why, sizeof(g->why), "no cgroup v2 hierarchy found");
		return -ENOTSUP;
	}
	if (rs_engine_init(&s->e, rc) < 0)
		return -ENOMEM;
	s->engine = true;
	if (g->env->loop)
		loop_timer_arm(&s->timer, TICK_MS);
	return 0;
}

static int rulesets_start(struct guard *g)
{
	struct rsg *s = S(g);
	int r;

	s->timer.src.fd = -1;
	if (g->env->loop) {
		if ((r = loop_timer_init(g->env->loop, &s->timer, on_timer, g)) < 0)
			return r;
		g->tick = &s->timer;
	}
	if ((r = setup(g)) == 0 && g->env->loop)
		log_notice("rulesets: %zu oomd ruleset(s) from %s, every %d ms",
			   g->env->c->cfg.rulesets.n_rulesets, g->env->c->cfg.path, TICK_MS);
	return r;
}

/* A new config: its rulesets start afresh (oomd's detectors' timers too). */
static void rulesets_reload(struct guard *g)
{
	loop_timer_disarm(&S(g)->timer);
	g->active = setup(g) == 0;
}

static void rulesets_describe(struct guard *g, struct describe *d)
{
	struct rsg *s = S(g);
	const struct rs_config *rc = &g->env->c->cfg.rulesets;

	desc_line(d, "  %zu oomd ruleset(s), every %d ms: %llu kills asked, %llu with nobody "
		  "killable, %llu while another episode ran", rc->n_rulesets, TICK_MS,
		  (unsigned long long)s->acted, (unsigned long long)s->nobody,
		  (unsigned long long)s->busy);
	if (*s->last)
		desc_line(d, "  last: %s", s->last);
	desc_int(d, "rulesets", (int64_t)rc->n_rulesets);
	desc_int(d, "kills", (int64_t)s->acted);
}

static void rulesets_stop(struct guard *g)
{
	struct rsg *s = S(g);

	loop_timer_close(g->env->loop, &s->timer);
	if (s->engine)
		rs_engine_free(&s->e);
	s->engine = false;
}

const struct guard_ops rulesets_guard_ops = {
	.name = "rulesets",
	.state_size = sizeof(struct rsg),
	.start = rulesets_start,
	.reload = rulesets_reload,
	.describe = rulesets_describe,
	.stop = rulesets_stop,
};
