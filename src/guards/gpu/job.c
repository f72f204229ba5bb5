/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard's work in its worker lane: every NVML call, and the /proc
 * reads that confirm a pid. Runs on the lane's thread: it touches only its
 * job (and the library), never the guard's state. */
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "guards/gpu/gpu.h"
#include "observe/openfiles.h"
#include "observe/proc.h"

static int nvidia_fd(const struct of_hit *h, void *userdata)
{
	return h->link && !strncmp(h->link, "/dev/nvidia", 11);
}

/* Is this pid here, and does it have an NVIDIA device open? NVML gives pids
 * as the driver sees them; a pid that is not ours (another pid namespace),
 * gone, or reused by a process with no GPU device open is not killed. */
static void confirm(int proc_fd, struct gpu_seen *s)
{
	struct of_scan scan = { .what = OF_FDS | OF_LINK | OF_ANY_TYPE, .hit = nvidia_fd };
	struct proc_stat st;
	int r;

	s->confirmed = false;
	if (proc_read_stat(proc_fd, s->pid, &st) < 0) {
		s->why = "no such process here (gone, or in another pid namespace)";
		return;
	}
	if (st.flags & PF_KTHREAD_FLAG) {
		s->why = "a kernel thread";
		return;
	}
	snprintf(s->comm, sizeof(s->comm), "%s", st.comm);
	r = openfiles_scan_pid(proc_fd, s->pid, &scan);
	openfiles_scan_free(&scan);
	if (r < 0) {
		s->why = r == -EACCES || r == -EPERM ? "its open files cannot be read" : "gone";
		return;
	}
	if (r == 0) {
		s->why = "has no /dev/nvidia* open (pid reused?)";
		return;
	}
	s->start = st.starttime;
	s->confirmed = true;
	s->why = NULL;
}

static int str_call(int (*fn)(char *, unsigned), char *buf, size_t size)
{
	int r = fn(buf, (unsigned)size);

	if (r != NVML_OK)
		*buf = '\0';
	return r;
}

static int init_run(struct gpu_job *j)
{
	const struct nvml *n = j->n;

	if ((j->ret = n->init()) != NVML_OK)
		return 0;
	str_call(n->driver_version, j->driver, sizeof(j->driver));
	str_call(n->nvml_version, j->nvml_version, sizeof(j->nvml_version));
	if ((j->ret = n->get_count(&j->count)) != NVML_OK)
		return 0;
	j->count = MIN(j->count, (unsigned)GPU_MAX);
	for (unsigned i = 0; i < j->count; i++) {
		struct gpu_dev *d = &j->dev[i];

		d->index = i;
		if ((d->err = n->get_handle(i, &j->handle[i])) != NVML_OK)
			continue;
		if (n->name(j->handle[i], d->name, sizeof(d->name)) != NVML_OK)
			snprintf(d->name, sizeof(d->name), "GPU %u", i);
		if (n->uuid(j->handle[i], d->uuid, sizeof(d->uuid)) != NVML_OK)
			*d->uuid = '\0';
		if (n->memory(j->handle[i], &d->mem) != NVML_OK)
			memset(&d->mem, 0, sizeof(d->mem));
	}
	return 0;
}

static void look_procs(struct gpu_job *j, unsigned i)
{
	const struct nvml *n = j->n;
	struct gpu_dev *d = &j->dev[i];
	struct gpu_proc p[GPU_PROCS_MAX];
	size_t np = 0, ng = 0;
	int r;

	r = nvml_processes(n, &n->compute, j->handle[i], false, p, GPU_PROCS_MAX, &np,
			   &d->stride[0]);
	if (r == NVML_OK && n->graphics.fn)
		r = nvml_processes(n, &n->graphics, j->handle[i], true, p + np, GPU_PROCS_MAX - np,
				   &ng, &d->stride[1]);
	if (r != NVML_OK) {
		d->procs_err = r;
		return;
	}
	for (size_t k = 0; k < np + ng; k++) {
		d->procs[k].pid = (int)p[k].pid;
		d->procs[k].used = p[k].used;
		d->procs[k].graphics = p[k].graphics;
	}
	d->nprocs = gpu_merge(d->procs, np + ng);
	for (size_t k = 0; k < d->nprocs; k++)
		confirm(j->proc_fd, &d->procs[k]);
}

