// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/context.h"
#include "core/guard.h"
#include "core/loop.h"
#include "guards/cgroups/cgroups.h"
#include <stdlib.h>
#include "core/util.h"
#include "observe/cgroup.h"
#include "tests/fixture.h"

static void test_limit(void **state)
{
	uint64_t v = 5;

	assert_int_equal(parse_cg_limit("max\n", &v), 0);
	assert_true(v == CG_MAX);
	assert_int_equal(parse_cg_limit("max", &v), 0);
	assert_true(v == CG_MAX);
	assert_int_equal(parse_cg_limit("1234\n", &v), 0);
	assert_true(v == 1234);
	assert_int_equal(parse_cg_limit("0", &v), 0);
	assert_true(v == 0);
	v = 5;
	assert_int_equal(parse_cg_limit("", &v), -EINVAL);
	assert_int_equal(parse_cg_limit("\n", &v), -EINVAL);
	assert_int_equal(parse_cg_limit("maxx\n", &v), -EINVAL);
	assert_int_equal(parse_cg_limit("MAX\n", &v), -EINVAL);
	assert_int_equal(parse_cg_limit("-1\n", &v), -EINVAL);
	assert_int_equal(parse_cg_limit("12 34\n", &v), -EINVAL);
	assert_int_equal(parse_cg_limit("18446744073709551616\n", &v), -ERANGE);
	assert_int_equal(parse_cg_limit("123456789012345678901234567890123456\n", &v), -ERANGE);
	assert_int_equal(parse_cg_limit(NULL, &v), -EINVAL);
	assert_true(v == 5);
}

static void test_events(void **state)
{
	struct cg_events ev = { .low = 99 };

	assert_int_equal(parse_cg_events("low 1\nhigh 22\nmax 333\noom 4\noom_kill 5\n"
					 "oom_group_kill 6\nsome_future_key 77\n", &ev), 0);
	assert_true(ev.low == 1 && ev.high == 22 && ev.max == 333);
	assert_true(ev.oom == 4 && ev.oom_kill == 5 && ev.oom_group_kill == 6);
	/* older kernel: fewer keys, no trailing newline */
	assert_int_equal(parse_cg_events("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1", &ev), 0);
	assert_true(ev.max == 7 && ev.oom_group_kill == 0);
	assert_int_equal(parse_cg_events("", &ev), 0);
	assert_true(ev.max == 0);

	ev.max = 42;
	assert_int_equal(parse_cg_events("low 1\nhigh\n", &ev), -EINVAL);
	assert_int_equal(parse_cg_events("low x\n", &ev), -EINVAL);
	assert_int_equal(parse_cg_events("low -1\n", &ev), -EINVAL);
	assert_int_equal(parse_cg_events(" 5\n", &ev), -EINVAL);
	assert_int_equal(parse_cg_events("oom_kill 99999999999999999999\n", &ev), -ERANGE);
	assert_int_equal(parse_cg_events(NULL, &ev), -EINVAL);
	assert_true(ev.max == 42);
}

static void test_memstat(void **state)
{
	struct cg_mem m = { .current = 7 };

	assert_int_equal(parse_cg_memstat("anon 100\nfile 200\nkernel 5\nshmem 50\nfile_mapped 9\n"
					  "anon_thp 0\nfile_dirty 1\n", &m), 0);
	assert_true(m.anon == 100 && m.file == 200 && m.shmem == 50);
	assert_true(m.current == 7);     /* untouched */
	assert_int_equal(parse_cg_memstat("anon 1\nfile x\n", &m), -EINVAL);
	assert_true(m.anon == 100);      /* untouched on error */
	assert_int_equal(parse_cg_memstat("", &m), 0);
	assert_true(m.anon == 0 && m.file == 0);
}

static void test_parse_procs(void **state)
{
	static const int want[] = { 1, 22, 7, 2147483647, 12 };
	const char buf[] = "1\n22\n0\n-5\nabc\n\n 7 \n2147483647\n2147483648\n"
			   "99999999999999999999999999\n3x\n4\0005\n12";
	int *pids = NULL;
	size_t n = 0, cap = 0;

	assert_int_equal(parse_cgroup_procs(buf, sizeof(buf) - 1, &pids, &n, &cap), 5);
	assert_int_equal(n, 5);
	assert_true(cap >= 5);
	assert_memory_equal(pids, want, sizeof(want));
	/* appends */
	assert_int_equal(parse_cgroup_procs("8\n9\n", 4, &pids, &n, &cap), 2);
	assert_int_equal(n, 7);
	assert_true(pids[5] == 8 && pids[6] == 9);
	/* only [buf, buf+len) */
	assert_int_equal(parse_cgroup_procs("10\n11\n", 3, &pids, &n, &cap), 1);
	assert_int_equal(n, 8);
	assert_int_equal(pids[7], 10);
	assert_int_equal(parse_cgroup_procs("", 0, &pids, &n, &cap), 0);
	assert_int_equal(parse_cgroup_procs(NULL, 0, &pids, &n, &cap), 0);
	assert_int_equal(n, 8);
	free(pids);
}

