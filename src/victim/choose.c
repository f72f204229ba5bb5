/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "victim/choose.h"

bool plan_priority_mode(const struct og_config *cfg, bool registry_has_values)
{
	/* A `values:` section alone (a default for all) makes every process
	 * worth the same: nothing to weigh, and the knapsack would trade the
	 * biggest process for a smaller one that covers the need. */
	if (registry_has_values)
		return true;
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].has_value)
			return true;
	return false;
}

int plan_choose(const struct candidate *cands, size_t n_eligible, uint64_t need,
		bool priority, struct ks_scratch *ks, struct ks_item *items,
		struct plan *ret)
{
	struct plan p = {0};
	struct ks_result r;

	if (!n_eligible)
		return -ENOENT;
	if (priority && ks) {
		for (size_t i = 0; i < n_eligible; i++) {
			items[i].bytes = cands[i].freed;
			items[i].value = cands[i].value < 0 ? 0 : cands[i].value;
			items[i].work = cands[i].p->cpu_ticks;
		}
		if (ks_choose(ks, items, n_eligible, need, &r) == 0 && r.n > 0) {
			p.priority = true;
			p.exact = r.exact;
			p.covered = r.covered;
			p.freed = r.bytes;
			p.value = r.value;
			/* Kill order: the biggest first, so an episode may end
			 * before the rest of the set is needed. */
			for (size_t i = 0; i < r.n && p.n < PLAN_MAX; i++) {
				size_t j = p.n++;

				while (j > 0 && cands[p.idx[j - 1]].freed < cands[r.idx[i]].freed) {
					p.idx[j] = p.idx[j - 1];
					j--;
				}
				p.idx[j] = r.idx[i];
			}
			*ret = p;
			return 0;
		}
	}
	p.n = 1;
	p.idx[0] = 0;
	p.freed = cands[0].freed;
	p.value = cands[0].value;
	p.covered = p.freed >= need;
	*ret = p;
	return 0;
}
