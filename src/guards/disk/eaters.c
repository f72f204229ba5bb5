/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the disk guard does with a hunt (see disk.h): the fastest writers
 * to a filesystem under its threshold or filling abnormally fast (their
 * rate from two hunts' write_bytes), the processes that hold deleted files
 * open on a filesystem under its threshold, and with writer_action: kill a
 * request to the victim pipeline, ranked by what each of them wrote there
 * over the window plus the deleted files it holds (what its death stops or
 * frees). Killing a writer frees nothing unless its file was temporary:
 * by default they are reported only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "guards/disk/state.h"

#define REPORT_EVERY_MS 60000   /* writers and holders reported per filesystem */
#define REPORT_TOP 3            /* writers at a time */
#define REPORT_HELD 5           /* holders of deleted files at a time */

struct eater {
	const struct hunt_hold *e;
	double rate;                    /* bytes/s written over the window, NAN unknown */
};

static int by_rate(const void *a, const void *b)
{
	const struct eater *x = a, *y = b;
	double rx = isnan(x->rate) ? -1 : x->rate, ry = isnan(y->rate) ? -1 : y->rate;

	return (rx < ry) - (rx > ry);
}

static int by_held(const void *a, const void *b)
{
	const struct eater *x = a, *y = b;

	return (x->e->deleted_bytes < y->e->deleted_bytes) -
	       (x->e->deleted_bytes > y->e->deleted_bytes);
}

/* The entries of the last hunt on filesystem fs, with their rates. */
static size_t eaters_of(const struct disk_guard *dg, unsigned fs, struct eater *out)
{
	const struct hunt *h = dg->hunt;
	double dt = dg->prev && h->t_ms > dg->prev->t_ms ? (double)(h->t_ms - dg->prev->t_ms) / 1000 : 0;
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++) {
		const struct hunt_hold *e = &h->v[i];

		if (e->fs != fs)
			continue;
		out[n].e = e;
		out[n].rate = dt > 0 && disk_hunt_find(dg->prev, e->pid, e->start, fs) ?
			      (double)disk_hunt_written(dg->prev, e) / dt : NAN;
		n++;
	}
	return n;
}

static void report_one(struct guard *g, const struct disk_watch *w, const struct eater *x,
		       bool deleted)
{
	struct disk_record r;
	struct disk_record_process p = {
		.pid = x->e->pid, .comm = x->e->comm, .write_rate = x->rate,
		.bytes = deleted ? x->e->deleted_bytes : x->e->writable_bytes,
		.files = x->e->files, .nfiles = x->e->nfiles,
	};
	char msg[512], comm[64], rate[32];

	escape_untrusted(x->e->comm, comm, sizeof(comm));
	if (deleted)
		snprintf(msg, sizeof(msg), "pid %d (%s) holds %zu deleted files open on %s: %.1f MiB "
			 "that only its exit (or closing them) frees", x->e->pid, comm, x->e->deleted,
			 w->path, (double)x->e->deleted_bytes / MiB);
	else
		snprintf(msg, sizeof(msg), "pid %d (%s) writes %s with %zu files open for writing "
			 "on %s", x->e->pid, comm, disk_fmt_rate(x->rate, rate, sizeof(rate)),
			 x->e->writable, w->path);
	disk_record_of(w, deleted ? "deleted-open" : "writer", msg, &r);
	r.dry_run = g->env->c->cfg.dry_run;
	r.process = &p;
	r.action = w->lim.writer_action == WRITER_KILL ? "kill" : "report";
	report_disk(g->env->rep, &r);
	log_notice("disk: %s", msg);
}

static bool due(uint64_t last_ms)
{
	return !last_ms || now_ms() - last_ms >= REPORT_EVERY_MS;
}

/* Records of the top writers (once their rates are known) and of the
 * holders of deleted files, each at most once a minute per filesystem. */
