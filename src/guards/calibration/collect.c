/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's store side (issue 16, phase 1): every
 * calibration.interval a job in the guard's worker lane samples every
 * cgroup's memory (cgsample.c) into the SQLite store (store.c) and, once
 * an hour, turns samples older than a day into a row per minute (its
 * count, lowest and highest) and deletes what is older than
 * calibration.retention. The loop
 * only arms the timer and takes the job's result: the store, the tree
 * and the sample buffer belong to the lane. On a cgroup v1 memory
 * hierarchy (no cgroups guard there) the sample also finds the cgroups
 * near their memory.limit_in_bytes, for rebalancing on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/calibration/calibration.h"
#include "guards/calibration/cgsample.h"
#include "guards/calibration/store.h"

#define JOB_TIMEOUT_MS 30000            /* a sample past it: said; the lane stays busy */
#define PRUNE_EVERY_MS (3600ull * 1000)
#define DOWNSAMPLE_AFTER_MS (86400ull * 1000)   /* older samples: a row per minute */
#define STATS_EVERY_MS 60000            /* else at most this often */
#define NEAR_MAX 8                      /* v1 cgroups near their limit, rebalanced per sample */

/* What the lane owns, across jobs. */
struct store_lane {
	struct cstore *s;
	struct cg_tree tree;
	int cg_fd, proc_fd;             /* dups, for opening the tree in the lane */
	char cg_root[PATH_MAX];
	char opened[PATH_MAX];          /* the store's path (a reload may change it) */
	struct cg_sample *v;
	size_t cap;
	uint64_t pruned_ms;
};

struct store_job {
	struct guard *g;
	struct store_lane *l;
	char path[PATH_MAX];
	uint64_t retention_ms;
	bool want_stats;                /* rebalancing: compute every cgroup's figures */
	double near_percent;            /* v1: anon headroom at or under it (of the limit): near */
	char near[NEAR_MAX][CG_PATH_MAX];       /* result: those cgroups */
	size_t n_near;
	char audit_path[PATH_MAX];      /* "" none */
	char *audit[RB_PENDING];        /* lines to append there (the job frees them) */
	size_t n_audit;
	struct rb_orig orig[RB_ORIG_MAX];       /* limits to remember for --restore */
	size_t n_orig;
	int orig_err;                   /* remembering one failed */
	/* results */
	size_t n, skipped;
	int64_t pruned;
	struct calib_entry *stats;
	size_t n_stats, stats_cap;
	uint64_t stats_ms, stats_cost_ms;
	int audit_err;
	const char *op;
	char why[400];
};

static void job_free(struct store_job *j)
{
	for (size_t i = 0; i < j->n_audit; i++)
		free(j->audit[i]);
	free(j->stats);
	free(j);
}

/* Append the audit lines (created 0600, its directory 0700 if missing,
 * never through a link). 0 or -errno. */
static int write_audit(struct store_job *j)
{
	int fd, r = 0;

	if (!j->n_audit || !*j->audit_path)
		return 0;
	fd = open_mkdir_parent(j->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < j->n_audit && !r; i++) {
		size_t len = strlen(j->audit[i]);

		j->audit[i][len] = '\n';       /* strdup'd with its NUL: room for it */
		if (write(fd, j->audit[i], len + 1) != (ssize_t)(len + 1))
			r = errno ? -errno : -EIO;
		j->audit[i][len] = '\0';
	}
	close(fd);
	return r;
}

static int add_stat(const char *path, const struct calib_stats *st, void *u)
{
	struct store_job *j = u;

	return calib_entries_add(&j->stats, &j->n_stats, &j->stats_cap, path, st);
}

static struct calib *C(struct guard *g)
{
	return g->state;
}

/* The audit lines and the original limits: what must not be lost. */
static int job_persist(struct store_job *j, uint64_t now)
{
	struct store_lane *l = j->l;
	int r;

	j->audit_err = write_audit(j);
	j->op = "open";
	if (l->s && strcmp(l->opened, j->path)) {
		cstore_close(l->s);
		l->s = NULL;
	}
	if (!l->s) {
		if ((r = cstore_open(j->path, true, &l->s, j->why, sizeof(j->why))) < 0) {
			j->orig_err = j->n_orig ? r : 0;
			return r;
		}
		snprintf(l->opened, sizeof(l->opened), "%s", j->path);
	}
	for (size_t i = 0; i < j->n_orig; i++)
		if ((r = cstore_remember_limit(l->s, j->orig[i].path, j->orig[i].value, now)) < 0)
			j->orig_err = r;
	return 0;
}

