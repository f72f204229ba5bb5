/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "decide/rank.h"
#include "decide/rules.h"

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
	};
	return (unsigned)e < ARRAY_SIZE(names) ? names[e] : "?";
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
	if (v.protect)
		return EXCL_PROTECTED;
	if (v.undecidable)
		return EXCL_UNDECIDABLE;
	if (in->is_managed && in->is_managed(p, in->userdata))
		return EXCL_MANAGED;
	if (p->rss == 0 && p->swap == 0)
		return EXCL_NO_MEMORY;
	return EXCL_NONE;
}

static int cmp_candidates(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if ((x->excluded != EXCL_NONE) != (y->excluded != EXCL_NONE))
		return x->excluded != EXCL_NONE ? 1 : -1;
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
	size_t n = 0, eligible = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct proc_info *p = &l->v[i];
		struct candidate *c = &out[n];

		if (p->kthread || p->pid == 2)
			continue;
		memset(c, 0, sizeof(*c));
		c->p = p;
		c->freed = p->anon + p->swap;
		c->excluded = classify(cfg, in, l, p, c);
		c->badness = base_badness(cfg, in, p) + c->adjust;
		if (c->excluded == EXCL_NONE)
			eligible++;
		n++;
	}
	sort_candidates(out, n);
	*ret_n = n;
	return eligible;
}
