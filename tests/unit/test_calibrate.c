/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Calibration (issue 16, phase 1): memory.stat of both cgroup versions,
 * exact percentiles, the times `calibrate` takes, globs, the SQLite store
 * (in memory and on disk: mode, links, retention) and the sampler over
 * fixture trees of cgroup v2 and of the v1 memory controller. */
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
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include "fixture.h"
#include "guards/calibration/cgsample.h"
#include "guards/calibration/stats.h"
#include "guards/calibration/store.h"

#define MiB (1024ull * 1024)

static const char v2_stat[] =
	"anon 104857600\nfile 52428800\nkernel 1000\nshmem 4096\n"
	"inactive_file 20971520\nactive_file 10485760\nslab_reclaimable 1048576\n";
static const char v1_stat[] =
	"cache 1\nrss 2\ntotal_cache 52428800\ntotal_rss 104857600\n"
	"total_inactive_file 20971520\ntotal_active_file 10485760\n";

static void test_parse_stat(void **state)
{
	struct cg_sample s = { 0 };

	assert_int_equal(cg_sample_parse_stat(v2_stat, false, &s), 0);
	assert_true(s.anon == 100 * MiB && s.file == 50 * MiB);
	assert_true(s.reclaimable == 20 * MiB + 10 * MiB + 1 * MiB);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cg_sample_parse_stat(v1_stat, true, &s), 0);
	/* the hierarchical totals, not the cgroup's own "rss"/"cache" */
	assert_true(s.anon == 100 * MiB && s.file == 50 * MiB && s.reclaimable == 30 * MiB);
	/* v2 before 5.9 had no slab_reclaimable: counted as 0 */
	assert_int_equal(cg_sample_parse_stat("anon 1\nfile 2\ninactive_file 1\nactive_file 0\n",
					      false, &s), 0);
	assert_true(s.reclaimable == 1);
	/* a key missing, a value that is not a number */
	assert_int_equal(cg_sample_parse_stat("anon 1\nfile 2\n", false, &s), -EBADMSG);
	assert_int_equal(cg_sample_parse_stat("anon x\nfile 2\ninactive_file 1\nactive_file 0\n",
					      false, &s), -EBADMSG);
	assert_int_equal(cg_sample_parse_stat(v2_stat, true, &s), -EBADMSG);
	/* "anon_thp" is not "anon" */
	assert_int_equal(cg_sample_parse_stat("anon_thp 5\nfile 2\ninactive_file 1\n"
					      "active_file 0\n", false, &s), -EBADMSG);
}

static void test_percentiles(void **state)
{
	uint64_t v[100], one[1] = { 7 }, two[2] = { 9, 3 }, odd[5] = { 50, 10, 40, 20, 30 };
	struct calib_stats st;

	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)(100 - i);             /* 100..1, unsorted */
	assert_int_equal(calib_stats_of(v, 100, &st), 0);
	assert_true(st.min == 1 && st.max == 100 && st.samples == 100);
	assert_true(st.median == 50 && st.p95 == 95);   /* nearest rank: v[ceil(p n) - 1] */
	assert_int_equal(calib_stats_of(one, 1, &st), 0);
	assert_true(st.min == 7 && st.max == 7 && st.median == 7 && st.p95 == 7);
	assert_int_equal(calib_stats_of(two, 2, &st), 0);
	assert_true(st.median == 3 && st.p95 == 9);     /* always one of the samples */
	assert_int_equal(calib_stats_of(odd, 5, &st), 0);
	assert_true(st.median == 30 && st.p95 == 50);
	assert_int_equal(calib_stats_of(v, 0, &st), -EINVAL);
	assert_true(percentile_sorted(v, 100, 1) == 1 && percentile_sorted(v, 100, 100) == 100);
	assert_true(percentile_sorted(v, 100, 250) == 100);
}

/* Weighted values give the figures of the values repeated (random cases). */
static void test_weighted(void **state)
{
	srandom(3);
	for (int round = 0; round < 2000; round++) {
		struct wvalue w[40];
		uint64_t flat[40 * 8];
		size_t n = (size_t)(random() % 40) + 1, m = 0;
		struct calib_stats a, b;

		for (size_t i = 0; i < n; i++) {
			w[i] = (struct wvalue){ (uint64_t)(random() % 50), (uint64_t)(random() % 8) };
			for (uint64_t k = 0; k < w[i].w; k++)
				flat[m++] = w[i].v;
		}
		if (!m) {
			assert_int_equal(calib_stats_weighted(w, n, &a), -EINVAL);
			continue;
		}
		assert_int_equal(calib_stats_weighted(w, n, &a), 0);
		assert_int_equal(calib_stats_of(flat, m, &b), 0);
		assert_true(a.min == b.min && a.max == b.max && a.median == b.median &&
			    a.p95 == b.p95 && a.samples == b.samples);
	}
}

