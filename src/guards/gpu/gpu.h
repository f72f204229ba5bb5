/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard (the OOM Protector seed's gpu_protection and
 * nvidia_monitor), through NVML (nvml.h), in three parts:
 *
 *   job.c    what runs in the guard's worker lane: NVML's init, a look at
 *            the devices (memory, processes, each pid confirmed in /proc),
 *            the driver monitor (versions, the package lists) and the
 *            performance mode (set, restore). Every NVML call is here.
 *   plan.c   pure: which devices, over the threshold or not, how much to
 *            free, the reason
 *   gpu.c    the guard: its timer, the jobs' results, the victim
 *            pipeline's requests (a domain of its own per device), records,
 *            explain
 *
 * driver.c is the driver monitor's pure part (versions, the module, the
 * library on disk, the package lists); schema.c the config keys. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "guards/gpu/driver.h"
#include "guards/gpu/nvml.h"
#include "report/record.h"

#define GPU_MAX OG_MAX_GPUS
#define GPU_PROCS_MAX 128
#define GPU_PKGS_MAX 8
#define GPU_FINDINGS_MAX 8

/* A process NVML lists on a device, and what /proc says of it. */
struct gpu_seen {
	int pid;
	uint64_t start;                 /* its start time (stat field 22), 0 when not confirmed */
	uint64_t used;                  /* GPU memory, bytes (NVML_VALUE_NOT_AVAILABLE: unknown) */
	bool graphics;                  /* listed as a graphics process (else compute) */
	bool confirmed;                 /* exists here and has /dev/nvidia* open */
	char comm[64];
	const char *why;                /* not confirmed: why (a static string) */
};

/* One device, as of a look. */
struct gpu_dev {
	unsigned index;
	int err;                        /* NVML code of a failed read, 0 ok */
	char name[96], uuid[96];
	struct nvml_memory mem;
	struct gpu_seen procs[GPU_PROCS_MAX];
	size_t nprocs;
	int procs_err;                  /* the process lists could not be used (NVML code, -EPROTO) */
	size_t stride[2];               /* compute, graphics: the record size seen */
	/* the monitor's view */
	int persistence;                /* -1 unknown */
	int pstate;                     /* -1 unknown */
	unsigned app_graphics, app_mem, max_graphics, max_mem;  /* MHz, 0 unknown */
};

/* What the performance mode changed on a device, to put it back. */
struct gpu_perf {
	bool persistence_set;           /* we enabled it (it was off) */
	bool clocks_set;                /* application clocks changed from prev_* */
	unsigned prev_graphics, prev_mem;
	bool locked;                    /* locked clocks set (no getter: reset on restore) */
	bool refused;                   /* the device refused; not tried again */
	char said[160];                 /* what happened, for explain */
};

/* ---- plan.c: pure --------------------------------------------------------- */

/* Is this device watched? devices: indices or UUIDs (none: all). */
bool gpu_selected(const struct og_config *cfg, unsigned index, const char *uuid);
/* used / total, percent (0 when total is 0). */
double gpu_used_percent(const struct nvml_memory *m);
/* Over memory_threshold_percent? Then what to free to get back under the
 * threshold minus margin_percent (bytes), and the reason in buf. */
bool gpu_over(const struct og_config *cfg, const struct gpu_dev *d, uint64_t *ret_need,
	      char *reason, size_t size);
/* The GPU memory a confirmed process uses on d (its pid and start time),
 * 0 when it is not listed there; an unknown amount counts as 0. */
uint64_t gpu_used_by(const struct gpu_dev *d, int pid, uint64_t start);
/* Merge a process listed twice (compute and graphics): one entry, the
 * larger amount. Returns the new count. */
size_t gpu_merge(struct gpu_seen *v, size_t n);

/* ---- job.c: in the worker lane ------------------------------------------- */

enum gpu_job_kind { GJ_INIT, GJ_LOOK, GJ_MONITOR, GJ_PERF_SET, GJ_PERF_RESTORE, GJ_SHUTDOWN };

struct gpu_job {
	enum gpu_job_kind kind;
	struct guard *g;
	unsigned gen;
	const struct nvml *n;
	int proc_fd, sys_fd, root_fd;
	/* in */
	nvml_dev handle[GPU_MAX];
	bool want[GPU_MAX];             /* GJ_LOOK: the devices to look at */
	unsigned count;
	bool check_updates;             /* GJ_MONITOR */
	char lib_path[4096];            /* where NVML was loaded from */
	struct gpu_perf perf[GPU_MAX];  /* GJ_PERF_*: in and out */
	/* out */
	int ret;                        /* NVML code of init/count, 0 ok */
	char driver[32], nvml_version[32];
	struct gpu_dev dev[GPU_MAX];
	uint64_t t_ms;
	/* GJ_MONITOR */
	char module[32], library[32], on_disk[32];
	struct drv_pkg pkgs[GPU_PKGS_MAX];
	size_t npkgs;
	int pkgs_err;
	enum drv_finding finding[GPU_FINDINGS_MAX];
	char findings[GPU_FINDINGS_MAX][256];
	size_t nfindings;
};

/* The job's work (the lane's worker_fn). */
int gpu_job_run(void *arg);
