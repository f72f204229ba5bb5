/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard on the loop: its timer hands one job at a time to its
 * worker lane (gpu_job_run: every NVML call is there), and judges what
 * comes back. A call past its deadline leaves the lane busy: the guard is
 * degraded (said once) and tries again when the call returns; no other
 * guard waits, and the library is never unloaded while a call hangs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/gpu/state.h"
#include "observe/meminfo.h"

#define INIT_RETRY_MS 60000     /* a failed nvmlInit is tried again this often */
#define LOOK_AFTER_EXIT_MS 500  /* after a victim's exit: look again this soon */

static const struct og_config *CFG(const struct guard *g) { return &g->env->c->cfg; }

static bool wanted(const struct guard *g)
{
	return CFG(g)->gpu_enabled || CFG(g)->nvidia_enabled;
}

static struct worker *lane_worker(struct guard *g)
{
	return g->env->worker ? g->env->worker : GG(g)->own;
}

static unsigned lane_of(struct guard *g) { return g->env->worker ? g->lane : 0; }

static void job_done(void *arg, int result, bool timed_out);

static void job_free(void *arg) { free(arg); }

static struct gpu_job *job_new(struct guard *g, enum gpu_job_kind kind)
{
	struct gpu_guard *gg = GG(g);
	struct gpu_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->g = g;
	j->gen = gg->gen;
	j->n = &gg->n;
	j->proc_fd = g->env->c->proc_fd;
	j->sys_fd = gg->proc_fd_sys;
	j->root_fd = gg->root_fd;
	j->count = gg->count;
	memcpy(j->handle, gg->handle, sizeof(j->handle));
	memcpy(j->perf, gg->perf, sizeof(j->perf));
	snprintf(j->lib_path, sizeof(j->lib_path), "%s", gg->lib_path);
	snprintf(j->driver, sizeof(j->driver), "%s", gg->driver);
	j->ret = gg->init_err;
	j->check_updates = CFG(g)->nvidia_check_updates;
	for (unsigned i = 0; i < gg->count; i++) {
		j->want[i] = gpu_selected(CFG(g), i, gg->dev[i].uuid);
		j->dev[i].index = i;
		snprintf(j->dev[i].name, sizeof(j->dev[i].name), "%s", gg->dev[i].name);
		snprintf(j->dev[i].uuid, sizeof(j->dev[i].uuid), "%s", gg->dev[i].uuid);
	}
	return j;
}

static int submit(struct guard *g, struct gpu_job *j)
{
	int r = worker_submit(lane_worker(g), lane_of(g), gpu_job_run, j,
			      CFG(g)->gpu_call_timeout_ms, job_done, job_free);

	if (r < 0)
		free(j);
	return r;
}

/* The next job, if the lane is free: init, then a restore or a setting of
 * the performance mode, the monitor when due, else (on the timer) a look. */
static void next_job(struct guard *g, bool tick)
{
	struct gpu_guard *gg = GG(g);
	uint64_t now = now_ms();
	enum gpu_job_kind kind;
	struct gpu_job *j;

	if (!g->active || !gg->lib || worker_lane_busy(lane_worker(g), lane_of(g)))
		return;
	if (!gg->inited && now >= gg->init_retry_ms)
		kind = GJ_INIT;
	else if (gg->inited && gg->want_restore)
		kind = GJ_PERF_RESTORE;
	else if (gg->inited && gg->want_perf)
		kind = GJ_PERF_SET;
	else if (CFG(g)->nvidia_enabled && now >= gg->monitor_due_ms)
		kind = GJ_MONITOR;
	else if (gg->inited && CFG(g)->gpu_enabled && tick)
		kind = GJ_LOOK;
	else
		return;
	if (!(j = job_new(g, kind)) || submit(g, j) < 0)
		log_warn("gpu: cannot start a job (out of memory)");
}

/* ---- results ------------------------------------------------------------ */

/* A device as the records name it (its memory as of d). */
static void device_of(const struct guard *g, const struct gpu_dev *d, struct decision_device *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->index = (int)d->index;
	snprintf(ret->name, sizeof(ret->name), "%s", d->name);
	snprintf(ret->uuid, sizeof(ret->uuid), "%s", d->uuid);
	ret->total = d->mem.total;
	ret->used = d->mem.used;
	ret->threshold_percent = CFG(g)->gpu_threshold_percent;
}

