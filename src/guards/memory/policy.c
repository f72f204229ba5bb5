/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "guards/memory/policy.h"


const char *level_name(enum og_level l)
{
	return l == LEVEL_KILL ? "kill" : l == LEVEL_TERM ? "terminate" : "ok";
}

const char *trigger_name(enum og_trigger t)
{
	static const char *const n[] = { "none", "memory", "predicted", "psi", "cgroup", "thrash",
					  "cpu", "io", "disk", "gpu", "ruleset" };
	return (unsigned)t < ARRAY_SIZE(n) ? n[t] : "?";
}

uint64_t threshold_bytes(const struct og_threshold *t, uint64_t total)
{
	uint64_t b = 0;
	bool set = false;

	if (t->percent >= 0) {
		b = (uint64_t)((double)total * t->percent / 100.0);
		set = true;
	}
	if (t->size > 0 && (!set || t->size < b)) {
		b = t->size;
		set = true;
	}
	return set ? b : 0;
}

void policy_init(struct policy_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* MemAvailable already leaves out the kernel's own reserve (the zones' high
 * watermarks) and counts only the page cache reclaim can drop; the floor is
 * the error of that estimate and of the fill between two looks. */
uint64_t policy_floor(const struct og_config *cfg, uint64_t total)
{
	if (cfg->floor_bytes)
		return cfg->floor_bytes;
	return MIN(MAX(total / 256, FLOOR_MIN), FLOOR_MAX);
}

/* The terminate threshold (10 % by default) and memory.ceiling cap the
 * adaptive level: however fast memory fills, never act above them. */
uint64_t policy_ceiling(const struct og_config *cfg, uint64_t total)
{
	uint64_t t = threshold_bytes(&cfg->term_mem, total), c = cfg->ceiling_bytes;

	if (!c || (t && t < c))
		c = t;
	return c ? c : UINT64_MAX;
}

uint64_t policy_margin(const struct og_config *cfg, const struct verdict *v)
{
	return cfg->margin_bytes ? cfg->margin_bytes : v->floor ? v->floor : MARGIN_FIXED;
}

void policy_note_act(struct policy_state *st, uint64_t ms)
{
	double x = (double)MIN(ms, 1000);

	st->act_ms = st->act_ms > 0 ? 0.7 * st->act_ms + 0.3 * x : x;
}

void policy_note_psi_event(struct policy_state *st, uint64_t now_ms)
{
	st->psi_event_ms = now_ms ? now_ms : 1;
}

void policy_reset_psi(struct policy_state *st)
{
	st->ring_head = st->ring_n = 0;
}

static void psi_push(const struct og_config *cfg, struct policy_state *st,
		     uint64_t now_ms, uint64_t total_us, uint64_t some_us, const struct meminfo *mi)
{
	uint64_t spacing = MAX(cfg->psi_duration_ms / (PSI_RING - 16), 50);

	if (st->ring_n) {
		size_t last = (st->ring_head + PSI_RING - 1) % PSI_RING;

		if (now_ms - st->ring[last].t_ms < spacing)
			return;
	}
	st->ring[st->ring_head].t_ms = now_ms;
	st->ring[st->ring_head].total_us = total_us;
	st->ring[st->ring_head].some_us = some_us;
	st->ring[st->ring_head].refault = mi->refault_file;
	st->ring[st->ring_head].reclaim = mi->reclaim;
	st->ring[st->ring_head].has_reclaim = mi->has_reclaim;
	st->ring_head = (st->ring_head + 1) % PSI_RING;
	if (st->ring_n < PSI_RING)
		st->ring_n++;
}

/* The newest sample at least `ms` old; -1 when the history is not that
 * long yet. */
static int psi_since(const struct policy_state *st, uint64_t now_ms, uint64_t ms)
{
	for (size_t k = 0; k < st->ring_n; k++) {
		size_t i = (st->ring_head + PSI_RING - 1 - k) % PSI_RING;

		if (now_ms - st->ring[i].t_ms >= ms)
			return (int)i;
	}
	return -1;
}

static void update_rate(struct policy_state *st, uint64_t now_ms, uint64_t avail)
{
	if (st->have_prev && now_ms > st->prev_ms) {
		double dt = (double)(now_ms - st->prev_ms) / 1000.0;
		double inst = ((double)st->prev_avail - (double)avail) / dt;

		st->rate = dt > 5.0 || !st->have_rate ? inst : 0.5 * st->rate + 0.5 * inst;
		st->have_rate = true;
	}
	st->have_prev = true;
	st->prev_ms = now_ms;
	st->prev_avail = avail;
}

