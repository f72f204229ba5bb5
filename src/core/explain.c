/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `oomguard explain`: the memory state now, which rule would fire, the
 * ranked candidates with their scores and reasons, and who would die. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guards/shield/shieldd.h"
#include "core/daemon.h"
#include "core/util.h"
#include "observe/cgroup.h"

#define SHOW_CANDIDATES 15
#define SHOW_EXCLUDED 10

static void print_threshold(const char *name, uint64_t mem, uint64_t swap, const struct meminfo *mi)
{
	printf("  %-9s at MemAvailable <= %.0f MiB (%.1f%%)", name, (double)mem / MiB,
	       mi->mem_total ? 100.0 * (double)mem / (double)mi->mem_total : 0.0);
	if (mi->swap_total)
		printf(" and SwapFree <= %.0f MiB\n", (double)swap / MiB);
	else
		printf(" (no swap)\n");
}

static void print_candidates(const struct og_ctx *c, size_t eligible, size_t n)
{
	size_t shown = 0;

	printf("\nCandidates (%zu eligible of the %zu largest of %zu processes with memory), most likely victim first:\n",
	       eligible, n, c->procs.seen);
	printf("  %4s %7s %-16s %7s %6s %5s %9s %9s %6s  %s\n", "#", "PID", "COMM", "BADNESS",
	       "SCORE", "ADJ", "RSS MiB", "FREES MiB", "VALUE", "WHY");
	for (size_t i = 0; i < eligible && i < SHOW_CANDIDATES; i++) {
		const struct candidate *k = &c->cands[i];
		char comm[64], why[64] = "";

		escape_untrusted(k->p->comm, comm, sizeof(comm));
		if (k->rule_line)
			snprintf(why, sizeof(why), "rule at line %d (%+d)", k->rule_line, k->adjust);
		if (k->value_from != VALUE_DEFAULT)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%svalue from %s",
				 *why ? ", " : "", value_source_name(k->value_from));
		printf("  %4zu %7d %-16s %7lld %6d %5d %9.1f %9.1f %6lld  %s\n", i + 1, k->p->pid, comm,
		       (long long)k->badness, k->p->oom_score, k->p->oom_score_adj, (double)k->p->rss / MiB,
		       (double)k->freed / MiB, (long long)k->value,
		       *why ? why : (c->cfg.badness == BADNESS_OOM_SCORE ? "oom_score" : "anon+swap"));
	}
	if (eligible > SHOW_CANDIDATES)
		printf("  ... %zu more\n", eligible - SHOW_CANDIDATES);
	printf("\nExcluded (never killed):\n");
	for (size_t i = eligible; i < n; i++) {
		const struct candidate *k = &c->cands[i];
		char comm[64];

		if (k->excluded == EXCL_NO_MEMORY)
			continue;
		if (shown++ == SHOW_EXCLUDED) {
			printf("  ...\n");
			break;
		}
		escape_untrusted(k->p->comm, comm, sizeof(comm));
		printf("  %7d %-16s %s\n", k->p->pid, comm, excl_reason(k->excluded));
	}
	if (!shown)
		printf("  (none besides kernel threads and processes without memory)\n");
}

static void print_plan(const struct og_ctx *c, const struct plan *p, const struct verdict *v)
{
	printf("\nPlan: ");
	if (p->priority)
		printf("by value (knapsack%s): %zu process%s, frees %.1f MiB, loses value %lld%s\n",
		       p->exact ? ", optimal" : ", shortlist", p->n, p->n == 1 ? "" : "es",
		       (double)p->freed / MiB, (long long)p->value, p->covered ? "" : " (not enough!)");
	else
		printf("by badness (no values configured): the worst process, then re-check\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct candidate *k = &c->cands[p->idx[i]];
		char comm[64];

		escape_untrusted(k->p->comm, comm, sizeof(comm));
		printf("  %s pid %d (%s), frees ~%.1f MiB, value %lld\n",
		       v->level == LEVEL_KILL || c->cfg.grace_ms == 0 ? "SIGKILL" : "SIGTERM",
		       k->p->pid, comm, (double)k->freed / MiB, (long long)k->value);
	}
}

