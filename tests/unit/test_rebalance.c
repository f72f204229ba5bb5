/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rebalance planner (issue 16, phase 2): hand-worked cases for each of
 * the seed's steps and for each refusal, then properties over random
 * parents: a donor never below max(calibrated min, current + margin), the
 * affected cgroup never past the parent or its calibrated max + margin,
 * what the siblings give is what the affected one gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/context.h"
#include "core/guard.h"
#include "core/sdbus.h"
#include "core/util.h"
#include "fixture.h"
#include "guards/calibration/calibration.h"
#include "guards/calibration/rebalance.h"
#include "unit/record-util.h"

#define MiB (1024ull * 1024)

static struct rb_cgroup child(const char *path, uint64_t limit, uint64_t current, uint64_t min,
			      uint64_t median, uint64_t max)
{
	return (struct rb_cgroup){ .path = path, .limit = limit, .current = current,
				   .calibrated = true, .eligible = true,
				   .st = { .min = min, .median = median, .p95 = max, .max = max,
					   .samples = 100 } };
}

/* (1) the parent has room: the affected one gets the margin, nobody gives */
static void test_parent(void **state)
{
	struct rb_cgroup v[3] = {
		child("/p/a", 300 * MiB, 300 * MiB, 100 * MiB, 250 * MiB, 400 * MiB),
		child("/p/b", 300 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
		child("/p/c", 200 * MiB, 150 * MiB, 100 * MiB, 150 * MiB, 200 * MiB),
	};
	struct rb_input in = { v, 3, 0, 1000 * MiB, 64 * MiB, 0 };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_PARENT);        /* 1000 - 800 = 200 MiB free */
	assert_true(p.added == 64 * MiB);
	assert_int_equal(p.n, 1);
	assert_true(p.ch[0].idx == 0 && p.ch[0].old_limit == 300 * MiB &&
		    p.ch[0].new_limit == 364 * MiB);
	assert_string_equal(rb_source_name(p.source), "parent");
}

/* (2) the parent is full: b uses less than its median and gives; c uses
 * more than its median and does not */
static void test_siblings(void **state)
{
	struct rb_cgroup v[3] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/b", 400 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
		child("/p/c", 200 * MiB, 190 * MiB, 100 * MiB, 150 * MiB, 200 * MiB),
	};
	struct rb_input in = { v, 3, 0, 1000 * MiB, 64 * MiB, 0 };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_SIBLINGS);
	assert_true(p.added == 64 * MiB);
	assert_int_equal(p.n, 2);
	assert_true(p.ch[0].new_limit == 464 * MiB);
	assert_true(p.ch[1].idx == 1 && p.ch[1].new_limit == 336 * MiB);
	/* two donors share in proportion to what they can spare: b 400 - 164 =
	 * 236 MiB (floor: current + margin), d 300 - 100 = 200 MiB (floor: its
	 * calibrated min 100, = its current 36 + margin 64) */
	struct rb_cgroup w[3] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 600 * MiB),
		child("/p/b", 400 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
		child("/p/d", 300 * MiB, 36 * MiB, 100 * MiB, 150 * MiB, 200 * MiB),
	};
	in = (struct rb_input){ w, 3, 0, 1100 * MiB, 64 * MiB, 0 };
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_SIBLINGS);
	assert_int_equal(p.n, 3);
	uint64_t gb = p.ch[1].old_limit - p.ch[1].new_limit, gd = p.ch[2].old_limit - p.ch[2].new_limit;
	assert_true(gb + gd == 64 * MiB);
	assert_true(gb > gd);                          /* 236 : 200 */
	assert_true(gb % RB_PAGE == 0 && gd % RB_PAGE == 0);
	assert_true(p.ch[2].new_limit >= 100 * MiB + 0 && p.ch[2].new_limit >= 36 * MiB + 64 * MiB);
}

/* (3) nothing to give: the kill proceeds (RB_NONE, with the figures) */
static void test_nothing(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/b", 400 * MiB, 350 * MiB, 300 * MiB, 340 * MiB, 400 * MiB),
	};
	struct rb_input in = { v, 2, 0, 800 * MiB, 64 * MiB, 0 };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	assert_int_equal(p.n, 0);
	assert_non_null(strstr(p.why, "can spare 0 MiB"));
	/* b under its median but its floor (current + margin) leaves too little */
	v[1] = child("/p/b", 400 * MiB, 320 * MiB, 100 * MiB, 340 * MiB, 400 * MiB);
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);            /* 400 - 384 = 16 < 64 */
	assert_non_null(strstr(p.why, "can spare 16 MiB"));
}