/* The adaptive levels: terminate where memory, consumed at the current
 * rate, would reach the floor within one look and one choice (the eBPF
 * guard's wake-up or interval_min, plus the measured verdict-to-signal
 * time), capped by the ceiling; kill at half the floor. A machine that
 * neither fills nor stalls (the storm's survivors holding what they got)
 * has nothing for the floor to cover: only the kill level holds then. */
static void adaptive_levels(const struct og_config *cfg, const struct policy_state *st,
			    uint64_t total, bool steady, struct verdict *v)
{
	double act = st->act_ms > 0 ? st->act_ms : ACT_MS_INIT, ahead;

	v->floor = policy_floor(cfg, total);
	v->ceiling = policy_ceiling(cfg, total);
	v->lookahead_ms = (st->watched || st->charges ? WAKE_MS : (double)cfg->interval_min_ms) + act;
	ahead = st->rate > 0 ? st->rate * v->lookahead_ms / 1000.0 : 0;
	v->term_mem = MIN(v->floor + (uint64_t)ahead, v->ceiling);
	v->kill_mem = v->kill_mem ? MIN(v->kill_mem, v->floor / 2) : v->floor / 2;
	if (steady && st->rate <= 0)
		v->term_mem = v->kill_mem;
}

static bool below(uint64_t avail, uint64_t thr) { return thr && avail <= thr; }
static double pct(uint64_t part, uint64_t total) { return total ? 100.0 * (double)part / (double)total : 0; }

/* The verdict's reason, for the records; none on an idle tick (formatting
 * it every time costs more than the rest). */
static void say_reason(const struct og_config *cfg, const struct policy_state *st,
		       const struct meminfo *mi, bool adaptive, struct verdict *v)
{
	uint64_t avail = mi->mem_available;
	bool kill = v->level == LEVEL_KILL;
	double rate = st->rate > 0 ? st->rate / MiB : 0.0;
	char name[48];

	switch (v->trigger) {
	case TRIG_PREDICTED:
		if (adaptive) {
			snprintf(v->reason, sizeof(v->reason),
				 "predicted: MemAvailable %.0f MiB (%.1f%%) <= adaptive level %.0f MiB: consumed at %.0f MiB/s, it reaches the floor %.0f MiB within the %.0f ms a look and a kill take",
				 (double)avail / MiB, pct(avail, mi->mem_total), (double)v->term_mem / MiB,
				 rate, (double)v->floor / MiB, v->lookahead_ms);
			break;
		}
		/* fall through */
	case TRIG_MEMORY:
		if (adaptive)
			snprintf(name, sizeof(name), "%s", kill ? "kill level (half the floor)" : "floor");
		else
			snprintf(name, sizeof(name), "%s threshold", level_name(v->level));
		snprintf(v->reason, sizeof(v->reason),
			 "%sMemAvailable %.0f MiB (%.1f%%) %s %s %.0f MiB, SwapFree %.0f MiB (%.1f%%), consumed at %.0f MiB/s",
			 v->trigger == TRIG_PREDICTED ? "predicted: " : "",
			 (double)avail / MiB, pct(avail, mi->mem_total),
			 v->trigger == TRIG_PREDICTED ? "falls to" : "<=", name,
			 (double)(kill ? v->kill_mem : adaptive ? v->floor : v->term_mem) / MiB,
			 (double)mi->swap_free / MiB, pct(mi->swap_free, mi->swap_total), rate);
		break;
	case TRIG_PSI:
		if (v->onset)
			snprintf(v->reason, sizeof(v->reason),
				 "memory pressure onset: some stall %.1f%% over %d ms >= %.1f%% while MemAvailable %.0f MiB (%.1f%%) <= ceiling %.0f MiB falls at %.0f MiB/s",
				 v->some_share, ONSET_MS, cfg->psi_onset_some_percent, (double)avail / MiB,
				 pct(avail, mi->mem_total), (double)v->ceiling / MiB, rate);
		else
			snprintf(v->reason, sizeof(v->reason),
				 "memory pressure: full stall %.1f%% over %llu ms >= %.1f%% (MemAvailable %.0f MiB)",
				 v->psi_full_share, (unsigned long long)cfg->psi_duration_ms,
				 cfg->psi_kill_full_percent, (double)avail / MiB);
		break;
	case TRIG_THRASH:
		snprintf(v->reason, sizeof(v->reason),
			 "page-cache thrash: full stall %.1f%% over %llu ms >= %.1f%%, refaults %.0f%% of the %.0f MiB file cache >= %llu%% (MemAvailable %.0f MiB)",
			 v->psi_full_share, (unsigned long long)cfg->psi_duration_ms,
			 cfg->psi_thrash_full_percent, v->refault_percent,
			 (double)mi->file_lru / MiB, (unsigned long long)cfg->psi_thrash_refault_percent,
			 (double)avail / MiB);
		break;
	default:
		break;
	}
}

