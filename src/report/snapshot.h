/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One snapshot of the daemon's state: what the metrics textfile, the status
 * socket (`oomguard status`, `oomguard watch`) and their tests read. Plain
 * data, no pointers: the daemon fills it on the loop (src/core/statusd.c)
 * from the reporter's tap, the guards' asks and describes and what they
 * already sampled; the functions here are pure.
 *
 *   snap_count_tap     a record (the reporter's tap) into the counters
 *   snap_count_ask     a guard's ask (episodes, decision latency)
 *   snap_metrics       Prometheus text exposition (docs/metrics.md)
 *   snap_to_json       the status socket's object; snap_from_json reads it
 *   snap_watch_line    `oomguard watch`'s line */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;
struct report_tap;

#define SNAP_GUARDS 16
#define SNAP_TRIGGERS 12
#define SNAP_FS 32
#define SNAP_GPUS 16
#define SNAP_DECISIONS 32
#define SNAP_EPISODE_GAP_MS 30000       /* a guard that never asks at OK: a new episode after */

enum { SNAP_PSI_MEMORY, SNAP_PSI_CPU, SNAP_PSI_IO, SNAP_PSI_N };
extern const char *const snap_psi_names[SNAP_PSI_N];

struct snap_count {
	char trigger[16];
	uint64_t n;
};

struct snap_guard {
	char name[24];
	bool active;
	char why[200];                  /* not active: why */
	struct snap_count kills[SNAP_TRIGGERS];         /* victims signalled, by trigger */
	size_t n_kills;
	struct snap_count episodes[SNAP_TRIGGERS];      /* episodes begun, by trigger */
	size_t n_episodes;
	bool has_cleanups;              /* the disk guard */
	uint64_t cleanups;
	uint64_t rebalances, rebalances_refused;
	bool has_latency;
	double last_latency_s;          /* its last ask that acted: relief or victim */
	/* episode state (the daemon's, not exported) */
	bool in_episode;
	uint64_t last_danger_ms;
};

struct snap_psi {
	bool have, has_full;
	double some_avg10, full_avg10;  /* percent, as the kernel writes them */
	uint64_t some_total_us, full_total_us;
};

struct snap_fs {
	char path[256];
	uint64_t size, avail;
};

struct snap_gpu {
	int index;
	char name[96];
	uint64_t total, used;
};

struct snap_decision {
	uint64_t seq;                   /* 1, 2, ...: a client prints each once */
	int64_t time_ms;
	char guard[24], event[16], trigger[16];
	int pid;                        /* 0: none (a relief, a rebalance, a cleanup) */
	char comm[32];
	bool dry_run;
	char reason[160];
};

struct og_snapshot {
	int64_t time_ms;                /* when it was taken, ms since the epoch */
	int64_t start_ms;               /* when the daemon started */
	bool dry_run;
	bool have_mem;
	uint64_t mem_total, mem_available, swap_total, swap_free;
	struct snap_psi psi[SNAP_PSI_N];
	struct snap_guard guards[SNAP_GUARDS];
	size_t n_guards;
	struct snap_fs fs[SNAP_FS];
	size_t n_fs;
	struct snap_gpu gpus[SNAP_GPUS];
	size_t n_gpus;
	struct snap_decision dec[SNAP_DECISIONS];       /* a ring: the last ones */
	size_t n_dec;                   /* valid entries (<= SNAP_DECISIONS) */
	uint64_t seq;                   /* the last decision's seq */
	uint64_t records_dropped;
};

/* The guard named so, added (up to SNAP_GUARDS) when absent; NULL if full. */
struct snap_guard *snap_guard(struct og_snapshot *s, const char *name);
/* Add n to the count of trigger in the array; false when it is full. */
bool snap_count_add(struct snap_count *a, size_t *n, const char *trigger, uint64_t add);
/* A record, as the reporter's tap sees it: terminate and kill decisions
 * count as kills (by their trigger), rebalance and rebalance-refused as
 * rebalances; actions (terminate, kill, escalate, error, stuck, exit,
 * relieve, rebalance, dry-kill) go to the decision ring. */
void snap_count_tap(struct og_snapshot *s, const struct report_tap *t, int64_t time_ms);
/* A guard asked for help: at a danger level (danger true) it begins an
 * episode of trigger unless one is on (an episode ends with an ask at OK,
 * or SNAP_EPISODE_GAP_MS without danger); acted: latency_s is kept as the
 * guard's last decision latency. */
void snap_count_ask(struct og_snapshot *s, const char *guard, bool danger, const char *trigger,
		    bool acted, double latency_s, uint64_t now_ms);
/* The decisions in the ring, oldest first: i-th (0 <= i < n_dec). */
const struct snap_decision *snap_decision_at(const struct og_snapshot *s, size_t i);

/* Prometheus text exposition format 0.0.4 (what node_exporter's textfile
 * collector reads): HELP and TYPE lines, every family of docs/metrics.md.
 * 0 or -errno (a write error on f). */
int snap_metrics(const struct og_snapshot *s, FILE *f);
/* A label value escaped as the format wants (\\, \", \n). */
void snap_label_escape(const char *v, char *out, size_t size);

/* The status socket's object (docs/metrics.md: "The status socket"). NULL
 * on ENOMEM; the caller puts it. */
struct json_object *snap_to_json(const struct og_snapshot *s);
/* And back (the client): 0, or -EINVAL when o is not such an object. */
int snap_from_json(struct json_object *o, struct og_snapshot *ret);

/* `oomguard watch`'s line (no newline): the time, MemAvailable, swap, PSI
 * some/full of memory, CPU and I/O, GPU memory, disk free. */
void snap_watch_line(const struct og_snapshot *s, char *out, size_t size);
/* A decision as one line (no newline), for status and watch. */
void snap_decision_line(const struct snap_decision *d, char *out, size_t size);
/* status's text: the readings, each guard's counters and health, the last
 * decisions. */
void snap_print(const struct og_snapshot *s, FILE *f);