/* A donor keeps keep_percent of its new limit free: a big donor whose use
 * plus the margin would leave it under the cgroups guard's threshold
 * gives less (found in review: it was lowered into the kill zone). */
static void test_keep_percent(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/y", 2048 * MiB, 1900 * MiB, 1000 * MiB, 1950 * MiB, 2048 * MiB),
	};
	struct rb_input in = { v, 2, 0, 2448 * MiB, 64 * MiB, 0 };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);          /* without: y gives 64 of its 84 */
	assert_int_equal(p.source, RB_SIBLINGS);
	assert_true(p.ch[1].new_limit == 1984 * MiB);
	in.keep_percent = 10;                           /* y keeps 10 %: 1900 / 0.9 = 2111 */
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	assert_non_null(strstr(p.why, "can spare 0 MiB"));
}

static void test_refusals(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/b", 400 * MiB, 100 * MiB, 50 * MiB, 200 * MiB, 300 * MiB),
	};
	struct rb_input in = { v, 2, 0, 2000 * MiB, 64 * MiB, 0 };
	struct rb_plan p;

	v[0].eligible = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "rebalance.cgroups"));
	v[0].eligible = true;
	v[0].calibrated = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "calibration"));
	v[0].calibrated = true;
	v[0].limit = RB_NO_LIMIT;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "no memory.max"));
	/* no creep: at its calibrated max + margin already */
	v[0].limit = 564 * MiB;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_NONE && strstr(p.why, "creep"));
	/* near it: raised only up to it */
	v[0].limit = 540 * MiB;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_true(p.source == RB_PARENT && p.ch[0].new_limit == 564 * MiB && p.added == 24 * MiB);
	/* a donor without calibration, or not in rebalance.cgroups, gives nothing */
	v[0].limit = 400 * MiB;
	in.parent_limit = 800 * MiB;
	v[1].calibrated = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	v[1].calibrated = true;
	v[1].eligible = false;
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_NONE);
	/* bad input */
	in.affected = 2;
	assert_int_equal(rb_plan(&in, &p), -EINVAL);
	in.affected = 0;
	in.margin = 0;
	assert_int_equal(rb_plan(&in, &p), -EINVAL);
}

/* A child without a limit holds its use plus the margin of the parent. */
static void test_unlimited_sibling(void **state)
{
	struct rb_cgroup v[2] = {
		child("/p/a", 400 * MiB, 400 * MiB, 100 * MiB, 300 * MiB, 500 * MiB),
		child("/p/free", RB_NO_LIMIT, 500 * MiB, 0, 0, 0),
	};
	struct rb_input in = { v, 2, 0, 1000 * MiB, 64 * MiB, 0 };
	struct rb_plan p;

	assert_int_equal(rb_plan(&in, &p), 0);  /* 1000 - 400 - 564 = 36 < 64 */
	assert_int_equal(p.source, RB_NONE);
	in.parent_limit = 1028 * MiB;           /* 64 free */
	assert_int_equal(rb_plan(&in, &p), 0);
	assert_int_equal(p.source, RB_PARENT);
}

static uint64_t rnd(uint64_t lo, uint64_t hi)
{
	return lo + (uint64_t)random() % (hi - lo + 1);
}

