/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rebalance planner (rebalance.c, pure): a cgroup at its memory.max,
 * its siblings, their limits, use and calibration in; new limits out, by
 * the seed's two steps: (1) the parent's unallocated share, else (2)
 * siblings using less than their median, each lowered in proportion to
 * what it can spare. See "Calibration and rebalancing" in the README. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guards/calibration/stats.h"

#define RB_NO_LIMIT UINT64_MAX  /* memory.max "max" */
#define RB_PAGE 4096ull         /* limits move in whole pages */
#define RB_MAX_CHILDREN 256

struct rb_cgroup {
	const char *path;
	uint64_t limit;                 /* memory.max, RB_NO_LIMIT none */
	uint64_t current;               /* memory.current */
	bool calibrated;                /* st holds its calibration */
	struct calib_stats st;
	bool eligible;                  /* matched by rebalance.cgroups */
};

struct rb_input {
	const struct rb_cgroup *v;      /* the children of one parent */
	size_t n, affected;             /* v[affected] is at its limit */
	uint64_t parent_limit;          /* the parent's memory.max, or for a top-level cgroup
					 * the machine's memory minus calibration.reserve */
	uint64_t margin;
	double keep_percent;            /* a donor keeps at least this share of its new limit
					 * free (twice the cgroups guard's terminate headroom),
					 * so that giving never puts it in that guard's way */
};

enum rb_source { RB_NONE, RB_PARENT, RB_SIBLINGS };

struct rb_change {
	size_t idx;                     /* into rb_input.v */
	uint64_t old_limit, new_limit;
};

struct rb_plan {
	enum rb_source source;
	uint64_t added;                 /* the affected cgroup's raise */
	struct rb_change ch[RB_MAX_CHILDREN];   /* ch[0]: the affected; then the donors */
	size_t n;
	char why[256];                  /* RB_NONE: why not; else how it was sized */
};

/* Plan one rebalance. The raise is what the cgroup uses beyond its limit
 * plus the margin, never past its calibrated max plus the margin, never
 * past what the parent holds. Donors: eligible, calibrated, limited,
 * current use under their median; each keeps at least
 * max(calibrated min, current + margin, current / (1 - keep_percent/100)).
 * 0 (see ret->source), -EINVAL (ret zeroed). */
int rb_plan(const struct rb_input *in, struct rb_plan *ret);
const char *rb_source_name(enum rb_source s);