int explain_run(const struct og_opts *o)
{
	struct og_ctx c;
	char err[OG_ERR_SIZE] = "";
	struct policy_state st;
	struct meminfo mi;
	struct psi psi = {0};
	struct verdict v, hypo;
	struct cg_pick cg;
	struct plan plan;
	bool have_psi;
	size_t n = 0;
	int eligible;

	if (ctx_open(&c, o, err) < 0) {
		fprintf(stderr, "oomguard: %s\n", err);
		return 1;
	}
	if (ctx_read_memory(&c, &mi, &psi, &have_psi) < 0) {
		fprintf(stderr, "oomguard: cannot read meminfo\n");
		ctx_close(&c);
		return 1;
	}
	policy_init(&st);
	policy_eval(&c.cfg, &st, &mi, have_psi ? &psi : NULL, now_ms(), &v);

	printf("Config: %s%s\n", o->config_path ? o->config_path : "built-in default",
	       c.cfg.dry_run ? " (dry-run)" : "");
	printf("Memory: MemAvailable %.0f MiB of %.0f MiB (%.1f%%), SwapFree %.0f MiB of %.0f MiB\n",
	       (double)mi.mem_available / MiB, (double)mi.mem_total / MiB,
	       mi.mem_total ? 100.0 * (double)mi.mem_available / (double)mi.mem_total : 0.0,
	       (double)mi.swap_free / MiB, (double)mi.swap_total / MiB);
	if (have_psi)
		printf("PSI memory: some avg10=%.2f avg60=%.2f, full avg10=%.2f avg60=%.2f; kill when full >= %.0f%% for %llu ms\n",
		       psi.some.avg10, psi.some.avg60, psi.full.avg10, psi.full.avg60,
		       c.cfg.psi_kill_full_percent, (unsigned long long)c.cfg.psi_duration_ms);
	if (have_psi && mi.has_vmstat && c.cfg.psi_thrash_full_percent > 0)
		printf("Page cache: %.0f MiB on the file LRU, %.0f MiB refaulted since boot; thrash when full >= %.0f%% for %llu ms while refaults reach %llu%% of it\n",
		       (double)mi.file_lru / MiB, (double)mi.refault_file / MiB, c.cfg.psi_thrash_full_percent,
		       (unsigned long long)c.cfg.psi_duration_ms,
		       (unsigned long long)c.cfg.psi_thrash_refault_percent);
	if (!have_psi)
		printf("PSI memory: not available\n");
	printf("Thresholds (memory guard %s):\n", c.cfg.memory_enabled ? "on" : "off");
	print_threshold("terminate", v.term_mem, v.term_swap, &mi);
	print_threshold("kill", v.kill_mem, v.kill_swap, &mi);
	if (v.level == LEVEL_OK)
		printf("Now: ok: MemAvailable %.0f MiB (%.1f%%), no threshold crossed\n",
		       (double)mi.mem_available / MiB,
		       mi.mem_total ? 100.0 * (double)mi.mem_available / (double)mi.mem_total : 0.0);
	else
		printf("Now: %s: %s\n", level_name(v.level), v.reason);

	ctx_scan_cgroups(&c, &cg);
	printf("Cgroups: root %s, %u with a memory.max", c.cg_root_fd >= 0 ? c.cg_root : "(none)", cg.limited);
	if (cg.found)
		printf("; worst %s: %s: %s\n", cg.path, level_name(cg.v.level), cg.v.reason);
	else
		printf("; none near its limit\n");

	eligible = ctx_rank(&c, cg.found && v.level == LEVEL_OK ? cg.path : NULL,
			    mi.mem_total, mi.swap_total, &n);
	if (eligible < 0) {
		fprintf(stderr, "oomguard: cannot scan processes: %s\n", strerror(-eligible));
		ctx_close(&c);
		return 1;
	}
	shield_print(stdout, &c);
	print_candidates(&c, (size_t)eligible, n);

	/* Who would die now, or, if nothing fires, if memory ran short now. */
	hypo = v.level != LEVEL_OK ? v : cg.found ? cg.v : v;
	if (hypo.level == LEVEL_OK) {
		hypo.level = LEVEL_TERM;
		hypo.need_bytes = c.cfg.margin_bytes + (hypo.term_mem > mi.mem_available ?
							hypo.term_mem - mi.mem_available : 0);
	}
	if (plan_choose(c.cands, (size_t)eligible, hypo.need_bytes,
			ctx_priority_mode(&c, (size_t)eligible), c.ks, c.items, &plan) < 0) {
		printf("\nPlan: nobody can be killed (every process is excluded)\n");
	} else {
		print_plan(&c, &plan, &hypo);
		if (v.level == LEVEL_OK && !cg.found)
			printf("Nothing fires now: this is who would go if memory ran short now.\n");
		else
			printf("This fires now%s.\n", c.cfg.dry_run ? " (dry-run: nothing would be signalled)" : "");
	}
	ctx_close(&c);
	return 0;
}
