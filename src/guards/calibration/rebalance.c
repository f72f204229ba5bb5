/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rebalance planner: see rebalance.h. */
#include "guards/calibration/rebalance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define MiB_ (1024.0 * 1024.0)

static uint64_t page_down(uint64_t v)
{
	return v & ~(RB_PAGE - 1);
}

static uint64_t page_up(uint64_t v)
{
	return v > UINT64_MAX - RB_PAGE ? page_down(v) : page_down(v + RB_PAGE - 1);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

const char *rb_source_name(enum rb_source s)
{
	return s == RB_PARENT ? "parent" : s == RB_SIBLINGS ? "siblings" : "none";
}

/* What the children hold of the parent: a limit, or use plus the margin
 * for a child without one. */
static uint64_t allocated(const struct rb_input *in)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < in->n; i++)
		sum = sat_add(sum, in->v[i].limit != RB_NO_LIMIT ? in->v[i].limit
				   : sat_add(in->v[i].current, in->margin));
	return sum;
}

/* What a donor can give: down to max(calibrated min, current + margin),
 * only if it uses less than its median. */
static uint64_t spare(const struct rb_input *in, size_t i)
{
	const struct rb_cgroup *c = &in->v[i];
	uint64_t floor;

	if (i == in->affected || !c->eligible || !c->calibrated || c->limit == RB_NO_LIMIT ||
	    c->current >= c->st.median)
		return 0;
	floor = MAX(c->st.min, sat_add(c->current, in->margin));
	if (in->keep_percent > 0 && in->keep_percent < 100)    /* out of the kill zone */
		floor = MAX(floor, (uint64_t)((double)c->current * 100.0 /
					      (100.0 - in->keep_percent)) + 1);
	floor = page_up(floor);
	return c->limit > floor ? page_down(c->limit - floor) : 0;
}

static void none(struct rb_plan *p)
{
	p->source = RB_NONE;
	p->n = 0;
	p->added = 0;
}

/* No rebalance, and why (returns 0 from rb_plan). */
#define NONE(p, ...) (none(p), snprintf((p)->why, sizeof((p)->why), __VA_ARGS__), 0)

int rb_plan(const struct rb_input *in, struct rb_plan *p)
{
	const struct rb_cgroup *a;
	uint64_t want, cap, room, alloc, total = 0, given = 0;

	if (p)
		memset(p, 0, sizeof(*p));
	if (!in || !p || !in->v || in->n == 0 || in->n > RB_MAX_CHILDREN ||
	    in->affected >= in->n || in->margin == 0)
		return -EINVAL;
	a = &in->v[in->affected];
	if (!a->eligible)
		return NONE(p, "not in rebalance.cgroups");
	if (a->limit == RB_NO_LIMIT)
		return NONE(p, "it has no memory.max");
	if (!a->calibrated)
		return NONE(p, "no calibration data for it yet");
	want = page_up(sat_add(a->current > a->limit ? a->current - a->limit : 0, in->margin));
	cap = page_up(sat_add(a->st.max, in->margin));
	if (a->limit >= cap)
		return NONE(p, "its limit is already at its calibrated max + margin (%.0f MiB): "
			    "raising it further would let it creep", cap / MiB_);
	want = MIN(want, page_down(cap - a->limit));
	alloc = allocated(in);
	room = in->parent_limit > alloc ? page_down(in->parent_limit - alloc) : 0;
	p->ch[0] = (struct rb_change){ in->affected, a->limit, a->limit + want };
	p->n = 1;
	p->added = want;
	if (room >= want) {
		p->source = RB_PARENT;
		snprintf(p->why, sizeof(p->why), "the parent has %.0f MiB unallocated",
			 room / MiB_);
		return 0;
	}
	for (size_t i = 0; i < in->n; i++)
		total += spare(in, i);
	if (total < want)
		return NONE(p, "it needs %.0f MiB; the parent has %.0f MiB unallocated and siblings "
			    "under their median can spare %.0f MiB", want / MiB_, room / MiB_,
			    total / MiB_);
	/* Each donor gives in proportion to its spare, in whole pages; what
	 * rounding left over comes from the first donors with spare left
	 * (the spares sum to at least want, so it is always covered). */
	uint64_t take[RB_MAX_CHILDREN] = { 0 };

	for (size_t i = 0; i < in->n; i++) {
		uint64_t s = spare(in, i);

		take[i] = MIN(s, page_down((uint64_t)((unsigned __int128)want * s / total)));
		given += take[i];
	}
	for (size_t i = 0; i < in->n && given < want; i++) {
		uint64_t more = MIN(want - given, spare(in, i) - take[i]);

		take[i] += more;
		given += more;
	}
	for (size_t i = 0; i < in->n; i++)
		if (take[i])
			p->ch[p->n++] = (struct rb_change){ i, in->v[i].limit, in->v[i].limit - take[i] };
	if (given != want)      /* cannot happen: the last donor's spare covers it */
		return NONE(p, "siblings' shares did not add up (%.0f of %.0f MiB)", given / MiB_,
			    want / MiB_);
	p->source = RB_SIBLINGS;
	snprintf(p->why, sizeof(p->why), "the parent has %.0f MiB unallocated; %zu sibling(s) "
		 "under their median give %.0f MiB", room / MiB_, p->n - 1, want / MiB_);
	return 0;
}
