/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration store's size and cost: CGROUPS cgroups sampled every
 * 10 s for DAYS days into a fresh store at PATH, downsampled as the daemon
 * does (once per simulated hour: samples older than a day become a row
 * per minute), then the size on disk, and the time the figures of every
 * cgroup take over the whole period (what rebalancing computes) and over
 * the last day.
 *   build/bench/bench_store [PATH [DAYS [CGROUPS]]]  (default /tmp/bench-store.db 30 100) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "guards/calibration/store.h"

#define DAY_MS (86400ull * 1000)

static int count(const char *path, const struct calib_stats *st, void *u)
{
	(*(size_t *)u)++;
	return 0;
}

static long long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/bench-store.db";
	int days = argc > 2 ? atoi(argv[2]) : 30, n = argc > 3 ? atoi(argv[3]) : 100;
	uint64_t t0 = 1700000040000ull, end = t0 + (uint64_t)days * DAY_MS, t, w0;
	struct cg_sample *v = calloc((size_t)n, sizeof(*v));
	struct cstore *s;
	char why[512], wal[4200];
	size_t got = 0;

	if (!v || days < 1 || n < 1)
		return 2;
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (cstore_open(path, true, &s, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	for (int i = 0; i < n; i++)
		snprintf(v[i].path, sizeof(v[i].path), "/system.slice/unit-%03d.service", i);
	w0 = now_ms();
	srandom(1);
	for (t = t0; t < end; t += 10000) {
		for (int i = 0; i < n; i++) {   /* a daily wave plus noise, per cgroup */
			uint64_t base = (uint64_t)(64 + i) << 20;

			v[i].current = base + (uint64_t)((t / 600000 + (uint64_t)i) % 144) * (1 << 20) +
				       (uint64_t)(random() % (8 << 20));
			v[i].anon = v[i].current / 2;
			v[i].file = v[i].current / 3;
			v[i].reclaimable = v[i].file / 2;
		}
		if (cstore_put(s, t, v, (size_t)n) < 0) {
			fprintf(stderr, "put: %s\n", cstore_error(s));
			return 1;
		}
		if ((t - t0) % 3600000 == 0 && t - t0 >= DAY_MS)
			cstore_downsample(s, t - DAY_MS);
	}
	printf("%d cgroups x %d days every 10 s: %llu samples written in %.1f s\n", n, days,
	       (unsigned long long)((end - t0) / 10000 * (uint64_t)n), (now_ms() - w0) / 1000.0);
	cstore_close(s);                /* the last close checkpoints the WAL into the file */
	printf("store on disk: %.1f MiB (WAL %lld bytes)\n", size_of(path) / 1048576.0,
	       size_of(wal) > 0 ? size_of(wal) : 0);
	if (cstore_open(path, false, &s, why, sizeof(why)) < 0)
		return 1;
	w0 = now_ms();
	cstore_query(s, 0, end, NULL, count, &got);
	printf("figures of %zu cgroups over all %d days: %llu ms\n", got, days,
	       (unsigned long long)(now_ms() - w0));
	got = 0;
	w0 = now_ms();
	cstore_query(s, end - DAY_MS, end, NULL, count, &got);
	printf("figures of %zu cgroups over the last day: %llu ms\n", got,
	       (unsigned long long)(now_ms() - w0));
	cstore_close(s);
	free(v);
	return 0;
}
