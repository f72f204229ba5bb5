/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot as the status socket's JSON object, back again for the
 * clients, and as the lines `oomguard status` and `oomguard watch` print. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "report/snapshot.h"

#define SNAP_VERSION 1

static void add_i(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_u(json_object *o, const char *k, uint64_t v)
{
	add_i(o, k, (int64_t)MIN(v, (uint64_t)INT64_MAX));
}

static void add_s(json_object *o, const char *k, const char *v)
{
	char esc[1024];

	escape_untrusted(v, esc, sizeof(esc));
	json_object_object_add(o, k, json_object_new_string(esc));
}

/* Text of oomguard's own that may hold a cgroup path: as a log line. */
static void add_text(json_object *o, const char *k, const char *v)
{
	char esc[1024];

	escape_log(v, esc, sizeof(esc));
	json_object_object_add(o, k, json_object_new_string(esc));
}

static json_object *counts(const struct snap_count *c, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < n; i++)
		add_u(o, c[i].trigger, c[i].n);
	return o;
}

static json_object *guard_json(const struct snap_guard *g)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "active", json_object_new_boolean(g->active));
	if (g->active)
		json_object_object_add(o, "why", NULL);
	else
		add_text(o, "why", g->why);
	json_object_object_add(o, "kills", counts(g->kills, g->n_kills));
	json_object_object_add(o, "episodes", counts(g->episodes, g->n_episodes));
	if (g->has_cleanups)
		add_u(o, "cleanups", g->cleanups);
	add_u(o, "rebalances", g->rebalances);
	add_u(o, "rebalances_refused", g->rebalances_refused);
	json_object_object_add(o, "last_decision_latency_s",
			       g->has_latency ? json_object_new_double(g->last_latency_s) : NULL);
	return o;
}

static json_object *decision_json(const struct snap_decision *d)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_u(o, "seq", d->seq);
	add_i(o, "time_ms", d->time_ms);
	add_s(o, "guard", d->guard);
	add_s(o, "event", d->event);
	add_s(o, "trigger", d->trigger);
	add_i(o, "pid", d->pid);
	add_s(o, "comm", d->comm);
	json_object_object_add(o, "dry_run", json_object_new_boolean(d->dry_run));
	add_text(o, "reason", d->reason);
	return o;
}

json_object *snap_to_json(const struct og_snapshot *s)
{
	json_object *o = json_object_new_object(), *m, *p, *g, *a;

	if (!o)
		return NULL;
	add_i(o, "version", SNAP_VERSION);
	add_i(o, "time_ms", s->time_ms);
	add_i(o, "start_ms", s->start_ms);
	json_object_object_add(o, "dry_run", json_object_new_boolean(s->dry_run));
	if (s->have_mem && (m = json_object_new_object())) {
		add_u(m, "mem_total", s->mem_total);
		add_u(m, "mem_available", s->mem_available);
		add_u(m, "swap_total", s->swap_total);
		add_u(m, "swap_free", s->swap_free);
		json_object_object_add(o, "memory", m);
	}
	if ((p = json_object_new_object())) {
		for (int r = 0; r < SNAP_PSI_N; r++) {
			const struct snap_psi *ps = &s->psi[r];
			json_object *x;

			if (!ps->have || !(x = json_object_new_object()))
				continue;
			json_object_object_add(x, "some_avg10", json_object_new_double(ps->some_avg10));
			add_u(x, "some_total_us", ps->some_total_us);
			if (ps->has_full) {
				json_object_object_add(x, "full_avg10",
						       json_object_new_double(ps->full_avg10));
				add_u(x, "full_total_us", ps->full_total_us);
			}
			json_object_object_add(p, snap_psi_names[r], x);
		}
		json_object_object_add(o, "pressure", p);
	}
	if ((g = json_object_new_object())) {
		for (size_t i = 0; i < s->n_guards; i++)
			json_object_object_add(g, s->guards[i].name, guard_json(&s->guards[i]));
		json_object_object_add(o, "guards", g);
	}
	if ((a = json_object_new_array())) {
		for (size_t i = 0; i < s->n_fs; i++) {
			json_object *x = json_object_new_object();

			if (!x)
				continue;
			add_s(x, "path", s->fs[i].path);
			add_u(x, "size", s->fs[i].size);
			add_u(x, "avail", s->fs[i].avail);
			json_object_array_add(a, x);
		}
		json_object_object_add(o, "filesystems", a);
	}
	if ((a = json_object_new_array())) {
		for (size_t i = 0; i < s->n_gpus; i++) {
			json_object *x = json_object_new_object();

			if (!x)
				continue;
			add_i(x, "index", s->gpus[i].index);
			add_s(x, "name", s->gpus[i].name);
			add_u(x, "memory_total", s->gpus[i].total);
			add_u(x, "memory_used", s->gpus[i].used);
			json_object_array_add(a, x);
		}
		json_object_object_add(o, "gpus", a);
	}
	if ((a = json_object_new_array())) {
		for (size_t i = 0; i < s->n_dec; i++)
			json_object_array_add(a, decision_json(snap_decision_at(s, i)));
		json_object_object_add(o, "decisions", a);
	}
	add_u(o, "records_dropped", s->records_dropped);
	return o;
}