static void look_perf(struct gpu_job *j, unsigned i)
{
	const struct nvml *n = j->n;
	struct gpu_dev *d = &j->dev[i];
	nvml_dev h = j->handle[i];

	d->persistence = d->pstate = -1;
	if (n->get_persistence && n->get_persistence(h, &d->persistence) != NVML_OK)
		d->persistence = -1;
	if (n->pstate && n->pstate(h, &d->pstate) != NVML_OK)
		d->pstate = -1;
	if (n->max_clock) {
		n->max_clock(h, NVML_CLOCK_GRAPHICS, &d->max_graphics);
		n->max_clock(h, NVML_CLOCK_MEM, &d->max_mem);
	}
	if (n->app_clock) {
		n->app_clock(h, NVML_CLOCK_GRAPHICS, &d->app_graphics);
		n->app_clock(h, NVML_CLOCK_MEM, &d->app_mem);
	}
}

static int look_run(struct gpu_job *j)
{
	for (unsigned i = 0; i < j->count; i++) {
		struct gpu_dev *d = &j->dev[i];

		d->index = i;
		if (!j->want[i])
			continue;
		if ((d->err = j->n->memory(j->handle[i], &d->mem)) != NVML_OK)
			continue;
		look_procs(j, i);
		look_perf(j, i);
	}
	j->t_ms = now_ms();
	return 0;
}

static int monitor_run(struct gpu_job *j)
{
	struct drv_facts f = { 0 };
	char dir[4096];
	int r, dfd;

	if (drv_module_version(j->proc_fd, j->sys_fd, j->module, sizeof(j->module)) < 0)
		*j->module = '\0';
	if (parse_nvml_library_name(j->lib_path, j->library, sizeof(j->library)) < 0)
		*j->library = '\0';
	snprintf(dir, sizeof(dir), "%s", j->lib_path);
	dfd = *dir ? open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd < 0 || drv_newest_library(dfd, j->on_disk, sizeof(j->on_disk)) < 0)
		*j->on_disk = '\0';
	if (dfd >= 0)
		close(dfd);
	if (j->check_updates && j->root_fd >= 0) {
		r = drv_packages(j->root_fd, j->pkgs, GPU_PKGS_MAX);
		j->npkgs = r > 0 ? (size_t)r : 0;
		j->pkgs_err = r < 0 ? r : 0;
	}
	f.module = *j->module ? j->module : NULL;
	f.nvml_driver = *j->driver ? j->driver : NULL;
	f.library = *j->library ? j->library : NULL;
	f.on_disk = *j->on_disk ? j->on_disk : NULL;
	f.init_err = j->ret;
	f.pkgs = j->pkgs;
	f.npkgs = j->npkgs;
	j->nfindings = drv_judge(&f, j->finding, j->findings, GPU_FINDINGS_MAX);
	return 0;
}

static const char *refusal(int r)
{
	return r == NVML_ERR_NOT_SUPPORTED ? "not supported" :
	       r == NVML_ERR_NO_PERMISSION ? "no permission" : NULL;
}

/* Persistence mode on, and the clocks at their maximum: application
 * clocks where the device has them, locked clocks otherwise. */
