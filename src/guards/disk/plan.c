/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard's decisions, pure (see disk.h): which filesystems, below
 * or not, how fast they fill, and which files a cleanup deletes. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "guards/disk/disk.h"

static bool same_dev(const struct fs_mount *a, const struct fs_mount *b)
{
	return a->major == b->major && a->minor == b->minor;
}

size_t disk_select(const struct fs_mounts *m, bool listed, char *const *paths, size_t npaths,
		   struct disk_sel *out, size_t cap, struct disk_skipped *skip, size_t skipcap,
		   size_t *ret_nskip)
{
	size_t n = 0, nskip = 0;

	if (listed) {
		for (size_t i = 0; i < npaths; i++) {
			ssize_t at = fs_mount_at(m, paths[i]);
			const char *why = NULL;

			if (at < 0)
				why = "not mounted";
			else if (fs_kind_of(&m->v[at]) == FS_READONLY)
				why = "read-only: never watched";
			else if (n == cap)
				why = "too many filesystems";
			if (why && nskip < skipcap)
				skip[nskip++] = (struct disk_skipped){ (int)i, why };
			if (!why)
				out[n++] = (struct disk_sel){ &m->v[at], (int)i };
		}
		*ret_nskip = nskip;
		return n;
	}
	*ret_nskip = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct fs_mount *f = &m->v[i];
		size_t k;

		if (fs_kind_of(f) != FS_LOCAL)
			continue;
		for (k = 0; k < n && !same_dev(out[k].m, f); k++)
			;
		if (k < n) {
			if (out[k].m->bind && !f->bind)
				out[k].m = f;   /* its root's mount says best what it is */
			continue;
		}
		if (n < cap)
			out[n++] = (struct disk_sel){ f, -1 };
	}
	return n;
}

void disk_limits_of(const struct og_config *cfg, int index, struct disk_limits *ret)
{
	const struct og_disk *d = index >= 0 && (size_t)index < cfg->n_disks ? &cfg->disks[index] : NULL;

	memset(ret, 0, sizeof(*ret));
	ret->d = d;
	ret->free_percent = d ? d->free_percent : DISK_DEFAULT_PERCENT;
	ret->inodes_free_percent = d ? d->inodes_free_percent : DISK_DEFAULT_PERCENT;
	ret->writer_action = d ? d->writer_action : WRITER_REPORT;
	ret->horizon_ms = d && d->horizon_ms != UINT64_MAX ? d->horizon_ms : cfg->disk_horizon_ms;
}

void disk_below(const struct fs_usage *u, const struct disk_limits *l, bool *space, bool *inodes)
{
	*space = l->free_percent > 0 && fs_free_percent(u) < l->free_percent;
	*inodes = l->inodes_free_percent > 0 && u->files > 0 &&
		  fs_inodes_free_percent(u) < l->inodes_free_percent;
}

/* What is missing to reach pct (plus the margin) of total, given avail. */
static uint64_t shortfall(uint64_t total, uint64_t avail, double pct)
{
	double want;

	if (pct <= 0 || !total)
		return 0;
	want = ceil((double)total * MIN(pct + DISK_MARGIN_PERCENT, 100.0) / 100.0);
	return (double)avail >= want ? 0 : (uint64_t)(want - (double)avail);
}

void disk_need(const struct fs_usage *u, const struct disk_limits *l, uint64_t *ret_bytes,
	       uint64_t *ret_inodes)
{
	bool space, inodes;

	disk_below(u, l, &space, &inodes);
	*ret_bytes = space ? shortfall(u->size, u->avail, l->free_percent) : 0;
	*ret_inodes = inodes ? shortfall(u->files, u->favail, l->inodes_free_percent) : 0;
}

/* One step of an exponential average of a rate, weighted by the time
 * since the last look. */
static double ema(double avg, double sample, uint64_t dt_ms, bool first)
{
	double a = 1.0 - exp(-(double)dt_ms / DISK_RATE_TAU_MS);

	return first ? sample : avg + a * (sample - avg);
}

