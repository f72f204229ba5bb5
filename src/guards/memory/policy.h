/* SPDX-License-Identifier: GPL-2.0-or-later */
/* When to act: thresholds, the fill-rate estimate and time to exhaustion,
 * sustained PSI, the adaptive interval, per-cgroup headroom. Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/config.h"
#include "observe/cgroup.h"
#include "observe/meminfo.h"
#include "observe/psi.h"

enum og_level { LEVEL_OK, LEVEL_TERM, LEVEL_KILL };
enum og_trigger { TRIG_NONE, TRIG_MEMORY, TRIG_PREDICTED, TRIG_PSI, TRIG_CGROUP, TRIG_THRASH,
		  TRIG_CPU, TRIG_IO, TRIG_DISK, TRIG_GPU, TRIG_RULESET };

#define PSI_RING 256
#define PSI_EVENT_FAST_MS 1000  /* poll faster this long after a PSI event */
#define PSI_EVENT_INTERVAL_MS 100
#define CG_LOOK_MIN_MS 100      /* a limited cgroup far from its limit: at most 10 looks a second */
#define FLOOR_MIN (8ull << 20)  /* the adaptive floor's bounds (memory.floor unset) */
#define FLOOR_MAX (256ull << 20)
#define WAKE_MS 5               /* how late the eBPF guard's wake-up may come */
#define ACT_MS_INIT 20          /* a choice's cost until one is measured */
#define ONSET_MS 1000           /* the window of the PSI some onset */
#define PREPARE_AHEAD_MS 250    /* rank ahead when the level is this near */
#define MARGIN_FIXED (64ull << 20)
#define QUIET_STALL_US 5000     /* some stall per ONSET_MS that still counts as none */

struct policy_state {
	bool have_prev, have_rate;
	uint64_t prev_ms, prev_avail;
	double rate;                    /* bytes/s being consumed (EMA); > 0 = filling */
	uint64_t psi_event_ms;          /* last PSI trigger event, 0 = none */
	/* The eBPF guard watches the charges: it wakes the guard once half
	 * the way to the terminate threshold is allocated (or reclaim starts),
	 * so no worst-case fill rate caps the sleep. */
	bool watched;
	bool charges;                   /* the eBPF guard is on: it wakes us within WAKE_MS of a charge */
	double act_ms;                  /* verdict to signal, measured (EMA); 0 = not yet */
	struct {
		uint64_t t_ms, total_us, some_us, refault, reclaim;
		bool has_reclaim;
	} ring[PSI_RING];
	size_t ring_head, ring_n;
};

struct verdict {
	enum og_level level;
	enum og_trigger trigger;
	char reason[256];               /* empty when level is LEVEL_OK */
	uint64_t need_bytes;            /* to get back above the terminate threshold, + margin */
	uint64_t next_ms;               /* when to look again */
	double rate;                    /* bytes/s */
	double eta_ms;                  /* to the terminate threshold at this rate, -1 if not filling */
	double psi_full_share;          /* percent over psi duration, -1 if unknown */
	double refault_percent;         /* file pages refaulted over that time, % of the file LRU; -1 if unknown */
	/* The machine reclaimed for itself over that time (kswapd scanned, or
	 * an allocation entered direct reclaim); true when the kernel does not
	 * say. A stall without it is a cgroup's, under its own limit. */
	bool global_reclaim;
	uint64_t term_mem, kill_mem, term_swap, kill_swap;      /* thresholds in bytes */
	/* adaptive: term_mem = floor + rate x lookahead, capped by ceiling */
	uint64_t floor, ceiling;
	double lookahead_ms;
	double some_share;              /* PSI some over the last ONSET_MS, percent; -1 unknown */
	bool onset;                     /* the TRIG_PSI is the adaptive onset, not the sustained stall */
};

/* Bytes for a threshold: the lower of percent-of-total and size, where set;
 * 0 when neither is set. */
uint64_t threshold_bytes(const struct og_threshold *t, uint64_t total);

void policy_init(struct policy_state *st);
/* The adaptive floor and ceiling for a machine of `total` bytes. */
uint64_t policy_floor(const struct og_config *cfg, uint64_t total);
uint64_t policy_ceiling(const struct og_config *cfg, uint64_t total);
/* What to free beyond the level: memory.margin where set, else the
 * adaptive floor (what is needed, no more), else MARGIN_FIXED. */
uint64_t policy_margin(const struct og_config *cfg, const struct verdict *v);
/* A choice took this long, from the verdict to the signal. */
void policy_note_act(struct policy_state *st, uint64_t ms);
void policy_note_psi_event(struct policy_state *st, uint64_t now_ms);
/* Forget pressure history (after a kill, so a new episode must build up). */
void policy_reset_psi(struct policy_state *st);

/* The system-wide verdict now. psi may be NULL (no PSI on this kernel). */
void policy_eval(const struct og_config *cfg, struct policy_state *st,
		 const struct meminfo *mi, const struct psi *psi, uint64_t now_ms,
		 struct verdict *out);

/* A cgroup's verdict from its memory files; LEVEL_OK when it has no
 * memory.max. Its headroom counts reclaimable page cache as free. */
void policy_cgroup(const struct og_config *cfg, const struct cg_mem *m,
		   struct verdict *out);

const char *level_name(enum og_level l);
const char *trigger_name(enum og_trigger t);
