/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration store (store.c): every cgroup's memory samples in an
 * SQLite database (WAL mode), the schema in docs/calibration.md. The
 * daemon writes it from the calibration guard's worker lane only;
 * `oomguard calibrate` reads it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guards/calibration/stats.h"

struct cstore;

/* Open (create when `create`) the store at path, or an in-memory one for
 * ":memory:". The file is created 0600, must be a regular file of ours
 * that group and others cannot write, and is never opened through a
 * symbolic link. 0 or -errno with why filled. */
int cstore_open(const char *path, bool create, struct cstore **ret, char *why, size_t size);
void cstore_close(struct cstore *s);

/* One sample of n cgroups at t_ms, in one transaction. 0 or -errno. */
int cstore_put(struct cstore *s, uint64_t t_ms, const struct cg_sample *v, size_t n);
/* Delete samples and minutes before before_ms (and cgroups left without
 * any). The number of rows deleted, or -errno. */
int64_t cstore_prune(struct cstore *s, uint64_t before_ms);
/* Samples before before_ms become one row per cgroup and minute: how many
 * there were, their lowest and their highest. The raw samples deleted,
 * or -errno. A period that holds such minutes has exact min and max, and
 * percentiles between two bounds (calib_stats: median_low..median). */
int64_t cstore_downsample(struct cstore *s, uint64_t before_ms);

/* For each cgroup matching glob (NULL: all) with samples in [from, to],
 * in path order: its figures (over minutes downsampled: min and max
 * exact, median and p95 from each minute's highest, median_low and
 * p95_low from each minute's lowest; the truth lies between). fn returning non-zero stops and is returned.
 * The number of cgroups reported, or -errno. */
typedef int (*cstore_stats_fn)(const char *path, const struct calib_stats *st, void *u);
int64_t cstore_query(struct cstore *s, uint64_t from_ms, uint64_t to_ms, const char *glob,
		     cstore_stats_fn fn, void *u);
/* Samples and cgroups in the store, and its first and last time. */
int cstore_count(struct cstore *s, uint64_t *samples, uint64_t *cgroups, uint64_t *first_ms,
		 uint64_t *last_ms);
const char *cstore_error(const struct cstore *s);

/* Limits rebalancing changed, for `calibrate --restore`: the first
 * original of each cgroup is kept ("max" or bytes). 0 or -errno. */
int cstore_remember_limit(struct cstore *s, const char *path, const char *original,
			  uint64_t t_ms);
typedef int (*cstore_limit_fn)(const char *path, const char *original, uint64_t t_ms, void *u);
int cstore_limits(struct cstore *s, cstore_limit_fn fn, void *u);
int cstore_forget_limit(struct cstore *s, const char *path);