static void record(struct guard *g, const char *event, const char *msg, const struct gpu_dev *d,
		   const struct gpu_record_proc *p)
{
	struct decision_device dev;
	struct gpu_record r = { .event = event, .message = msg, .dry_run = CFG(g)->dry_run,
				.process = p };

	if (d) {
		device_of(g, d, &dev);
		r.device = &dev;
	}
	report_gpu(g->env->rep, &r);
}

static void degraded(struct guard *g, const char *why)
{
	struct gpu_guard *gg = GG(g);

	if (gg->degraded)
		return;
	gg->degraded = true;
	snprintf(gg->degraded_why, sizeof(gg->degraded_why), "%s", why);
	log_warn("gpu: degraded: %s", why);
	record(g, "degraded", why, NULL, NULL);
}

static void recovered(struct guard *g)
{
	struct gpu_guard *gg = GG(g);

	if (!gg->degraded)
		return;
	gg->degraded = false;
	log_notice("gpu: NVML answers again");
	record(g, "answering", "NVML answers again", NULL, NULL);
}

static void init_done(struct guard *g, struct gpu_job *j)
{
	struct gpu_guard *gg = GG(g);
	char e[128];

	gg->init_err = j->ret;
	snprintf(gg->driver, sizeof(gg->driver), "%s", j->driver);
	snprintf(gg->nvml_version, sizeof(gg->nvml_version), "%s", j->nvml_version);
	if (j->ret != NVML_OK) {
		gg->init_retry_ms = now_ms() + INIT_RETRY_MS;
		snprintf(e, sizeof(e), "nvmlInit: %s", nvml_strerror(&gg->n, j->ret, e, sizeof(e)));
		degraded(g, e);
		return;
	}
	gg->inited = true;
	gg->count = j->count;
	memcpy(gg->handle, j->handle, sizeof(gg->handle));
	for (unsigned i = 0; i < j->count; i++) {
		gg->dev[i].index = i;
		gg->dev[i].err = j->dev[i].err;
		snprintf(gg->dev[i].name, sizeof(gg->dev[i].name), "%s", j->dev[i].name);
		snprintf(gg->dev[i].uuid, sizeof(gg->dev[i].uuid), "%s", j->dev[i].uuid);
		gg->dev[i].mem = j->dev[i].mem;
	}
	log_notice("gpu: NVML %s, driver %s, %u device%s", gg->nvml_version, gg->driver, gg->count,
		   gg->count == 1 ? "" : "s");
	gg->want_perf = CFG(g)->nvidia_enabled && CFG(g)->nvidia_perf_mode && !CFG(g)->dry_run;
	if (CFG(g)->nvidia_enabled && CFG(g)->nvidia_perf_mode && CFG(g)->dry_run)
		for (unsigned i = 0; i < gg->count; i++)
			snprintf(gg->perf[i].said, sizeof(gg->perf[i].said), "dry run: would enable "
				 "persistence mode and hold the clocks at their maximum");
}

static bool said(struct gpu_guard *gg, int pid)
{
	for (size_t i = 0; i < GPU_SAID_MAX; i++)
		if (gg->said[i] == pid)
			return true;
	gg->said[gg->said_next] = pid;
	gg->said_next = (gg->said_next + 1) % GPU_SAID_MAX;
	return false;
}

static void say_unconfirmed(struct guard *g, const struct gpu_dev *d)
{
	char msg[256];

	for (size_t i = 0; i < d->nprocs; i++) {
		const struct gpu_seen *s = &d->procs[i];
		struct gpu_record_proc p = { .pid = s->pid, .comm = *s->comm ? s->comm : NULL,
					     .used = s->used };

		if (s->confirmed || said(GG(g), s->pid))
			continue;
		snprintf(msg, sizeof(msg), "GPU %u: NVML lists pid %d, which is never killed: %s",
			 d->index, s->pid, s->why ? s->why : "not confirmed");
		log_notice("gpu: %s", msg);
		record(g, "unconfirmed", msg, d, &p);
	}
}