void policy_eval(const struct og_config *cfg, struct policy_state *st,
		 const struct meminfo *mi, const struct psi *psi, uint64_t now_ms,
		 struct verdict *out)
{
	struct verdict v = { .eta_ms = -1, .psi_full_share = -1, .refault_percent = -1,
			     .global_reclaim = true, .some_share = -1 };
	uint64_t avail = mi->mem_available, look;
	bool swap_term, swap_kill, adaptive = cfg->mem_policy == MEM_POLICY_ADAPTIVE, quiet = false;
	/* PSI some over the last ONSET_MS (the ring holds samples only where
	 * PSI is read; the sample pushed below is too new to be this one). */
	int i = psi ? psi_since(st, now_ms, ONSET_MS) : -1;

	if (i >= 0) {
		v.some_share = psi_share(st->ring[i].some_us, psi->some.total_us,
					 (now_ms - st->ring[i].t_ms) * 1000);
		/* no memory stall: known only with that much history */
		quiet = psi->some.total_us - st->ring[i].some_us < QUIET_STALL_US;
	}
	update_rate(st, now_ms, avail);
	v.rate = st->rate;
	v.term_mem = threshold_bytes(&cfg->term_mem, mi->mem_total);
	v.kill_mem = threshold_bytes(&cfg->kill_mem, mi->mem_total);
	if (adaptive)
		adaptive_levels(cfg, st, mi->mem_total, quiet, &v);
	v.term_swap = threshold_bytes(&cfg->term_swap, mi->swap_total);
	v.kill_swap = threshold_bytes(&cfg->kill_swap, mi->swap_total);
	/* Without swap, the swap half of a threshold always holds. */
	swap_term = !mi->swap_total || mi->swap_free <= v.term_swap;
	swap_kill = !mi->swap_total || mi->swap_free <= v.kill_swap;

	if (st->rate > 0 && avail > v.term_mem)
		v.eta_ms = (double)(avail - v.term_mem) / st->rate * 1000.0;

	if (cfg->memory_enabled && below(avail, v.kill_mem) && swap_kill) {
		v.level = LEVEL_KILL;
		v.trigger = TRIG_MEMORY;
	} else if (cfg->memory_enabled && below(avail, v.term_mem) && swap_term) {
		v.level = LEVEL_TERM;
		/* adaptive: above the floor, it is the fill that will reach it */
		v.trigger = adaptive && avail > v.floor ? TRIG_PREDICTED : TRIG_MEMORY;
	} else if (!adaptive && cfg->memory_enabled && swap_term && v.eta_ms >= 0 &&
		   v.eta_ms < (double)cfg->interval_min_ms) {
		/* Would cross before the next look: act now. */
		v.level = LEVEL_TERM;
		v.trigger = TRIG_PREDICTED;
	}

	if (psi && cfg->psi_enabled && psi->has_full) {
		psi_push(cfg, st, now_ms, psi->full.total_us, psi->some.total_us, mi);
		i = psi_since(st, now_ms, cfg->psi_duration_ms);
		if (i >= 0) {
			v.psi_full_share = psi_share(st->ring[i].total_us, psi->full.total_us,
						     (now_ms - st->ring[i].t_ms) * 1000);
			if (mi->has_vmstat && mi->file_lru && mi->refault_file >= st->ring[i].refault)
				v.refault_percent = pct(mi->refault_file - st->ring[i].refault, mi->file_lru);
			/* A cgroup throttled by its own memory.high or .max stalls
			 * and refaults as a thrashing machine would, while the
			 * machine has memory to spare: its stall is not ours to
			 * end (the cgroups guard and the rulesets speak for
			 * cgroups). The machine is short when the kernel reclaims
			 * for it: kswapd, or the page allocator's direct reclaim. */
			if (mi->has_reclaim && st->ring[i].has_reclaim && mi->reclaim <= st->ring[i].reclaim)
				v.global_reclaim = false;
		}
		if (!v.global_reclaim) {
			/* the pressure triggers hold back */
		} else if (v.level == LEVEL_OK && cfg->psi_kill_full_percent > 0 &&
		    v.psi_full_share >= cfg->psi_kill_full_percent) {
			v.level = LEVEL_TERM;
			v.trigger = TRIG_PSI;
		} else if (v.level == LEVEL_OK && cfg->psi_thrash_full_percent > 0 &&
			   v.psi_full_share >= cfg->psi_thrash_full_percent &&
			   v.refault_percent >= (double)cfg->psi_thrash_refault_percent) {
			/* The page cache is evicted and read back faster than it
			 * holds: MemAvailable counts it as free, but it is the
			 * working set, and tasks wait on it. */
			v.level = LEVEL_TERM;
			v.trigger = TRIG_THRASH;
		} else if (v.level == LEVEL_OK && adaptive && cfg->memory_enabled &&
			   cfg->psi_onset_some_percent > 0 &&
			   v.some_share >= cfg->psi_onset_some_percent && st->rate > 0 &&
			   avail <= v.ceiling && swap_term) {
			/* Still filling, and reclaim is no longer cheap: tasks
			 * wait on memory while MemAvailable still shows some
			 * (page cache that is the working set). */
			v.level = LEVEL_TERM;
			v.trigger = TRIG_PSI;
			v.onset = true;
		}
	}