static void test_properties(void **state)
{
	srandom(16);
	for (int round = 0; round < 20000; round++) {
		struct rb_cgroup v[8];
		size_t n = (size_t)rnd(1, 8);
		uint64_t sum_before = 0, sum_after = 0, alloc = 0;
		struct rb_input in = { v, n, (size_t)rnd(0, n - 1), 0, rnd(1, 128) * MiB,
				       (double)rnd(0, 20) };
		struct rb_plan p;
		uint64_t lim[8];

		for (size_t i = 0; i < n; i++) {
			uint64_t min = rnd(0, 400) * MiB, max = min + rnd(0, 800) * MiB;
			uint64_t med = rnd(min, max), limit = rnd(1, 1200) * MiB;

			v[i] = child("/p/x", random() % 8 ? limit : RB_NO_LIMIT,
				     rnd(0, 1200) * MiB, min, med, max);
			v[i].calibrated = random() % 6;
			v[i].eligible = random() % 6;
			lim[i] = v[i].limit;
			alloc += v[i].limit != RB_NO_LIMIT ? v[i].limit : v[i].current + in.margin;
		}
		in.parent_limit = alloc + rnd(0, 300) * MiB - (random() % 2 ? rnd(0, 300) * MiB : 0);
		assert_int_equal(rb_plan(&in, &p), 0);
		if (p.source == RB_NONE) {
			assert_int_equal(p.n, 0);
			continue;
		}
		const struct rb_cgroup *a = &v[in.affected];
		assert_true(p.ch[0].idx == in.affected && p.ch[0].old_limit == a->limit);
		assert_true(p.ch[0].new_limit == a->limit + p.added && p.added > 0);
		assert_true(p.ch[0].new_limit <= a->st.max + in.margin + RB_PAGE);
		for (size_t k = 1; k < p.n; k++) {
			const struct rb_cgroup *d = &v[p.ch[k].idx];
			uint64_t floor = d->st.min > d->current + in.margin ? d->st.min
									  : d->current + in.margin;

			assert_true(p.ch[k].idx != in.affected);
			assert_true(d->eligible && d->calibrated && d->current < d->st.median);
			assert_true(p.ch[k].new_limit < p.ch[k].old_limit);
			assert_true(p.ch[k].new_limit >= floor);        /* never below its floor */
			assert_true((double)p.ch[k].new_limit >=        /* nor in the kill zone */
				    (double)d->current * 100.0 / (100.0 - in.keep_percent));
			lim[p.ch[k].idx] = p.ch[k].new_limit;
		}
		lim[in.affected] = p.ch[0].new_limit;
		for (size_t i = 0; i < n; i++) {
			if (v[i].limit == RB_NO_LIMIT)
				continue;
			sum_before += v[i].limit;
			sum_after += lim[i];
		}
		if (p.source == RB_SIBLINGS)
			assert_true(sum_after == sum_before);           /* conserved */
		else
			assert_true(sum_after == sum_before + p.added &&
				    alloc + p.added <= in.parent_limit);  /* within the parent */
	}
}

/* ---- calib_rebalance over a fixture cgroup tree: what it reads, what it
 * writes, what it records and queues ------------------------------------ */

struct rig {
	struct fixture *f;
	struct og_ctx ctx;
	struct reporter rep;
	struct guard_env env;
	struct guard g;
	struct calib c;
	int p[2];
};

static void cg_files(struct fixture *f, const char *path, const char *max, const char *cur)
{
	char p[256];

	fixture_dir(f, path);
	snprintf(p, sizeof(p), "%s/memory.max", path);
	fixture_file(f, p, max);
	snprintf(p, sizeof(p), "%s/memory.current", path);
	fixture_file(f, p, cur);
}

static uint64_t limit_of(struct rig *r, const char *path)
{
	char p[256], buf[64];

	snprintf(p, sizeof(p), "%s/%s", path,           /* v2's under cg/, v1's under v1/ */
		 strncmp(path, "v1/", 3) ? "memory.max" : "memory.limit_in_bytes");
	assert_true(read_file_at(r->f->dirfd, p, buf, sizeof(buf)) > 0);
	return strtoull(buf, NULL, 10);
}

static void stat_of(struct calib_entry *e, const char *path, uint64_t min, uint64_t med,
		    uint64_t max)
{
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->st = (struct calib_stats){ .min = min, .median = med, .median_low = med, .p95 = max,
				      .p95_low = max, .max = max, .samples = 100 };
}

/* /p (600M) with x (200M, using 195M), y (200M, 40M), z (100M, 90M);
 * calibrated; rebalance.cgroups /p/ *. */
