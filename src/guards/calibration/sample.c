/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's sample: the `sample` row (meminfo, memory PSI,
 * the fall of MemAvailable per second) and one `process` row for each of
 * the `top` largest processes by resident memory, from the fast scan (one
 * statm read per process, the full read for the largest; above
 * PROC_SCAN_TOP the full scan), with what each grew per second since the
 * last sample when it was in that one too. The walk runs on the loop (the
 * scan keeps its heap in a static), so it is skipped while an episode is
 * on, as the shield's is. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "guards/calibration/calibration.h"
#include "guards/ebpf/ebpf.h"
#include "observe/meminfo.h"
#include "observe/psi.h"
#include "victim/pipeline.h"

#define GUARD "calibration"

static struct calib *C(struct guard *g)
{
	return g->state;
}

int calibration_seen_size(struct guard *g)
{
	struct calib *c = C(g);
	size_t want = (size_t)g->env->c->cfg.ml_top;
	struct calib_seen *p, *q;

	if (want <= c->seen_cap)
		return 0;
	p = realloc(c->prev, want * sizeof(*p));
	if (p)
		c->prev = p;
	q = p ? realloc(c->cur, want * sizeof(*q)) : NULL;
	if (!q)
		return -ENOMEM;
	c->cur = q;
	c->seen_cap = want;
	return 0;
}

void calibration_seen_free(struct guard *g)
{
	struct calib *c = C(g);

	free(c->prev);
	free(c->cur);
	c->prev = c->cur = NULL;
	c->nprev = c->seen_cap = 0;
	proc_list_free(&c->procs);
}

static int by_pid(const void *a, const void *b)
{
	const struct calib_seen *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int by_rss_desc(const void *a, const void *b)
{
	const struct proc_info *x = a, *y = b;

	return (x->rss < y->rss) - (x->rss > y->rss);
}

static double per_s(uint64_t before, uint64_t after, uint64_t ms)
{
	return ms ? ((double)after - (double)before) * 1000.0 / (double)ms : NAN;
}

static const char *cgroup_of(int proc_fd, int pid, char *cg, size_t size)
{
	char raw[4096], path[40];

	snprintf(path, sizeof(path), "%d/cgroup", pid);
	if (read_file_at(proc_fd, path, raw, sizeof(raw)) < 0 ||
	    parse_proc_cgroup(raw, cg, size) < 0)
		return NULL;
	return cg;
}

static void process_row(struct guard *g, const struct proc_info *p, uint64_t t, uint64_t mono,
			struct calib_seen *now)
{
	struct calib *c = C(g);
	struct calib_seen key = { .pid = p->pid }, *was;
	struct guard *ebpf;
	double rate;
	char cg[PATH_MAX];
	struct ds_row r;

	*now = (struct calib_seen){ p->pid, p->starttime, p->rss + p->swap };
	was = c->nprev ? bsearch(&key, c->prev, c->nprev, sizeof(key), by_pid) : NULL;
	ds_row_init(&r, DS_PROCESS, GUARD, t);
	r.pid = p->pid;
	r.comm = p->comm;
	r.cgroup = cgroup_of(g->env->c->proc_fd, p->pid, cg, sizeof(cg));
	r.rss = p->rss;
	r.anon = p->anon;
	r.swap = p->swap;
	r.oom_score_adj = p->oom_score_adj;
	/* the eBPF guard's rate (resident memory charged in its 1 s window)
	 * where it runs, else the change of rss + swap since the last sample */
	if (g->env->guards && (ebpf = guard_find(g->env->guards, "ebpf")) &&
	    (rate = ebpf_rate_of(ebpf, (uint32_t)p->pid)) >= 0)
		r.alloc_rate = rate;
	else if (was && was->start == p->starttime && mono > c->prev_ms)
		r.alloc_rate = per_s(was->bytes, now->bytes, mono - c->prev_ms);
	ds_queue_add(&c->q, &r);
}

static void processes(struct guard *g, uint64_t t, uint64_t mono)
{
	struct calib *c = C(g);
	size_t top = MIN((size_t)g->env->c->cfg.ml_top, c->seen_cap), n = 0;
	int proc_fd = g->env->c->proc_fd;
	struct calib_seen *swap;
	int r;

	r = top <= PROC_SCAN_TOP ? proc_scan_top(proc_fd, &c->procs, top) :
				   proc_scan(proc_fd, &c->procs);
	if (r < 0)
		return;
	qsort(c->procs.v, c->procs.n, sizeof(c->procs.v[0]), by_rss_desc);
	for (size_t i = 0; i < c->procs.n && n < top; i++) {
		const struct proc_info *p = &c->procs.v[i];

		if (p->kthread || !p->rss)
			continue;
		process_row(g, p, t, mono, &c->cur[n++]);
	}
	qsort(c->cur, n, sizeof(c->cur[0]), by_pid);
	swap = c->prev;
	c->prev = c->cur;
	c->cur = swap;
	c->nprev = n;
	c->prev_ms = mono;
}

void calibration_sample(struct guard *g)
{
	struct calib *c = C(g);
	uint64_t t = realtime_ms(), mono = now_ms();
	struct meminfo mi;
	struct psi psi;
	struct ds_row r;

	if (meminfo_read_fd(g->env->c->meminfo_fd, &mi) < 0)
		return;
	ds_row_init(&r, DS_SAMPLE, GUARD, t);
	r.mem_total = mi.mem_total;
	r.mem_available = mi.mem_available;
	r.swap_total = mi.swap_total;
	r.swap_free = mi.swap_free;
	if (c->psi_fd >= 0 && psi_read_fd(c->psi_fd, &psi) == 0) {
		r.psi_some_avg10 = psi.some.avg10;
		if (psi.has_full)
			r.psi_full_avg10 = psi.full.avg10;
	}
	/* what was consumed per second: the fall of MemAvailable */
	if (c->last_ms && mono > c->last_ms)
		r.alloc_rate = per_s(mi.mem_available, c->last_avail, mono - c->last_ms);
	c->last_avail = mi.mem_available;
	c->last_ms = mono;
	ds_queue_add(&c->q, &r);
	c->samples++;
	/* as the shield's pass: no /proc walk on the loop while an episode
	 * is on (the pipeline's own ranking and the kill come first) */
	if (!g->env->vp || !vp_busy(g->env->vp))
		processes(g, t, mono);
}
