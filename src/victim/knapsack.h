/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Min-cost covering knapsack: choose the set of candidates that frees at
 * least `need` bytes while losing the least total value; ties broken by
 * fewer processes, then by less work lost. Pure; no allocation after
 * ks_scratch_init (so it may run on the kill path). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct ks_item {
	uint64_t bytes;         /* memory its death frees */
	int64_t value;          /* worth of keeping it (>= 0) */
	uint64_t work;          /* work lost if killed (CPU ticks, age...): tie-break */
};

struct ks_result {
	size_t n;               /* number of chosen items */
	size_t *idx;            /* chosen indices into the items array (scratch-owned) */
	uint64_t bytes;         /* sum of bytes of the chosen */
	int64_t value;          /* sum of values lost */
	uint64_t work;
	int exact;              /* 1 if proven optimal, 0 if solved on a shortlist */
	int covered;            /* 1 if bytes >= need; 0 if even everything is too little */
};

struct ks_scratch;              /* opaque, preallocated working memory */

/* Allocate scratch able to solve instances of up to max_items items. */
struct ks_scratch *ks_scratch_new(size_t max_items);
void ks_scratch_free(struct ks_scratch *s);

/* Limit the branch-and-bound to `nodes` nodes per call (tuning, tests). */
void ks_scratch_set_budget(struct ks_scratch *s, uint64_t nodes);

/* Solve. Returns 0 and fills *ret, or -E2BIG if n > the scratch's
 * capacity, -EINVAL on a negative value. When no subset covers `need`, the
 * result is the set that frees the most (all items with bytes > 0) with
 * covered = 0. A sum of values that overflows int64_t gives -EINVAL; sums of
 * bytes and work saturate at UINT64_MAX. On error *ret is untouched. */
int ks_choose(struct ks_scratch *s, const struct ks_item *items, size_t n,
	      uint64_t need, struct ks_result *ret);
