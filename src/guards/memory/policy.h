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

struct policy_state {
	bool have_prev, have_rate;
	uint64_t prev_ms, prev_avail;
	double rate;                    /* bytes/s being consumed (EMA); > 0 = filling */
	uint64_t psi_event_ms;          /* last PSI trigger event, 0 = none */
	/* The eBPF guard watches the charges: it wakes the guard once half
	 * the way to the terminate threshold is allocated (or reclaim starts),
	 * so no worst-case fill rate caps the sleep. */
	bool watched;
	struct {
		uint64_t t_ms, total_us, refault, reclaim;
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
};

/* Bytes for a threshold: the lower of percent-of-total and size, where set;
 * 0 when neither is set. */
uint64_t threshold_bytes(const struct og_threshold *t, uint64_t total);

void policy_init(struct policy_state *st);
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