void disk_rate_add(struct disk_rate *r, const struct fs_usage *u, uint64_t now_ms)
{
	if (r->t_ms && now_ms > r->t_ms) {
		uint64_t dt = now_ms - r->t_ms;
		double b = ((double)r->avail - (double)u->avail) * 1000.0 / (double)dt;
		double i = ((double)r->favail - (double)u->favail) * 1000.0 / (double)dt;

		r->bytes_s = ema(r->bytes_s, b, dt, !r->have);
		r->inodes_s = ema(r->inodes_s, i, dt, !r->have);
		r->last_bytes_s = b;
		r->last_inodes_s = i;
		r->have = true;
	}
	if (!r->t_ms || now_ms > r->t_ms) {
		r->t_ms = MAX(now_ms, (uint64_t)1);
		r->avail = u->avail;
		r->favail = u->favail;
	}
}

double disk_eta_s(const struct disk_rate *r, const struct fs_usage *u)
{
	double eta = -1;

	if (!r->have)
		return -1;
	if (r->bytes_s > 0)
		eta = (double)u->avail / r->bytes_s;
	if (u->files && r->inodes_s > 0) {
		double e = (double)u->favail / r->inodes_s;

		eta = eta < 0 ? e : MIN(eta, e);
	}
	return eta;
}

const char *disk_fmt_rate(double bytes_s, char *buf, size_t size)
{
	if (bytes_s >= (double)GiB)
		snprintf(buf, size, "%.1f GiB/s", bytes_s / GiB);
	else if (bytes_s >= (double)MiB)
		snprintf(buf, size, "%.1f MiB/s", bytes_s / MiB);
	else
		snprintf(buf, size, "%.1f KiB/s", bytes_s / KiB);
	return buf;
}

const char *disk_verdict_name(enum disk_verdict v)
{
	static const char *const names[] = {
		"deleted", "kept", "younger than older_than", "open", "not a regular file",
		"another hard link", "another filesystem", "open files not checked",
	};
	return (size_t)v < ARRAY_SIZE(names) ? names[v] : "?";
}

bool disk_name_matches(const char *name, char *const *patterns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(patterns[i], name, FNM_PERIOD) == 0)
			return true;
	return false;
}

/* Oldest first; ties by name, then inode, so that the order is total. */
static int cmp_age(const void *a, const void *b, void *files)
{
	const struct disk_file *x = (const struct disk_file *)files + *(const size_t *)a;
	const struct disk_file *y = (const struct disk_file *)files + *(const size_t *)b;
	int c;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	if ((c = strcmp(x->name, y->name)))
		return c;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

size_t disk_plan(struct disk_file *files, size_t n, const int64_t *older_than_s, int64_t now_s,
		 uint64_t need_bytes, uint64_t need_inodes, size_t *order)
{
	size_t k = 0, chosen = 0;
	uint64_t bytes = 0, inodes = 0;

	for (size_t i = 0; i < n; i++) {
		struct disk_file *f = &files[i];

		if (!f->regular)
			f->verdict = DV_NOT_REGULAR;
		else if (f->other_fs)
			f->verdict = DV_OTHER_FS;
		else if (now_s - f->mtime < older_than_s[f->rule])
			f->verdict = DV_YOUNG;
		else if (f->nlink > 1)
			f->verdict = DV_LINKED;
		else if (f->open)
			f->verdict = DV_OPEN;
		else
			f->verdict = DV_KEPT;
		if (f->verdict == DV_KEPT)
			order[k++] = i;
	}
	qsort_r(order, k, sizeof(*order), cmp_age, files);
	while (chosen < k && (bytes < need_bytes || inodes < need_inodes)) {
		struct disk_file *f = &files[order[chosen++]];

		f->verdict = DV_DELETE;
		bytes += f->bytes;
		inodes++;
	}
	return chosen;
}
