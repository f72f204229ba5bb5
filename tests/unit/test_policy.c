/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/util.h"
#include "guards/memory/policy.h"


static struct og_config cfg;

static int setup(void **state)
{
	(void)state;
	config_default(&cfg);
	/* The worst-case fill bound has a test of its own. */
	cfg.max_fill_rate = 0;
	/* The thresholds' tests are the fixed policy's; the pressure tests and
	 * the adaptive ones switch to the default, adaptive. */
	cfg.mem_policy = MEM_POLICY_FIXED;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

static struct meminfo mem(uint64_t total, uint64_t avail, uint64_t swap_total, uint64_t swap_free)
{
	struct meminfo mi = { .mem_total = total, .mem_available = avail,
			      .swap_total = swap_total, .swap_free = swap_free };
	return mi;
}

static void test_threshold_bytes(void **state)
{
	struct og_threshold t = { .percent = 10, .size = 0 };

	(void)state;
	assert_int_equal(threshold_bytes(&t, 1000 * MiB), 100 * MiB);
	t.size = 50 * MiB;      /* the lower of the two */
	assert_int_equal(threshold_bytes(&t, 1000 * MiB), 50 * MiB);
	t.size = 500 * MiB;
	assert_int_equal(threshold_bytes(&t, 1000 * MiB), 100 * MiB);
	t.percent = -1;         /* size only */
	assert_int_equal(threshold_bytes(&t, 1000 * MiB), 500 * MiB);
	t.size = 0;             /* neither: never fires */
	assert_int_equal(threshold_bytes(&t, 1000 * MiB), 0);
}

static void test_levels_without_swap(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi;

	(void)state;
	policy_init(&st);
	mi = mem(GiB, 600 * MiB, 0, 0);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	assert_int_equal(v.trigger, TRIG_NONE);
	assert_int_equal(v.next_ms, cfg.interval_max_ms);      /* idle: 1 wakeup/s */

	policy_init(&st);
	mi = mem(GiB, 90 * MiB, 0, 0);  /* < 10% */
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_MEMORY);
	assert_true(v.need_bytes >= (uint64_t)(GiB / 10 - 90 * MiB) + MARGIN_FIXED - MiB);
	assert_int_equal(v.next_ms, cfg.interval_min_ms);
	assert_non_null(strstr(v.reason, "MemAvailable 90 MiB"));

	policy_init(&st);
	mi = mem(GiB, 40 * MiB, 0, 0);  /* < 5% */
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.level, LEVEL_KILL);
}

static void test_swap_must_also_be_low(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi;

	(void)state;
	policy_init(&st);
	mi = mem(GiB, 40 * MiB, GiB, 800 * MiB);        /* memory low, swap plentiful */
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	policy_init(&st);
	mi = mem(GiB, 40 * MiB, GiB, 80 * MiB);         /* swap below 10%, above 5% */
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.level, LEVEL_TERM);
	policy_init(&st);
	mi = mem(GiB, 40 * MiB, GiB, 20 * MiB);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.level, LEVEL_KILL);
}

static void test_disabled_memory_guard(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi = mem(GiB, 10 * MiB, 0, 0);

	(void)state;
	cfg.memory_enabled = false;
	policy_init(&st);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	cfg.memory_enabled = true;
	assert_int_equal(v.level, LEVEL_OK);
}

/* A fast fill shortens the interval, and one that would cross the
 * threshold before the next look acts now. */
static void test_rate_and_prediction(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi;

	(void)state;
	policy_init(&st);
	mi = mem(GiB, 900 * MiB, 0, 0);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.next_ms, 1000);
	mi.mem_available = 700 * MiB;   /* 200 MiB in 1 s */
	policy_eval(&cfg, &st, &mi, NULL, 2000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	assert_true(v.rate > 150.0 * MiB && v.rate < 250.0 * MiB);
	assert_true(v.eta_ms > 2000 && v.eta_ms < 4000);
	assert_true(v.next_ms < 2000 && v.next_ms >= cfg.interval_min_ms);

	/* 500 MiB/s, 20 MiB above the threshold: crosses within 40 ms. */
	policy_init(&st);
	mi = mem(GiB, 200 * MiB, 0, 0);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	mi.mem_available = 123 * MiB;
	policy_eval(&cfg, &st, &mi, NULL, 1100, &v);
	mi.mem_available = 123 * MiB - 10 * MiB;        /* 500 MiB/s */
	policy_eval(&cfg, &st, &mi, NULL, 1120, &v);
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_PREDICTED);
	assert_non_null(strstr(v.reason, "predicted"));

	/* A process that stops growing: no prediction. */
	mi.mem_available = 113 * MiB;
	policy_eval(&cfg, &st, &mi, NULL, 2200, &v);
	policy_eval(&cfg, &st, &mi, NULL, 3300, &v);
	assert_int_equal(v.level, LEVEL_OK);
}

