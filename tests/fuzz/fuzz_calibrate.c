// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: calibration's parsers (memory.stat of both cgroup
 * versions, the times `calibrate` takes, cgroup globs) and the rebalance
 * planner on children built from the input's bytes, with its promises as
 * the oracle: no donor below max(calibrated min, use + margin), the raise
 * never past the calibrated max + margin, a donor keeps keep_percent of its
 * new limit free, siblings give exactly what the
 * cgroup gets, a parent raise fits what the parent has unallocated. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guards/calibration/rebalance.h"
#include "guards/calibration/stats.h"
#include "fuzz.h"

#define MiB (1024ull * 1024)

static uint64_t take(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int i = 0; i < 2 && *p < end; i++)
		v = v << 8 | *(*p)++;
	return v;
}

static void plan(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct rb_cgroup v[8];
	struct rb_plan out;
	size_t n = size ? (size_t)(data[0] % 8) + 1 : 1;
	uint64_t alloc = 0, margin = (take(&p, end) % 256 + 1) * MiB;
	struct rb_input in = { v, n, 0, 0, margin, size > 1 ? data[1] % 21 : 0 };

	for (size_t i = 0; i < n; i++) {
		uint64_t flags = take(&p, end);

		v[i] = (struct rb_cgroup){ .path = "/p/c", .current = take(&p, end) * MiB / 16,
					   .limit = flags & 1 ? RB_NO_LIMIT : take(&p, end) * MiB / 16,
					   .calibrated = flags & 2, .eligible = !(flags & 4) };
		v[i].st.min = take(&p, end) * MiB / 16;
		v[i].st.median = v[i].st.min + take(&p, end) * MiB / 16;
		v[i].st.max = v[i].st.median + take(&p, end) * MiB / 16;
		alloc += v[i].limit != RB_NO_LIMIT ? v[i].limit : v[i].current + margin;
	}
	in.affected = (size_t)(take(&p, end) % n);
	in.parent_limit = take(&p, end) * MiB / 4;
	if (rb_plan(&in, &out) < 0)
		abort();
	if (out.source == RB_NONE) {
		if (out.n)
			abort();
		return;
	}
	const struct rb_cgroup *a = &v[in.affected];
	uint64_t given = 0;

	if (out.ch[0].idx != in.affected || out.ch[0].new_limit != a->limit + out.added ||
	    !out.added || out.ch[0].new_limit > a->st.max + margin + RB_PAGE || !a->calibrated ||
	    !a->eligible)
		abort();
	for (size_t k = 1; k < out.n; k++) {
		const struct rb_cgroup *d = &v[out.ch[k].idx];
		uint64_t floor = d->st.min > d->current + margin ? d->st.min : d->current + margin;
		double keep = (double)d->current * 100.0 / (100.0 - in.keep_percent);

		if (out.ch[k].idx == in.affected || !d->eligible || !d->calibrated ||
		    d->current >= d->st.median || out.ch[k].new_limit < floor ||
		    (double)out.ch[k].new_limit < keep ||
		    out.ch[k].new_limit >= out.ch[k].old_limit)
			abort();
		given += out.ch[k].old_limit - out.ch[k].new_limit;
	}
	if (out.source == RB_SIBLINGS ? given != out.added
				      : out.n != 1 || alloc + out.added > in.parent_limit)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_sample s;
	uint64_t t;
	char *buf = fuzz_cstring(data, size), *nl;

	if (!buf)
		return 0;
	for (int v1 = 0; v1 <= 1; v1++)
		cg_sample_parse_stat(buf, v1, &s);      /* memory safety is the oracle here */
	if ((nl = strchr(buf, '\n'))) {
		*nl = '\0';
		(void)cg_glob_match(buf, nl + 1);
	}
	if (parse_when(buf, 1800000000000ull, &t) == 0 && !strncmp(buf, "now", 4) &&
	    t != 1800000000000ull)
		abort();
	free(buf);
	plan(data, size);
	return 0;
}