static void perf_set(struct gpu_job *j, unsigned i)
{
	const struct nvml *n = j->n;
	struct gpu_perf *p = &j->perf[i];
	nvml_dev h = j->handle[i];
	unsigned maxg = 0, maxm = 0, g = 0, m = 0;
	int mode = -1, r;
	const char *why;

	if (p->refused)
		return;
	if (!n->get_persistence || !n->set_persistence || !n->max_clock) {
		snprintf(p->said, sizeof(p->said), "this NVML lacks the calls (%.100s)", n->missing);
		p->refused = true;
		return;
	}
	r = n->get_persistence(h, &mode);
	if (r == NVML_OK && mode != 1) {
		r = n->set_persistence(h, 1);
		p->persistence_set = r == NVML_OK;
	}
	if (r != NVML_OK) {
		why = refusal(r);
		snprintf(p->said, sizeof(p->said), "persistence mode: %s (NVML %d)",
			 why ? why : "failed", r);
		p->refused = true;
		return;
	}
	if (n->max_clock(h, NVML_CLOCK_GRAPHICS, &maxg) != NVML_OK ||
	    n->max_clock(h, NVML_CLOCK_MEM, &maxm) != NVML_OK || !maxg || !maxm) {
		snprintf(p->said, sizeof(p->said), "persistence mode on; the maximum clocks are "
			 "unknown: clocks left alone");
		p->refused = true;
		return;
	}
	r = n->app_clock && n->set_app_clocks ? n->app_clock(h, NVML_CLOCK_GRAPHICS, &g) :
		NVML_ERR_NOT_SUPPORTED;
	if (r == NVML_OK)
		r = n->app_clock(h, NVML_CLOCK_MEM, &m);
	if (r == NVML_OK && (g != maxg || m != maxm) &&
	    (r = n->set_app_clocks(h, maxm, maxg)) == NVML_OK) {
		p->clocks_set = true;
		p->prev_graphics = g;
		p->prev_mem = m;
	}
	if (r == NVML_OK) {
		snprintf(p->said, sizeof(p->said), "persistence mode on; application clocks %u/%u "
			 "MHz (graphics/memory, the maximum)", maxg, maxm);
		return;
	}
	/* no application clocks (most consumer cards): locked clocks */
	if (n->set_locked_clocks && n->reset_locked_clocks &&
	    n->set_locked_clocks(h, maxg, maxg) == NVML_OK) {
		p->locked = true;
		snprintf(p->said, sizeof(p->said), "persistence mode on; graphics clock locked at "
			 "%u MHz (no application clocks here)", maxg);
		return;
	}
	why = refusal(r);
	snprintf(p->said, sizeof(p->said), "persistence mode on; clocks: %s (NVML %d): not tried "
		 "again", why ? why : "failed", r);
	p->refused = true;
}

static void perf_restore(struct gpu_job *j, unsigned i)
{
	const struct nvml *n = j->n;
	struct gpu_perf *p = &j->perf[i];
	nvml_dev h = j->handle[i];
	int r = NVML_OK;

	if (p->clocks_set)
		r = p->prev_graphics && p->prev_mem ?
			n->set_app_clocks(h, p->prev_mem, p->prev_graphics) : n->reset_app_clocks ?
			n->reset_app_clocks(h) : NVML_ERR_NOT_SUPPORTED;
	if (p->locked)
		r = n->reset_locked_clocks(h);
	if (p->persistence_set && n->set_persistence(h, 0) != NVML_OK)
		r = NVML_ERR_UNKNOWN;
	snprintf(p->said, sizeof(p->said), "%s", r == NVML_OK ? "restored" : "restore failed");
	p->persistence_set = p->clocks_set = p->locked = false;
}

int gpu_job_run(void *arg)
{
	struct gpu_job *j = arg;

	switch (j->kind) {
	case GJ_INIT:
		return init_run(j);
	case GJ_LOOK:
		return look_run(j);
	case GJ_MONITOR:
		return monitor_run(j);
	case GJ_PERF_SET:
		for (unsigned i = 0; i < j->count; i++)
			if (j->want[i])
				perf_set(j, i);
		return 0;
	case GJ_PERF_RESTORE:
		for (unsigned i = 0; i < j->count; i++)
			perf_restore(j, i);
		return 0;
	case GJ_SHUTDOWN:
		j->ret = j->n->shutdown();
		return 0;
	}
	return -EINVAL;
}
