/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From ranked candidates to a plan: the single worst process (default
 * order), or, when values are configured, the set that frees enough memory
 * while losing the least value (the knapsack). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/config.h"
#include "victim/knapsack.h"
#include "victim/rank.h"

#define PLAN_MAX 64

struct plan {
	size_t n;                       /* chosen candidates, kill order */
	size_t idx[PLAN_MAX];           /* indices into the candidate array */
	uint64_t freed;                 /* estimate for the whole set */
	int64_t value;                  /* value lost by the whole set */
	bool priority;                  /* chosen by value (knapsack) */
	bool exact;                     /* knapsack proved optimal */
	bool covered;                   /* frees at least `need` */
};

/* Are values in play (a rule sets one, or the runtime registry or a
 * cgroup xattr gives one)? A `values:` section with only the default is
 * not: every process is then worth the same. */
bool plan_priority_mode(const struct og_config *cfg, bool registry_has_values);

/* Choose. cands[0..n_eligible) are the eligible ones, ranked. items must
 * hold n_eligible entries (scratch, so nothing allocates here). Returns 0,
 * or -ENOENT when there is no eligible candidate. */
int plan_choose(const struct candidate *cands, size_t n_eligible, uint64_t need,
		bool priority, struct ks_scratch *ks, struct ks_item *items,
		struct plan *ret);