static int usage_of(const struct proc_info *p, void *userdata, uint64_t *ret)
{
	*ret = gpu_used_by(userdata, p->pid, p->starttime);
	return 0;
}

static void ask(struct guard *g, struct gpu_dev *d, uint64_t need, const char *reason)
{
	struct gpu_guard *gg = GG(g);
	struct gpu_episode *ep = &gg->ep[d->index];
	struct verdict v = { .level = LEVEL_TERM, .trigger = TRIG_GPU, .need_bytes = need };
	int pids[GPU_PROCS_MAX];
	struct meminfo mi = { 0 };
	char domain[16];
	struct vp_request rq = { .v = &v, .mi = &mi, .usage = usage_of, .usage_data = d,
				 .usage_unit = "gpu_bytes", .usage_frees = true, .pids = pids,
				 .domain = domain, .device = &ep->rec, .chosen = &ep->chosen };
	size_t n = 0;

	for (size_t i = 0; i < d->nprocs; i++)
		if (d->procs[i].confirmed)
			pids[n++] = d->procs[i].pid;
	if (!n)
		return;
	rq.npids = n;
	snprintf(v.reason, sizeof(v.reason), "%s", reason);
	snprintf(domain, sizeof(domain), "gpu%u", d->index);
	meminfo_read_fd(g->env->c->meminfo_fd, &mi);
	device_of(g, d, &ep->rec);
	if (guard_ask(g, &rq, now_ms(), NULL) == VP_ACTED) {
		ep->acted = true;
		ep->used_before = d->mem.used;
		gg->victims++;
	}
}

/* After a victim: what the device has now. */
static void say_freed(struct guard *g, struct gpu_dev *d)
{
	struct gpu_episode *ep = &GG(g)->ep[d->index];
	struct gpu_record_proc p = { .pid = ep->chosen.pid, .comm = ep->chosen.comm,
				     .used = ep->chosen.amount, .used_before = ep->used_before };
	char msg[256];

	ep->acted = false;
	snprintf(msg, sizeof(msg), "GPU %u: pid %d (%s) used %.0f MiB; the device had %.0f MiB "
		 "used, now %.0f MiB (%.1f%%)", d->index, ep->chosen.pid, ep->chosen.comm,
		 (double)ep->chosen.amount / MiB, (double)ep->used_before / MiB,
		 (double)d->mem.used / MiB, gpu_used_percent(&d->mem));
	record(g, "freed", msg, d, &p);
}

static void judge(struct guard *g, struct gpu_dev *d)
{
	struct gpu_episode *ep = &GG(g)->ep[d->index];
	char reason[256];
	uint64_t need = 0;
	bool over = gpu_over(CFG(g), d, &need, reason, sizeof(reason));

	say_unconfirmed(g, d);
	if (ep->acted && !CFG(g)->dry_run && !gpu_used_by(d, ep->chosen.pid, ep->chosen.starttime))
		say_freed(g, d);
	if (over && !ep->over) {
		log_warn("gpu: %s", reason);
		record(g, "over", reason, d, NULL);
	} else if (!over && ep->over) {
		snprintf(reason, sizeof(reason), "GPU %u (%s) memory %.1f%% < %g%%", d->index, d->name,
			 gpu_used_percent(&d->mem), CFG(g)->gpu_threshold_percent);
		record(g, "under", reason, d, NULL);
	}
	ep->over = over;
	if (over)
		ask(g, d, need, reason);
}

static void look_done(struct guard *g, struct gpu_job *j)
{
	struct gpu_guard *gg = GG(g);

	gg->looked = true;
	gg->looks++;
	gg->look_ms = j->t_ms;
	for (unsigned i = 0; i < j->count && i < gg->count; i++) {
		if (!j->want[i])
			continue;
		gg->dev[i] = j->dev[i];         /* names and UUIDs came with the job */
		if (!gg->dev[i].err && !gg->dev[i].procs_err && g->env->loop)
			judge(g, &gg->dev[i]);
	}
}