static void report(struct guard *g, struct disk_watch *w, struct eater *v, size_t n)
{
	struct disk_guard *dg = g->state;
	bool below = w->low_space || w->low_inodes;
	size_t writers = 0, held = 0;

	if (due(w->reported_ms)) {
		qsort(v, n, sizeof(*v), by_rate);
		for (size_t i = 0; i < n && writers < REPORT_TOP; i++)
			if (v[i].e->writable && v[i].rate > 0) {
				report_one(g, w, &v[i], false);
				writers++;
			}
		if (writers)
			w->reported_ms = MAX(now_ms(), (uint64_t)1);
	}
	if (below && due(w->held_ms)) {
		qsort(v, n, sizeof(*v), by_held);
		for (size_t i = 0; i < n && held < REPORT_HELD && v[i].e->deleted_bytes; i++) {
			report_one(g, w, &v[i], true);
			held++;
		}
		if (held)
			w->held_ms = MAX(now_ms(), (uint64_t)1);
	}
	if (writers || held) {
		dg->reports += writers + held;
		snprintf(w->last_eaters, sizeof(w->last_eaters), "%zu writers and %zu holders of "
			 "deleted files reported", writers, held);
	}
}

static int usage_of(const struct proc_info *p, void *userdata, uint64_t *ret_amount)
{
	struct guard *g = userdata;
	struct disk_guard *dg = g->state;
	const struct hunt_hold *e;

	*ret_amount = 0;
	if (dg->kill_fs < 0)
		return 0;
	e = disk_hunt_find(dg->hunt, p->pid, p->starttime, (unsigned)dg->kill_fs);
	if (e)
		*ret_amount = (e->writable ? disk_hunt_written(dg->prev, e) : 0) + e->deleted_bytes;
	return 0;
}

/* writer_action: kill, on a filesystem under its threshold that is still
 * falling after its cleanup, or where deleted files are held open. */
static void ask(struct guard *g, struct disk_watch *w, unsigned fs, const struct eater *v,
		size_t n)
{
	struct disk_guard *dg = g->state;
	bool falling = w->rate.have && (w->rate.bytes_s > 0 || w->rate.inodes_s > 0);
	uint64_t need_bytes, need_inodes;
	int *pids = malloc((n ? n : 1) * sizeof(*pids));
	size_t k = 0;
	char why[160];

	if (!pids)
		return;
	for (size_t i = 0; i < n; i++)
		if ((falling && v[i].e->writable && v[i].rate > 0) || v[i].e->deleted_bytes)
			pids[k++] = v[i].e->pid;
	if (k) {
		struct vp_request rq = {
			.v = &dg->v, .mi = &dg->mi, .usage = usage_of, .usage_data = g,
			.usage_unit = "disk_bytes", .pids = pids, .npids = k,
			.window_ms = dg->prev ? dg->hunt->t_ms - dg->prev->t_ms : 0,
		};

		memset(&dg->v, 0, sizeof(dg->v));
		dg->v.level = LEVEL_TERM;
		dg->v.trigger = TRIG_DISK;
		dg->v.eta_ms = dg->v.psi_full_share = dg->v.refault_percent = -1;
		disk_need(&w->u, &w->lim, &need_bytes, &need_inodes);
		dg->v.need_bytes = need_bytes;
		disk_low_reason(w, w->low_space, w->low_inodes, why, sizeof(why));
		snprintf(dg->v.reason, sizeof(dg->v.reason), "%.60s (%.20s): %.100s; %s; "
			 "writer_action: kill", w->path, w->type, why, falling ? "still filling" :
			 "deleted files held open");
		if (meminfo_read_fd(g->env->c->meminfo_fd, &dg->mi) < 0)
			memset(&dg->mi, 0, sizeof(dg->mi));
		dg->kill_fs = (int)fs;
		if (guard_ask(g, &rq, now_ms(), NULL) == VP_ACTED)
			dg->acted++;
		dg->kill_fs = -1;
	}
	free(pids);
}

void disk_hunt_done(struct guard *g)
{
	struct disk_guard *dg = g->state;
	struct eater *v;

	if (!dg->hunt->n)
		return;
	if (!(v = malloc(dg->hunt->n * sizeof(*v))))
		return;
	for (size_t i = 0; i < dg->n; i++) {
		struct disk_watch *w = &dg->w[i];
		size_t n;

		if (!w->hunting)
			continue;
		n = eaters_of(dg, (unsigned)i, v);
		report(g, w, v, n);
		if ((w->low_space || w->low_inodes) && w->lim.writer_action == WRITER_KILL)
			ask(g, w, (unsigned)i, v, n);
	}
	free(v);
}
