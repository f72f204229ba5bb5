/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard's pure part: allocation rates from two looks at the
 * program's per-process counters, and the alert episodes (one alert per
 * process per episode; a look back under the threshold ends it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One thread group as the program counted it: anon + shmem charged since
 * it was first seen, bytes (monotonic). */
struct alloc_count {
	uint32_t pid;
	uint64_t grown;
};

struct rate {
	uint32_t pid;
	uint64_t grown;                 /* at the last look */
	double bytes_s;                 /* over the last two looks; 0 for a new one */
	bool in_critical, in_warning;   /* an episode over that threshold is on */
	bool seen;                      /* in the last look */
};

struct rates {
	struct rate *v;                 /* sorted by pid */
	size_t n, cap;
	uint64_t t_ms;                  /* the last look, 0 none */
	double dt_s;                    /* between the last two looks */
};

/* Take a look: counts (any order) at now_ms. A pid not in it is dropped
 * (gone); one first seen since the last look grew all it has within this
 * window (at the first look of all there is no window: rates 0). 0 or
 * -ENOMEM. */
int rates_update(struct rates *r, struct alloc_count *counts, size_t n, uint64_t now_ms);
void rates_free(struct rates *r);
struct rate *rates_find(struct rates *r, uint32_t pid);

/* Episodes: over threshold (bytes/s, > 0) after this look? *in is the
 * episode flag; true is returned once, when an episode starts. A look
 * under the threshold ends it. */
bool rates_alert(double bytes_s, double threshold, bool *in);
