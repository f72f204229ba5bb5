/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot's counters: records from the reporter's tap and the guards'
 * asks. Pure: no I/O, no clock (times come in). */
#include "report/snapshot.h"

#include <string.h>

#include "core/util.h"
#include "report/record.h"

const char *const snap_psi_names[SNAP_PSI_N] = { "memory", "cpu", "io" };

struct snap_guard *snap_guard(struct og_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_guards; i++)
		if (!strcmp(s->guards[i].name, name))
			return &s->guards[i];
	if (s->n_guards == SNAP_GUARDS)
		return NULL;
	struct snap_guard *g = &s->guards[s->n_guards++];

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return g;
}

bool snap_count_add(struct snap_count *a, size_t *n, const char *trigger, uint64_t add)
{
	if (!trigger || !*trigger)
		trigger = "none";
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp(a[i].trigger, trigger)) {
			a[i].n += add;
			return true;
		}
	}
	if (*n == SNAP_TRIGGERS)
		return false;
	snprintf(a[*n].trigger, sizeof(a[*n].trigger), "%s", trigger);
	a[(*n)++].n = add;
	return true;
}

static bool is_action(const char *event)
{
	static const char *const actions[] = { "terminate", "kill", "escalate", "exit", "stuck",
					       "error", "relieve", "rebalance", "dry-kill" };

	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(event, actions[i]))
			return true;
	return false;
}

static void ring_add(struct og_snapshot *s, const struct report_tap *t, int64_t time_ms)
{
	struct snap_decision *d = &s->dec[s->seq % SNAP_DECISIONS];
	const char *reason = t->d ? t->d->reason : t->message;

	memset(d, 0, sizeof(*d));
	d->seq = ++s->seq;
	d->time_ms = time_ms;
	snprintf(d->guard, sizeof(d->guard), "%s", t->guard ? t->guard : "");
	snprintf(d->event, sizeof(d->event), "%s", t->event ? t->event : "");
	if (t->d) {
		snprintf(d->trigger, sizeof(d->trigger), "%s", t->d->trigger ? t->d->trigger : "");
		d->pid = t->d->pid;
		/* a process's name, and a reason that quotes names and cgroup
		 * paths: escaped as in the records, since `status` and `watch`
		 * print them on root's terminal */
		escape_untrusted(t->d->comm ? t->d->comm : "", d->comm, sizeof(d->comm));
		d->dry_run = t->d->dry_run;
	}
	escape_untrusted(reason ? reason : "", d->reason, sizeof(d->reason));
	if (s->n_dec < SNAP_DECISIONS)
		s->n_dec++;
}

void snap_count_tap(struct og_snapshot *s, const struct report_tap *t, int64_t time_ms)
{
	struct snap_guard *g;

	if (!t->guard || !t->event)
		return;
	if (!strcmp(t->event, "rebalance-refused") && (g = snap_guard(s, t->guard)))
		g->rebalances_refused++;
	if (!is_action(t->event))
		return;
	ring_add(s, t, time_ms);
	if (!(g = snap_guard(s, t->guard)))
		return;
	if (t->d && (!strcmp(t->event, "terminate") || !strcmp(t->event, "kill")))
		snap_count_add(g->kills, &g->n_kills, t->d->trigger, 1);
	else if (!strcmp(t->event, "rebalance"))
		g->rebalances++;
}

void snap_count_ask(struct og_snapshot *s, const char *guard, bool danger, const char *trigger,
		    bool acted, double latency_s, uint64_t now_ms)
{
	struct snap_guard *g = snap_guard(s, guard);

	if (!g)
		return;
	if (!danger) {
		g->in_episode = false;
		return;
	}
	if (g->in_episode && now_ms - g->last_danger_ms > SNAP_EPISODE_GAP_MS)
		g->in_episode = false;
	if (!g->in_episode)
		snap_count_add(g->episodes, &g->n_episodes, trigger, 1);
	g->in_episode = true;
	g->last_danger_ms = now_ms;
	if (acted) {
		g->has_latency = true;
		g->last_latency_s = latency_s;
	}
}

const struct snap_decision *snap_decision_at(const struct og_snapshot *s, size_t i)
{
	uint64_t first = s->seq - s->n_dec + 1;

	return &s->dec[(first + i - 1) % SNAP_DECISIONS];
}
