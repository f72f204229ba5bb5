/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Calibration's pure parts (stats.c): a cgroup's memory sample and how it
 * is read from memory.stat (v2 and v1), exact percentiles over samples,
 * the times `oomguard calibrate` takes, and cgroup globs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_PATH_MAX 256         /* longer cgroup paths are not sampled (counted) */

/* One cgroup at one time. */
struct cg_sample {
	char path[CG_PATH_MAX];         /* from the cgroup root: "/", "/system.slice/x.service" */
	uint64_t current;               /* memory.current (v1: memory.usage_in_bytes) */
	uint64_t anon, file;            /* memory.stat (v1: total_rss, total_cache) */
	uint64_t reclaimable;           /* inactive_file + active_file + slab_reclaimable
					 * (v1: total_inactive_file + total_active_file) */
	uint64_t limit;                 /* memory.max (v1: memory.limit_in_bytes); UINT64_MAX
					 * none or unreadable (not stored) */
};

/* The seed's per-cgroup figures over a period, in bytes. */
struct calib_stats {
	uint64_t min, max, median, p95;
	uint64_t samples;
	uint64_t from_ms, to_ms;        /* the first and last sample's time */
	/* Over downsampled minutes the true median and p95 lie between these
	 * and median, p95 (equal when every sample is still raw). */
	uint64_t median_low, p95_low;
	bool downsampled;
};

/* A cgroup's figures, as the store's lane hands them to the loop (sorted
 * by path, found with calib_stats_find). */
struct calib_entry {
	char path[CG_PATH_MAX];
	struct calib_stats st;
};
const struct calib_entry *calib_stats_find(const struct calib_entry *v, size_t n,
					   const char *path);
/* Append (path, st) to the growing array *v (*n used, *cap allocated). 0
 * or -ENOMEM. */
int calib_entries_add(struct calib_entry **v, size_t *n, size_t *cap, const char *path,
		      const struct calib_stats *st);

/* Fill anon, file and reclaimable of s from a memory.stat's text (v1:
 * the hierarchical total_* keys). -EBADMSG when a needed key is missing. */
int cg_sample_parse_stat(const char *buf, bool v1, struct cg_sample *s);

/* Nearest-rank percentile p (0 < p <= 100) of n >= 1 sorted values:
 * v[ceil(p * n / 100) - 1]. Exact: always one of the samples. */
uint64_t percentile_sorted(const uint64_t *v, size_t n, unsigned p);
/* Sorts v (n >= 1) and fills min, max, median (p50) and p95 and samples. */
int calib_stats_of(uint64_t *v, size_t n, struct calib_stats *ret);

/* A value standing for w samples (a downsampled minute stands for its n). */
struct wvalue {
	uint64_t v, w;
};
/* The same figures over weighted values (samples = the sum of the
 * weights; w 0 is ignored): equal to calib_stats_of over the values
 * repeated w times each, without repeating them. Sorts v. */
int calib_stats_weighted(struct wvalue *v, size_t n, struct calib_stats *ret);

/* A time as `oomguard calibrate --from/--to` take it: "now", a duration
 * back from now ("-1h", "-30min", "-7d"), a Unix time in seconds ("@1700000000"),
 * or ISO 8601 in UTC or with an offset ("2026-11-29T12:00:00Z",
 * "2026-11-29T13:00:00+01:00", "2026-11-29 12:00", "2026-11-29": UTC).
 * Milliseconds since the epoch; -EINVAL. */
int parse_when(const char *s, uint64_t now_ms, uint64_t *ret_ms);
/* ISO 8601 UTC with milliseconds into buf. */
void format_when(uint64_t ms, char *buf, size_t size);

/* Does the cgroup path match the glob (fnmatch with FNM_PATHNAME: `*`
 * stays within one level)? A glob ending in "/" then "**" matches everything
 * below its prefix. */
bool cg_glob_match(const char *glob, const char *path);