static int job_run(void *arg)
{
	struct store_job *j = arg;
	struct store_lane *l = j->l;
	uint64_t now = realtime_ms();
	int r;

	if ((r = job_persist(j, now)) < 0)
		return r;
	j->op = "cgroups";
	if (l->tree.fd < 0 && (r = cg_tree_open(l->cg_fd, l->cg_root, l->proc_fd, &l->tree,
						 j->why, sizeof(j->why))) < 0)
		return r;
	j->op = "sample";
	if ((r = cg_tree_sample(&l->tree, &l->v, &j->n, &l->cap, &j->skipped)) < 0) {
		snprintf(j->why, sizeof(j->why), "%.300s: %s", l->tree.root, strerror(-r));
		return r;
	}
	if (l->tree.v1 && j->near_percent > 0) {
		size_t idx[NEAR_MAX];

		j->n_near = cg_near_limit(l->v, j->n, j->near_percent, idx, NEAR_MAX);
		for (size_t i = 0; i < j->n_near; i++)
			snprintf(j->near[i], CG_PATH_MAX, "%s", l->v[idx[i]].path);
	}
	j->op = "write";
	if ((r = cstore_put(l->s, now, l->v, j->n)) < 0) {
		snprintf(j->why, sizeof(j->why), "%.200s: %.180s", j->path, cstore_error(l->s));
		return r;
	}
	if (now - l->pruned_ms >= PRUNE_EVERY_MS && now > j->retention_ms) {
		j->op = "downsample";
		if (cstore_downsample(l->s, now - DOWNSAMPLE_AFTER_MS) < 0) {
			snprintf(j->why, sizeof(j->why), "%.200s: %.180s", j->path, cstore_error(l->s));
			return -EIO;
		}
		j->op = "prune";
		if ((j->pruned = cstore_prune(l->s, now - j->retention_ms)) < 0) {
			snprintf(j->why, sizeof(j->why), "%.200s: %.180s", j->path, cstore_error(l->s));
			return (int)j->pruned;
		}
		l->pruned_ms = now;
	}
	if (j->want_stats) {
		uint64_t t0 = now_ms();
		int64_t n;

		j->op = "figures";
		n = cstore_query(l->s, now > j->retention_ms ? now - j->retention_ms : 0, now, NULL,
				 add_stat, j);
		if (n < 0) {
			snprintf(j->why, sizeof(j->why), "%.200s: %.180s", j->path, cstore_error(l->s));
			return (int)n;
		}
		j->stats_ms = now;
		j->stats_cost_ms = now_ms() - t0;       /* the query's own time */
	}
	return 0;
}

static void job_release(void *arg)
{
	job_free(arg);
}

static void job_done(void *arg, int result, bool timed_out)
{
	struct store_job *j = arg;
	struct calib *c = j->g->state;

	if (timed_out) {
		if (c && !c->store_said_timeout)
			log_warn("calibration: a sample into %s did not return within %u s; no "
				 "sample until it does", j->path, JOB_TIMEOUT_MS / 1000);
		if (c) {
			c->store_said_timeout = true;
			if (j->want_stats) {    /* the figures' cost, at least: back off */
				c->stats_cost_ms = MAX(c->stats_cost_ms, JOB_TIMEOUT_MS);
				c->stats_ms = MAX(c->stats_ms, realtime_ms());
			}
		}
		return;
	}
	if (!c) {
		job_free(j);
		return;
	}
	c->store_said_timeout = false;
	if (j->audit_err && j->audit_err != c->audit_err)
		log_warn("calibration: the rebalance audit %s: %s", j->audit_path,
			 strerror(-j->audit_err));
	c->audit_err = j->audit_err;
	if (j->orig_err)
		log_warn("calibration: %zu limit(s) changed by rebalancing not remembered in %s: "
			 "%s; calibrate --restore will not know them", j->n_orig, j->path,
			 strerror(-j->orig_err));
	if (j->stats_ms) {
		free(c->stats);
		c->stats = j->stats;
		c->n_stats = j->n_stats;
		c->stats_ms = j->stats_ms;
		c->stats_cost_ms = j->stats_cost_ms;
		j->stats = NULL;
	}
	if (result < 0) {
		bool again = c->store_err == result;

		c->store_err = result;
		snprintf(c->store_error, sizeof(c->store_error), "%s: %s", j->op,
			 *j->why ? j->why : strerror(-result));
		if (!again)
			log_warn("calibration: %s", c->store_error);
	} else {
		if (c->store_err)
			log_notice("calibration: sampling into %s again", j->path);
		c->store_err = 0;
		c->store_error[0] = '\0';
		c->store_samples++;
		c->store_cgroups = j->n;
		c->store_skipped = j->skipped;
		if (j->pruned > 0)
			c->store_pruned += (uint64_t)j->pruned;
	}
	if (j->n_near && c->v1_fd < 0 && c->lane_state->tree.fd >= 0)   /* the lane is idle */
		c->v1_fd = fcntl(c->lane_state->tree.fd, F_DUPFD_CLOEXEC, 3);
	for (size_t i = 0; i < j->n_near; i++) {
		char why[480];

		calib_rebalance_v1(j->g, j->near[i], why, sizeof(why));
	}
	job_free(j);
}

