/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "victim/rank.h"
#include "observe/cgroup.h"
#include "victim/usage.h"
#include "victim/rules.h"
#include "observe/registry.h"

const char *excl_reason(enum excl e)
{
	static const char *const names[] = {
		[EXCL_NONE] = "eligible",
		[EXCL_PID1] = "PID 1",
		[EXCL_KTHREAD] = "kernel thread",
		[EXCL_SELF] = "oomguard itself",
		[EXCL_ADJ_MIN] = "oom_score_adj -1000",
		[EXCL_PROTECTED] = "protected by a rule",
		[EXCL_UNDECIDABLE] = "protect rule undecidable (unreadable field)",
		[EXCL_MANAGED] = "managed (critical) process",
		[EXCL_NO_MEMORY] = "holds no memory",
		[EXCL_OUTSIDE] = "outside the cgroup",
		[EXCL_IDLE] = "used none of the resource over the window",
		[EXCL_OMIT] = "omitted by its cgroup (user.oomd_omit, ManagedOOMPreference=omit)",
	};
	return (unsigned)e < ARRAY_SIZE(names) ? names[e] : "?";
}

const char *value_source_name(enum value_source v)
{
	static const char *const names[] = { "default", "rule", "cgroup xattr",
					      "registry (cgroup)", "registry (pid)" };
	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

bool candidates_have_values(const struct candidate *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].value_from >= VALUE_XATTR)
			return true;
	return false;
}

/* Values from the registry (pid, then cgroup) and cgroup xattrs override
 * the rules'. xattr lookups are cached per cgroup within one ranking. */
struct xattr_cache {
	char path[64][128];
	int64_t value[64];
	bool has[64];
	size_t n;
	/* oomd's preference xattrs, by cgroup */
	char ppath[64][128];
	int pref[64];
	bool omit[64];
	size_t np;
};

/* oomd's and systemd-oomd's preference of p's cgroup (or its nearest
 * ancestor that has one), cached per cgroup for one ranking: -1, 0, 1;
 * *omit for systemd-oomd's omit. */
static int oomd_preference(const struct rank_input *in, struct proc_list *l, struct proc_info *p,
			   struct xattr_cache *xc, bool *omit)
{
	int pref;

	*omit = false;
	if (!in->use_xattr || in->cg_root_fd < 0)
		return 0;
	if (!p->cgroup)
		proc_load_cgroup(in->proc_fd, l, p);
	if (!p->cgroup || !*p->cgroup)
		return 0;
	for (size_t i = 0; i < xc->np; i++)
		if (!strcmp(xc->ppath[i], p->cgroup)) {
			*omit = xc->omit[i];
			return xc->pref[i];
		}
	pref = cgroup_oomd_preference(in->cg_root_fd, p->cgroup, true, omit);
	if (xc->np < 64 && strlen(p->cgroup) < sizeof(xc->ppath[0])) {
		snprintf(xc->ppath[xc->np], sizeof(xc->ppath[0]), "%s", p->cgroup);
		xc->pref[xc->np] = pref;
		xc->omit[xc->np++] = *omit;
	}
	return pref;
}

static void resolve_value(const struct rank_input *in, struct proc_list *l,
			  struct proc_info *p, struct candidate *c, struct xattr_cache *xc)
{
	int64_t v;

	if (in->registry && registry_lookup(in->registry, p->pid, p->starttime, NULL, &v)) {
		c->value = v;
		c->value_from = VALUE_REGISTRY_PID;
		return;
	}
	if (!in->registry && !in->use_xattr)
		return;
	if (!p->cgroup)
		proc_load_cgroup(in->proc_fd, l, p);
	if (!p->cgroup || !*p->cgroup)
		return;
	if (in->registry && registry_lookup(in->registry, 0, 0, p->cgroup, &v)) {
		c->value = v;
		c->value_from = VALUE_REGISTRY_CGROUP;
		return;
	}
	if (!in->use_xattr || in->cg_root_fd < 0)
		return;
	for (size_t i = 0; i < xc->n; i++)
		if (!strcmp(xc->path[i], p->cgroup)) {
			if (xc->has[i]) {
				c->value = xc->value[i];
				c->value_from = VALUE_XATTR;
			}
			return;
		}
	if (cgroup_value_xattr(in->cg_root_fd, p->cgroup, &v) == 0) {
		c->value = v;
		c->value_from = VALUE_XATTR;
	}
	if (xc->n < 64 && strlen(p->cgroup) < sizeof(xc->path[0])) {
		snprintf(xc->path[xc->n], sizeof(xc->path[0]), "%s", p->cgroup);
		xc->has[xc->n] = c->value_from == VALUE_XATTR;
		xc->value[xc->n++] = v;
	}
}