static void rig_up(struct rig *r, const char *parent_max)
{
	static struct calib_entry st[3];

	memset(r, 0, sizeof(*r));
	r->f = fixture_new();
	fixture_file(r->f, "meminfo", "MemTotal:        4194304 kB\nMemFree: 1 kB\n"
		     "MemAvailable: 2097152 kB\n");
	cg_files(r->f, "cg/p", parent_max, "0\n");
	cg_files(r->f, "cg/p/x", "209715200\n", "204472320\n");
	cg_files(r->f, "cg/p/y", "209715200\n", "41943040\n");
	cg_files(r->f, "cg/p/z", "104857600\n", "94371840\n");
	config_default(&r->ctx.cfg);
	r->ctx.cfg.rb_enabled = true;
	free(r->ctx.cfg.rb_cgroups[0]);
	r->ctx.cfg.rb_cgroups[0] = strdup("/p/*");
	r->ctx.cg_root_fd = fixture_open_dir(r->f, "cg");
	r->ctx.meminfo_fd = openat(r->f->dirfd, "meminfo", O_RDONLY | O_CLOEXEC);
	r->rep = pipe_reporter(r->p);
	r->env = (struct guard_env){ .c = &r->ctx, .rep = &r->rep };
	r->g = (struct guard){ .env = &r->env, .state = &r->c, .active = true };
	stat_of(&st[0], "/p/x", 100 * MiB, 180 * MiB, 230 * MiB);
	stat_of(&st[1], "/p/y", 30 * MiB, 120 * MiB, 160 * MiB);
	stat_of(&st[2], "/p/z", 80 * MiB, 85 * MiB, 95 * MiB);
	r->c.stats = st;
	r->c.n_stats = 3;
	r->c.stats_ms = 1;
}

static void rig_down(struct rig *r)
{
	for (size_t i = 0; i < r->c.n_audit; i++)
		free(r->c.audit[i]);
	r->c.stats = NULL;
	close(r->p[0]);
	close(r->p[1]);
	close(r->ctx.cg_root_fd);
	close(r->ctx.meminfo_fd);
	config_free(&r->ctx.cfg);
	fixture_free(r->f);
}

static void test_apply_parent(void **state)
{
	struct rig r;
	char why[256];
	json_object *o;

	rig_up(&r, "629145600\n");                     /* 600M: 100M unallocated */
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 1);
	/* +64M would pass its calibrated max (230M) + margin (64M) = 294M: no, 264M is under */
	assert_true(limit_of(&r, "cg/p/x") == 264 * MiB);
	assert_true(limit_of(&r, "cg/p/y") == 200 * MiB && limit_of(&r, "cg/p/z") == 100 * MiB);
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "event")), "rebalance");
	assert_string_equal(json_object_get_string(get(o, "guard")), "calibration");
	assert_string_equal(json_object_get_string(get(o, "rebalance.source")), "parent");
	assert_string_equal(json_object_get_string(get(o, "rebalance.oom_cgroup")), "/p/x");
	assert_string_equal(json_object_get_string(get(o, "rebalance.via")), "cgroupfs");
	assert_true(json_object_get_int64(get(o, "rebalance.added_memory")) == 64 * (int64_t)MiB);
	assert_int_equal(json_object_array_length(get(o, "rebalance.adjusted_cgroups")), 0);
	json_object_put(o);
	/* the audit line and the original limit wait for the lane */
	assert_int_equal(r.c.n_audit, 1);
	assert_non_null(strstr(r.c.audit[0], "\"oom_cgroup\":\"/p/x\""));
	assert_non_null(strstr(r.c.audit[0], "\"source\":\"parent\""));
	assert_int_equal(r.c.n_orig, 1);
	assert_string_equal(r.c.orig[0].path, "/p/x");
	assert_string_equal(r.c.orig[0].value, "209715200");
	/* again at once: the cooldown says no, once; the kill would proceed */
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "rebalance.cooldown"));
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "event")), "rebalance-refused");
	json_object_put(o);
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "rebalance.cooldown"));     /* said once per cooldown */
	assert_int_equal(r.c.rebalances, 1);
	assert_int_equal(r.c.rb_refused, 1);
	rig_down(&r);
}

static void test_apply_siblings(void **state)
{
	struct rig r;
	char why[256];
	json_object *o, *d;

	rig_up(&r, "524288000\n");                     /* 500M: full */
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 1);
	/* y (40M < median 120M) gives 64M, down to 136M >= 40M + 64M; z uses
	 * more than its median and gives nothing */
	assert_true(limit_of(&r, "cg/p/x") == 264 * MiB);
	assert_true(limit_of(&r, "cg/p/y") == 136 * MiB);
	assert_true(limit_of(&r, "cg/p/z") == 100 * MiB);
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "rebalance.source")), "siblings");
	d = json_object_array_get_idx(get(o, "rebalance.adjusted_cgroups"), 0);
	assert_string_equal(json_object_get_string(get(d, "name")), "/p/y");
	assert_true(json_object_get_int64(get(d, "reduced_memory")) == 64 * (int64_t)MiB);
	assert_int_equal(json_object_array_length(get(o, "rebalance.adjusted_cgroups")), 1);
	json_object_put(o);
	assert_int_equal(r.c.n_orig, 2);                /* y first, then x */
	rig_down(&r);
}