static struct psi psi_at(uint64_t full_total_us, double some_avg10)
{
	struct psi p = { .has_full = true };

	p.full.total_us = full_total_us;
	p.some.total_us = full_total_us;
	p.some.avg10 = some_avg10;
	return p;
}

static void test_psi_sustained(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi = mem(GiB, 500 * MiB, 0, 0);
	struct psi p;
	uint64_t t, total = 0;

	(void)state;
	cfg.mem_policy = MEM_POLICY_ADAPTIVE;   /* the default; no fill, so no onset */
	policy_init(&st);
	/* 50% full stall for 6 s, sampled every 100 ms. */
	for (t = 0; t <= 6000; t += 100) {
		p = psi_at(total, 50);
		policy_eval(&cfg, &st, &mi, &p, 10000 + t, &v);
		if (t < cfg.psi_duration_ms)
			assert_int_equal(v.level, LEVEL_OK);    /* not sustained yet */
		total += 50 * 1000;
	}
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_PSI);
	assert_true(v.psi_full_share > 45 && v.psi_full_share < 55);
	assert_int_equal(v.next_ms, cfg.interval_min_ms);
	assert_true(v.need_bytes >= v.floor);   /* adaptive: the floor, not the 64 MiB margin */
	assert_true(v.need_bytes < MARGIN_FIXED);

	/* After a kill the history is forgotten. */
	policy_reset_psi(&st);
	p = psi_at(total, 50);
	policy_eval(&cfg, &st, &mi, &p, 16200, &v);
	assert_int_equal(v.level, LEVEL_OK);

	/* A short spike (2 s at 80%) then calm does not fire. */
	policy_init(&st);
	total = 0;
	for (t = 0; t <= 8000; t += 100) {
		p = psi_at(total, 10);
		policy_eval(&cfg, &st, &mi, &p, 20000 + t, &v);
		assert_int_equal(v.level, LEVEL_OK);
		total += t < 2000 ? 80 * 1000 : 1000;
	}
	cfg.mem_policy = MEM_POLICY_FIXED;
}

static uint64_t thrash_reclaim;         /* global reclaim counter's step per sample */
static unsigned feed_some_pct;          /* PSI some per sample, percent; 0: as full */
static uint64_t feed_fall;              /* MemAvailable's fall per sample */

/* Feed policy_eval `ms` of samples every 100 ms from a fresh state: full
 * stall at `full_pct`, `refault_mib` of file pages refaulted per sample.
 * Returns when the verdict first is not OK (or at the end) and its time. */
static uint64_t thrash_feed(struct meminfo *mi, unsigned full_pct, unsigned refault_mib,
			    uint64_t ms, struct verdict *v)
{
	struct policy_state st;
	struct psi p;
	uint64_t t, total = 0, some = 0;

	policy_init(&st);
	for (t = 0; t <= ms; t += 100) {
		p = psi_at(total, 40);
		p.some.total_us = feed_some_pct ? some : total;
		policy_eval(&cfg, &st, mi, &p, 10000 + t, v);
		if (v->level != LEVEL_OK)
			return t;
		total += full_pct * 1000;
		some += feed_some_pct * 1000;
		mi->refault_file += refault_mib * MiB;
		mi->reclaim += thrash_reclaim;
		mi->mem_available -= feed_fall;
	}
	return t;
}

/* Page-cache thrash: full stalls that stay under kill_full_percent act only
 * while the file cache is refaulted faster than it holds. */
