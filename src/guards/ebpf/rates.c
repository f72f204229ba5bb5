/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/ebpf/rates.h"

bool episode_hit(struct episodes *e, uint32_t pid, uint64_t now_ms)
{
	size_t k = 0, oldest = 0;
	bool on = false;

	for (size_t i = 0; i < e->n; i++) {
		if (now_ms - e->v[i].last_ms > EPISODE_GAP_MS)
			continue;               /* over: forgotten */
		if (e->v[i].pid == pid) {
			on = true;
			e->v[i].last_ms = now_ms;
		}
		e->v[k++] = e->v[i];
	}
	e->n = k;
	if (on)
		return false;
	if (e->n == EPISODES_MAX) {
		for (size_t i = 1; i < e->n; i++)
			if (e->v[i].last_ms < e->v[oldest].last_ms)
				oldest = i;
		e->v[oldest] = e->v[--e->n];
	}
	e->v[e->n].pid = pid;
	e->v[e->n].last_ms = now_ms;
	e->n++;
	return true;
}

double window_rate(uint64_t win_bytes, uint64_t win_start_ns, uint64_t now_ns)
{
	uint64_t age = now_ns > win_start_ns ? now_ns - win_start_ns : 0;

	if (age > 2000000000ull)
		return 0;
	if (age < 100000000ull)
		age = 100000000ull;
	if (age > 1000000000ull)
		age = 1000000000ull;
	return (double)win_bytes * 1e9 / (double)age;
}
