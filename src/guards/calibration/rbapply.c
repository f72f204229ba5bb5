/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rebalancing (issue 16, phase 2), on the loop: the cgroups guard found a
 * cgroup near its memory.max and asks here before it asks the victim
 * pipeline. Its siblings' limits and use are read, the figures the store's
 * lane last computed are looked up, rebalance.c plans, and the new limits
 * are written (donors first, so that the children never hold more than
 * the parent). A record and a kmsg line say what moved; the audit line
 * and the original limits (for `calibrate --restore`) wait for the lane.
 *
 * A systemd unit's limit is systemd's: a plan that touches one goes
 * whole to the D-Bus lane (SetUnitProperties MemoryMax=, runtime), with a
 * deadline; the cgroups guard's kill waits for it (relieve says 1) until
 * it answers or the deadline passes. Other cgroups are written here.
 *
 * Where the memory controller is on a cgroup v1 hierarchy, the store's
 * lane finds the cgroups near their memory.limit_in_bytes at each sample
 * and the same plan is made and written with v1's files (v1 true). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/sdbus.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/calibration/calibration.h"
#include "guards/calibration/rebalance.h"
#include "observe/cgroup.h"
#include "observe/meminfo.h"
#include "report/record.h"

#define BUS_CALL_MS 1000         /* one SetUnitProperties */
#define BUS_HOLD_MS 3000         /* the kill waits this long for systemd's answer */
#define BUS_RETRY_MS 60000       /* systemd unreachable: its units left alone this long */
#define V1_NO_LIMIT (1ull << 62) /* v1's limit_in_bytes at or past it: none */

struct kid {
	char path[CG_PATH_MAX];
	char limit_text[32];            /* memory.max as read: what --restore writes back */
	const char *unit;               /* into path: systemd's unit (NULL: not one) */
};

/* One limit to change: steps[0] the cgroup at its limit, then the donors. */
struct rb_step {
	char path[CG_PATH_MAX];
	const char *unit;               /* into path: through systemd; NULL: memory.max */
	char limit_text[32];
	uint64_t old_limit, new_limit;
};

/* A plan to carry out: on the loop, or whole in the D-Bus lane. */
struct rb_job {
	struct guard *g;                /* on the loop only (done) */
	struct sdbus **bus;             /* the lane's connection (guard_env.bus) */
	int cg_fd;                      /* the v2 root; the job's own dup in the lane */
	bool own_fd, after_oom, open_failed, v1;
	enum rb_source source;
	uint64_t added;
	char plan_why[256];
	char err[400];
	size_t n;
	struct rb_step step[];
};

static bool eligible(const struct og_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->n_rb_cgroups; i++)
		if (cg_glob_match(cfg->rb_cgroups[i], path))
			return true;
	return false;
}

/* systemd could not be reached lately: its units are left alone. */
static bool bus_down(const struct calib *c)
{
	return c->bus_err[0] && now_ms() - c->bus_err_ms < BUS_RETRY_MS;
}

/* The slot of path; with take, a new one if it has none: the oldest of
 * those not in a cooldown (never rebalanced, or longer ago than it), so
 * that no active cooldown is forgotten. NULL: every slot is in one. */
static struct rb_cool *cool_slot(struct calib *c, const char *path, bool take,
				 uint64_t now, uint64_t cooldown_ms)
{
	struct rb_cool *old = NULL;

	for (size_t i = 0; i < RB_COOL_SLOTS; i++) {
		struct rb_cool *x = &c->cool[i];

		if (!strcmp(x->path, path))
			return x;
		if (x->ms && now - x->ms < cooldown_ms)
			continue;
		if (!old || MAX(x->ms, x->said_ms) < MAX(old->ms, old->said_ms))
			old = x;
	}
	if (!take || !old)
		return NULL;
	*old = (struct rb_cool){ 0 };
	snprintf(old->path, sizeof(old->path), "%s", path);
	return old;
}

/* The limit and use files: v2's, or v1's (unlimited there reads as a
 * page-rounded LLONG_MAX). */
static const char *limit_file(bool v1)
{
	return v1 ? "memory.limit_in_bytes" : "memory.max";
}