static void test_thrash(void **state)
{
	struct verdict v;
	struct meminfo mi = mem(GiB, 250 * MiB, 0, 0);

	(void)state;
	cfg.mem_policy = MEM_POLICY_ADAPTIVE;
	mi.has_vmstat = true;
	mi.file_lru = 200 * MiB;
	/* 25% full stall with 6 MiB refaulted per 100 ms: 150% of the cache
	 * over the 5 s window, so it acts once the window is full. */
	assert_int_equal(thrash_feed(&mi, 25, 6, 8000, &v), cfg.psi_duration_ms);
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_THRASH);
	assert_true(v.refault_percent > 140 && v.refault_percent < 160);
	assert_non_null(strstr(v.reason, "page-cache thrash"));
	assert_true(v.need_bytes >= v.floor);

	/* The same stalls with few refaults (not the cache: e.g. reclaim of
	 * anon memory under a limit) are left to kill_full_percent. */
	thrash_feed(&mi, 25, 1, 8000, &v);      /* 25% of the cache in 5 s */
	assert_int_equal(v.level, LEVEL_OK);
	assert_true(v.refault_percent > 20 && v.refault_percent < 30);

	/* Heavy refaults with little stall (a streaming reader) do not act. */
	thrash_feed(&mi, 5, 10, 8000, &v);
	assert_int_equal(v.level, LEVEL_OK);

	/* Without /proc/vmstat, no thrash verdict. */
	mi.has_vmstat = false;
	thrash_feed(&mi, 25, 6, 8000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	assert_true(v.refault_percent < 0);

	/* Off when thrash_full_percent is 0. */
	mi.has_vmstat = true;
	cfg.psi_thrash_full_percent = 0;
	thrash_feed(&mi, 25, 6, 8000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	cfg.psi_thrash_full_percent = 15;

	/* Where the kernel says whether the machine reclaims for itself: a
	 * thrash with it (kswapd scanning) acts as before... */
	mi.has_reclaim = true;
	thrash_reclaim = 300;
	assert_int_equal(thrash_feed(&mi, 25, 6, 8000, &v), cfg.psi_duration_ms);
	assert_int_equal(v.trigger, TRIG_THRASH);
	assert_true(v.global_reclaim);
	/* ...one without it is a cgroup's under its own limit (VM 56): the
	 * same stall and refaults, and even a stall over kill_full_percent,
	 * do not act. */
	thrash_reclaim = 0;
	thrash_feed(&mi, 25, 6, 8000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	assert_false(v.global_reclaim);
	thrash_feed(&mi, 70, 6, 8000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	/* Memory thresholds still act without global reclaim. */
	mi.mem_available = 6 * MiB;     /* under the adaptive floor (8 MiB) */
	thrash_feed(&mi, 25, 6, 8000, &v);
	assert_int_equal(v.trigger, TRIG_MEMORY);
	mi.has_reclaim = false;
	cfg.mem_policy = MEM_POLICY_FIXED;
}

/* Never sleep longer than memory could fill to the threshold at the
 * assumed worst rate (6 GiB/s by default), as earlyoom does. */
static void test_worst_case_fill_bound(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi = mem(GiB, 900 * MiB, 0, 0);

	(void)state;
	cfg.max_fill_rate = 6 * GiB;
	policy_init(&st);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	/* (900 - 102.4) MiB at 6 GiB/s = 129 ms */
	assert_int_equal(v.level, LEVEL_OK);
	assert_true(v.next_ms >= 120 && v.next_ms <= 135);
	/* A big machine with room sleeps the full second. */
	mi = mem(64 * GiB, 40 * GiB, 0, 0);
	policy_init(&st);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.next_ms, cfg.interval_max_ms);
	/* Never below interval_min. */
	mi = mem(GiB, 103 * MiB, 0, 0);
	policy_init(&st);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.next_ms, cfg.interval_min_ms);
	cfg.max_fill_rate = 0;
}

static void test_psi_event_polls_fast(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi = mem(GiB, 900 * MiB, 0, 0);

	(void)state;
	policy_init(&st);
	policy_note_psi_event(&st, 5000);
	policy_eval(&cfg, &st, &mi, NULL, 5100, &v);
	assert_int_equal(v.next_ms, PSI_EVENT_INTERVAL_MS);
	policy_eval(&cfg, &st, &mi, NULL, 5000 + PSI_EVENT_FAST_MS + 10, &v);
	assert_int_equal(v.next_ms, cfg.interval_max_ms);
}

static void test_cgroup_headroom(void **state)
{
	struct cg_mem m = { .max = 200 * MiB, .current = 150 * MiB };
	struct verdict v;

	(void)state;
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_OK);
	assert_int_equal(v.next_ms, cfg.interval_max_ms);      /* no fill bound set */
	/* 50 MiB of headroom fill in ms at the worst-case rate: look again
	 * before that, but not more than ten times a second. */
	cfg.max_fill_rate = 6 * GiB;
	policy_cgroup(&cfg, &m, &v);
	assert_true(v.next_ms < cfg.interval_max_ms);
	assert_int_equal(v.next_ms, MAX((50 * MiB - 10 * MiB) * 1000 / cfg.max_fill_rate,
					(uint64_t)CG_LOOK_MIN_MS));
	m.max = 100000 * MiB;   /* a huge limit: the idle interval */
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.next_ms, cfg.interval_max_ms);
	m.max = 200 * MiB;
	cfg.max_fill_rate = 0;
	m.current = 192 * MiB;  /* headroom 8 MiB = 4% <= 5% */
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_CGROUP);
	assert_true(v.need_bytes > 0);
	assert_int_equal(v.next_ms, cfg.interval_min_ms);
	m.current = 198 * MiB;  /* 1% */
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_KILL);
	/* Page cache is reclaimable: a cgroup full of cache is healthy. */
	m.file = 100 * MiB;
	m.shmem = 0;
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_OK);
	/* ... but tmpfs/shmem is not. */
	m.shmem = 100 * MiB;
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_KILL);
	/* Unlimited cgroups never fire. */
	m.max = CG_MAX;
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_OK);
	/* Sustained full pressure inside a limited cgroup does. */
	m.max = 200 * MiB;
	m.current = 100 * MiB;
	m.shmem = m.file = 0;
	m.has_pressure = true;
	m.pressure.full.avg10 = 70;
	policy_cgroup(&cfg, &m, &v);
	assert_int_equal(v.level, LEVEL_TERM);
}

