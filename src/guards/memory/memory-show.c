/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory guard for explain and status. */
#include <stdio.h>

#include "core/util.h"
#include "guards/memory/memory.h"

static double pct(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

static void threshold(struct describe *d, const char *name, uint64_t mem, uint64_t swap,
		      const struct meminfo *mi)
{
	if (mi->swap_total)
		desc_line(d, "  %-9s at MemAvailable <= %.0f MiB (%.1f%%) and SwapFree <= %.0f MiB",
			  name, (double)mem / MiB, pct(mem, mi->mem_total), (double)swap / MiB);
	else
		desc_line(d, "  %-9s at MemAvailable <= %.0f MiB (%.1f%%) (no swap)", name,
			  (double)mem / MiB, pct(mem, mi->mem_total));
}

void memory_describe(struct guard *g, struct describe *d)
{
	const struct og_config *cfg = &g->env->c->cfg;
	const struct meminfo *mi;
	const struct verdict *v = memory_verdict(g, &mi);
	const struct psi *psi = memory_psi(g);

	desc_line(d, "Memory: MemAvailable %.0f MiB of %.0f MiB (%.1f%%), SwapFree %.0f MiB of %.0f MiB",
		  (double)mi->mem_available / MiB, (double)mi->mem_total / MiB,
		  pct(mi->mem_available, mi->mem_total), (double)mi->swap_free / MiB,
		  (double)mi->swap_total / MiB);
	desc_int(d, "mem_total", (int64_t)mi->mem_total);
	desc_int(d, "mem_available", (int64_t)mi->mem_available);
	desc_int(d, "swap_total", (int64_t)mi->swap_total);
	desc_int(d, "swap_free", (int64_t)mi->swap_free);
	if (psi) {
		desc_line(d, "PSI memory (%s): some avg10=%.2f avg60=%.2f, full avg10=%.2f avg60=%.2f; kill when full >= %.0f%% for %llu ms",
			  memory_psi_mode(g), psi->some.avg10, psi->some.avg60, psi->full.avg10,
			  psi->full.avg60, cfg->psi_kill_full_percent,
			  (unsigned long long)cfg->psi_duration_ms);
		desc_num(d, "psi_some_avg10", psi->some.avg10);
		desc_num(d, "psi_full_avg10", psi->full.avg10);
	} else {
		desc_line(d, "PSI memory: %s", memory_psi_mode(g));
	}
	desc_str(d, "psi_mode", memory_psi_mode(g));
	desc_num(d, "psi_kill_full_percent", cfg->psi_kill_full_percent);
	desc_int(d, "psi_duration_ms", (int64_t)cfg->psi_duration_ms);
	if (psi && mi->has_vmstat && cfg->psi_thrash_full_percent > 0)
		desc_line(d, "Page cache: %.0f MiB on the file LRU, %.0f MiB refaulted since boot; thrash when full >= %.0f%% for %llu ms while refaults reach %llu%% of it",
			  (double)mi->file_lru / MiB, (double)mi->refault_file / MiB,
			  cfg->psi_thrash_full_percent, (unsigned long long)cfg->psi_duration_ms,
			  (unsigned long long)cfg->psi_thrash_refault_percent);
	if (cfg->mem_policy == MEM_POLICY_ADAPTIVE) {
		desc_line(d, "Policy: adaptive (memory %s): floor %.0f MiB, ceiling %.0f MiB; terminate at the floor plus what %.0f MiB/s fills in %.0f ms (a look and a choice), kill at half the floor; onset when some >= %.0f%% over %d ms while filling",
			  cfg->memory_enabled ? "on" : "off", (double)v->floor / MiB,
			  (double)v->ceiling / MiB, v->rate > 0 ? v->rate / MiB : 0.0, v->lookahead_ms,
			  cfg->psi_onset_some_percent, ONSET_MS);
		desc_int(d, "floor", (int64_t)v->floor);
		desc_int(d, "ceiling", (int64_t)v->ceiling);
		desc_num(d, "lookahead_ms", v->lookahead_ms);
	} else {
		desc_line(d, "Policy: fixed thresholds (memory %s):", cfg->memory_enabled ? "on" : "off");
	}
	desc_str(d, "policy", cfg->mem_policy == MEM_POLICY_ADAPTIVE ? "adaptive" : "fixed");
	threshold(d, "terminate", v->term_mem, v->term_swap, mi);
	threshold(d, "kill", v->kill_mem, v->kill_swap, mi);
	desc_int(d, "terminate_mem_available", (int64_t)v->term_mem);
	desc_int(d, "kill_mem_available", (int64_t)v->kill_mem);
	desc_int(d, "terminate_swap_free", (int64_t)v->term_swap);
	desc_int(d, "kill_swap_free", (int64_t)v->kill_swap);
	if (v->level == LEVEL_OK)
		desc_line(d, "Now: ok: MemAvailable %.0f MiB (%.1f%%), no threshold crossed",
			  (double)mi->mem_available / MiB, pct(mi->mem_available, mi->mem_total));
	else
		desc_line(d, "Now: %s: %s", level_name(v->level), v->reason);
	desc_str(d, "level", level_name(v->level));
	desc_str(d, "trigger", v->level == LEVEL_OK ? NULL : trigger_name(v->trigger));
	desc_str(d, "reason", v->level == LEVEL_OK ? NULL : v->reason);
}