static void test_when(void **state)
{
	uint64_t now = 1800000000000ull, t;

	assert_int_equal(parse_when("now", now, &t), 0);
	assert_true(t == now);
	assert_int_equal(parse_when("-1h", now, &t), 0);
	assert_true(t == now - 3600000);
	assert_int_equal(parse_when("-30min", now, &t), 0);
	assert_true(t == now - 1800000);
	assert_int_equal(parse_when("@1700000000", now, &t), 0);
	assert_true(t == 1700000000000ull);
	assert_int_equal(parse_when("2023-11-14T22:13:20Z", now, &t), 0);
	assert_true(t == 1700000000000ull);
	assert_int_equal(parse_when("2023-11-14T23:13:20+01:00", now, &t), 0);
	assert_true(t == 1700000000000ull);
	assert_int_equal(parse_when("2023-11-14T21:13:20-0100", now, &t), 0);
	assert_true(t == 1700000000000ull);
	assert_int_equal(parse_when("2023-11-14 22:13:20", now, &t), 0);
	assert_true(t == 1700000000000ull);
	assert_int_equal(parse_when("2023-11-14", now, &t), 0);
	assert_true(t == 1699920000000ull);
	assert_int_equal(parse_when("yesterday", now, &t), -EINVAL);
	assert_int_equal(parse_when("-1parsec", now, &t), -EINVAL);
	assert_int_equal(parse_when("2023-11-14T22:13:20Q", now, &t), -EINVAL);
	assert_int_equal(parse_when("", now, &t), -EINVAL);
	assert_int_equal(parse_when("-100000d", now, &t), -EINVAL);     /* before the epoch */

	char buf[40];
	format_when(1700000000123ull, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.123Z");
}

static void test_glob(void **state)
{
	assert_true(cg_glob_match("/system.slice/*", "/system.slice/db.service"));
	assert_false(cg_glob_match("/system.slice/*", "/system.slice/db.service/sub"));
	assert_false(cg_glob_match("/system.slice/*", "/system.slice"));
	assert_false(cg_glob_match("/system.slice/*", "/user.slice/x"));
	assert_true(cg_glob_match("/work/**", "/work/a/b"));
	assert_true(cg_glob_match("/work/**", "/work/a"));
	assert_false(cg_glob_match("/work/**", "/work"));
	assert_false(cg_glob_match("/work/**", "/workload/a"));
	assert_true(cg_glob_match("/**", "/anything/at/all"));
	assert_true(cg_glob_match("/db.service", "/db.service"));
}

static struct cg_sample sample(const char *path, uint64_t cur)
{
	struct cg_sample s = { .current = cur, .anon = cur / 2, .file = cur / 4,
			       .reclaimable = cur / 8 };

	snprintf(s.path, sizeof(s.path), "%s", path);
	return s;
}

struct seen {
	char path[8][CG_PATH_MAX];
	struct calib_stats st[8];
	size_t n;
};

static int collect_stats(const char *path, const struct calib_stats *st, void *u)
{
	struct seen *s = u;

	if (s->n < 8) {
		snprintf(s->path[s->n], CG_PATH_MAX, "%s", path);
		s->st[s->n++] = *st;
	}
	return 0;
}

static void test_store_memory(void **state)
{
	struct cstore *s;
	char why[256];
	struct seen seen = { 0 };
	uint64_t samples, cgroups, first, last;

	assert_int_equal(cstore_open(":memory:", true, &s, why, sizeof(why)), 0);
	for (uint64_t i = 1; i <= 100; i++) {
		struct cg_sample v[2] = { sample("/a.slice/db.service", i * MiB),
					  sample("/b.slice/web.service", 1000 * MiB - i) };

		assert_int_equal(cstore_put(s, 1000000 + i * 10000, v, 2), 0);
	}
	assert_int_equal(cstore_count(s, &samples, &cgroups, &first, &last), 0);
	assert_true(samples == 200 && cgroups == 2 && first == 1010000 && last == 2000000);
	/* all of it */
	assert_int_equal(cstore_query(s, 0, UINT64_MAX / 2, NULL, collect_stats, &seen), 2);
	assert_string_equal(seen.path[0], "/a.slice/db.service");
	assert_true(seen.st[0].min == 1 * MiB && seen.st[0].max == 100 * MiB);
	assert_true(seen.st[0].median == 50 * MiB && seen.st[0].p95 == 95 * MiB);
	assert_true(seen.st[0].samples == 100);
	assert_true(seen.st[0].from_ms == 1010000 && seen.st[0].to_ms == 2000000);
	assert_true(seen.st[1].min == 1000 * MiB - 100 && seen.st[1].max == 1000 * MiB - 1);
	/* a period: samples 51..60 (both ends in it) */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(cstore_query(s, 1510000, 1600000, "/a.slice/*", collect_stats, &seen), 1);
	assert_true(seen.st[0].samples == 10 && seen.st[0].min == 51 * MiB &&
		    seen.st[0].max == 60 * MiB && seen.st[0].median == 55 * MiB);
	/* a glob that matches nothing, a period without samples */
	assert_int_equal(cstore_query(s, 0, UINT64_MAX / 2, "/c.slice/*", collect_stats, &seen), 0);
	assert_int_equal(cstore_query(s, 0, 1000, NULL, collect_stats, &seen), 0);
	/* retention: samples before 1,500,000 go; a cgroup without samples goes */
	assert_int_equal(cstore_prune(s, 1500000), 2 * 49);
	assert_int_equal(cstore_count(s, &samples, &cgroups, &first, &last), 0);
	assert_true(samples == 102 && cgroups == 2 && first == 1500000);
	assert_int_equal(cstore_prune(s, UINT64_MAX / 2), 102);
	assert_int_equal(cstore_count(s, &samples, &cgroups, &first, &last), 0);
	assert_true(samples == 0 && cgroups == 0);
	cstore_close(s);
}

/* Samples older than a day become a row per minute: min and max stay
 * exact, the true median and p95 lie between the two bounds. */
static void test_downsample(void **state)
{
	struct cstore *s;
	char why[256];
	struct seen seen = { 0 };
	uint64_t truth[600], t0 = 1700000040000ull,  /* on a minute */ samples, cgroups, first, last;
	struct calib_stats st;

	assert_int_equal(cstore_open(":memory:", true, &s, why, sizeof(why)), 0);
	srandom(7);
	for (int i = 0; i < 600; i++) {         /* 100 minutes of 10 s samples */
		struct cg_sample v = sample("/w", (uint64_t)(100 + (i / 6) % 37 * 3 +
							     random() % 20) * MiB);

		truth[i] = v.current;
		assert_int_equal(cstore_put(s, t0 + (uint64_t)i * 10000, &v, 1), 0);
	}
	/* the first 60 minutes downsampled, the last 40 raw */
	assert_int_equal(cstore_downsample(s, t0 + 3600000), 360);
	assert_int_equal(cstore_count(s, &samples, &cgroups, &first, &last), 0);
	assert_true(samples == 600 && first == t0);
	assert_int_equal(cstore_query(s, 0, UINT64_MAX / 2, NULL, collect_stats, &seen), 1);
	assert_true(seen.st[0].downsampled && seen.st[0].samples == 600);
	assert_int_equal(calib_stats_of(truth, 600, &st), 0);
	assert_true(seen.st[0].min == st.min && seen.st[0].max == st.max);
	assert_true(seen.st[0].median_low <= st.median && st.median <= seen.st[0].median);
	assert_true(seen.st[0].p95_low <= st.p95 && st.p95 <= seen.st[0].p95);
	assert_true(seen.st[0].median - seen.st[0].median_low <= 20 * MiB);    /* one minute's spread */
	/* downsampling again merges nothing new; retention drops minutes too */
	assert_int_equal(cstore_downsample(s, t0 + 3600000), 0);
	assert_int_equal(cstore_prune(s, t0 + 1800000), 30);            /* 30 minute rows */
	assert_int_equal(cstore_count(s, &samples, &cgroups, &first, &last), 0);
	assert_true(samples == 420 && cgroups == 1 && first == t0 + 1800000);
	cstore_close(s);
}

static void test_store_file(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 32], link[PATH_MAX + 32], why[512];
	struct cstore *s;
	struct cg_sample v = sample("/x", 5 * MiB);
	struct seen seen = { 0 };
	struct stat st;

	snprintf(path, sizeof(path), "%s/calibration.db", f->dir);
	/* not there and not to be created: a clear error */
	assert_int_equal(cstore_open(path, false, &s, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "calibration.db"));
	assert_int_equal(cstore_open(path, true, &s, why, sizeof(why)), 0);
	assert_int_equal(cstore_put(s, 1000, &v, 1), 0);
	cstore_close(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* read back by another open (as calibrate does) */
	assert_int_equal(cstore_open(path, false, &s, why, sizeof(why)), 0);
	assert_int_equal(cstore_query(s, 0, 2000, NULL, collect_stats, &seen), 1);
	assert_true(seen.st[0].max == 5 * MiB);
	cstore_close(s);
	/* never through a symbolic link */
	snprintf(link, sizeof(link), "%s/link.db", f->dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(cstore_open(link, true, &s, why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "symbolic link"));
	/* never a file others can write */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(cstore_open(path, false, &s, why, sizeof(why)), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	/* not a database */
	fixture_file(f, "junk.db", "this is not an SQLite database, not at all, no.........\n");
	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	chmod(path, 0600);
	assert_true(cstore_open(path, false, &s, why, sizeof(why)) < 0);
	fixture_free(f);
}

/* The WAL is checkpointed into the database as it grows: no statement may
 * hold a read transaction open between samples (one did, and the WAL grew
 * without bound: 50 GB in minutes under bench_store). */
static void test_store_checkpoints(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 32], wal[PATH_MAX + 40], why[512];
	struct cg_sample v[20];
	struct cstore *s;
	struct stat db, w;

	snprintf(path, sizeof(path), "%s/c.db", f->dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(cstore_open(path, true, &s, why, sizeof(why)), 0);
	for (int i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "/slice/unit-%d", i);
		v[i] = sample(name, (uint64_t)(i + 1) * MiB);
	}
	for (uint64_t t = 0; t < 3000; t++)     /* ~6 MB of pages: past the 1000-page autocheckpoint */
		assert_int_equal(cstore_put(s, 1000 + t * 1000, v, 20), 0);
	assert_int_equal(stat(path, &db), 0);
	assert_int_equal(stat(wal, &w), 0);
	assert_true(db.st_size > 1024 * 1024);         /* pages reached the database */
	assert_true(w.st_size < 16 * 1024 * 1024);     /* and the WAL is reused, not grown */
	cstore_close(s);
	fixture_free(f);
}

/* A store an older build made (no minute or limits table) opens and
 * answers: the tables it lacks are added, its samples kept. */
static void test_store_old_schema(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 32], why[512];
	struct seen seen = { 0 };
	struct cstore *s;
	sqlite3 *db;
	uint64_t samples, cgroups, first, last;

	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE cgroup (id INTEGER PRIMARY KEY, path TEXT "
				      "NOT NULL UNIQUE); CREATE TABLE sample (cgroup INTEGER NOT NULL, "
				      "t INTEGER NOT NULL, current INTEGER NOT NULL, anon INTEGER NOT "
				      "NULL, file INTEGER NOT NULL, reclaimable INTEGER NOT NULL, "
				      "PRIMARY KEY (cgroup, t)) WITHOUT ROWID; INSERT INTO cgroup "
				      "VALUES (1, '/old'); INSERT INTO sample VALUES (1, 5000, 1048576, "
				      "0, 0, 0);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	chmod(path, 0600);
	assert_int_equal(cstore_open(path, false, &s, why, sizeof(why)), 0);
	assert_int_equal(cstore_count(s, &samples, &cgroups, &first, &last), 0);
	assert_true(samples == 1 && cgroups == 1 && first == 5000);
	assert_int_equal(cstore_query(s, 0, 10000, NULL, collect_stats, &seen), 1);
	assert_true(seen.st[0].max == 1 * MiB);
	assert_int_equal(cstore_remember_limit(s, "/old", "max", 6000), 0);
	cstore_close(s);
	fixture_free(f);
}

static void cg(struct fixture *f, const char *dir, const char *current, const char *stat)
{
	char p[512];

	fixture_dir(f, dir);
	snprintf(p, sizeof(p), "%s/%s", dir, current);
	fixture_file(f, p, "104857600\n");
	snprintf(p, sizeof(p), "%s/memory.stat", dir);
	fixture_file(f, p, stat);
}

static void test_sample_trees(void **state)
{
	struct fixture *f = fixture_new();
	struct cg_tree t = { .fd = -1 };
	struct cg_sample *v = NULL;
	size_t n = 0, cap = 0, skipped = 0;
	char why[256];

	/* cgroup v2: the root (not sampled), two services, one without memory files */
	fixture_dir(f, "v2");
	fixture_file(f, "v2/cgroup.controllers", "cpuset cpu io memory pids\n");
	cg(f, "v2/system.slice", "memory.current", v2_stat);
	cg(f, "v2/system.slice/db.service", "memory.current", v2_stat);
	fixture_dir(f, "v2/nomem");
	int fd = fixture_open_dir(f, "v2");
	assert_int_equal(cg_tree_open(fd, "/fixture/v2", -1, &t, why, sizeof(why)), 0);
	close(fd);
	assert_false(t.v1);
	assert_int_equal(cg_tree_sample(&t, &v, &n, &cap, &skipped), 0);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 1);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].current == 100 * MiB && v[i].anon == 100 * MiB);
		assert_true(!strcmp(v[i].path, "/system.slice") ||
			    !strcmp(v[i].path, "/system.slice/db.service"));
	}
	cg_tree_close(&t);

	/* cgroup v1: no v2 memory controller; the memory hierarchy from mountinfo */
	fixture_dir(f, "proc");
	fixture_dir(f, "proc/self");
	char mi[8192];
	snprintf(mi, sizeof(mi),
		 "25 1 0:23 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		 "30 25 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
		 "31 25 0:27 / %s/v1 rw,nosuid - cgroup cgroup rw,memory\n", f->dir);
	fixture_file(f, "proc/self/mountinfo", mi);
	fixture_dir(f, "v1");
	fixture_file(f, "v1/memory.usage_in_bytes", "999\n");
	cg(f, "v1/docker", "memory.usage_in_bytes", v1_stat);
	int proc = fixture_open_dir(f, "proc");
	assert_int_equal(cg_tree_open(-1, NULL, proc, &t, why, sizeof(why)), 0);
	assert_true(t.v1);
	assert_int_equal(cg_tree_sample(&t, &v, &n, &cap, &skipped), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].path, "/docker");
	assert_true(v[0].current == 100 * MiB && v[0].anon == 100 * MiB &&
		    v[0].reclaimable == 30 * MiB);
	assert_true(v[0].limit == UINT64_MAX);          /* no limit file */
	/* v1's unlimited (a page-rounded LLONG_MAX) is no limit; a limit is read */
	fixture_file(f, "v1/docker/memory.limit_in_bytes", "9223372036854771712\n");
	assert_int_equal(cg_tree_sample(&t, &v, &n, &cap, &skipped), 0);
	assert_true(v[0].limit == UINT64_MAX);
	fixture_file(f, "v1/docker/memory.limit_in_bytes", "115343360\n");      /* 110 MiB */
	assert_int_equal(cg_tree_sample(&t, &v, &n, &cap, &skipped), 0);
	assert_true(v[0].limit == 110 * MiB);
	cg_tree_close(&t);
	/* neither: a clear reason */
	fixture_file(f, "proc/self/mountinfo", "25 1 0:23 / / rw - ext4 /dev/sda rw\n");
	assert_int_equal(cg_tree_open(-1, NULL, proc, &t, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no memory controller"));
	close(proc);
	free(v);
	fixture_free(f);
}

/* Which v1 cgroups the store's lane hands to rebalancing: near their
 * limit by what they use beyond reclaimable page cache. */
static void test_near_limit(void **state)
{
	const struct cg_sample v[] = {
		{ .path = "/a", .current = 98 * MiB, .limit = 100 * MiB },     /* 2 % left */
		{ .path = "/b", .current = 98 * MiB, .reclaimable = 30 * MiB,
		  .limit = 100 * MiB },                                         /* cache: 32 % */
		{ .path = "/c", .current = 98 * MiB, .limit = UINT64_MAX },    /* no limit */
		{ .path = "/d", .current = 120 * MiB, .limit = 100 * MiB },    /* past it */
		{ .path = "/e", .current = 89 * MiB, .limit = 100 * MiB },     /* 11 % left */
		{ .path = "/f", .current = 90 * MiB, .limit = 100 * MiB },     /* 10 %: near */
		{ .path = "/g", .current = 5 * MiB, .reclaimable = 9 * MiB,
		  .limit = 100 * MiB },                                         /* more cache than use */
	};
	size_t idx[8];

	assert_int_equal(cg_near_limit(v, 7, 10, idx, 8), 3);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 3);
	assert_int_equal(idx[2], 5);
	assert_int_equal(cg_near_limit(v, 7, 10, idx, 2), 2);   /* at most max */
	assert_int_equal(cg_near_limit(v, 7, 0, idx, 8), 1);    /* 0 %: only past it */
	assert_int_equal(idx[0], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_near_limit),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_weighted),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_store_memory),
		cmocka_unit_test(test_downsample),
		cmocka_unit_test(test_store_file),
		cmocka_unit_test(test_store_checkpoints),
		cmocka_unit_test(test_store_old_schema),
		cmocka_unit_test(test_sample_trees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
