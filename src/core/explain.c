/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `oomguard explain`: each guard's state now (in the table's order), which
 * rule would fire, the ranked candidates with their scores and reasons, and
 * who would die; `--json` gives the same as one object keyed by guard name.
 * `oomguard status`: the guards' sections alone. */
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/guard.h"
#include "core/util.h"
#include "guards/cgroups/cgroups.h"
#include "guards/memory/memory.h"
#include "guards/shield/shieldd.h"
#include "observe/cgroup.h"

#define SHOW_CANDIDATES 15
#define SHOW_EXCLUDED 10

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

/* The candidates and the plan, as JSON. */
static void json_victims(struct json_object *o, const struct og_ctx *c, size_t eligible,
			 size_t n, const struct plan *p, bool have_plan)
{
	struct json_object *arr = json_object_new_array(), *ex = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		const struct candidate *k = &c->cands[i];
		struct json_object *e = json_object_new_object();
		struct describe d = { .json = e };

		if (i >= eligible && k->excluded == EXCL_NO_MEMORY) {
			json_object_put(e);
			continue;
		}
		desc_int(&d, "pid", k->p->pid);
		desc_str(&d, "comm", k->p->comm);
		if (i < eligible) {
			desc_int(&d, "badness", k->badness);
			desc_int(&d, "oom_score", k->p->oom_score);
			desc_int(&d, "oom_score_adj", k->p->oom_score_adj);
			desc_int(&d, "rss", (int64_t)k->p->rss);
			desc_int(&d, "frees", (int64_t)k->freed);
			desc_int(&d, "value", k->value);
			desc_str(&d, "value_from", value_source_name(k->value_from));
			if (k->rule_line)
				desc_int(&d, "rule_line", k->rule_line);
			json_object_array_add(arr, e);
		} else {
			desc_str(&d, "why", excl_reason(k->excluded));
			json_object_array_add(ex, e);
		}
	}
	json_object_object_add(o, "candidates", arr);
	json_object_object_add(o, "excluded", ex);
	if (have_plan) {
		struct json_object *pl = json_object_new_object(), *pids = json_object_new_array();
		struct describe d = { .json = pl };

		desc_bool(&d, "by_value", p->priority);
		desc_int(&d, "frees", (int64_t)p->freed);
		desc_int(&d, "value_lost", p->value);
		for (size_t i = 0; i < p->n; i++)
			json_object_array_add(pids, json_object_new_int(c->cands[p->idx[i]].p->pid));
		json_object_object_add(pl, "pids", pids);
		json_object_object_add(o, "plan", pl);
	} else {
		json_object_object_add(o, "plan", NULL);
	}
}

/* The value registry: in use, absent, or ignored and why. */
static void describe_registry(struct og_ctx *c, struct describe *d)
{
	struct describe sub = { .json = desc_obj(d, "registry") };
	char path[PATH_MAX + 16], why[256];

	ctx_refresh_registry(c);
	snprintf(path, sizeof(path), "%s/%s", ctx_runtime_dir(c), REGISTRY_FILE);
	desc_str(&sub, "path", path);
	if (c->runtime_fd < 0 || !c->reg) {
		desc_line(d, "\nValue registry %s: none (no value set)", path);
		desc_int(&sub, "entries", 0);
		desc_str(&sub, "ignored", NULL);
	} else if (c->reg->err) {
		registry_strerror(c->reg, why, sizeof(why));
		desc_line(d, "\nValue registry %s: IGNORED, no values are taken from it: %s", path, why);
		desc_int(&sub, "entries", 0);
		desc_str(&sub, "ignored", why);
	} else {
		desc_line(d, "\nValue registry %s: %zu entries", path, c->reg->n);
		desc_int(&sub, "entries", (int64_t)c->reg->n);
		desc_str(&sub, "ignored", NULL);
	}
}

static int run(const struct og_opts *o, bool victims)
{
	static struct guard guards[32];
	struct og_ctx c;
	struct guard_env env = { .c = &c };
	char err[OG_ERR_SIZE] = "";
	struct reporter rep = { .kmsg_fd = -1 };
	struct json_object *root = o->json ? json_object_new_object() : NULL;
	struct describe d = { .text = o->json ? NULL : stdout, .json = root };
	const struct verdict *mv;
	const struct cg_pick *cg;
	const struct meminfo *mi;
	struct verdict hypo;
	struct plan plan;
	size_t n = 0;
	int eligible, ret = 0;
	bool have_plan;

	if (ctx_open(&c, o, err) < 0) {
		fprintf(stderr, "oomguard: %s\n", err);
		json_object_put(root);
		return 1;
	}
	env.rep = &rep;
	if (vp_new(&c, NULL, &rep, &vp_kernel_real, &env.vp) < 0) {
		ctx_close(&c);
		json_object_put(root);
		return 1;
	}
	ctx_probe_kernel(&c, NULL, 0);
	guards_start(guards, &env);
	desc_line(&d, "Config: %s%s", o->config_path ? o->config_path : "built-in default",
		  c.cfg.dry_run ? " (dry-run)" : "");
	desc_str(&d, "config", o->config_path);
	desc_bool(&d, "dry_run", c.cfg.dry_run);
	kfeat_describe(&c.kf, &d);
	guards_describe(guards, &d);
	describe_registry(&c, &d);
	if (!victims)
		goto out;
	ctx_open_scan(&c);
	ctx_describe_scan(&c, &d);

	mv = memory_verdict(guard_find(guards, "memory"), &mi);
	cg = cgroups_last(guard_find(guards, "cgroups"));
	eligible = ctx_rank(&c, cg->found && mv->level == LEVEL_OK ? cg->path : NULL,
			    mi->mem_total, mi->swap_total, &n);
	if (eligible < 0) {
		fprintf(stderr, "oomguard: cannot scan processes: %s\n", strerror(-eligible));
		ret = 1;
		goto out;
	}
	if (d.text)
		print_candidates(&c, (size_t)eligible, n);
	/* Who would die now, or, if nothing fires, if memory ran short now. */
	hypo = mv->level != LEVEL_OK ? *mv : cg->found ? cg->v : *mv;
	if (hypo.level == LEVEL_OK) {
		hypo.level = LEVEL_TERM;
		hypo.need_bytes = policy_margin(&c.cfg, &hypo) + (hypo.term_mem > mi->mem_available ?
							hypo.term_mem - mi->mem_available : 0);
	}
	have_plan = plan_choose(c.cands, (size_t)eligible, hypo.need_bytes,
				ctx_priority_mode(&c, (size_t)eligible), c.ks, c.items, &plan) == 0;
	if (root) {
		json_victims(desc_obj(&d, "victims"), &c, (size_t)eligible, n, &plan, have_plan);
	} else if (!have_plan) {
		printf("\nPlan: nobody can be killed (every process is excluded)\n");
	} else {
		print_plan(&c, &plan, &hypo);
		if (mv->level == LEVEL_OK && !cg->found)
			printf("Nothing fires now: this is who would go if memory ran short now.\n");
		else
			printf("This fires now%s.\n", c.cfg.dry_run ? " (dry-run: nothing would be signalled)" : "");
	}
out:
	if (root)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	guards_stop(guards);
	vp_free(env.vp);
	ctx_close(&c);
	return ret;
}

int explain_run(const struct og_opts *o)
{
	return run(o, true);
}

int status_run(const struct og_opts *o)
{
	return run(o, false);
}
