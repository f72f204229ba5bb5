/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Is a share sustained over a duration? Samples of two cumulative counters,
 * a part and its whole (PSI: stall microseconds and wall microseconds;
 * /proc/stat: busy ticks and all ticks); the share over a span is the
 * part's growth over the whole's. Pure. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define SUSTAIN_RING 128

struct sustain_sample {
	uint64_t t_ms, part, whole;
};

struct sustain {
	struct sustain_sample ring[SUSTAIN_RING];
	size_t head, n;                 /* head: the next slot written */
};

void sustain_reset(struct sustain *s);
/* A sample at t_ms (not older than the last one: else the history restarts). */
void sustain_add(struct sustain *s, uint64_t t_ms, uint64_t part, uint64_t whole);
/* The share in percent from the newest sample back to the newest sample at
 * least duration_ms older than it; -1 while the history is shorter than
 * that (or the whole did not grow). *ret_span_ms (may be NULL) gets the span. */
double sustain_share(const struct sustain *s, uint64_t duration_ms, uint64_t *ret_span_ms);
/* The newest sample, NULL if none. */
const struct sustain_sample *sustain_newest(const struct sustain *s);
/* The share over the last step (the two newest samples), -1 if fewer. */
double sustain_last(const struct sustain *s);
/* The sampling period for a duration: 1 s, or duration / 64 when longer
 * (the ring must span the duration twice over). */
uint64_t sustain_period_ms(uint64_t duration_ms);
