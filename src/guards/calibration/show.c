/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard in explain and status: what it does now (the
 * dataset, nothing more yet), the file and its size now, and in the daemon
 * what was written, dropped and rotated, and the last error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "guards/calibration/calibration.h"
#include "guards/calibration/store.h"

/* The file as it is now: its size, or why it cannot be written (what a
 * flush would say: a symlink, not a regular file, no directory). */
static void look(const char *path, int64_t *ret_size, char *why, size_t size)
{
	struct stat st;

	*ret_size = 0;
	*why = '\0';
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			snprintf(why, size, "%.200s is a symbolic link: the dataset is never written "
				 "through one", path);
		else if (!S_ISREG(st.st_mode))
			snprintf(why, size, "%.200s is not a regular file", path);
		else
			*ret_size = (int64_t)st.st_size;
	} else if (errno != ENOENT) {
		snprintf(why, size, "%.200s: %s", path, strerror(errno));
	}
}

/* How many of path.1 .. path.keep are there. */
static int64_t rotated(const char *path, int64_t keep)
{
	char name[4096];
	struct stat st;
	int64_t n = 0;

	for (int64_t i = 1; i <= keep; i++)
		if (snprintf(name, sizeof(name), "%s.%lld", path, (long long)i) < (int)sizeof(name) &&
		    lstat(name, &st) == 0)
			n++;
	return n;
}

/* The store: where, how often, what it holds (explain opens it read-only
 * for the counts; the daemon says what its lane did). */
static void describe_store(struct guard *g, struct describe *d)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct calib *c = g->state;
	uint64_t samples = 0, cgroups = 0, first = 0, last = 0;
	struct cstore *s = NULL;
	char why[400] = "", a[40], b[40];
	struct stat st;

	if (!cfg->calib_enabled)
		return;
	desc_line(d, "  calibration: every cgroup's memory every %llu ms into %s, kept %llu days",
		  (unsigned long long)cfg->calib_interval_ms, cfg->calib_store,
		  (unsigned long long)(cfg->calib_retention_ms / 86400000));
	if (!g->env->loop && cstore_open(cfg->calib_store, false, &s, why, sizeof(why)) == 0) {
		if (cstore_count(s, &samples, &cgroups, &first, &last) < 0) {
			snprintf(why, sizeof(why), "%.200s: %.180s", cfg->calib_store, cstore_error(s));
			desc_line(d, "  the store: %s", why);
		} else if (samples) {
			format_when(first, a, sizeof(a));
			format_when(last, b, sizeof(b));
			desc_line(d, "  the store: %llu samples of %llu cgroups, %s .. %s, %lld bytes",
				  (unsigned long long)samples, (unsigned long long)cgroups, a, b,
				  stat(cfg->calib_store, &st) == 0 ? (long long)st.st_size : -1LL);
		}
		cstore_close(s);
	} else if (!g->env->loop) {
		desc_line(d, "  the store: %s", why);
	}
	if (g->env->loop) {
		desc_line(d, "  %llu samples taken, %llu cgroups in the last, %llu skipped (the lane "
			  "was busy), %llu old samples deleted", (unsigned long long)c->store_samples,
			  (unsigned long long)c->store_cgroups, (unsigned long long)c->store_busy,
			  (unsigned long long)c->store_pruned);
		if (c->store_err)
			desc_line(d, "  last error: %s", c->store_error);
	}
	if (cfg->rb_enabled && g->env->loop) {
		char when[40] = "never";

		if (c->stats_ms)
			format_when(c->stats_ms, when, sizeof(when));
		desc_line(d, "  rebalance: %llu done, %llu refused; figures of %zu cgroups from %s "
			  "(%llu ms to compute)", (unsigned long long)c->rebalances,
			  (unsigned long long)c->rb_refused, c->n_stats, when,
			  (unsigned long long)c->stats_cost_ms);
		if (*c->rb_last)
			desc_line(d, "  last: %s", c->rb_last);
		if (*c->bus_err)
			desc_line(d, "  systemd cannot be reached, its units are left alone: %s",
				  c->bus_err);
		desc_int(d, "rebalances", (int64_t)c->rebalances);
		desc_int(d, "rebalances_refused", (int64_t)c->rb_refused);
	}
	desc_str(d, "store", cfg->calib_store);
	desc_int(d, "store_interval_ms", (int64_t)cfg->calib_interval_ms);
	desc_int(d, "store_samples", (int64_t)(g->env->loop ? c->store_samples : samples));
	desc_int(d, "store_cgroups", (int64_t)(g->env->loop ? c->store_cgroups : cgroups));
	if (g->env->loop)
		desc_str(d, "store_error", c->store_err ? c->store_error : NULL);
	else
		desc_str(d, "store_error", *why ? why : NULL);
}

void calibration_describe(struct guard *g, struct describe *d)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct calib *c = g->state;
	bool daemon = g->env->loop != NULL;
	char why[400];
	int64_t size;

	describe_store(g, d);
	if (!cfg->ml_enabled)
		return;
	look(cfg->ml_log_path, &size, why, sizeof(why));
	if (daemon && c->err)
		snprintf(why, sizeof(why), "%s", c->error);
	desc_line(d, "  the ML dataset: %s, %lld bytes now, %lld rotated files", cfg->ml_log_path,
		  (long long)size,
		  (long long)rotated(cfg->ml_log_path, cfg->ml_keep));
	desc_line(d, "  every %llu ms: memory and the %lld largest processes; kills, exits, "
		  "anomalies and events as they happen; rotated at %llu KiB, %lld kept",
		  (unsigned long long)cfg->ml_interval_ms, (long long)cfg->ml_top,
		  (unsigned long long)(cfg->ml_max_size / KiB), (long long)cfg->ml_keep);
	if (daemon)
		desc_line(d, "  %llu rows written, %llu dropped, %llu rotations",
			  (unsigned long long)c->rows_written,
			  (unsigned long long)c->q.dropped_total, (unsigned long long)c->rotations);
	if (*why)
		desc_line(d, "  last error: %s", why);
	desc_str(d, "does", "dataset");
	desc_str(d, "path", cfg->ml_log_path);
	desc_int(d, "size", size);
	desc_int(d, "rotated_files", rotated(cfg->ml_log_path, cfg->ml_keep));
	desc_int(d, "max_size", (int64_t)cfg->ml_max_size);
	desc_int(d, "keep", cfg->ml_keep);
	desc_int(d, "top", cfg->ml_top);
	desc_int(d, "interval_ms", (int64_t)cfg->ml_interval_ms);
	if (daemon) {           /* explain is another process: these are the daemon's */
		desc_int(d, "rows_written", (int64_t)c->rows_written);
		desc_int(d, "rows_dropped", (int64_t)c->q.dropped_total);
		desc_int(d, "rotations", (int64_t)c->rotations);
	}
	desc_str(d, "last_error", *why ? why : NULL);
}