bool cgroup_path_within(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 0 && prefix[n - 1] == '/')
		n--;    /* "/" and "/a/" */
	if (strncmp(path, prefix, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/';
}

static int64_t base_badness(const struct og_config *cfg, const struct rank_input *in,
			    const struct proc_info *p)
{
	uint64_t total = in->mem_total + in->swap_total;

	if (cfg->badness == BADNESS_OOM_SCORE)
		return p->oom_score;
	if (!total)
		return p->oom_score_adj;
	/* The kernel's scale: 1000 points for all of RAM + swap. */
	return (int64_t)((p->anon + p->swap) / (total / 1000 + 1)) + p->oom_score_adj;
}

bool undecided_expired(struct undecided *t, int pid, uint64_t start, uint64_t now_ms,
		       bool *ret_say)
{
	struct undecided_entry *e = NULL, *stale = NULL;

	*ret_say = false;
	for (size_t i = 0; i < UNDECIDED_SLOTS; i++) {
		struct undecided_entry *x = &t->v[i];

		if (x->pid == pid && x->start == start && x->pid) {
			e = x;
			break;
		}
		if (!stale || x->seq < stale->seq || (!x->pid && stale->pid))
			stale = x;
	}
	if (e) {
		if (e->seq != t->seq) {
			e->count++;
			e->seq = t->seq;
		}
	} else if (!stale->pid || stale->seq != t->seq) {
		/* a free slot, or the one not seen for the longest */
		e = stale;
		*e = (struct undecided_entry){ .pid = pid, .start = start, .first_ms = now_ms,
					       .seq = t->seq, .count = 1 };
	} else {
		/* more undecidable processes in this ranking than slots */
		*ret_say = !t->full_said;
		t->full_said = true;
		return true;
	}
	if (e->count < UNDECIDED_RANKINGS && now_ms - e->first_ms < UNDECIDED_MS)
		return false;
	*ret_say = !e->expired;
	e->expired = true;
	return true;
}

static enum excl classify(const struct og_config *cfg, const struct rank_input *in,
			  struct proc_list *l, struct proc_info *p, struct candidate *c)
{
	struct rule_verdict v;

	if (p->pid == 1)
		return EXCL_PID1;
	if (p->pid == in->self)
		return EXCL_SELF;
	if (p->oom_score_adj <= -1000)
		return EXCL_ADJ_MIN;
	if (in->cgroup) {
		if (!p->cgroup)
			proc_load_cgroup(in->proc_fd, l, p);
		if (!p->cgroup || !cgroup_path_within(p->cgroup, in->cgroup))
			return EXCL_OUTSIDE;
	}
	rules_eval(cfg, in->proc_fd, l, p, &v);
	c->adjust = v.adjust;
	c->rule_line = v.line;
	c->value = v.has_value ? v.value : cfg->default_value;
	c->value_from = v.has_value ? VALUE_RULE : VALUE_DEFAULT;
	if (v.protect)
		return EXCL_PROTECTED;
	if (v.undecidable) {
		if (!in->undecided ||
		    !undecided_expired(in->undecided, p->pid, p->starttime, in->now_ms,
				       &c->undecided_say))
			return EXCL_UNDECIDABLE;
		c->undecided_bound = true;      /* ranked as if the rule did not match */
	}
	if (in->is_managed && in->is_managed(p, in->userdata))
		return EXCL_MANAGED;
	if (in->usage) {
		int r = in->usage(p, in->usage_data, &c->freed);

		if (r < 0) {
			c->usage_err = r;
			c->freed = 0;
		}
		return c->freed ? EXCL_NONE : EXCL_IDLE;
	}
	if (p->rss == 0 && p->swap == 0)
		return EXCL_NO_MEMORY;
	return EXCL_NONE;
}

static int cmp_candidates(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if ((x->excluded != EXCL_NONE) != (y->excluded != EXCL_NONE))
		return x->excluded != EXCL_NONE ? 1 : -1;
	if (x->oomd_pref != y->oomd_pref)       /* oomd: every prefer first, every avoid last */
		return x->oomd_pref > y->oomd_pref ? -1 : 1;
	if (x->badness != y->badness)
		return x->badness > y->badness ? -1 : 1;
	if (x->freed != y->freed)
		return x->freed > y->freed ? -1 : 1;
	if (x->p->starttime != y->p->starttime)
		return x->p->starttime > y->p->starttime ? -1 : 1;
	return x->p->pid - y->p->pid;
}

/* In-place heapsort: glibc's qsort may malloc, and this runs on the kill path. */
static void sift_down(struct candidate *v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct candidate tmp;

		if (child >= n)
			return;
		if (child + 1 < n && cmp_candidates(&v[child], &v[child + 1]) < 0)
			child++;
		if (cmp_candidates(&v[root], &v[child]) >= 0)
			return;
		tmp = v[root];
		v[root] = v[child];
		v[child] = tmp;
		root = child;
	}
}

static void sort_candidates(struct candidate *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end-- > 1;) {
		struct candidate tmp = v[0];

		v[0] = v[end];
		v[end] = tmp;
		sift_down(v, 0, end);
	}
}

size_t rank_candidates(const struct og_config *cfg, const struct rank_input *in,
		       struct proc_list *l, struct candidate *out, size_t *ret_n)
{
	static struct xattr_cache xc;
	size_t n = 0, eligible = 0;

	xc.n = xc.np = 0;
	if (in->undecided)
		in->undecided->seq++;

	for (size_t i = 0; i < l->n; i++) {
		struct proc_info *p = &l->v[i];
		struct candidate *c = &out[n];

		if (p->kthread)         /* PF_KTHREAD: pid 2 is kthreadd only outside a pid namespace */
			continue;
		memset(c, 0, sizeof(*c));
		c->p = p;
		c->freed = p->anon + p->swap;
		c->excluded = classify(cfg, in, l, p, c);
		if (c->excluded == EXCL_NONE) {
			bool omit;

			c->oomd_pref = oomd_preference(in, l, p, &xc, &omit);
			if (omit)
				c->excluded = EXCL_OMIT;
		}
		c->badness = base_badness(cfg, in, p) + c->adjust;
		if (c->excluded == EXCL_NONE) {
			resolve_value(in, l, p, c, &xc);
			eligible++;
		}
		n++;
	}
	if (in->usage) {
		uint64_t max = 0;

		for (size_t i = 0; i < n; i++)
			if (out[i].excluded == EXCL_NONE)
				max = MAX(max, out[i].freed);
		for (size_t i = 0; i < n; i++)
			out[i].badness = usage_score(out[i].freed, max, in->usage_frees ? 0 :
						     usage_ticks_to_ms(out[i].p->cpu_ticks)) +
					 out[i].adjust;
	}
	sort_candidates(out, n);
	*ret_n = n;
	return eligible;
}
