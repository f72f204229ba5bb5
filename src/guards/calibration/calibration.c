/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard. It owns the calibration store (collect.c: every
 * cgroup's memory into SQLite, for `oomguard calibrate` and rebalancing)
 * and the ML dataset (the seed's machine_learning section;
 * docs/dataset.md): every `interval` a `sample`
 * row (meminfo, memory PSI) and a `process` row for each of the `top`
 * largest processes (the fast statm scan); kills, exits, eBPF anomalies
 * and events through the reporter's tap. Rows are queued on the loop in a
 * queue bounded by bytes and written by ds_flush in the guard's worker
 * lane, one flush at a time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/calibration/calibration.h"
#include "report/record.h"

#define FLUSH_TIMEOUT_MS 10000  /* a write past it: said, the lane stays busy */
#define STOP_WAIT_MS 2000       /* what is queued at exit, written within this */

struct flush_job {
	struct guard *g;                /* only on the loop (done), never in the lane */
	char path[PATH_MAX];
	struct ds_target t;
	struct ds_batch b;
	struct ds_flush_result res;
};

static struct calib *C(struct guard *g)
{
	return g->state;
}

static const struct og_config *CFG(const struct guard *g)
{
	return &g->env->c->cfg;
}

/* ---- the worker lane ---------------------------------------------------- */

static int job_run(void *arg)
{
	struct flush_job *j = arg;

	return ds_flush(&j->t, &j->b, &j->res);
}

static void job_release(void *arg)
{
	struct flush_job *j = arg;

	free(j->b.buf);
	free(j);
}

static void set_error(struct guard *g, const struct flush_job *j, int r)
{
	struct calib *c = C(g);
	bool again = r == c->err && c->err_op == j->res.op;

	c->err = r;
	c->err_op = j->res.op;
	if (r == -ELOOP)
		snprintf(c->error, sizeof(c->error), "%.200s is a symbolic link: the dataset is never "
			 "written through one", j->path);
	else if (r == -EINVAL && !strcmp(j->res.op, "open"))
		snprintf(c->error, sizeof(c->error), "%.200s is not a regular file", j->path);
	else if (r == -EROFS)
		snprintf(c->error, sizeof(c->error), "%.200s: %s: read-only here (under systemd a path "
			 "outside /var/log/oomguard needs its directory in ReadWritePaths=, see the "
			 "README)", j->path, j->res.op);
	else
		snprintf(c->error, sizeof(c->error), "%.200s: %s: %s", j->path, j->res.op, strerror(-r));
	if (!again)
		log_warn("calibration: dataset: %s; its rows are counted as dropped", c->error);
}

static void flushed(struct guard *g, struct flush_job *j, int r)
{
	struct calib *c = C(g);

	c->flushes++;
	c->rows_written += j->res.rows;
	c->rotations += j->res.rotations;
	if (j->res.size)
		c->size = j->res.size;
	if (r < 0) {
		ds_queue_lost(&c->q, &j->b, j->res.rows, realtime_ms());
		set_error(g, j, r);
	} else if (c->err) {
		log_notice("calibration: dataset: writing to %s again", j->path);
		c->err = 0;
		c->err_op = NULL;
		c->error[0] = '\0';
	}
}

static void job_done(void *arg, int result, bool timed_out)
{
	struct flush_job *j = arg;
	struct guard *g = j->g;
	struct calib *c = g->state;

	if (timed_out) {                /* j is release's now */
		if (c && !c->said_timeout)
			log_warn("calibration: dataset: a write to %s did not return within %u s; "
				 "rows queue (and then drop) until it does", j->path,
				 FLUSH_TIMEOUT_MS / 1000);
		if (c)
			c->said_timeout = true;
		return;
	}
	if (!c) {                       /* done after the guard stopped */
		job_release(j);
		return;
	}
	c->said_timeout = false;
	flushed(g, j, result);
	if (!c->spare)
		c->spare = j->b.buf;
	else
		free(j->b.buf);
	free(j);
}

/* Hand what is queued to the lane: one flush at a time; while one runs,
 * rows keep queuing (and past the cap, drop). */
static void flush(struct guard *g)
{
	struct calib *c = C(g);
	struct worker *w = g->env->worker;
	struct flush_job *j;
	int r;

	if (!w || !c->q.rows || worker_lane_busy(w, g->lane))
		return;
	if (!c->spare && !(c->spare = malloc(DS_QUEUE_CAP)))
		return;
	if (!(j = calloc(1, sizeof(*j))))
		return;
	snprintf(j->path, sizeof(j->path), "%s", CFG(g)->ml_log_path);
	j->t = (struct ds_target){ .path = j->path, .max_size = CFG(g)->ml_max_size,
				   .keep = (unsigned)CFG(g)->ml_keep };
	j->g = g;
	ds_queue_take(&c->q, c->spare, &j->b);
	c->spare = NULL;
	r = worker_submit(w, g->lane, job_run, j, FLUSH_TIMEOUT_MS, job_done, job_release);
	if (r < 0) {
		ds_queue_lost(&c->q, &j->b, 0, realtime_ms());
		c->spare = j->b.buf;
		free(j);
		log_warn("calibration: dataset: cannot start a write: %s", strerror(-r));
	}
}

/* ---- the tap and the timer ---------------------------------------------- */

static void on_tap(void *userdata, const struct report_tap *t)
{
	struct guard *g = userdata;
	char value[1024];
	struct ds_row r;

	ds_row_of_tap(t, realtime_ms(), &r, value, sizeof(value));
	ds_queue_add(&C(g)->q, &r);
}

static void on_store_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	if (!g->active || !CFG(g)->calib_enabled)
		return;
	calib_store_tick(g);
	loop_timer_arm(&C(g)->store_timer, CFG(g)->calib_interval_ms);
}

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	if (!g->active || !CFG(g)->ml_enabled)
		return;
	calibration_sample(g);
	flush(g);
	loop_timer_arm(&C(g)->timer, CFG(g)->ml_interval_ms);
}