/* cgroup.procs text of pids first, first+1, ... */
static char *procs_text(int first, int count, size_t *ret_len)
{
	size_t size = (size_t)count * 12 + 1, o = 0;
	char *t = malloc(size);

	assert_non_null(t);
	for (int i = 0; i < count; i++)
		o += (size_t)snprintf(t + o, size - o, "%d\n", first + i);
	*ret_len = o;
	return t;
}

static void assert_pids(const int *pids, size_t n, int first, int count)
{
	assert_int_equal(n, (size_t)count);
	for (int i = 0; i < count; i++)
		if (pids[i] != first + i)
			fail_msg("pids[%d] = %d, want %d", i, pids[i], first + i);
}

/* The kernel produces cgroup.procs a page per read(): every member is read,
 * not the first page's ~600. */
static void test_read_procs(void **state)
{
	struct fixture *f = fixture_new();
	size_t len, n = 0, cap = 0;
	char *text = procs_text(100000, 5000, &len);
	int *pids = NULL, fd;
	pid_t w;

	assert_true(len == 35000);
	fixture_file(f, "cg/big/cgroup.procs", text);
	fd = fixture_open_dir(f, "cg/big");
	assert_int_equal(cgroup_read_procs(fd, &pids, &n, &cap), 5000);
	assert_pids(pids, n, 100000, 5000);
	/* appends to what is there */
	assert_int_equal(cgroup_read_procs(fd, &pids, &n, &cap), 5000);
	assert_int_equal(n, 10000);
	assert_pids(pids + 5000, 5000, 100000, 5000);
	close(fd);

	/* short reads: a page at a time, and 7 bytes at a time (lines split
	 * across reads) */
	const size_t chunks[] = { 4096, 7 };

	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		fixture_dir(f, "cg/pipe");
		w = fixture_fifo(f, "cg/pipe/cgroup.procs", text, len, chunks[i]);
		int pfd = fixture_open_dir(f, "cg/pipe");

		n = 0;
		assert_int_equal(cgroup_read_procs(pfd, &pids, &n, &cap), 5000);
		assert_pids(pids, n, 100000, 5000);
		fixture_reap(w);
		close(pfd);
		assert_int_equal(unlinkat(f->dirfd, "cg/pipe/cgroup.procs", 0), 0);
	}
	free(text);

	/* a line longer than the read buffer is no pid, even if it ends in digits */
	text = malloc(20000 + 16);
	assert_non_null(text);
	memset(text, 'a', 20000);
	strcpy(text + 20000, "123\n42\n7");
	fixture_file(f, "cg/long/cgroup.procs", text);
	fd = fixture_open_dir(f, "cg/long");
	n = 0;
	assert_int_equal(cgroup_read_procs(fd, &pids, &n, &cap), 2);
	assert_true(n == 2 && pids[0] == 42 && pids[1] == 7);
	/* empty; missing (nothing appended) */
	fixture_file(f, "cg/long/cgroup.procs", "");
	assert_int_equal(cgroup_read_procs(fd, &pids, &n, &cap), 0);
	assert_int_equal(unlinkat(fd, "cgroup.procs", 0), 0);
	assert_int_equal(cgroup_read_procs(fd, &pids, &n, &cap), -ENOENT);
	assert_int_equal(n, 2);
	close(fd);
	free(text);
	free(pids);
	fixture_free(f);
}

static const struct fixture_entry cg_tree[] = {
	{ "memory.current", "1000\n" },        /* root: no memory.max in v2 */
	{ "memory.stat", "anon 1\n" },
	{ "cgroup.procs", "1\n" },
	{ "system.slice/memory.current", "4096\n" },
	{ "system.slice/memory.max", "5000\n" },
	{ "system.slice/memory.high", "8192\n" },
	{ "system.slice/memory.low", "100\n" },
	{ "system.slice/memory.min", "50\n" },
	{ "system.slice/memory.swap.current", "10\n" },
	{ "system.slice/memory.swap.max", "0\n" },
	{ "system.slice/memory.oom.group", "1\n" },
	{ "system.slice/memory.stat", "anon 3000\nfile 1000\nshmem 200\n" },
	{ "system.slice/memory.events", "low 0\nhigh 3\nmax 2\noom 1\noom_kill 1\nfuture 9\n" },
	{ "system.slice/memory.pressure",
	  "some avg10=1.00 avg60=0.50 avg300=0.10 total=1234\n"
	  "full avg10=0.50 avg60=0.20 avg300=0.05 total=567\n" },
	{ "system.slice/sshd.service/memory.current", "10\n" },
	{ "system.slice/sshd.service/deep/deeper/memory.current", "1\n" },
	{ "user.slice/memory.current", "20\n" },
	{ "user.slice/link", "->../system.slice" },
	{ "nomem", NULL },
	FIXTURE_END,
};