/* The raise, written last, fails: the donor's limit is put back. x's
 * memory.max is a link to a sysfs number that reads (2 MiB) but cannot be
 * written; the parent leaves 10 MiB unallocated, so y must give 64 MiB. */
static void test_apply_rollback(void **state)
{
	static const char ro[] = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size";
	struct rig r;
	char why[256];
	json_object *o;

	if (access(ro, R_OK) < 0)
		skip();         /* no transparent huge pages in this kernel: no such file */
	rig_up(&r, "327155712\n");                     /* 2 + 200 + 100 + 10 MiB */
	assert_int_equal(unlinkat(r.f->dirfd, "cg/p/x/memory.max", 0), 0);
	assert_int_equal(symlinkat(ro, r.f->dirfd, "cg/p/x/memory.max"), 0);
	fixture_file(r.f, "cg/p/x/memory.current", "1048576\n");
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "writing /p/x/memory.max"));
	assert_true(limit_of(&r, "cg/p/y") == 200 * MiB);       /* put back */
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "event")), "rebalance-refused");
	json_object_put(o);
	assert_int_equal(r.c.n_audit, 0);
	assert_int_equal(r.c.n_orig, 0);
	rig_down(&r);
}

static void test_apply_nothing_and_dry_run(void **state)
{
	struct rig r;
	char why[256];
	json_object *o;

	rig_up(&r, "524288000\n");
	fixture_file(r.f, "cg/p/y/memory.current", "178257920\n");    /* y at 170M: no spare */
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "can spare 0 MiB"));
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "event")), "rebalance-refused");
	assert_string_equal(json_object_get_string(get(o, "rebalance.source")), "none");
	json_object_put(o);
	assert_true(limit_of(&r, "cg/p/x") == 200 * MiB && limit_of(&r, "cg/p/y") == 200 * MiB);
	assert_int_equal(r.c.n_audit, 0);
	rig_down(&r);

	rig_up(&r, "629145600\n");
	r.ctx.cfg.dry_run = true;
	assert_int_equal(calib_rebalance(&r.g, "/p/x", why, sizeof(why)), 1);
	assert_true(limit_of(&r, "cg/p/x") == 200 * MiB);       /* nothing written */
	o = read_record(r.p[0]);
	assert_true(json_object_get_boolean(get(o, "dry_run")));
	assert_non_null(strstr(json_object_get_string(get(o, "message")), "would rebalance /p/x"));
	json_object_put(o);
	assert_int_equal(r.c.n_orig, 0);                /* nothing to restore */
	/* not in rebalance.cgroups, or no calibration yet: not ours */
	assert_int_equal(calib_rebalance(&r.g, "/q/x", why, sizeof(why)), 0);
	assert_string_equal(why, "");
	r.c.stats_ms = 0;
	assert_int_equal(calib_rebalance(&r.g, "/p/z", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no calibration yet"));
	rig_down(&r);
}

/* The v1 fallback: the same plan with memory.limit_in_bytes and
 * memory.usage_in_bytes; v1's unlimited parent (a page-rounded LLONG_MAX)
 * is the machine less calibration.reserve. */
static void test_apply_v1(void **state)
{
	static struct calib_entry st[3];
	struct rig r;
	char why[256], p[64];
	json_object *o;
	static const char *kids[][3] = { { "x", "209715200\n", "204472320\n" },
					 { "y", "209715200\n", "41943040\n" },
					 { "z", "104857600\n", "94371840\n" } };

	rig_up(&r, "524288000\n");
	fixture_dir(r.f, "v1/p");
	fixture_file(r.f, "v1/p/memory.limit_in_bytes", "524288000\n");       /* full */
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "v1/p/%s/memory.limit_in_bytes", kids[i][0]);
		fixture_file(r.f, p, kids[i][1]);
		snprintf(p, sizeof(p), "v1/p/%s/memory.usage_in_bytes", kids[i][0]);
		fixture_file(r.f, p, kids[i][2]);
	}
	r.c.v1_fd = fixture_open_dir(r.f, "v1");
	assert_int_equal(calib_rebalance_v1(&r.g, "/p/x", why, sizeof(why)), 1);
	/* as test_apply_siblings, in v1's files; v2's untouched */
	assert_true(limit_of(&r, "v1/p/x") == 264 * MiB);
	assert_true(limit_of(&r, "v1/p/y") == 136 * MiB);
	assert_true(limit_of(&r, "v1/p/z") == 100 * MiB);
	assert_true(limit_of(&r, "cg/p/x") == 200 * MiB);
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "rebalance.source")), "siblings");
	assert_non_null(strstr(json_object_get_string(get(o, "message")),
			       "memory.limit_in_bytes 200 -> 264 MiB"));
	json_object_put(o);
	close(r.c.v1_fd);
	rig_down(&r);

	/* a top-level cgroup under v1's unlimited root: the machine (4 GiB)
	 * less the reserve holds the limits, so the parent's share gives */
	rig_up(&r, "524288000\n");
	fixture_file(r.f, "v1/memory.limit_in_bytes", "9223372036854771712\n");
	fixture_file(r.f, "v1/x/memory.limit_in_bytes", "209715200\n");
	fixture_file(r.f, "v1/x/memory.usage_in_bytes", "204472320\n");
	free(r.ctx.cfg.rb_cgroups[0]);
	r.ctx.cfg.rb_cgroups[0] = strdup("/*");
	stat_of(&st[0], "/x", 100 * MiB, 180 * MiB, 230 * MiB);
	r.c.stats = st;
	r.c.n_stats = 1;
	r.c.v1_fd = fixture_open_dir(r.f, "v1");
	assert_int_equal(calib_rebalance_v1(&r.g, "/x", why, sizeof(why)), 1);
	assert_true(limit_of(&r, "v1/x") == 264 * MiB);
	o = read_record(r.p[0]);
	assert_string_equal(json_object_get_string(get(o, "rebalance.source")), "parent");
	json_object_put(o);
	close(r.c.v1_fd);
	rig_down(&r);
}

