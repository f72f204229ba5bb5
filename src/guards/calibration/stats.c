/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Calibration's pure parts: see stats.h. */
#include "guards/calibration/stats.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

/* The value of "KEY N" in memory.stat, or -ENOENT. */
static int stat_key(const char *buf, const char *key, uint64_t *ret)
{
	size_t n = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char num[32];
		size_t len;

		if (strncmp(p, key, n) || p[n] != ' ')
			continue;
		len = strcspn(p + n + 1, "\n");
		if (len == 0 || len >= sizeof(num))
			return -EBADMSG;
		memcpy(num, p + n + 1, len);
		num[len] = '\0';
		return parse_u64(num, ret) < 0 ? -EBADMSG : 0;
	}
	return -ENOENT;
}

int cg_sample_parse_stat(const char *buf, bool v1, struct cg_sample *s)
{
	uint64_t inactive = 0, active = 0, slab = 0;

	if (!buf || !s)
		return -EINVAL;
	if (v1) {
		if (stat_key(buf, "total_rss", &s->anon) < 0 ||
		    stat_key(buf, "total_cache", &s->file) < 0 ||
		    stat_key(buf, "total_inactive_file", &inactive) < 0 ||
		    stat_key(buf, "total_active_file", &active) < 0)
			return -EBADMSG;
	} else {
		if (stat_key(buf, "anon", &s->anon) < 0 || stat_key(buf, "file", &s->file) < 0 ||
		    stat_key(buf, "inactive_file", &inactive) < 0 ||
		    stat_key(buf, "active_file", &active) < 0)
			return -EBADMSG;
		if (stat_key(buf, "slab_reclaimable", &slab) == -EBADMSG)
			return -EBADMSG;        /* absent before 5.9: counted as 0 */
	}
	s->reclaimable = inactive + active + slab;
	return 0;
}

uint64_t percentile_sorted(const uint64_t *v, size_t n, unsigned p)
{
	size_t rank;

	if (!n)
		return 0;
	if (p > 100)
		p = 100;
	rank = ((size_t)p * n + 99) / 100;      /* ceil(p * n / 100) */
	return v[rank ? rank - 1 : 0];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int calib_stats_of(uint64_t *v, size_t n, struct calib_stats *ret)
{
	if (!v || !n || !ret)
		return -EINVAL;
	qsort(v, n, sizeof(*v), cmp_u64);
	ret->min = v[0];
	ret->max = v[n - 1];
	ret->median = percentile_sorted(v, n, 50);
	ret->p95 = percentile_sorted(v, n, 95);
	ret->samples = n;
	return 0;
}

static int cmp_wvalue(const void *a, const void *b)
{
	uint64_t x = ((const struct wvalue *)a)->v, y = ((const struct wvalue *)b)->v;

	return x < y ? -1 : x > y;
}

/* The value at nearest rank ceil(p * total / 100) of sorted weighted values. */
static uint64_t wpercentile(const struct wvalue *v, size_t n, uint64_t total, unsigned p)
{
	uint64_t rank = ((unsigned __int128)total * p + 99) / 100, seen = 0;

	if (!rank)
		rank = 1;
	for (size_t i = 0; i < n; i++) {
		seen += v[i].w;
		if (seen >= rank)
			return v[i].v;
	}
	return n ? v[n - 1].v : 0;
}

int calib_stats_weighted(struct wvalue *v, size_t n, struct calib_stats *ret)
{
	uint64_t total = 0;
	size_t first = SIZE_MAX, last = 0;

	if (!v || !ret)
		return -EINVAL;
	qsort(v, n, sizeof(*v), cmp_wvalue);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].w)
			continue;
		if (total > UINT64_MAX - v[i].w)
			return -EOVERFLOW;
		total += v[i].w;
		first = MIN(first, i);
		last = i;
	}
	if (!total)
		return -EINVAL;
	ret->min = v[first].v;
	ret->max = v[last].v;
	ret->median = wpercentile(v, n, total, 50);
	ret->p95 = wpercentile(v, n, total, 95);
	ret->samples = total;
	return 0;
}

/* "+HH:MM", "-HHMM", "Z" or "" (UTC) into seconds east of UTC. */
static int parse_offset(const char *s, long *ret)
{
	int h, m;
	char sign, tail;

	if (!*s || !strcmp(s, "Z")) {
		*ret = 0;
		return 0;
	}
	if ((sscanf(s, "%c%2d:%2d%c", &sign, &h, &m, &tail) == 3 ||
	     sscanf(s, "%c%2d%2d%c", &sign, &h, &m, &tail) == 3) &&
	    (sign == '+' || sign == '-') && h <= 23 && m <= 59 && strlen(s) >= 5) {
		*ret = (sign == '-' ? -1 : 1) * (h * 3600L + m * 60L);
		return 0;
	}
	return -EINVAL;
}

int parse_when(const char *s, uint64_t now_ms, uint64_t *ret_ms)
{
	static const char *const fmts[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
					    "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	uint64_t v;
	long off;

	if (!s || !*s || !ret_ms)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*ret_ms = now_ms;
		return 0;
	}
	if (s[0] == '-') {
		if (parse_duration_ms(s + 1, &v) < 0 || v > now_ms)
			return -EINVAL;
		*ret_ms = now_ms - v;
		return 0;
	}
	if (s[0] == '@') {
		if (parse_u64(s + 1, &v) < 0 || v > UINT64_MAX / 1000)
			return -EINVAL;
		*ret_ms = v * 1000;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm = { 0 };
		const char *end = strptime(s, fmts[i], &tm);
		time_t t;

		if (!end || parse_offset(end, &off) < 0)
			continue;
		if ((t = timegm(&tm)) == (time_t)-1 || t - off < 0)
			return -EINVAL;
		*ret_ms = (uint64_t)(t - off) * 1000;
		return 0;
	}
	return -EINVAL;
}

void format_when(uint64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ms % 1000));
}

bool cg_glob_match(const char *glob, const char *path)
{
	size_t n = strlen(glob);

	if (fnmatch(glob, path, FNM_PATHNAME) == 0)
		return true;
	if (n >= 3 && !strcmp(glob + n - 3, "/**")) {
		char prefix[CG_PATH_MAX];

		if (n - 3 >= sizeof(prefix))
			return false;
		memcpy(prefix, glob, n - 3);
		prefix[n - 3] = '\0';
		if (!*prefix)
			return true;    /* the root then "**": everything */
		return fnmatch(prefix, path, FNM_PATHNAME | FNM_LEADING_DIR) == 0 &&
		       fnmatch(prefix, path, FNM_PATHNAME) != 0;
	}
	return false;
}

static int cmp_entry(const void *key, const void *e)
{
	return strcmp(key, ((const struct calib_entry *)e)->path);
}

const struct calib_entry *calib_stats_find(const struct calib_entry *v, size_t n,
					   const char *path)
{
	return v && n ? bsearch(path, v, n, sizeof(*v), cmp_entry) : NULL;
}

int calib_entries_add(struct calib_entry **v, size_t *n, size_t *cap, const char *path,
		      const struct calib_stats *st)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct calib_entry *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	snprintf((*v)[*n].path, sizeof((*v)[0].path), "%s", path);
	(*v)[(*n)++].st = *st;
	return 0;
}