/* The adaptive policy across machine sizes (512 MiB to 1 TiB): the floor
 * is MemTotal/256 within [8, 256] MiB, the ceiling the 10 % terminate
 * threshold within memory.ceiling (4 GiB); with nothing filling, the level
 * is the floor and half of it kills. */
static void test_adaptive_scale(void **state)
{
	static const struct { uint64_t total, floor, ceiling; } m[] = {
		{ 512 * MiB, 8 * MiB, 512 * MiB / 10 },
		{ GiB, 8 * MiB, GiB / 10 },
		{ 2 * GiB, 8 * MiB, 2 * GiB / 10 },
		{ 4 * GiB, 16 * MiB, 4 * GiB / 10 },
		{ 16 * GiB, 64 * MiB, 16 * GiB / 10 },
		{ 64 * GiB, 256 * MiB, 4 * GiB },
		{ 1024 * GiB, 256 * MiB, 4 * GiB },
	};
	struct policy_state st;
	struct verdict v;
	struct meminfo mi;

	(void)state;
	cfg.mem_policy = MEM_POLICY_ADAPTIVE;
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		assert_int_equal(policy_floor(&cfg, m[i].total), m[i].floor);
		assert_int_equal(policy_ceiling(&cfg, m[i].total), m[i].ceiling);
		/* Steady at 6 % (a fixed 10 % would kill): nothing to do. */
		policy_init(&st);
		mi = mem(m[i].total, m[i].total * 6 / 100, 0, 0);
		policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
		policy_eval(&cfg, &st, &mi, NULL, 2000, &v);
		assert_int_equal(v.level, LEVEL_OK);
		assert_int_equal(v.term_mem, m[i].floor);
		assert_int_equal(v.kill_mem, m[i].floor / 2);
		/* Just under the floor: terminate; under half: kill. */
		policy_init(&st);
		mi.mem_available = m[i].floor - MiB;
		policy_eval(&cfg, &st, &mi, NULL, 60000, &v);
		assert_int_equal(v.level, LEVEL_TERM);
		assert_int_equal(v.trigger, TRIG_MEMORY);
		assert_non_null(strstr(v.reason, "<= floor"));
		/* What is needed, no more: back to the floor, and a floor beyond. */
		assert_int_equal(v.need_bytes, MiB + m[i].floor);
		mi.mem_available = m[i].floor / 2 - MiB;
		policy_eval(&cfg, &st, &mi, NULL, 120000, &v);
		assert_int_equal(v.level, LEVEL_KILL);
	}
	/* memory.margin, where set, is what is freed beyond the level (the
	 * knapsack scenario, VM 19, asks for 480 MiB). */
	cfg.margin_bytes = 480 * MiB;
	policy_init(&st);
	mi = mem(GiB, 6 * MiB, 0, 0);
	policy_eval(&cfg, &st, &mi, NULL, 1000, &v);
	assert_int_equal(v.need_bytes, 2 * MiB + 480 * MiB);
	cfg.margin_bytes = 0;
	/* memory.floor and memory.ceiling as set; the terminate threshold
	 * still caps the ceiling. */
	cfg.floor_bytes = 100 * MiB;
	cfg.ceiling_bytes = 2 * GiB;
	assert_int_equal(policy_floor(&cfg, 1024 * GiB), 100 * MiB);
	assert_int_equal(policy_ceiling(&cfg, 1024 * GiB), 2 * GiB);
	assert_int_equal(policy_ceiling(&cfg, 8 * GiB), 8 * GiB / 10);
	cfg.term_mem.percent = -1;      /* no terminate threshold: the ceiling alone */
	assert_int_equal(policy_ceiling(&cfg, 8 * GiB), 2 * GiB);
	cfg.term_mem.percent = 10;
	cfg.floor_bytes = 0;
	cfg.ceiling_bytes = 4 * GiB;
	cfg.mem_policy = MEM_POLICY_FIXED;
}

