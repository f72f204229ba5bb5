/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/sustain.h"

#include <string.h>

#include "core/util.h"

void sustain_reset(struct sustain *s)
{
	memset(s, 0, sizeof(*s));
}

static const struct sustain_sample *at(const struct sustain *s, size_t back)
{
	return &s->ring[(s->head + SUSTAIN_RING - 1 - back) % SUSTAIN_RING];
}

void sustain_add(struct sustain *s, uint64_t t_ms, uint64_t part, uint64_t whole)
{
	if (s->n && (t_ms < at(s, 0)->t_ms || part < at(s, 0)->part || whole < at(s, 0)->whole))
		sustain_reset(s);       /* a clock or a counter went back: start over */
	s->ring[s->head].t_ms = t_ms;
	s->ring[s->head].part = part;
	s->ring[s->head].whole = whole;
	s->head = (s->head + 1) % SUSTAIN_RING;
	if (s->n < SUSTAIN_RING)
		s->n++;
}

static double share(uint64_t part0, uint64_t part1, uint64_t whole0, uint64_t whole1)
{
	double d;

	if (whole1 <= whole0)
		return -1;
	d = 100.0 * (double)(part1 - part0) / (double)(whole1 - whole0);
	return MIN(d, 100.0);
}

double sustain_share(const struct sustain *s, uint64_t duration_ms, uint64_t *ret_span_ms)
{
	if (ret_span_ms)
		*ret_span_ms = 0;
	if (s->n < 2)
		return -1;
	for (size_t back = 1; back < s->n; back++) {
		uint64_t span = at(s, 0)->t_ms - at(s, back)->t_ms;

		if (span >= duration_ms) {
			if (ret_span_ms)
				*ret_span_ms = span;
			return share(at(s, back)->part, at(s, 0)->part, at(s, back)->whole,
				     at(s, 0)->whole);
		}
	}
	return -1;
}

const struct sustain_sample *sustain_newest(const struct sustain *s)
{
	return s->n ? at(s, 0) : NULL;
}

double sustain_last(const struct sustain *s)
{
	if (s->n < 2)
		return -1;
	return share(at(s, 1)->part, at(s, 0)->part, at(s, 1)->whole, at(s, 0)->whole);
}

uint64_t sustain_period_ms(uint64_t duration_ms)
{
	return MAX(duration_ms / 64, (uint64_t)1000);
}
