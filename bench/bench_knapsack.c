/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark of ks_choose on realistic candidate sets.
 * Usage: bench_knapsack [runs]   (default 200 runs per row)
 * Values: ~10% 0, ~85% 1, ~5% 5..100 (the "nofree" rows: no 0);
 * bytes log-uniform 100 KiB..4 GiB; work log-uniform 1..1e7 ticks;
 * need = a fraction of a MemTotal-like number. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "victim/knapsack.h"

static uint64_t rng = 0x0b5e55ed;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static uint64_t log_unif(double lo, double hi)
{
	return (uint64_t)exp(log(lo) + unif() * (log(hi) - log(lo)));
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct scenario {
	const char *name;
	int free_items;         /* some value-0 items */
	double memtotal_gib;
	double need_frac;
};

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 100, 1000, 10000, 100000 };
	static const struct scenario sc[] = {
		{ "typical", 1, 64, 0.05 },
		{ "nofree", 0, 64, 0.05 },
		{ "big-need", 1, 1024, 0.05 },
		{ "nofree-big", 0, 1024, 0.05 },
	};
	int runs = argc > 1 ? atoi(argv[1]) : 200;
	struct ks_item *it;
	struct ks_scratch *s;
	double *t;

	if (runs < 1)
		runs = 1;
	it = calloc(100000, sizeof(*it));
	s = ks_scratch_new(100000);
	t = calloc((size_t)runs, sizeof(*t));
	if (!it || !s || !t)
		return 1;
	printf("%-11s %7s %10s %10s %10s %8s %8s\n", "scenario", "n",
	       "median_us", "p99_us", "max_us", "exact", "kills");
	for (size_t q = 0; q < sizeof(sc) / sizeof(sc[0]); q++) {
		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			size_t n = sizes[z];
			uint64_t need = (uint64_t)(sc[q].memtotal_gib * sc[q].need_frac *
						   1073741824.0);
			int exact = 0;
			double kills = 0;

			for (int r = 0; r < runs; r++) {
				struct ks_result res;
				double t0;

				for (size_t i = 0; i < n; i++) {
					uint64_t p = rnd() % 100;

					it[i].bytes = log_unif(100 * 1024.0, 4294967296.0);
					it[i].value = p < 10 && sc[q].free_items ? 0 :
						      p < 95 ? 1 : 5 + (int64_t)(rnd() % 96);
					it[i].work = log_unif(1, 1e7);
				}
				t0 = now_us();
				if (ks_choose(s, it, n, need, &res) < 0)
					return 1;
				t[r] = now_us() - t0;
				exact += res.exact;
				kills += (double)res.n;
			}
			qsort(t, (size_t)runs, sizeof(*t), cmp_d);
			printf("%-11s %7zu %10.1f %10.1f %10.1f %4d/%-3d %8.1f\n",
			       sc[q].name, n, t[runs / 2],
			       t[(size_t)(runs * 0.99)], t[runs - 1],
			       exact, runs, kills / runs);
		}
	}
	ks_scratch_free(s);
	free(it);
	free(t);
	return 0;
}
