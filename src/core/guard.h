/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guard: one module per resource (memory, cgroup limits, the shield, and
 * next cpu, io, disk, network, gpu, ebpf, calibration, rulesets). It
 * observes its resource, decides when it is in danger and asks the victim
 * pipeline for help; the loop knows nothing of it but the fds and timers it
 * registered. See docs/architecture.md for how to add one. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/describe.h"
#include "core/loop.h"
#include "victim/pipeline.h"

struct loop;
struct reporter;
struct worker;
struct guard;

/* What every guard gets. */
struct guard_env {
	struct og_ctx *c;               /* config, shared kernel readers, ranking storage */
	struct loop *loop;              /* NULL for explain/status: open, sample once, describe */
	struct vpipe *vp;               /* the victim pipeline */
	struct reporter *rep;
	struct worker *worker;          /* one lane per guard: guard->lane */
	unsigned bus_lane;              /* and one for systemd's D-Bus API (sdbus.h): its
					 * jobs use bus, opened there on first use */
	struct sdbus *bus;
	struct guard *guards;           /* the table's guards (guard_find), NULL in tests */
	/* Told of every guard_ask once it is answered (the status snapshot's
	 * episodes and decision latency, src/core/statusd.c); NULL = none.
	 * acted: a victim signalled or a relief done; latency_us: the ask. */
	void (*asked)(void *userdata, struct guard *g, const struct vp_request *rq, bool acted,
		      uint64_t latency_us);
	void *asked_data;
};

struct guard_ops {
	const char *name;               /* "memory", "cgroups", "shield", ... (records, explain, metrics) */
	size_t state_size;              /* zeroed state allocated for the guard */
	bool hidden;                    /* not described while inactive (test fixtures) */
	/* Open its kernel files and register fds and timers (env->loop may be
	 * NULL: then take one sample for describe). Returns 0 when active; a
	 * guard that is off or lacks a kernel feature returns -ENOTSUP (or
	 * another -errno) with g->why set, and is described as inactive. */
	int (*start)(struct guard *g);
	/* Would this new config work for the guard? 0, or -EINVAL with err
	 * filled: the whole reload is refused and the old config stays. */
	int (*check)(struct guard *g, const struct og_config *next, char *err, size_t size);
	/* The config in env->c->cfg changed: take it (re-open, re-arm). */
	void (*reload)(struct guard *g);
	/* Relieve without a victim (rebalance a limit, clean files), before
	 * the pipeline is asked: > 0 when that was enough (optional). */
	int (*relieve)(struct guard *g, const struct vp_request *rq);
	/* State, thresholds and mode for explain/status, text and JSON. */
	void (*describe)(struct guard *g, struct describe *d);
	/* Restore what it changed, close its fds. */
	void (*stop)(struct guard *g);
};

struct guard {
	const struct guard_ops *ops;
	struct guard_env *env;
	void *state;
	unsigned lane;                  /* its worker lane */
	struct loop_timer *tick;        /* its timer: guard_ask has the pipeline arm it
					 * when an episode may go on (NULL: none) */
	bool active;
	char why[200];                  /* why not active */
};

/* The table of guards, in the fixed order of explain and status. */
extern const struct guard_ops *const guard_table[];
extern const size_t guard_count;

/* Allocate and start every guard of the table (g[] of guard_count). */
void guards_start(struct guard *g, struct guard_env *env);
/* Each guard's check, then (all passed) the reload; -EINVAL with err. */
int guards_check(struct guard *g, const struct og_config *next, char *err, size_t size);
void guards_reload(struct guard *g);
void guards_describe(struct guard *g, struct describe *d);
void guards_stop(struct guard *g);
struct guard *guard_find(struct guard *g, const char *name);

/* What a guard calls instead of vp_request: its relief phase first, then
 * the pipeline; a relief that was enough is recorded ("relieve"). The
 * pipeline wakes the guard through g->tick unless rq names its own wake. */
enum vp_result guard_ask(struct guard *g, struct vp_request *rq, uint64_t now,
			 uint64_t *ret_next_ms);
/* A decision is near: rank ahead (vp_prepare). */
void guard_prepare(struct guard *g, const struct vp_request *rq, uint64_t now);