/* A fast fill raises the level by what the fill takes during one look and
 * one choice: at 1 GiB/s, 20 ms between looks and 20 ms to choose, 40 MiB
 * above the floor (8 MiB); with the eBPF guard watching (a wake-up within 5 ms) and
 * a choice measured at 5 ms, 10 MiB. The ceiling caps it. */
static void test_adaptive_fast_fill(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi = mem(GiB, 400 * MiB, 0, 0);
	uint64_t t = 1000;

	(void)state;
	cfg.mem_policy = MEM_POLICY_ADAPTIVE;
	policy_init(&st);
	for (; mi.mem_available > 100 * MiB; t += 20) {
		policy_eval(&cfg, &st, &mi, NULL, t, &v);
		mi.mem_available -= 20 * MiB;   /* 1 GiB/s, give or take the ms */
	}
	assert_int_equal(v.level, LEVEL_OK);
	assert_true(v.lookahead_ms == cfg.interval_min_ms + ACT_MS_INIT);
	assert_true(v.term_mem > 8 * MiB + 38 * MiB && v.term_mem < 8 * MiB + 42 * MiB);
	while (v.level == LEVEL_OK) {
		mi.mem_available -= 20 * MiB;
		t += 20;
		policy_eval(&cfg, &st, &mi, NULL, t, &v);
	}
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_PREDICTED);
	assert_true(mi.mem_available <= v.term_mem && mi.mem_available > v.floor);
	assert_non_null(strstr(v.reason, "adaptive level"));
	/* Watched, and a choice that took 5 ms: the level comes down. */
	st.watched = true;
	policy_note_act(&st, 5);
	mi.mem_available -= 20 * MiB;
	policy_eval(&cfg, &st, &mi, NULL, t + 20, &v);
	assert_true(v.lookahead_ms == WAKE_MS + 5);
	assert_true(v.term_mem > 8 * MiB + 9 * MiB && v.term_mem < 8 * MiB + 11 * MiB);
	/* A fill of 10 GiB/s: the level stops at the ceiling (10 %). */
	policy_init(&st);
	mi.mem_available = 800 * MiB;
	policy_eval(&cfg, &st, &mi, NULL, t + 40, &v);
	mi.mem_available = 600 * MiB;
	policy_eval(&cfg, &st, &mi, NULL, t + 60, &v);
	assert_int_equal(v.term_mem, policy_ceiling(&cfg, GiB));
	/* The fill stops at 6 % (the storm's survivors hold their memory):
	 * the level falls back to the floor; nobody else is killed. */
	mi.mem_available = 60 * MiB;
	policy_eval(&cfg, &st, &mi, NULL, t + 80, &v);
	policy_eval(&cfg, &st, &mi, NULL, t + 6000, &v);
	assert_int_equal(v.level, LEVEL_OK);
	assert_int_equal(v.term_mem, 8 * MiB);
	cfg.mem_policy = MEM_POLICY_FIXED;
}

