/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the CPU and I/O guards share: a pressure share sustained over a
 * duration (PSI, or for the CPU without PSI /proc/stat and /proc/loadavg),
 * a baseline of every process's counter taken when the pressure starts,
 * and, when the share has held for the whole duration, one victim asked of
 * the pipeline: the process that used the most of the resource over the
 * window, weighed by the work its death throws away (victim/usage.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/guard.h"
#include "core/sustain.h"
#include "observe/sysstat.h"
#include "victim/usage.h"

/* The guard's config, taken from og_config (start, reload). */
struct pressure_cfg {
	bool enabled;
	double percent;
	uint64_t duration_ms;
	enum og_kill_unit kill_unit;
	double load_per_cpu, busy_percent;      /* the fallback (stat_fallback) */
	const char *keys;               /* for messages: "cpu.some_percent, cpu.duration" */
};

/* What a guard fills in. */
struct pressure_spec {
	const char *psi_file;           /* "pressure/cpu", "pressure/io" */
	bool full;                      /* the full line (else some) */
	enum usage_kind kind;
	enum og_trigger trigger;
	const char *unit;               /* records: "cpu_ms", "io_bytes" */
	bool stat_fallback;             /* without PSI: /proc/stat busy and /proc/loadavg */
	struct pressure_cfg (*cfg_of)(const struct og_config *c);
	/* Per cgroup: a cgroup with a limit in cg_limit_file ("cpu.max",
	 * "io.max") is a scope of its own, judged on the "full" line of its
	 * cg_psi_file ("cpu.pressure", "io.pressure"): all its tasks stalled. */
	const char *cg_limit_file, *cg_psi_file;
};

#define PRESSURE_DISKS 64
/* PSI cpu "some" counts the tasks a cgroup's cpu.max throttles as waiting,
 * at every level up to the root: a capped cgroup alone can drive the
 * system's share to 100 % on idle CPUs. The scheduler's count of runnable
 * tasks (/proc/loadavg's 4th field) leaves throttled ones out: the system
 * scope fires only when, in at least this share of its looks over the
 * duration, more tasks were runnable than there are CPUs (not counting
 * oomguard itself, running as it looks). A capped cgroup is judged on its
 * own. Its threads still run between throttles, so a capped cgroup next to
 * one busy process showed 58 % of such looks on a busy host (VM 32; a
 * saturated machine shows 100 %): 80 % keeps the margin. */
#define PRESSURE_CPU_CONTENDED_MIN 80.0

/* A limited cgroup being watched. */
struct pressure_scope {
	char *path;                     /* "/a/b" below the cgroup root */
	int fd;                         /* its pressure file */
	struct sustain hist;
	double share, last;
	uint64_t span_ms;
	struct verdict v;
	uint64_t prev_ms, above_ms;     /* the last sample; every step at or above the threshold since (0 = not) */
	bool seen;                      /* found by the last walk */
};

struct pressure_guard {
	const struct pressure_spec *spec;
	struct pressure_cfg cfg;
	struct loop_timer timer;
	struct loop_source trig;        /* a PSI trigger, fd -1 = none */
	int psi_fd, stat_fd, loadavg_fd;        /* -1 = none */
	const char *mode;               /* "psi (trigger)", "psi (poll)", "/proc/stat and /proc/loadavg" */
	struct sustain hist;
	struct sustain contended_hist;  /* cpu with PSI: looks with more runnable tasks than CPUs */
	double contended_share;         /* their share over the duration, -1 unknown */
	uint64_t load_above_ms;         /* fallback: load over the limit since then, 0 = not */
	struct usage_base base;
	/* the last look, for describe and records */
	struct psi psi;
	bool have_psi;
	struct cpu_times cpu;
	struct loadavg load;
	unsigned ncpu;
	double share, last;             /* percent over the duration (-1 unknown), over the last step */
	uint64_t span_ms;
	uint64_t prev_ms, above_ms;     /* the last sample; every step at or above the threshold since (0 = not) */
	struct meminfo mi;
	struct verdict v;
	uint64_t acted;                 /* victims asked for */
	struct pressure_scope *cg;      /* limited cgroups */
	size_t ncg, capcg;
	uint64_t walk_ms;               /* the last walk for them, 0 = none */
	bool said_unreadable;
	size_t unreadable;              /* counters unreadable in the last ranking */
	uint64_t (*clock)(void);        /* NULL = now_ms (tests inject one) */
	/* I/O: device context from /proc/diskstats (the share of the last
	 * step each device was busy, io_ms), for the reason and explain */
	struct diskstat disks[PRESSURE_DISKS];
	size_t ndisks;
	uint64_t disks_ms;
	char busiest[32];
	double busiest_percent;         /* -1 = unknown */
};

/* A guard's start calls pressure_start with its spec; the other entry
 * points of its guard_ops are these. */
int pressure_start(struct guard *g, const struct pressure_spec *spec);
void pressure_reload(struct guard *g);
void pressure_describe(struct guard *g, struct describe *d);
void pressure_stop(struct guard *g);

/* The decision, pure: has the pressure stayed at or above the threshold in
 * every step for the whole duration (and so over it)? Sets v: LEVEL_TERM
 * with the reason, or LEVEL_OK. For tests. */
void pressure_decide(const struct pressure_guard *pg, uint64_t now_ms, struct verdict *v);
/* The same for a limited cgroup. */
void pressure_decide_scope(const struct pressure_guard *pg, const struct pressure_scope *sc,
			   uint64_t now_ms, struct verdict *v);
/* The busiest device between two /proc/diskstats readings taken elapsed_ms
 * apart (io_ms, the time it had I/O in flight; devices not in both are
 * skipped; a partition is never busier than its disk, listed before it):
 * its name in name, the busy share in percent, -1 if none. */
double pressure_busiest(const struct diskstat *before, size_t nb, const struct diskstat *after,
			size_t na, uint64_t elapsed_ms, char *name, size_t size);
/* Is this cgroup limit file's content a limit? ("max 100000" and an empty
 * io.max are not.) */
bool pressure_limited(const char *limit_file, const char *content);
/* One look (sample, baseline, decision, the pipeline); for tests. */
void pressure_tick(struct guard *g, struct pressure_guard *pg);