/* ---- back from JSON (the clients) -------------------------------------- */

static int64_t get_i(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static double get_d(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static void get_s(json_object *o, const char *k, char *out, size_t size)
{
	json_object *v;
	const char *s = json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
			json_object_get_string(v) : "";

	snprintf(out, size, "%s", s);
}

static bool has(json_object *o, const char *k, json_type t)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, t);
}

static void counts_from(json_object *o, struct snap_count *c, size_t *n)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v)
		snap_count_add(c, n, k, (uint64_t)MAX(json_object_get_int64(v), 0));
}

static void guards_from(json_object *o, struct og_snapshot *s)
{
	json_object_object_foreach(o, name, v) {
		struct snap_guard *g;
		json_object *x;

		if (!json_object_is_type(v, json_type_object) || !(g = snap_guard(s, name)))
			continue;
		g->active = has(v, "active", json_type_boolean) &&
			    json_object_get_boolean(json_object_object_get(v, "active"));
		get_s(v, "why", g->why, sizeof(g->why));
		if (json_object_object_get_ex(v, "kills", &x))
			counts_from(x, g->kills, &g->n_kills);
		if (json_object_object_get_ex(v, "episodes", &x))
			counts_from(x, g->episodes, &g->n_episodes);
		g->has_cleanups = has(v, "cleanups", json_type_int);
		g->cleanups = (uint64_t)get_i(v, "cleanups");
		g->rebalances = (uint64_t)get_i(v, "rebalances");
		g->rebalances_refused = (uint64_t)get_i(v, "rebalances_refused");
		g->has_latency = has(v, "last_decision_latency_s", json_type_double) ||
				 has(v, "last_decision_latency_s", json_type_int);
		g->last_latency_s = get_d(v, "last_decision_latency_s");
	}
}

