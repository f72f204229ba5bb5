/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard's state, shared by gpu.c (the guard) and show.c (explain). */
#pragma once
#include "core/guard.h"
#include "core/loop.h"
#include "guards/gpu/gpu.h"
#include "victim/pipeline.h"

#define GPU_SAID_MAX 64

struct gpu_episode {
	bool over;                      /* over its threshold at the last look */
	bool acted;                     /* a victim was signalled: "freed" follows */
	uint64_t used_before;
	struct vp_chosen chosen;
	struct decision_device rec;     /* for the pipeline's records */
};

struct gpu_guard {
	struct loop_timer timer;
	unsigned gen;                   /* a job of an older generation reports to nobody */
	struct nvml n;
	bool lib;                       /* n is open */
	char lib_path[4096];
	bool inited;                    /* nvmlInit succeeded (a shutdown is owed) */
	int init_err;                   /* NVML code of the last init, 0 ok */
	uint64_t init_retry_ms;
	char driver[32], nvml_version[32];
	unsigned count;
	nvml_dev handle[GPU_MAX];
	struct gpu_dev dev[GPU_MAX];    /* the last look */
	bool looked;
	uint64_t looks, look_ms;
	struct gpu_episode ep[GPU_MAX];
	/* the driver monitor */
	uint64_t monitor_due_ms;        /* 0: at the next tick */
	bool monitored;
	char module[32], library[32], on_disk[32];
	enum drv_finding finding[GPU_FINDINGS_MAX];
	char findings[GPU_FINDINGS_MAX][256];
	size_t nfindings;
	int pkgs_err;
	/* the performance mode */
	struct gpu_perf perf[GPU_MAX];
	bool perf_on;                   /* set on the devices (what perf[] says) */
	bool want_perf, want_restore;
	/* a call past its deadline */
	bool degraded;
	char degraded_why[200];
	/* pids NVML listed that /proc did not confirm, said once each */
	int said[GPU_SAID_MAX];
	size_t said_next;
	uint64_t victims;
	int proc_fd_sys;                /* /sys, for the module's version */
	int root_fd;                    /* /, for the package lists */
	struct worker *own;             /* explain: a worker of its own */
};

#define GG(g) ((struct gpu_guard *)(g)->state)

void gpu_describe(struct guard *g, struct describe *d);