/* Which cgroups are systemd's units (their limits set through systemd)
 * and which are not (written directly): a unit's cgroup sits under
 * slices only; a cgroup below a unit is a delegated subtree. */
static void test_unit_of_cgroup(void **state)
{
	static const struct { const char *path, *unit; } t[] = {
		{ "/system.slice/db.service", "db.service" },
		{ "/system.slice", "system.slice" },
		{ "/init.scope", "init.scope" },
		{ "/user.slice/user-1000.slice/session-2.scope", "session-2.scope" },
		{ "/workload.slice/a.slice/job.service", "job.service" },
		{ "/system.slice/dbus.socket", "dbus.socket" },
		{ "/system.slice/home.mount", "home.mount" },
		{ "/system.slice/dev-sda2.swap", "dev-sda2.swap" },
		{ "/system.slice/_cpu.x.service", "cpu.x.service" },     /* systemd's escape */
		{ "/system.slice/__x.service", "_x.service" },
		{ "/system.slice/x.target", NULL },                      /* no cgroup of its own */
		{ "/system.slice/db.service/worker", NULL },     /* delegated below a unit */
		{ "/system.slice/db.service/x.service", NULL },  /* idem, whatever its name */
		{ "/workload/a.service", NULL },                 /* not under a slice */
		{ "/p/x", NULL },
		{ "/.service", NULL },
		{ "/a.slice/.scope", NULL },
		{ "/", NULL },
		{ "", NULL },
		{ "system.slice/db.service", NULL },             /* not from the root */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *u = sd_unit_of_cgroup(t[i].path);

		if (!t[i].unit)
			assert_null(u);
		else
			assert_string_equal(u, t[i].unit);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parent),
		cmocka_unit_test(test_siblings),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_keep_percent),
		cmocka_unit_test(test_unlimited_sibling),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_apply_parent),
		cmocka_unit_test(test_apply_siblings),
		cmocka_unit_test(test_apply_rollback),
		cmocka_unit_test(test_apply_nothing_and_dry_run),
		cmocka_unit_test(test_unit_of_cgroup),
		cmocka_unit_test(test_apply_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