static void test_read_mem(void **state)
{
	struct fixture *f = fixture_new();
	struct cg_mem m = { .current = 77 };
	int fd;

	fixture_build(f, cg_tree);
	fd = fixture_open_dir(f, "system.slice");
	/* headroom 904 of 5000 (18%): within 20%, so memory.stat is read */
	assert_int_equal(cgroup_read_mem(fd, 20, &m), 0);
	assert_true(m.current == 4096);
	assert_true(m.max == 5000);
	assert_true(m.has_stat);
	assert_true(m.anon == 3000 && m.file == 1000 && m.shmem == 200);
	assert_true(m.has_pressure);
	assert_true(m.pressure.some.total_us == 1234 && m.pressure.full.total_us == 567);
	/* not within 15%: the page cache cannot change the verdict, not read */
	assert_int_equal(cgroup_read_mem(fd, 15, &m), 0);
	assert_false(m.has_stat);
	assert_true(m.anon == 0 && m.file == 0 && m.current == 4096 && m.has_pressure);
	close(fd);

	/* only memory.current: defaults */
	fd = fixture_open_dir(f, "user.slice");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), 0);
	close(fd);
	assert_true(m.current == 20);
	assert_true(m.max == CG_MAX);
	assert_false(m.has_pressure);
	assert_false(m.has_stat);

	/* no memory controller */
	m.current = 77;
	fd = fixture_open_dir(f, "nomem");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), -ENOENT);
	close(fd);
	assert_true(m.current == 77);

	/* hostile contents are errors, not garbage */
	fixture_file(f, "bad/memory.current", "max\n");
	fd = fixture_open_dir(f, "bad");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), -EINVAL);
	fixture_file(f, "bad/memory.current", "5\n");
	fixture_file(f, "bad/memory.max", "lots\n");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), -EINVAL);
	fixture_file(f, "bad/memory.max", "99999999999999999999\n");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), -ERANGE);
	fixture_file(f, "bad/memory.max", "10\n");
	fixture_file(f, "bad/memory.stat", "anon x\n");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), -EINVAL);
	fixture_file(f, "bad/memory.stat", "anon 1\n");
	fixture_file(f, "bad/memory.pressure", "some avg10=x\n");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), -EINVAL);
	fixture_file(f, "bad/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=9\n");
	assert_int_equal(cgroup_read_mem(fd, 100, &m), 0);
	assert_true(m.current == 5 && m.has_pressure && !m.pressure.has_full);
	close(fd);
	fixture_free(f);
}

struct walk_log {
	char paths[32][128];
	int n;
	int stop_at;
};

static int log_cb(int cg_fd, const char *relpath, void *ud)
{
	struct walk_log *w = ud;
	char buf[32];

	/* the fd really is that directory */
	if (read_file_at(cg_fd, "memory.current", buf, sizeof(buf)) < 0 &&
	    strcmp(relpath, "nomem") != 0 && strcmp(relpath, "system.slice/sshd.service/deep") != 0)
		return -100;
	if (w->n >= 32)
		return -101;
	snprintf(w->paths[w->n++], sizeof(w->paths[0]), "%s", relpath);
	if (w->stop_at && w->n == w->stop_at)
		return 42;
	return 0;
}

static bool logged(const struct walk_log *w, const char *p)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->paths[i], p) == 0)
			return true;
	return false;
}