static void monitor_done(struct guard *g, struct gpu_job *j)
{
	struct gpu_guard *gg = GG(g);

	gg->monitored = true;
	gg->monitor_due_ms = now_ms() + CFG(g)->nvidia_interval_ms;
	snprintf(gg->module, sizeof(gg->module), "%s", j->module);
	snprintf(gg->library, sizeof(gg->library), "%s", j->library);
	snprintf(gg->on_disk, sizeof(gg->on_disk), "%s", j->on_disk);
	gg->pkgs_err = j->pkgs_err;
	gg->nfindings = j->nfindings;
	memcpy(gg->finding, j->finding, sizeof(gg->finding));
	memcpy(gg->findings, j->findings, sizeof(gg->findings));
	for (size_t i = 0; g->env->loop && i < j->nfindings; i++) {
		struct gpu_record r = { .event = "driver", .message = j->findings[i],
					.dry_run = CFG(g)->dry_run,
					.finding = drv_finding_name(j->finding[i]),
					.module = j->module, .library = j->library,
					.nvml_driver = j->driver, .on_disk = j->on_disk };

		if (j->finding[i] != DRV_OK)
			log_warn("gpu: %s", j->findings[i]);
		report_gpu(g->env->rep, &r);
		if (j->finding[i] == DRV_MISMATCH || j->finding[i] == DRV_REBOOT_PENDING)
			report_kmsg(g->env->rep, "gpu: %s", j->findings[i]);
	}
}

static void perf_done(struct guard *g, struct gpu_job *j)
{
	struct gpu_guard *gg = GG(g);
	bool restore = j->kind == GJ_PERF_RESTORE;

	if (restore)
		gg->want_restore = false;
	else
		gg->want_perf = false;
	gg->perf_on = !restore;
	for (unsigned i = 0; i < gg->count; i++) {
		bool was_refused = gg->perf[i].refused;

		if (!j->want[i] && !restore)
			continue;
		gg->perf[i] = j->perf[i];
		if (!*j->perf[i].said || (was_refused && j->perf[i].refused))
			continue;
		log_notice("gpu %u: performance mode: %s", i, j->perf[i].said);
		if (g->env->loop)
			record(g, "performance", j->perf[i].said, &gg->dev[i], NULL);
	}
}

static void job_done(void *arg, int result, bool timed_out)
{
	struct gpu_job *j = arg;
	struct guard *g = j->g;
	struct gpu_guard *gg = GG(g);
	char why[200];

	if (timed_out) {                /* j is release's now */
		snprintf(why, sizeof(why), "an NVML call has not returned within %llu ms (a wedged "
			 "driver?): the guard waits for it, the other guards do not",
			 (unsigned long long)CFG(g)->gpu_call_timeout_ms);
		degraded(g, why);
		return;
	}
	if (j->gen == gg->gen) {
		if (j->kind != GJ_INIT && j->kind != GJ_SHUTDOWN)
			recovered(g);
		switch (j->kind) {
		case GJ_INIT:
			init_done(g, j);
			if (gg->inited)
				recovered(g);
			break;
		case GJ_LOOK:
			look_done(g, j);
			break;
		case GJ_MONITOR:
			monitor_done(g, j);
			break;
		case GJ_PERF_SET:
		case GJ_PERF_RESTORE:
			perf_done(g, j);
			break;
		case GJ_SHUTDOWN:
			gg->inited = false;
			break;
		}
	}
	free(j);
	if (g->env->loop)
		next_job(g, false);
}

/* ---- the guard ---------------------------------------------------------- */

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	next_job(g, true);
	loop_timer_arm(&GG(g)->timer, CFG(g)->gpu_interval_ms);
}

static bool set_active(struct guard *g)
{
	struct gpu_guard *gg = GG(g);
	char err[200];

	if (!wanted(g)) {
		snprintf(g->why, sizeof(g->why), "off (gpu_protection.enabled and "
			 "nvidia_monitor.enabled are false)");
		return false;
	}
	if (!gg->lib && nvml_open(&gg->n, gg->lib_path, sizeof(gg->lib_path), err,
				  sizeof(err)) < 0) {
		snprintf(g->why, sizeof(g->why), "%s", err);
		return false;
	}
	gg->lib = true;
	return true;
}