void calib_store_tick(struct guard *g)
{
	struct calib *c = C(g);
	struct worker *w = g->env->worker;
	const struct og_config *cfg = &g->env->c->cfg;
	struct store_job *j;
	int r;

	if (!w || !c->lane_state)
		return;
	if (worker_lane_busy(w, g->lane)) {
		c->store_busy++;        /* the dataset's write or the last sample still runs */
		return;
	}
	if (!(j = calloc(1, sizeof(*j))))
		return;
	j->g = g;
	j->l = c->lane_state;
	snprintf(j->path, sizeof(j->path), "%s", cfg->calib_store);
	j->retention_ms = cfg->calib_retention_ms;
	/* v1 has no cgroups guard to ask: twice its terminate headroom, as
	 * samples come calibration.interval apart */
	j->near_percent = cfg->rb_enabled ? 2 * cfg->cg_term_headroom_percent : 0;
	/* the figures: at every sample while they take under a quarter of the
	 * interval, else at most once a minute and never more than 1 % of a CPU */
	j->want_stats = cfg->rb_enabled &&
			(!c->stats_ms || c->stats_cost_ms < cfg->calib_interval_ms / 4 ||
			 realtime_ms() - c->stats_ms >= MAX(STATS_EVERY_MS, 100 * c->stats_cost_ms));
	if (cfg->rb_audit_path)
		snprintf(j->audit_path, sizeof(j->audit_path), "%s", cfg->rb_audit_path);
	memcpy(j->audit, c->audit, c->n_audit * sizeof(*c->audit));
	j->n_audit = c->n_audit;
	memcpy(j->orig, c->orig, c->n_orig * sizeof(*c->orig));
	j->n_orig = c->n_orig;
	if ((r = worker_submit(w, g->lane, job_run, j, JOB_TIMEOUT_MS, job_done,
			       job_release)) < 0) {
		free(j);        /* the audit lines stay queued */
		log_warn("calibration: cannot start a sample: %s", strerror(-r));
		return;
	}
	c->n_audit = 0;
	c->n_orig = 0;
}

int calib_store_start(struct guard *g)
{
	struct calib *c = C(g);
	struct og_ctx *ctx = g->env->c;
	struct store_lane *l;

	if (c->lane_state)
		return 0;
	if (!(l = calloc(1, sizeof(*l))))
		return -ENOMEM;
	l->tree.fd = -1;
	l->cg_fd = ctx->cg_root_fd >= 0 ? fcntl(ctx->cg_root_fd, F_DUPFD_CLOEXEC, 3) : -1;
	l->proc_fd = fcntl(ctx->proc_fd, F_DUPFD_CLOEXEC, 3);
	snprintf(l->cg_root, sizeof(l->cg_root), "%s", ctx->cg_root);
	c->lane_state = l;
	log_notice("calibration: every cgroup's memory every %llu ms into %s (kept %llu days)",
		   (unsigned long long)ctx->cfg.calib_interval_ms, ctx->cfg.calib_store,
		   (unsigned long long)(ctx->cfg.calib_retention_ms / 86400000));
	return 0;
}

/* After the lane was waited for: close what the lane owned. A lane still
 * running keeps it (the process is exiting). */
void calib_store_stop(struct guard *g)
{
	struct calib *c = C(g);
	struct store_lane *l = c->lane_state;

	/* at exit, with the lane idle: what waits for it is written here */
	if (l && (c->n_audit || c->n_orig) &&
	    !(g->env->worker && worker_lane_busy(g->env->worker, g->lane))) {
		struct store_job *j = calloc(1, sizeof(*j));

		if (j) {
			j->l = l;
			snprintf(j->path, sizeof(j->path), "%s", g->env->c->cfg.calib_store);
			if (g->env->c->cfg.rb_audit_path)
				snprintf(j->audit_path, sizeof(j->audit_path), "%s",
					 g->env->c->cfg.rb_audit_path);
			memcpy(j->audit, c->audit, c->n_audit * sizeof(*c->audit));
			j->n_audit = c->n_audit;
			memcpy(j->orig, c->orig, c->n_orig * sizeof(*c->orig));
			j->n_orig = c->n_orig;
			c->n_audit = c->n_orig = 0;
			if (job_persist(j, realtime_ms()) < 0 || j->orig_err || j->audit_err)
				log_warn("calibration: at exit: %s", *j->why ? j->why :
					 "the audit or the limits to restore were not all written");
			job_free(j);
		}
	}
	for (size_t i = 0; i < c->n_audit; i++)
		free(c->audit[i]);
	if (c->n_audit || c->n_orig)
		log_warn("calibration: %zu audit line(s) and %zu limit(s) to restore not written at "
			 "exit (the store's lane is busy)", c->n_audit, c->n_orig);
	c->n_audit = c->n_orig = 0;
	free(c->stats);
	c->stats = NULL;
	c->n_stats = 0;
	if (c->v1_fd >= 0)
		close(c->v1_fd);
	c->v1_fd = -1;
	if (!l || (g->env->worker && worker_lane_busy(g->env->worker, g->lane)))
		return;
	cstore_close(l->s);
	cg_tree_close(&l->tree);
	if (l->cg_fd >= 0)
		close(l->cg_fd);
	if (l->proc_fd >= 0)
		close(l->proc_fd);
	free(l->v);
	free(l);
	c->lane_state = NULL;
}