static void test_walk(void **state)
{
	struct fixture *f = fixture_new();
	struct walk_log w = { 0 };
	int fd;

	fixture_build(f, cg_tree);
	fd = fixture_open_dir(f, "");

	assert_int_equal(cgroup_walk(fd, 10, log_cb, &w), 0);
	assert_int_equal(w.n, 7);
	assert_string_equal(w.paths[0], "");     /* root first */
	assert_true(logged(&w, "system.slice"));
	assert_true(logged(&w, "system.slice/sshd.service"));
	assert_true(logged(&w, "system.slice/sshd.service/deep"));
	assert_true(logged(&w, "system.slice/sshd.service/deep/deeper"));
	assert_true(logged(&w, "user.slice"));
	assert_true(logged(&w, "nomem"));
	assert_false(logged(&w, "user.slice/link"));    /* symlinks are not followed */
	/* depth-first: a parent comes right before its first child */
	for (int i = 1; i < w.n; i++) {
		const char *slash = strrchr(w.paths[i], '/');

		if (slash) {
			size_t pl = (size_t)(slash - w.paths[i]);
			bool parent_before = false;

			for (int j = 0; j < i; j++)
				if (strlen(w.paths[j]) == pl && strncmp(w.paths[j], w.paths[i], pl) == 0)
					parent_before = true;
			assert_true(parent_before);
		}
	}

	/* bounded depth */
	memset(&w, 0, sizeof(w));
	assert_int_equal(cgroup_walk(fd, 1, log_cb, &w), 0);
	assert_int_equal(w.n, 4);
	assert_false(logged(&w, "system.slice/sshd.service"));
	memset(&w, 0, sizeof(w));
	assert_int_equal(cgroup_walk(fd, 0, log_cb, &w), 0);
	assert_int_equal(w.n, 1);

	/* a non-zero callback return stops the walk and is returned */
	memset(&w, 0, sizeof(w));
	w.stop_at = 3;
	assert_int_equal(cgroup_walk(fd, 10, log_cb, &w), 42);
	assert_int_equal(w.n, 3);

	/* the caller's fd is untouched: walking twice gives the same result */
	memset(&w, 0, sizeof(w));
	assert_int_equal(cgroup_walk(fd, 10, log_cb, &w), 0);
	assert_int_equal(w.n, 7);

	assert_int_equal(cgroup_walk(fd, -1, log_cb, &w), -EINVAL);
	assert_int_equal(cgroup_walk(fd, 1, NULL, &w), -EINVAL);
	close(fd);
	assert_int_equal(cgroup_walk(fd, 1, log_cb, &w), -EBADF);
	fixture_free(f);
}

/* A directory removed during the walk is skipped. */
struct vanish_ctx {
	struct fixture *f;
	int calls;
};

static int vanish_cb(int cg_fd, const char *relpath, void *ud)
{
	struct vanish_ctx *c = ud;

	c->calls++;
	if (strcmp(relpath, "") == 0) {
		/* remove both children before the walk reaches them */
		assert_int_equal(unlinkat(c->f->dirfd, "a/memory.current", 0), 0);
		assert_int_equal(unlinkat(c->f->dirfd, "a", AT_REMOVEDIR), 0);
		assert_int_equal(unlinkat(c->f->dirfd, "b", AT_REMOVEDIR), 0);
	}
	return 0;
}

static void test_walk_vanish(void **state)
{
	struct vanish_ctx c = { .f = fixture_new() };
	int fd;

	fixture_build(c.f, (const struct fixture_entry[]) {
		{ "a/memory.current", "1\n" }, { "b", NULL }, { "c", NULL }, FIXTURE_END,
	});
	fd = fixture_open_dir(c.f, "");
	assert_int_equal(cgroup_walk(fd, 4, vanish_cb, &c), 0);
	assert_int_equal(c.calls, 2);   /* root and c */
	close(fd);
	fixture_free(c.f);
}

/* Run the loop until it has nothing more to do within ms. */
static void settle(struct loop *l, int ms)
{
	while (loop_run_once(l, ms) > 0)
		;
}

/* Run the loop until the guard knows n limited cgroups, at most 3 s. */
static size_t until_limited(struct loop *l, struct guard *g, size_t n)
{
	uint64_t t0 = now_ms();

	while (cgroups_limited(g, 0, NULL) != n && now_ms() - t0 < 3000)
		loop_run_once(l, 100);
	return cgroups_limited(g, 0, NULL);
}

/* The cgroups guard learns of new cgroups and changed limits from inotify,
 * not by walking the tree every few seconds. */
