/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard's pure part. The program counts what each process charges
 * in 1 s windows and says when one passes the threshold (alloc.bpf.c);
 * here: the rate a window shows, and the alert episodes (one alert per
 * process per episode: it lasts while the process passes the threshold in
 * windows no more than EPISODE_GAP_MS apart). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EPISODE_GAP_MS 2000
#define EPISODES_MAX 256

struct episode {
	uint32_t pid;
	uint64_t last_ms;               /* its last window over the threshold */
};

struct episodes {
	struct episode v[EPISODES_MAX];
	size_t n;
};

/* A window of pid passed the threshold at now_ms: true when that starts an
 * episode (alert), false while one is on. Episodes over for more than the
 * gap are forgotten; with the table full the oldest goes. */
bool episode_hit(struct episodes *e, uint32_t pid, uint64_t now_ms);

/* The rate a window shows, bytes/s: what was charged in it over its age
 * (at least 100 ms, at most 1 s); 0 when it began more than 2 s ago (the
 * process has charged nothing since). */
double window_rate(uint64_t win_bytes, uint64_t win_start_ns, uint64_t now_ns);