int snap_from_json(json_object *o, struct og_snapshot *s)
{
	json_object *x;

	memset(s, 0, sizeof(*s));
	if (!o || !json_object_is_type(o, json_type_object) || get_i(o, "version") != SNAP_VERSION)
		return -EINVAL;
	s->time_ms = get_i(o, "time_ms");
	s->start_ms = get_i(o, "start_ms");
	s->dry_run = has(o, "dry_run", json_type_boolean) &&
		     json_object_get_boolean(json_object_object_get(o, "dry_run"));
	if (json_object_object_get_ex(o, "memory", &x) && json_object_is_type(x, json_type_object)) {
		s->have_mem = true;
		s->mem_total = (uint64_t)get_i(x, "mem_total");
		s->mem_available = (uint64_t)get_i(x, "mem_available");
		s->swap_total = (uint64_t)get_i(x, "swap_total");
		s->swap_free = (uint64_t)get_i(x, "swap_free");
	}
	for (int r = 0; r < SNAP_PSI_N && json_object_object_get_ex(o, "pressure", &x); r++) {
		json_object *p;

		if (!json_object_object_get_ex(x, snap_psi_names[r], &p) ||
		    !json_object_is_type(p, json_type_object))
			continue;
		s->psi[r].have = true;
		s->psi[r].some_avg10 = get_d(p, "some_avg10");
		s->psi[r].some_total_us = (uint64_t)get_i(p, "some_total_us");
		s->psi[r].has_full = json_object_object_get_ex(p, "full_avg10", NULL);
		s->psi[r].full_avg10 = get_d(p, "full_avg10");
		s->psi[r].full_total_us = (uint64_t)get_i(p, "full_total_us");
	}
	if (json_object_object_get_ex(o, "guards", &x) && json_object_is_type(x, json_type_object))
		guards_from(x, s);
	if (json_object_object_get_ex(o, "filesystems", &x) && json_object_is_type(x, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(x) && s->n_fs < SNAP_FS; i++) {
			json_object *e = json_object_array_get_idx(x, i);
			struct snap_fs *f = &s->fs[s->n_fs++];

			get_s(e, "path", f->path, sizeof(f->path));
			f->size = (uint64_t)get_i(e, "size");
			f->avail = (uint64_t)get_i(e, "avail");
		}
	}
	if (json_object_object_get_ex(o, "gpus", &x) && json_object_is_type(x, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(x) && s->n_gpus < SNAP_GPUS; i++) {
			json_object *e = json_object_array_get_idx(x, i);
			struct snap_gpu *gp = &s->gpus[s->n_gpus++];

			gp->index = (int)get_i(e, "index");
			get_s(e, "name", gp->name, sizeof(gp->name));
			gp->total = (uint64_t)get_i(e, "memory_total");
			gp->used = (uint64_t)get_i(e, "memory_used");
		}
	}
	if (json_object_object_get_ex(o, "decisions", &x) && json_object_is_type(x, json_type_array)) {
		size_t n = json_object_array_length(x), from = n > SNAP_DECISIONS ? n - SNAP_DECISIONS : 0;

		for (size_t i = from; i < n; i++) {
			json_object *e = json_object_array_get_idx(x, i);
			uint64_t seq = (uint64_t)get_i(e, "seq");
			struct snap_decision *d;

			if (!seq || seq <= s->seq)
				continue;       /* oldest first, each once */
			d = &s->dec[(seq - 1) % SNAP_DECISIONS];
			d->seq = s->seq = seq;
			d->time_ms = get_i(e, "time_ms");
			get_s(e, "guard", d->guard, sizeof(d->guard));
			get_s(e, "event", d->event, sizeof(d->event));
			get_s(e, "trigger", d->trigger, sizeof(d->trigger));
			d->pid = (int)get_i(e, "pid");
			get_s(e, "comm", d->comm, sizeof(d->comm));
			d->dry_run = has(e, "dry_run", json_type_boolean) &&
				     json_object_get_boolean(json_object_object_get(e, "dry_run"));
			get_s(e, "reason", d->reason, sizeof(d->reason));
			s->n_dec = MIN(s->n_dec + 1, (size_t)SNAP_DECISIONS);
		}
		/* the ring holds consecutive seqs only: keep the newest run */
		for (size_t i = 0; i < s->n_dec; i++) {
			if (s->dec[(s->seq - i - 1) % SNAP_DECISIONS].seq != s->seq - i) {
				s->n_dec = i;
				break;
			}
		}
	}
	s->records_dropped = (uint64_t)get_i(o, "records_dropped");
	return 0;
}

/* ---- lines for a person -------------------------------------------------- */
/* Strings are printed as the daemon escaped them in its object (comm and
 * paths as records escape them, reasons as log lines). */

static void clock_of(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(out, size, "%H:%M:%S", &tm))
		snprintf(out, size, "?");
}

#define APPEND(...) do { \
	if (o < size) \
		o += (size_t)snprintf(out + o, size - o, __VA_ARGS__); \
} while (0)