static void test_guard_cgroup_watch(void **state)
{
	struct fixture *f = fixture_new();
	struct og_opts o = { .psi_mode = -1 };
	struct loop_hooks hooks = { 0 };
	struct reporter rep = { .kmsg_fd = -1 };
	struct guard_env env = { .rep = &rep };
	struct guard g = { .ops = &cgroups_guard_ops, .env = &env };
	struct og_ctx c;
	const char *path;
	char err[OG_ERR_SIZE], proc[PATH_MAX + 8], cg[PATH_MAX + 8];

	(void)state;
	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	fixture_file(f, "cg/a/memory.max", "max\n");
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(cg, sizeof(cg), "%s/cg", f->dir);
	o.proc_dir = proc;
	o.cgroup_root = cg;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	env.c = &c;
	assert_int_equal(loop_new(&hooks, &env.loop), 0);
	assert_int_equal(vp_new(&c, env.loop, &rep, &vp_kernel_real, &env.vp), 0);
	g.state = calloc(1, cgroups_guard_ops.state_size);
	assert_int_equal(cgroups_guard_ops.start(&g), 0);
	settle(env.loop, 50);
	assert_int_equal(cgroups_limited(&g, 0, NULL), 0);
	/* A limit set: inotify says so, the walk (at most a second later)
	 * finds the cgroup. */
	fixture_file(f, "cg/a/memory.max", "1000000\n");
	assert_int_equal(until_limited(env.loop, &g, 1), 1);
	cgroups_limited(&g, 0, &path);
	assert_string_equal(path, "a");
	/* A new cgroup, then a limit inside it (watched since the walk). */
	fixture_dir(f, "cg/a/b");
	settle(env.loop, 50);
	fixture_file(f, "cg/a/b/memory.max", "5000\n");
	assert_int_equal(until_limited(env.loop, &g, 2), 2);
	/* A burst of 30 new cgroups: walks are rate-limited (at most one a
	 * second), not one per event. */
	{
		unsigned w0 = cgroups_walks(&g);
		uint64_t t0 = now_ms();
		char dir[32];

		for (int i = 0; i < 30; i++) {
			snprintf(dir, sizeof(dir), "cg/burst%d", i);
			fixture_dir(f, dir);
			loop_run_once(env.loop, 0);
		}
		fixture_file(f, "cg/burst29/memory.max", "4096\n");
		assert_int_equal(until_limited(env.loop, &g, 3), 3);
		assert_true(cgroups_walks(&g) - w0 <= 1 + (now_ms() - t0) / 1000);
	}
	cgroups_guard_ops.stop(&g);
	free(g.state);
	vp_free(env.vp);
	loop_free(env.loop);
	ctx_close(&c);
	fixture_free(f);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The kernel's OOM at a limited cgroup's own limit (its memory.events.local
 * oom count rising) is seen without inotify too: every look reads the
 * counts (inotify's notification never comes then). */
static void test_guard_oom_without_inotify(void **state)
{
	struct fixture *f = fixture_new();
	struct og_opts o = { .psi_mode = -1 };
	struct loop_hooks hooks = { 0 };
	struct reporter rep = { .kmsg_fd = -1 };
	struct guard_env env = { .rep = &rep };
	struct guard g = { .ops = &cgroups_guard_ops, .env = &env };
	struct og_ctx c;
	char err[OG_ERR_SIZE], proc[PATH_MAX + 8], cg[PATH_MAX + 8];
	uint64_t t0;
	int nfd;

	(void)state;
	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	fixture_file(f, "cg/a/memory.max", "104857600\n");
	fixture_file(f, "cg/a/memory.current", "1048576\n");
	fixture_file(f, "cg/a/memory.events.local", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(cg, sizeof(cg), "%s/cg", f->dir);
	o.proc_dir = proc;
	o.cgroup_root = cg;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	env.c = &c;
	assert_int_equal(loop_new(&hooks, &env.loop), 0);
	assert_int_equal(vp_new(&c, env.loop, &rep, &vp_kernel_real, &env.vp), 0);
	g.state = calloc(1, cgroups_guard_ops.state_size);
	assert_int_equal(cgroups_guard_ops.start(&g), 0);
	assert_int_equal(until_limited(env.loop, &g, 1), 1);
	nfd = count_fds();
	cgroups_drop_inotify(&g);
	assert_int_equal(count_fds(), nfd - 1);         /* closed, with its watches */
	settle(env.loop, 50);
	assert_int_equal(cgroups_oom_rises(&g), 0);     /* before start: the baseline */
	fixture_file(f, "cg/a/memory.events.local", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n");
	t0 = now_ms();
	while (cgroups_oom_rises(&g) == 0 && now_ms() - t0 < 5000)
		loop_run_once(env.loop, 100);
	assert_int_equal(cgroups_oom_rises(&g), 1);
	cgroups_guard_ops.stop(&g);
	free(g.state);
	vp_free(env.vp);
	loop_free(env.loop);
	ctx_close(&c);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_memstat),
		cmocka_unit_test(test_parse_procs),
		cmocka_unit_test(test_read_procs),
		cmocka_unit_test(test_read_mem),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_vanish),
		cmocka_unit_test(test_guard_cgroup_watch),
		cmocka_unit_test(test_guard_oom_without_inotify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