static int read_u64(int fd, const char *file, uint64_t *ret, char *text, size_t size)
{
	char buf[64];
	int r;

	if (read_file_at(fd, file, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	if (text)
		snprintf(text, size, "%.31s", buf);
	if ((r = parse_cg_limit(buf, ret)) == 0 && *ret >= V1_NO_LIMIT)
		*ret = CG_MAX;
	return r;
}

/* The children of the parent of path, with their limits and use. */
static int read_children(struct guard *g, int root_fd, bool v1, const char *parent,
			 bool systemd, struct kid *kids, struct rb_cgroup *v, size_t *n,
			 size_t *affected, const char *path)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct calib *c = g->state;
	int pfd = openat(root_fd, *parent ? parent + 1 : ".",
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	*n = 0;
	*affected = SIZE_MAX;
	if (pfd < 0)
		return -errno;
	if (!(d = fdopendir(pfd))) {
		close(pfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct kid *k = &kids[*n];
		const struct calib_entry *e;
		uint64_t limit, current;
		int fd;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (*n == RB_MAX_CHILDREN) {    /* the parent's sums would be wrong: refuse */
			closedir(d);
			return -E2BIG;
		}
		if ((fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				 O_CLOEXEC)) < 0)
			continue;
		if ((size_t)snprintf(k->path, sizeof(k->path), "%s/%s", parent, de->d_name) >=
		    sizeof(k->path) ||
		    read_u64(fd, limit_file(v1), &limit, k->limit_text, sizeof(k->limit_text)) < 0 ||
		    read_u64(fd, v1 ? "memory.usage_in_bytes" : "memory.current", &current, NULL,
			     0) < 0) {
			close(fd);
			continue;
		}
		close(fd);
		k->unit = systemd ? sd_unit_of_cgroup(k->path) : NULL;
		e = calib_stats_find(c->stats, c->n_stats, k->path);
		/* a systemd unit only through systemd, when it can be reached */
		v[*n] = (struct rb_cgroup){ .path = k->path, .current = current,
					    .limit = limit == CG_MAX ? RB_NO_LIMIT : limit,
					    .calibrated = e != NULL,
					    .eligible = eligible(cfg, k->path) &&
							(!k->unit || !bus_down(c)) };
		if (e) {
			v[*n].st = e->st;
			v[*n].st.median = e->st.median_low;     /* a donor only if surely under it */
		}
		if (!strcmp(k->path, path))
			*affected = *n;
		(*n)++;
	}
	closedir(d);
	return *affected == SIZE_MAX ? -ENOENT : 0;
}

/* The parent's memory.max, or for the root (or a parent without one) the
 * machine's memory minus calibration.reserve. */
static uint64_t parent_limit(struct guard *g, int root_fd, bool v1, const char *parent)
{
	struct og_ctx *ctx = g->env->c;
	struct meminfo mi = { 0 };
	uint64_t limit = CG_MAX, machine;
	int fd;

	meminfo_read_fd(ctx->meminfo_fd, &mi);
	machine = mi.mem_total > ctx->cfg.calib_reserve ? mi.mem_total - ctx->cfg.calib_reserve : 0;
	if (*parent && (fd = openat(root_fd, parent + 1, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		read_u64(fd, limit_file(v1), &limit, NULL, 0);
		close(fd);
	}
	return limit == CG_MAX ? machine : MIN(limit, machine);
}

/* One step's limit to bytes (RB_NO_LIMIT: none), or with text as
 * memory.max said it (a rollback). 0 or -errno with j->err filled. */
static int set_limit(struct rb_job *j, const struct rb_step *st, uint64_t bytes, const char *text)
{
	char buf[32];
	int fd, r;

	if (st->unit) {
		if (!*j->bus && (r = sdbus_open(j->bus, j->err, sizeof(j->err))) < 0) {
			j->open_failed = true;
			return r;
		}
		return sdbus_set_memory_limit(*j->bus, st->unit, j->v1 ? "MemoryLimit" : "MemoryMax",
					      bytes, BUS_CALL_MS, j->err, sizeof(j->err));
	}
	if (!text)
		snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
	if ((fd = openat(j->cg_fd, st->path + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			 O_CLOEXEC)) < 0)
		r = -errno;
	else
		r = write_file_at(fd, limit_file(j->v1), text ? text : buf);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		snprintf(j->err, sizeof(j->err), "writing %s/%s: %s", st->path, limit_file(j->v1),
			 strerror(-r));
	return r;
}

static void queue_audit(struct calib *c, const struct rebalance_rec *b)
{
	json_object *o = rebalance_json(b);
	const char *s;
	char iso[40];
	uint64_t now = realtime_ms();

	if (!o)
		return;
	format_when(now, iso, sizeof(iso));
	json_object_object_add(o, "time", json_object_new_string(iso));
	json_object_object_add(o, "time_ms", json_object_new_int64((int64_t)now));
	json_object_object_add(o, "dry_run", json_object_new_boolean(b->dry_run));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (c->n_audit < RB_PENDING && s && (c->audit[c->n_audit] = strdup(s)))
		c->n_audit++;
	else
		c->audit_dropped++;
	json_object_put(o);
}

static void queue_original(struct calib *c, const struct rb_step *k)
{
	for (size_t i = 0; i < c->n_orig; i++)
		if (!strcmp(c->orig[i].path, k->path))
			return;
	if (c->n_orig == RB_ORIG_MAX) {
		log_warn("calibration: %s: its limit before rebalancing is not remembered (%d "
			 "waiting for the store): calibrate --restore will not know it", k->path,
			 RB_ORIG_MAX);
		return;
	}
	snprintf(c->orig[c->n_orig].path, sizeof(c->orig[0].path), "%s", k->path);
	snprintf(c->orig[c->n_orig].value, sizeof(c->orig[0].value), "%s", k->limit_text);
	c->n_orig++;
}

/* A refusal: recorded once per cgroup per cooldown (the cgroups guard
 * asks again at every look while the cgroup stays near its limit). */
static void refused(struct guard *g, const char *path, const char *why)
{
	struct calib *c = g->state;
	uint64_t now = now_ms();
	struct rb_cool *cool = cool_slot(c, path, true, now, g->env->c->cfg.rb_cooldown_ms);
	char msg[512];
	struct rebalance_rec b = { .event = "rebalance-refused", .message = msg,
				   .dry_run = g->env->c->cfg.dry_run, .cgroup = path,
				   .source = "none" };

	if (cool && cool->said_ms && now - cool->said_ms < g->env->c->cfg.rb_cooldown_ms)
		return;
	if (cool)
		cool->said_ms = now;
	c->rb_refused++;
	snprintf(msg, sizeof(msg), "%s near its memory.max: not rebalanced: %s", path, why);
	snprintf(c->rb_last, sizeof(c->rb_last), "%s", msg);
	report_rebalance(g->env->rep, &b);
}

/* Carry out the plan: donors first, then the raise; a failure puts back
 * what was set. On the loop, or the D-Bus lane's fn. 0 or -errno (what
 * failed in j->err). */
static int apply(void *arg)
{
	struct rb_job *j = arg;
	int r;

	for (size_t i = 1; i <= j->n; i++) {
		const struct rb_step *st = &j->step[i % j->n];  /* donors, then step[0] */

		if ((r = set_limit(j, st, st->new_limit, NULL)) < 0) {
			char err[sizeof(j->err)];
			size_t len;

			memcpy(err, j->err, sizeof(err));
			for (size_t k = 1; k < i; k++) {
				const struct rb_step *b = &j->step[k % j->n];

				/* a donor that cannot be put back stays lowered: say so
				 * (its original is remembered for --restore) */
				if (set_limit(j, b, b->old_limit, b->unit ? NULL : b->limit_text) < 0 &&
				    (len = strlen(err)) + 40 < sizeof(err))
					snprintf(err + len, sizeof(err) - len, "; %.*s stays lowered: %.*s",
						 160, b->path, 160, j->err);
			}
			memcpy(j->err, err, sizeof(err));
			return r;
		}
	}
	return 0;
}

static void job_free(void *arg)
{
	struct rb_job *j = arg;

	if (j && j->own_fd)
		close(j->cg_fd);
	free(j);
}

/* The plan was carried out (or would have been, in dry-run): say so. */
static void rebalanced(struct guard *g, const struct rb_job *j)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct calib *c = g->state;
	struct rebalance_donor donors[RB_MAX_CHILDREN];
	const struct rb_step *a = &j->step[0];
	bool via_systemd = false;
	struct rb_cool *cool;
	char msg[1100];

	for (size_t i = 0; i < j->n; i++)
		via_systemd |= j->step[i].unit != NULL;
	for (size_t i = 1; i < j->n; i++)
		donors[i - 1] = (struct rebalance_donor){ j->step[i].path,
			j->step[i].old_limit - j->step[i].new_limit, j->step[i].old_limit,
			j->step[i].new_limit };
	/* MiB rounded as the planner's why rounds them */
	snprintf(msg, sizeof(msg), "%s%s%s: %s %.0f -> %.0f MiB (+%.0f MiB from the %s: %s)%s",
		 cfg->dry_run ? "would rebalance " : "rebalanced ", a->path,
		 j->after_oom ? " after an OOM kill by the kernel in it" : "", limit_file(j->v1),
		 (double)a->old_limit / MiB, (double)a->new_limit / MiB, (double)j->added / MiB,
		 rb_source_name(j->source), j->plan_why, via_systemd ? " through systemd" : "");
	struct rebalance_rec b = { .event = "rebalance", .message = msg, .dry_run = cfg->dry_run,
				   .cgroup = a->path, .source = rb_source_name(j->source),
				   .via = via_systemd ? "systemd" : "cgroupfs",
				   .added = j->added, .old_limit = a->old_limit,
				   .new_limit = a->new_limit, .donors = donors,
				   .n_donors = j->n - 1 };
	report_rebalance(g->env->rep, &b);
	report_kmsg(g->env->rep, "%s", msg);
	log_notice("calibration: %s", msg);
	snprintf(c->rb_last, sizeof(c->rb_last), "%.*s", (int)sizeof(c->rb_last) - 1, msg);
	queue_audit(c, &b);
	if (!cfg->dry_run)
		for (size_t i = 0; i < j->n; i++)
			queue_original(c, &j->step[i]);
	c->rebalances++;
	if ((cool = cool_slot(c, a->path, true, now_ms(), cfg->rb_cooldown_ms))) {
		cool->ms = now_ms();
		cool->said_ms = 0;
	}
}

/* The guard whose plan is in the D-Bus lane (one at a time; NULL once it
 * stopped): past the deadline, the job is the lane's and may be freed at
 * any moment, so what done says comes from the guard's state. */
static struct guard *inflight_g;

/* The D-Bus lane is done with a plan, or its deadline passed (on the loop). */
static void bus_done(void *arg, int result, bool timed_out)
{
	struct rb_job *j = arg;
	struct guard *g = inflight_g;
	struct calib *c = g ? g->state : NULL;
	char why[480];

	if (!c) {               /* the guard stopped meanwhile */
		if (!timed_out)
			job_free(j);
		return;
	}
	c->rb_inflight = false;
	inflight_g = NULL;
	if (timed_out) {
		snprintf(why, sizeof(why), "systemd did not answer within %" PRIu64 " ms (the change "
			 "may still happen, and calibrate --restore knows the limits before it)",
			 c->rb_deadline_ms);
		refused(g, c->rb_inflight_path, why);
		return;
	}
	if (result < 0) {
		if (j->open_failed) {
			snprintf(c->bus_err, sizeof(c->bus_err), "%s", j->err);
			c->bus_err_ms = now_ms();
		}
		snprintf(why, sizeof(why), "%s", j->err);
		refused(g, j->step[0].path, why);
	} else {
		c->bus_err[0] = '\0';
		rebalanced(g, j);
	}
	job_free(j);
}

void calib_rebalance_stop(struct guard *g)
{
	struct calib *c = g->state;

	/* a plan in the D-Bus lane: its answer, or its deadline, first */
	if (c->rb_inflight && g->env->worker)
		worker_wait(g->env->worker, g->env->bus_lane, c->rb_deadline_ms + 100);
	if (inflight_g == g)
		inflight_g = NULL;
}

static int rebalance(struct guard *g, const char *path, bool after_oom, bool v1, char *why,
		     size_t size)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct guard_env *env = g->env;
	struct calib *c = g->state;
	static struct kid kids[RB_MAX_CHILDREN];
	static struct rb_cgroup v[RB_MAX_CHILDREN];
	char parent[CG_PATH_MAX];
	struct rb_job *j = NULL;
	struct rb_plan p;
	struct rb_cool *cool;
	size_t n = 0, affected;
	uint64_t now = now_ms();
	bool systemd, bus = false;
	int r = 0, root_fd = v1 ? c->v1_fd : env->c->cg_root_fd;

	*why = '\0';
	if (!cfg->rb_enabled || !g->active || root_fd < 0 || !eligible(cfg, path))
		return 0;               /* not ours to rebalance: the kill proceeds, no word */
	if (strlen(path) >= CG_PATH_MAX) {
		snprintf(why, size, "its path is longer than %d bytes", CG_PATH_MAX - 1);
		refused(g, path, why);
		return 0;
	}
	if (c->rb_inflight) {   /* systemd has not answered yet */
		if (!strcmp(c->rb_inflight_path, path) && now - c->rb_inflight_ms < BUS_HOLD_MS) {
			snprintf(why, size, "waiting for systemd");
			return 1;
		}
		snprintf(why, size, "the rebalance of %s has waited %" PRIu64 " ms for systemd",
			 c->rb_inflight_path, now - c->rb_inflight_ms);
		refused(g, path, why);
		return 0;
	}
	if ((cool = cool_slot(c, path, false, now, cfg->rb_cooldown_ms)) && cool->ms &&
	    now - cool->ms < cfg->rb_cooldown_ms) {
		snprintf(why, size, "rebalanced %" PRIu64 " ms ago (rebalance.cooldown %" PRIu64
			 " ms)", now - cool->ms, cfg->rb_cooldown_ms);
		refused(g, path, why);
		return 0;
	}
	systemd = sd_booted_here();
	if (systemd && sd_unit_of_cgroup(path) && bus_down(c)) {
		snprintf(why, size, "a systemd unit, and systemd cannot be reached: %s", c->bus_err);
		refused(g, path, why);
		return 0;
	}
	if (!c->stats_ms) {
		snprintf(why, size, "no calibration yet (calibration.enabled, and a first "
			 "sample)");
		refused(g, path, why);
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';  /* "/a/b" -> "/a", "/a" -> "" (the root) */
	if ((r = read_children(g, root_fd, v1, parent, systemd, kids, v, &n, &affected, path)) < 0) {
		if (r == -E2BIG)
			snprintf(why, size, "its parent has more than %d children", RB_MAX_CHILDREN);
		else
			snprintf(why, size, "reading its siblings: %s", strerror(-r));
		goto out;
	}
	struct rb_input in = { v, n, affected, parent_limit(g, root_fd, v1, parent), cfg->rb_margin,
			       2 * cfg->cg_term_headroom_percent };
	if ((r = rb_plan(&in, &p)) < 0 || p.source == RB_NONE) {
		snprintf(why, size, "%s", r < 0 ? "bad input" : p.why);
		r = -ENOSPC;
		goto out;
	}
	if (!(j = calloc(1, sizeof(*j) + p.n * sizeof(j->step[0])))) {
		snprintf(why, size, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	*j = (struct rb_job){ .g = g, .bus = &env->bus, .cg_fd = root_fd, .after_oom = after_oom,
			      .v1 = v1, .source = p.source, .added = p.added, .n = p.n };
	snprintf(j->plan_why, sizeof(j->plan_why), "%s", p.why);
	for (size_t i = 0; i < p.n; i++) {
		struct rb_step *st = &j->step[i];
		const struct kid *k = &kids[p.ch[i].idx];

		memcpy(st->path, k->path, sizeof(st->path));
		memcpy(st->limit_text, k->limit_text, sizeof(st->limit_text));
		st->unit = k->unit ? st->path + (k->unit - k->path) : NULL;
		st->old_limit = p.ch[i].old_limit;
		st->new_limit = p.ch[i].new_limit;
		bus |= st->unit != NULL;
	}
	if (cfg->dry_run) {
		rebalanced(g, j);
		r = 1;
	} else if (!bus) {
		if ((r = apply(j)) < 0)
			snprintf(why, size, "%s", j->err);
		else
			rebalanced(g, j);
		r = r < 0 ? r : 1;
	} else if (!env->worker) {
		snprintf(why, size, "a systemd unit, and no worker lane to call systemd from");
		r = -ENOTSUP;
	} else if ((j->cg_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		r = -errno;
		snprintf(why, size, "dup: %s", strerror(-r));
	} else {
		/* each call its second, twice (a reconnect), and a second more */
		uint64_t deadline = (2 * j->n + 1) * BUS_CALL_MS;

		j->own_fd = true;
		/* remembered before: past the deadline the lane may still set them */
		for (size_t i = 0; i < p.n; i++)
			queue_original(c, &j->step[i]);
		r = worker_submit(env->worker, env->bus_lane, apply, j, deadline, bus_done, job_free);
		if (r == 0) {
			c->rb_inflight = true;
			c->rb_inflight_ms = now;
			c->rb_deadline_ms = deadline;
			inflight_g = g;
			snprintf(c->rb_inflight_path, sizeof(c->rb_inflight_path), "%s", path);
			snprintf(why, size, "waiting for systemd");
			return 1;       /* bus_done says the rest */
		}
		snprintf(why, size, "systemd's D-Bus lane is busy%s",
			 r == -EBUSY ? " (a call past its deadline)" : "");
	}
out:
	job_free(j);
	if (r <= 0 && *why)
		refused(g, path, why);
	return r > 0;
}

int calib_rebalance(struct guard *g, const char *path, char *why, size_t size)
{
	return rebalance(g, path, false, false, why, size);
}

int calib_rebalance_after_oom(struct guard *g, const char *path, char *why, size_t size)
{
	return rebalance(g, path, true, false, why, size);
}

int calib_rebalance_v1(struct guard *g, const char *path, char *why, size_t size)
{
	return rebalance(g, path, false, true, why, size);
}