void snap_watch_line(const struct og_snapshot *s, char *out, size_t size)
{
	static const char *const short_name[SNAP_PSI_N] = { "mem", "cpu", "io" };
	char t[16];
	size_t o = 0;

	if (!size)
		return;
	out[0] = '\0';
	clock_of(s->time_ms, t, sizeof(t));
	APPEND("%s", t);
	if (s->have_mem) {
		APPEND(" avail %.0f MiB (%.0f%%)", (double)s->mem_available / MiB,
		       s->mem_total ? 100.0 * (double)s->mem_available / (double)s->mem_total : 0.0);
		if (s->swap_total)
			APPEND(" swap free %.0f MiB", (double)s->swap_free / MiB);
	} else {
		APPEND(" avail ?");
	}
	APPEND(" | psi some/full");
	for (int r = 0; r < SNAP_PSI_N; r++) {
		if (!s->psi[r].have)
			APPEND(" %s -", short_name[r]);
		else if (s->psi[r].has_full)
			APPEND(" %s %.2f/%.2f", short_name[r], s->psi[r].some_avg10, s->psi[r].full_avg10);
		else
			APPEND(" %s %.2f/-", short_name[r], s->psi[r].some_avg10);
	}
	if (s->n_gpus)
		APPEND(" | gpu");
	for (size_t i = 0; i < s->n_gpus; i++)
		APPEND(" %d: %.0f/%.0f MiB", s->gpus[i].index, (double)s->gpus[i].used / MiB,
		       (double)s->gpus[i].total / MiB);
	if (s->n_fs)
		APPEND(" | free");
	for (size_t i = 0; i < s->n_fs; i++) {
		APPEND(" %s %.1f%%", s->fs[i].path, s->fs[i].size ? 100.0 * (double)s->fs[i].avail /
			(double)s->fs[i].size : 0.0);
	}
	if (s->dry_run)
		APPEND(" (dry-run)");
	if (o >= size)
		out[size - 1] = '\0';
}

void snap_decision_line(const struct snap_decision *d, char *out, size_t size)
{
	const char *comm = d->comm, *reason = d->reason;
	char t[16];
	size_t o = 0;

	if (!size)
		return;
	clock_of(d->time_ms, t, sizeof(t));
	APPEND("  #%" PRIu64 " %s %s %s", d->seq, t, d->guard, d->event);
	if (d->pid)
		APPEND(" pid %d (%s)", d->pid, comm);
	if (*d->trigger)
		APPEND(" trigger %s", d->trigger);
	if (d->dry_run)
		APPEND(" (dry-run)");
	if (*reason)
		APPEND(": %s", reason);
	if (o >= size)
		out[size - 1] = '\0';
}

static void print_counts(FILE *f, const char *what, const struct snap_count *c, size_t n)
{
	fprintf(f, " %s", what);
	if (!n)
		fprintf(f, " 0");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s %" PRIu64, i ? ", " : " ", c[i].trigger, c[i].n);
	fprintf(f, ";");
}

void snap_print(const struct og_snapshot *s, FILE *f)
{
	char line[2048], since[16];

	clock_of(s->start_ms, since, sizeof(since));
	fprintf(f, "oomguard daemon running since %s%s\n", since, s->dry_run ? " (dry-run)" : "");
	snap_watch_line(s, line, sizeof(line));
	fprintf(f, "Now: %s\n\nGuards:\n", line);
	for (size_t i = 0; i < s->n_guards; i++) {
		const struct snap_guard *g = &s->guards[i];

		fprintf(f, "  %-12s %s", g->name, g->active ? "active" : "not active");
		if (!g->active) {
			fprintf(f, ": %s\n", g->why);
			continue;
		}
		fprintf(f, ":");
		print_counts(f, "kills", g->kills, g->n_kills);
		print_counts(f, "episodes", g->episodes, g->n_episodes);
		if (g->has_cleanups)
			fprintf(f, " cleanups %" PRIu64 ";", g->cleanups);
		if (g->rebalances || g->rebalances_refused)
			fprintf(f, " rebalances %" PRIu64 " (refused %" PRIu64 ");", g->rebalances,
				g->rebalances_refused);
		if (g->has_latency)
			fprintf(f, " last decision %.1f ms", g->last_latency_s * 1000);
		fprintf(f, "\n");
	}
	fprintf(f, "\nLast decisions:\n");
	if (!s->n_dec)
		fprintf(f, "  (none since the daemon started)\n");
	for (size_t i = 0; i < s->n_dec; i++) {
		snap_decision_line(snap_decision_at(s, i), line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (s->records_dropped)
		fprintf(f, "\n%" PRIu64 " records dropped (the output could not take them)\n",
			s->records_dropped);
}