/* explain and status: init, a look and the monitor, each within its
 * deadline, on a worker of its own; a hung call is said and left. */
static void run_now(struct guard *g, enum gpu_job_kind kind)
{
	struct gpu_guard *gg = GG(g);
	struct gpu_job *j;

	if (worker_lane_busy(gg->own, 0) || !(j = job_new(g, kind)) || submit(g, j) < 0)
		return;
	if (worker_wait(gg->own, 0, CFG(g)->gpu_call_timeout_ms + 200) < 0)
		degraded(g, "an NVML call did not return in time (a wedged driver?)");
}

static int gpu_start(struct guard *g)
{
	struct gpu_guard *gg = GG(g);
	int r;

	gg->timer.src.fd = -1;
	gg->proc_fd_sys = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gg->root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g->active = set_active(g);
	if (!g->env->loop) {
		if (g->active && worker_new(1, &gg->own) == 0) {
			run_now(g, GJ_INIT);
			if (gg->inited && CFG(g)->gpu_enabled)
				run_now(g, GJ_LOOK);
			if (CFG(g)->nvidia_enabled)
				run_now(g, GJ_MONITOR);
		}
		return g->active ? 0 : -ENOTSUP;
	}
	if ((r = loop_timer_init(g->env->loop, &gg->timer, on_timer, g)) < 0)
		return r;
	g->tick = &gg->timer;
	if (g->active)
		loop_timer_arm(&gg->timer, 1);
	return g->active ? 0 : -ENOTSUP;
}

static void gpu_reload(struct guard *g)
{
	struct gpu_guard *gg = GG(g);
	bool perf = CFG(g)->nvidia_enabled && CFG(g)->nvidia_perf_mode && !CFG(g)->dry_run;

	g->active = set_active(g);
	gg->monitor_due_ms = 0;         /* the monitor looks again with the new settings */
	if (gg->perf_on && (!perf || !g->active))
		gg->want_restore = true;
	gg->want_perf = perf && !gg->perf_on && gg->inited;
	memset(gg->ep, 0, sizeof(gg->ep));
	if (gg->timer.src.fd < 0)
		return;
	if (g->active || gg->want_restore)
		loop_timer_arm(&gg->timer, 1);
	else
		loop_timer_disarm(&gg->timer);
}

/* At exit: put the performance mode back and shut NVML down, each within
 * its deadline. Exit is the one time the guard waits on its lane. */
static void gpu_stop(struct guard *g)
{
	struct gpu_guard *gg = GG(g);
	struct worker *w = lane_worker(g);
	struct gpu_job *j;
	bool hung;

	g->active = false;              /* no next job from here */
	if (g->env->loop)
		loop_timer_close(g->env->loop, &gg->timer);
	gg->gen++;
	if (w && gg->inited) {
		worker_wait(w, lane_of(g), CFG(g)->gpu_call_timeout_ms);
		if (gg->perf_on && !worker_lane_busy(w, lane_of(g)) &&
		    (j = job_new(g, GJ_PERF_RESTORE))) {
			j->gen = gg->gen;
			if (submit(g, j) == 0)
				worker_wait(w, lane_of(g), CFG(g)->gpu_call_timeout_ms);
		}
		if (!worker_lane_busy(w, lane_of(g)) && (j = job_new(g, GJ_SHUTDOWN))) {
			j->gen = gg->gen;
			if (submit(g, j) == 0)
				worker_wait(w, lane_of(g), CFG(g)->gpu_call_timeout_ms);
		}
	}
	hung = w && worker_lane_busy(w, lane_of(g));
	if (gg->own)
		worker_free(gg->own);   /* detaches a hung call */
	/* never unload the library while a call into it may still run */
	if (gg->lib && !hung)
		nvml_close(&gg->n);
	if (gg->proc_fd_sys >= 0)
		close(gg->proc_fd_sys);
	if (gg->root_fd >= 0)
		close(gg->root_fd);
}

const struct guard_ops gpu_guard_ops = {
	.name = "gpu",
	.state_size = sizeof(struct gpu_guard),
	.start = gpu_start,
	.reload = gpu_reload,
	.describe = gpu_describe,
	.stop = gpu_stop,
};