/* ---- the guard ---------------------------------------------------------- */

static bool set_active(struct guard *g)
{
	if (!CFG(g)->ml_enabled && !CFG(g)->calib_enabled) {
		snprintf(g->why, sizeof(g->why), "off (machine_learning.data_collection: false, "
			 "calibration.enabled: false)");
		return false;
	}
	return true;
}

/* The store's sampling, and the dataset's buffers (once) and tap: each
 * collects from here on when its section turns it on. */
static int take_on(struct guard *g)
{
	struct calib *c = C(g);
	int r;

	if (CFG(g)->calib_enabled && !c->store_on) {
		if ((r = calib_store_start(g)) < 0)
			return r;
		loop_timer_arm(&c->store_timer, 1);
		c->store_on = true;
	} else if (!CFG(g)->calib_enabled && c->store_on) {
		loop_timer_disarm(&c->store_timer);
		c->store_on = false;
	}
	if (!CFG(g)->ml_enabled) {
		reporter_tap_remove(g->env->rep, g);
		loop_timer_disarm(&c->timer);
		return 0;
	}
	if (!c->q.buf) {
		char *buf = malloc(DS_QUEUE_CAP);

		if (!buf)
			return -ENOMEM;
		ds_queue_init(&c->q, buf, DS_QUEUE_CAP, "calibration");
	}
	if (calibration_seen_size(g) < 0)
		return -ENOMEM;
	if (reporter_tap_add(g->env->rep, on_tap, g) < 0)
		return -ENOSPC;
	loop_timer_arm(&c->timer, 1);
	log_notice("calibration: dataset to %s (every %llu ms, the top %lld processes by RSS)",
		   CFG(g)->ml_log_path, (unsigned long long)CFG(g)->ml_interval_ms,
		   (long long)CFG(g)->ml_top);
	return 0;
}

static void take_off(struct guard *g)
{
	reporter_tap_remove(g->env->rep, g);
	if (C(g)->timer.src.fd >= 0)
		loop_timer_disarm(&C(g)->timer);
	if (C(g)->store_timer.src.fd >= 0)
		loop_timer_disarm(&C(g)->store_timer);
	C(g)->store_on = false;
}

static int calibration_start(struct guard *g)
{
	struct calib *c = C(g);
	int r;

	c->timer.src.fd = -1;
	c->store_timer.src.fd = -1;
	c->psi_fd = c->v1_fd = -1;
	g->active = set_active(g);
	if (!g->env->loop)              /* explain, status: describe looks at the file */
		return g->active ? 0 : -ENOTSUP;
	c->psi_fd = openat(g->env->c->proc_fd, "pressure/memory", O_RDONLY | O_CLOEXEC);
	if ((r = loop_timer_init(g->env->loop, &c->timer, on_timer, g)) < 0 ||
	    (r = loop_timer_init(g->env->loop, &c->store_timer, on_store_timer, g)) < 0)
		return r;
	if (g->active && (r = take_on(g)) < 0) {
		take_off(g);
		snprintf(g->why, sizeof(g->why), "cannot start: %s", strerror(-r));
		return r;
	}
	return g->active ? 0 : -ENOTSUP;
}

/* New path, max_size and keep take effect at the next flush (each flush
 * copies them); interval and top now. */
static void calibration_reload(struct guard *g)
{
	bool was = g->active;

	g->active = set_active(g);
	if (C(g)->timer.src.fd < 0)
		return;
	if (g->active && take_on(g) < 0) {
		snprintf(g->why, sizeof(g->why), "cannot start: out of memory");
		g->active = false;
	}
	if (!g->active) {
		take_off(g);
		if (was)
			flush(g);       /* what was queued still goes, if the lane is free */
	}
}

/* At exit: what is queued is written, waiting at most STOP_WAIT_MS. */
static void calibration_stop(struct guard *g)
{
	struct calib *c = C(g);
	struct worker *w = g->env->worker;
	uint64_t end = now_ms() + STOP_WAIT_MS, t;

	take_off(g);
	g->active = false;
	if (g->env->loop) {
		loop_timer_close(g->env->loop, &c->timer);
		if (c->store_timer.src.fd >= 0)
			loop_timer_close(g->env->loop, &c->store_timer);
	}
	if (w && worker_lane_busy(w, g->lane))
		worker_wait(w, g->lane, STOP_WAIT_MS);
	if (w && c->q.buf) {
		flush(g);
		if ((t = now_ms()) < end && worker_lane_busy(w, g->lane))
			worker_wait(w, g->lane, end - t);
		if (worker_lane_busy(w, g->lane))
			log_warn("calibration: dataset: the last rows are lost: a write to %s did not "
				 "return within %u s", CFG(g)->ml_log_path, STOP_WAIT_MS / 1000);
		else if (c->flushes)
			log_notice("calibration: dataset: %llu rows written, %llu dropped, %llu "
				   "rotations", (unsigned long long)c->rows_written,
				   (unsigned long long)c->q.dropped_total,
				   (unsigned long long)c->rotations);
	}
	calib_rebalance_stop(g);
	calib_store_stop(g);
	if (c->psi_fd >= 0)
		close(c->psi_fd);
	free(c->q.buf);
	free(c->spare);
	calibration_seen_free(g);
}

const struct guard_ops calibration_guard_ops = {
	.name = "calibration",
	.state_size = sizeof(struct calib),
	.start = calibration_start,
	.reload = calibration_reload,
	.describe = calibration_describe,
	.stop = calibration_stop,
};