/* Reclaim no longer cheap: some stall over the last second while memory
 * still fills and MemAvailable is under the ceiling (the working set is
 * page cache that MemAvailable counts as free). */
/* 1.5 s from MemAvailable `avail` falling `fall` per sample, PSI some at
 * `some_pct` and no full stall. */
static uint64_t some_feed(struct meminfo *mi, uint64_t avail, unsigned some_pct, uint64_t fall,
			  struct verdict *v)
{
	uint64_t t;

	mi->mem_available = avail;
	feed_some_pct = some_pct;
	feed_fall = fall;
	t = thrash_feed(mi, 0, 0, 1500, v);
	feed_some_pct = 0;
	feed_fall = 0;
	return t;
}

static void test_adaptive_onset(void **state)
{
	struct verdict v;
	struct meminfo mi = mem(GiB, 90 * MiB, 0, 0);

	(void)state;
	cfg.mem_policy = MEM_POLICY_ADAPTIVE;
	/* 20 % some while 10 MiB/s fill, under the 102 MiB ceiling. */
	assert_true(some_feed(&mi, 90 * MiB, 20, MiB, &v) >= ONSET_MS);
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.trigger, TRIG_PSI);
	assert_true(v.onset);
	assert_non_null(strstr(v.reason, "onset"));
	/* The same stall with nothing filling, or above the ceiling: no. */
	some_feed(&mi, 90 * MiB, 20, 0, &v);
	assert_int_equal(v.level, LEVEL_OK);
	some_feed(&mi, 300 * MiB, 20, MiB, &v);
	assert_int_equal(v.level, LEVEL_OK);
	cfg.mem_policy = MEM_POLICY_FIXED;
}

/* Neither filling nor stalling (the storm's survivors hold their memory,
 * MemAvailable just under the floor, PSI quiet for a second): only the kill
 * level holds. A stall, or memory still filling, brings the floor back. */
static void test_adaptive_steady(void **state)
{
	struct policy_state st;
	struct verdict v;
	struct meminfo mi = mem(GiB, 7 * MiB, 0, 0);
	struct psi p;
	uint64_t t, some = 0;

	(void)state;
	cfg.mem_policy = MEM_POLICY_ADAPTIVE;
	policy_init(&st);
	for (t = 0; t <= 1500; t += 100) {
		p = psi_at(0, 0);
		p.some.total_us = some;
		policy_eval(&cfg, &st, &mi, &p, 10000 + t, &v);
		if (t < ONSET_MS)
			assert_int_equal(v.level, LEVEL_TERM);  /* no history yet: the floor */
		some += 100;                            /* 0.1 % some: quiet */
	}
	assert_int_equal(v.level, LEVEL_OK);
	assert_int_equal(v.term_mem, v.kill_mem);
	assert_int_equal(v.kill_mem, 4 * MiB);
	/* Some stall (2 %): the floor again. */
	for (; t <= 3000; t += 100) {
		p = psi_at(0, 0);
		p.some.total_us = some;
		policy_eval(&cfg, &st, &mi, &p, 10000 + t, &v);
		some += 2000;
	}
	assert_int_equal(v.level, LEVEL_TERM);
	assert_int_equal(v.term_mem, 8 * MiB);
	/* Under the kill level, always. */
	mi.mem_available = 3 * MiB;
	p.some.total_us = some;
	policy_eval(&cfg, &st, &mi, &p, 10000 + t, &v);
	assert_int_equal(v.level, LEVEL_KILL);
	cfg.mem_policy = MEM_POLICY_FIXED;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_bytes),
		cmocka_unit_test(test_levels_without_swap),
		cmocka_unit_test(test_swap_must_also_be_low),
		cmocka_unit_test(test_disabled_memory_guard),
		cmocka_unit_test(test_rate_and_prediction),
		cmocka_unit_test(test_psi_sustained),
		cmocka_unit_test(test_thrash),
		cmocka_unit_test(test_worst_case_fill_bound),
		cmocka_unit_test(test_psi_event_polls_fast),
		cmocka_unit_test(test_cgroup_headroom),
		cmocka_unit_test(test_adaptive_scale),
		cmocka_unit_test(test_adaptive_fast_fill),
		cmocka_unit_test(test_adaptive_onset),
		cmocka_unit_test(test_adaptive_steady),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
