/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's state, shared by its files: calibration.c (the
 * guard, the tap, the flushes in its worker lane), sample.c (the sample
 * and process rows) and show.c (explain and status). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/describe.h"
#include "core/guard.h"
#include "core/loop.h"
#include "observe/proc.h"
#include "report/dataset.h"
#include "guards/calibration/stats.h"

#define RB_COOL_SLOTS 64
#define RB_PENDING 32           /* audit lines waiting for the lane */
#define RB_ORIG_MAX 256         /* original limits waiting for the lane (a plan's every cgroup) */

/* A process of the last sample: its alloc_rate is measured against it. */
struct calib_seen {
	int pid;
	uint64_t start;                 /* its start time: the same process */
	uint64_t bytes;                 /* rss + swap */
};

struct calib {
	struct loop_timer timer;
	int psi_fd;                     /* /proc/pressure/memory, -1 none */
	struct ds_queue q;              /* rows for the next flush (q.buf NULL: never active) */
	char *spare;                    /* the buffer the queue goes on in; NULL while a flush
					 * holds it */
	struct proc_list procs;         /* the scan's own storage (not the ranking's) */
	struct calib_seen *prev, *cur;  /* the last sample's processes (by pid) and this one's */
	size_t nprev, seen_cap;
	uint64_t prev_ms;               /* monotonic time of prev */
	uint64_t last_avail, last_ms;   /* MemAvailable at the last sample, and when */
	/* what explain and the exit line say */
	uint64_t samples, flushes, rows_written, rotations, size;
	int err;                        /* of the last flush, 0 fine */
	const char *err_op;
	char error[400];
	bool said_timeout;
	/* the store (collect.c): the timer here, the rest in the lane */
	struct loop_timer store_timer;
	struct store_lane *lane_state;  /* owned by the lane's jobs; NULL: not sampling */
	uint64_t store_samples, store_cgroups, store_skipped, store_busy, store_pruned;
	int store_err;
	char store_error[480];
	bool store_said_timeout;
	bool store_on;                  /* the store's timer is armed */
	/* rebalancing (rbapply.c): the figures the lane last computed (by
	 * path), when each cgroup was last rebalanced, and what waits for the
	 * lane: audit lines and original limits for the store */
	struct calib_entry *stats;
	size_t n_stats;
	uint64_t stats_ms;              /* realtime of that computation, 0 none */
	uint64_t stats_cost_ms;         /* how long it took */
	int audit_err;
	struct rb_cool {
		char path[CG_PATH_MAX];
		uint64_t ms;            /* its last rebalance */
		uint64_t said_ms;       /* its last rebalance-refused record */
	} cool[RB_COOL_SLOTS];
	char *audit[RB_PENDING];
	size_t n_audit;
	struct rb_orig {
		char path[CG_PATH_MAX];
		char value[32];
	} orig[RB_ORIG_MAX];
	size_t n_orig;
	int v1_fd;                      /* the v1 memory hierarchy's root where the store's lane
					 * samples one (its near-limit cgroups rebalanced), else -1 */
	bool rb_inflight;               /* a plan is in the D-Bus lane (rbapply.c) */
	char rb_inflight_path[CG_PATH_MAX];
	uint64_t rb_inflight_ms, rb_deadline_ms;        /* when it went, its deadline */
	char bus_err[400];              /* systemd could not be reached: units are left alone */
	uint64_t bus_err_ms;            /* until a minute after this */
	uint64_t rebalances, rb_refused, audit_dropped;
	char rb_last[640];              /* the last rebalance or refusal, in words */
};

/* One sample: the `sample` row and the `process` rows, queued. */
void calibration_sample(struct guard *g);
/* Room for `top` processes in prev and cur. 0 or -ENOMEM. */
int calibration_seen_size(struct guard *g);
void calibration_seen_free(struct guard *g);
void calibration_describe(struct guard *g, struct describe *d);
/* The store (collect.c): start (the lane's state), one sample, stop. */
int calib_store_start(struct guard *g);
void calib_store_tick(struct guard *g);
void calib_store_stop(struct guard *g);
/* Rebalance the cgroup at path (from the v2 root) that the cgroups guard
 * found near its limit (rbapply.c): 1 when its limit was raised (or would
 * have been, in dry-run), 0 when not, with why filled. On the loop: reads
 * and writes cgroup files only; the audit line waits for the lane. */
int calib_rebalance(struct guard *g, const char *path, char *why, size_t size);
/* The same after the kernel's OOM killer fired in the cgroup (the last
 * signal): its limit rises by the margin, within the same bounds. */
int calib_rebalance_after_oom(struct guard *g, const char *path, char *why, size_t size);
/* The same for a cgroup of the v1 memory hierarchy (c->v1_fd) that the
 * store's lane found near its memory.limit_in_bytes. */
int calib_rebalance_v1(struct guard *g, const char *path, char *why, size_t size);
/* At stop: wait for a plan in the D-Bus lane (at most its deadline). */
void calib_rebalance_stop(struct guard *g);