	say_reason(cfg, st, mi, adaptive, &v);
	/* Adaptive: back to the level, and a floor beyond it (the margin, if
	 * smaller): what is needed, no more. */
	if (v.level != LEVEL_OK)
		v.need_bytes = (v.term_mem > avail ? v.term_mem - avail : 0) +
			policy_margin(cfg, &v);

	/* The adaptive interval: while the eBPF guard watches the charges (it
	 * wakes us half the way to the threshold), up to interval_watched. */
	look = st->watched ? MAX(cfg->interval_watched_ms, cfg->interval_max_ms) :
		cfg->interval_max_ms;
	if (v.level != LEVEL_OK)
		look = cfg->interval_min_ms;
	/* Right after a PSI event: look again soon, but a burst of stalls with
	 * memory to spare does not need the 20 ms pace of an episode. */
	if (st->psi_event_ms && now_ms - st->psi_event_ms < PSI_EVENT_FAST_MS)
		look = MIN(look, PSI_EVENT_INTERVAL_MS);
	if (v.eta_ms >= 0)
		look = MIN(look, (uint64_t)(v.eta_ms / 2));
	/* Never sleep longer than the worst-case fill would take to reach
	 * the terminate threshold, unless the eBPF guard wakes us first. */
	if (cfg->max_fill_rate && avail > v.term_mem && !st->watched)
		look = MIN(look, (avail - v.term_mem) * 1000 / cfg->max_fill_rate);
	if (avail < 2 * v.term_mem || (psi && psi->some.avg10 >= 5.0))
		look = MIN(look, 100);
	v.next_ms = MAX(look, cfg->interval_min_ms);
	*out = v;
}

void policy_cgroup(const struct og_config *cfg, const struct cg_mem *m,
		   struct verdict *out)
{
	struct verdict v = { .eta_ms = -1, .psi_full_share = -1 };
	uint64_t reclaimable = m->file > m->shmem ? m->file - m->shmem : 0;
	uint64_t used = m->current > reclaimable ? m->current - reclaimable : 0;
	uint64_t head = m->max > used ? m->max - used : 0;

	v.next_ms = cfg->interval_max_ms;
	if (!cfg->cgroups_enabled || m->max == CG_MAX || m->max == 0) {
		*out = v;
		return;
	}
	v.term_mem = (uint64_t)((double)m->max * cfg->cg_term_headroom_percent / 100.0);
	v.kill_mem = (uint64_t)((double)m->max * cfg->cg_kill_headroom_percent / 100.0);
	if (head <= v.kill_mem)
		v.level = LEVEL_KILL;
	else if (head <= v.term_mem)
		v.level = LEVEL_TERM;
	else if (m->has_pressure && cfg->psi_kill_full_percent > 0 &&
		 m->pressure.full.avg10 >= cfg->psi_kill_full_percent)
		v.level = LEVEL_TERM;
	if (v.level != LEVEL_OK) {
		v.trigger = TRIG_CGROUP;
		v.need_bytes = v.term_mem - MIN(head, v.term_mem) + policy_margin(cfg, &v) / 4;
		snprintf(v.reason, sizeof(v.reason),
			 "cgroup headroom %.1f MiB of memory.max %.0f MiB (%.1f%%) <= %s threshold %.1f%%, full pressure avg10 %.1f%%",
			 (double)head / MiB, (double)m->max / MiB, pct(head, m->max), level_name(v.level),
			 v.level == LEVEL_KILL ? cfg->cg_kill_headroom_percent : cfg->cg_term_headroom_percent,
			 m->has_pressure ? m->pressure.full.avg10 : 0.0);
	}
	if (v.level != LEVEL_OK || head < 3 * v.term_mem)
		v.next_ms = cfg->interval_min_ms;
	else if (cfg->max_fill_rate)
		/* As for the machine: never sleep longer than a worst-case fill
		 * takes to eat the headroom down to the terminate threshold (a
		 * 256 MB cgroup fills in seconds), but at most ten looks a second. */
		v.next_ms = MIN(v.next_ms, MAX((head - v.term_mem) * 1000 / cfg->max_fill_rate,
					       CG_LOOK_MIN_MS));
	*out = v;
}
