// SPDX-License-Identifier: GPL-2.0-or-later
/* Dynamic oom_score_adj: selection of the largest, the decisions (never
 * lower a higher value, leave protected ones, disown values others changed),
 * and whole rounds against a fixture /proc: written, restored when leaving
 * the top, on restore_all, and never across PID reuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "guards/shield/oomadj.h"
#include "guards/shield/shieldd.h"
#include "core/loop.h"
#include "core/util.h"
#include "tests/fixture.h"

static void test_top(void **state)
{
	const struct oa_proc v[] = {
		{ 10, 1, 100, true }, { 11, 1, 900, true }, { 12, 1, 900, false },  /* managed */
		{ 13, 1, 500, true }, { 14, 1, 0, true },   /* no memory */
		{ 9, 1, 500, true }, { 15, 1, 700, true },
	};
	size_t out[8];

	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 3, out), 3);
	assert_int_equal(v[out[0]].pid, 11);
	assert_int_equal(v[out[1]].pid, 15);
	assert_int_equal(v[out[2]].pid, 9);          /* tie at 500: the lower pid */
	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 8, out), 5);
	assert_int_equal(v[out[3]].pid, 13);
	assert_int_equal(v[out[4]].pid, 10);
	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 0, out), 0);
	assert_int_equal(oomadj_top(v, 0, 3, out), 0);
	assert_int_equal(oomadj_top(v, ARRAY_SIZE(v), 1, out), 1);
	assert_int_equal(v[out[0]].pid, 11);
}

static void test_decide(void **state)
{
	struct oa_entry e = { .pid = 5, .starttime = 1, .original = 100, .applied = 700, .mode = OA_RAISE };

	/* raise: only upwards, never over someone's higher value, never a protected one */
	assert_int_equal(oomadj_decide(NULL, 0, 700, OA_RAISE), OA_WRITE);
	assert_int_equal(oomadj_decide(NULL, 699, 700, OA_RAISE), OA_WRITE);
	assert_int_equal(oomadj_decide(NULL, 700, 700, OA_RAISE), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, 900, 700, OA_RAISE), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, -1, 700, OA_RAISE), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, -1000, 700, OA_RAISE), OA_SKIP);
	/* lower (managed): only downwards */
	assert_int_equal(oomadj_decide(NULL, 0, -500, OA_LOWER), OA_WRITE);
	assert_int_equal(oomadj_decide(NULL, -500, -500, OA_LOWER), OA_SKIP);
	assert_int_equal(oomadj_decide(NULL, -900, -500, OA_LOWER), OA_SKIP);
	/* ours: keep; a new target: write; changed by someone: theirs now */
	assert_int_equal(oomadj_decide(&e, 700, 700, OA_RAISE), OA_KEEP);
	assert_int_equal(oomadj_decide(&e, 700, 800, OA_RAISE), OA_WRITE);
	assert_int_equal(oomadj_decide(&e, 300, 700, OA_RAISE), OA_DISOWN);
	assert_int_equal(oomadj_decide(&e, 100, 700, OA_RAISE), OA_DISOWN);
	/* restore only what is still ours */
	assert_true(oomadj_should_restore(&e, 700));
	assert_false(oomadj_should_restore(&e, 800));
	e.original = 700;
	assert_false(oomadj_should_restore(&e, 700));   /* nothing to do */
}

static int adj_of(struct fixture *f, int pid)
{
	char p[64], buf[32];
	int64_t v;

	snprintf(p, sizeof(p), "proc/%d/oom_score_adj", pid);
	if (read_file_at(f->dirfd, p, buf, sizeof(buf)) < 0)
		return -9999;
	buf[strcspn(buf, "\n")] = '\0';
	assert_int_equal(parse_int_range(buf, -1000, 1000, &v), 0);
	return (int)v;
}

static void set_adj(struct fixture *f, int pid, int v)
{
	char p[64], buf[32];

	snprintf(p, sizeof(p), "proc/%d/oom_score_adj", pid);
	snprintf(buf, sizeof(buf), "%d\n", v);
	fixture_file(f, p, buf);
}

static void add(struct fixture *f, int pid, unsigned long long start, int adj)
{
	struct fixture_proc p = { .pid = pid, .ppid = 1, .comm = "p", .rss_anon_kb = 1000,
				  .starttime = start, .oom_score_adj = adj };

	fixture_proc(f, "proc", &p);
}

static void test_rounds(void **state)
{
	struct fixture *f = fixture_new();
	struct oa_state st = { 0 };
	struct oa_stats s;
	int proc;

	add(f, 101, 1001, 0);
	add(f, 102, 1002, 100);
	add(f, 103, 1003, 900);         /* someone set it higher */
	add(f, 104, 1004, -200);        /* someone protected it */
	add(f, 105, 1005, 50);
	proc = fixture_open_dir(f, "proc");

	struct oa_want w1[] = {
		{ 101, 1001, 700, OA_RAISE, "a" }, { 102, 1002, 700, OA_RAISE, "b" },
		{ 103, 1003, 700, OA_RAISE, "c" }, { 104, 1004, 700, OA_RAISE, "d" },
		{ 105, 1005, -500, OA_LOWER, "managed" },
	};
	assert_int_equal(oomadj_sync(&st, proc, w1, ARRAY_SIZE(w1), &s), 0);
	assert_int_equal(s.written, 3);
	assert_int_equal(st.n, 3);
	assert_int_equal(adj_of(f, 101), 700);
	assert_int_equal(adj_of(f, 102), 700);
	assert_int_equal(adj_of(f, 103), 900);        /* never lowered */
	assert_int_equal(adj_of(f, 104), -200);       /* left protected */
	assert_int_equal(adj_of(f, 105), -500);

	/* same again: nothing to write */
	assert_int_equal(oomadj_sync(&st, proc, w1, ARRAY_SIZE(w1), &s), 0);
	assert_int_equal(s.written + s.restored + s.disowned + s.gone, 0);

	/* 102 leaves the top: its original comes back; 101's was changed by
	 * someone else meanwhile: theirs stays and is never "restored" */
	set_adj(f, 101, 300);
	struct oa_want w2[] = { { 101, 1001, 700, OA_RAISE, "a" }, { 105, 1005, -500, OA_LOWER, "m" } };
	assert_int_equal(oomadj_sync(&st, proc, w2, ARRAY_SIZE(w2), &s), 0);
	assert_int_equal(s.restored, 1);
	assert_int_equal(s.disowned, 1);
	assert_int_equal(adj_of(f, 102), 100);
	assert_int_equal(adj_of(f, 101), 300);
	assert_int_equal(st.n, 2);                    /* 105, and 101 hands-off */
	assert_int_equal(oomadj_in_force(&st), 1);

	/* PID reuse: 105 is now another process (another start time): the
	 * new one is never written to, and the entry goes */
	add(f, 105, 7777, 0);
	struct oa_want w3[] = { { 101, 1001, 700, OA_RAISE, "a" } };
	assert_int_equal(oomadj_sync(&st, proc, w3, ARRAY_SIZE(w3), &s), 0);
	assert_int_equal(s.gone, 1);
	assert_int_equal(adj_of(f, 105), 0);
	assert_int_equal(st.n, 1);
	/* 101's owner changed it: never fought over, round after round */
	assert_int_equal(oomadj_sync(&st, proc, w3, ARRAY_SIZE(w3), &s), 0);
	assert_int_equal(adj_of(f, 101), 300);
	assert_int_equal(s.written, 0);

	/* a wanted process whose pid was reused is not written either */
	struct oa_want w4[] = { { 101, 1001, 700, OA_RAISE, "a" }, { 105, 1005, 700, OA_RAISE, "old" } };
	assert_int_equal(oomadj_sync(&st, proc, w4, ARRAY_SIZE(w4), &s), 0);
	assert_int_equal(adj_of(f, 105), 0);
	assert_int_equal(s.gone, 1);

	/* exit: everything back */
	add(f, 106, 1006, 10);
	struct oa_want w5[] = { { 101, 1001, 700, OA_RAISE, "a" }, { 106, 1006, 700, OA_RAISE, "f" } };
	assert_int_equal(oomadj_sync(&st, proc, w5, ARRAY_SIZE(w5), &s), 0);
	assert_int_equal(adj_of(f, 106), 700);
	char buf[512];
	struct oa_state back;

	char boot[OA_BOOT_ID_SIZE];

	assert_true(oomadj_format(&st, "0b1d-e", buf, sizeof(buf)) > 0);
	/* hands-off 101 is not in force */
	assert_string_equal(buf, "boot 0b1d-e\n106 1006 10 700 raise f\n");
	assert_int_equal(oomadj_parse(buf, &back, boot, NULL), 1);
	assert_string_equal(boot, "0b1d-e");
	/* the state file of a crashed run restores just the same */
	oomadj_restore_all(&back, proc, &s);
	assert_int_equal(s.restored, 1);
	assert_int_equal(back.n, 0);
	assert_int_equal(adj_of(f, 101), 300);
	assert_int_equal(adj_of(f, 106), 10);
	oomadj_free(&back);
	/* restoring again (the live state) finds the original there already */
	oomadj_restore_all(&st, proc, &s);
	assert_int_equal(s.restored, 0);
	assert_int_equal(s.disowned, 1);
	assert_int_equal(st.n, 0);
	assert_int_equal(oomadj_format(&st, NULL, buf, sizeof(buf)), 0);
	assert_int_equal(oomadj_format(&back, NULL, buf, 0), 0);
	assert_int_equal(oomadj_parse("7 7 0 -700 lower y\n", &back, boot, NULL), 1);
	assert_int_equal(back.v[0].pid, 7);
	assert_int_equal(back.v[0].mode, OA_LOWER);
	assert_string_equal(boot, "");
	oomadj_free(&back);
	oomadj_free(&st);
	close(proc);
	fixture_free(f);
}

/* A malformed state file is refused whole, at the first bad line, never
 * half-used: and an entry oomguard could not have written (a raise from a
 * protected value, a "lower" upwards) is malformed, or a crafted file could
 * have the daemon write -1000 for anyone. */
static void test_parse_strict(void **state)
{
	static const char *const bad[] = {
		"junk\n", "1 2 3\n", "-1 5 0 700 raise x\n", "5 5 0 7000 raise x\n",
		"6 6 0 700 sideways x\n", "7 7 0 700 raise x trailing\n", " 7 7 0 700 raise x\n",
		"+7 7 0 700 raise x\n", "7 7 -1000 700 raise x\n", "7 7 800 700 raise x\n",
		"7 7 700 700 raise x\n", "7 7 -900 -500 lower x\n", "7 7 0 700 lower x\n",
		"boot x/y\n", "boot\n", "boot abc def\n", "7 7 0 700 raise x\nboot abc\n",
	};
	struct oa_state st;
	int line;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		line = 0;
		assert_int_equal(oomadj_parse(bad[i], &st, NULL, &line), -EINVAL);
		assert_int_equal(line, i == ARRAY_SIZE(bad) - 1 ? 2 : 1);
		assert_int_equal(st.n, 0);
		assert_null(st.v);
	}
	assert_int_equal(oomadj_parse("boot ab-12\n7 7 0 700 raise x\n8 8 0 700 raise y\n"
				      "9 9 0 -500 lower z\n", &st, NULL, &line), 3);
	oomadj_free(&st);
	/* a name is one token, escaped, and comes back as it was */
	struct oa_entry hostile = { .pid = 9, .starttime = 9, .original = 0, .applied = 700,
				    .mode = OA_RAISE, .comm = "a b\n\\\"\xc3\xa9\xff_" };
	struct oa_state one = { .v = &hostile, .n = 1 };
	char buf[256];

	assert_true(oomadj_format(&one, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "9 9 0 700 raise a\\x20b\\x0a\\x5c\\x22\xc3\xa9\\xff_\n");
	assert_int_equal(oomadj_parse(buf, &st, NULL, &line), 1);
	assert_string_equal(st.v[0].comm, hostile.comm);
	oomadj_free(&st);
	assert_int_equal(oomadj_parse("9 9 0 700 raise 0123456789abcdef\n", &st, NULL, &line),
			 -EINVAL);                      /* longer than a comm */
	assert_int_equal(oomadj_parse("9 9 0 700 raise a\\x00\n", &st, NULL, &line), -EINVAL);
	assert_int_equal(oomadj_parse("9 9 0 700 raise a\\q\n", &st, NULL, &line), -EINVAL);
	assert_int_equal(oomadj_parse("7 7 0 700 raise x\n8 8 0 700 rise y\n", &st, NULL, &line),
			 -EINVAL);
	assert_int_equal(line, 2);
	assert_null(st.v);
}

#define BOOT "6c1b8c4e-32a1-4d47-9d2b-5b7d1c3f0a11"

/* The state file is trusted (loaded to restore or to show) only when it
 * and its directory are root's and not writable by others, it is no symlink,
 * it parses, and it was written in this boot. */
static void test_load(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 32], why[256];
	struct oa_state st;
	int proc, run;

	(void)state;
	fixture_file(f, "proc/sys/kernel/random/boot_id", BOOT "\n");
	proc = fixture_open_dir(f, "proc");
	fixture_dir(f, "run");
	run = fixture_open_dir(f, "run");
	assert_int_equal(fchmod(run, 0755), 0);
	snprintf(path, sizeof(path), "%s/run/state", f->dir);
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -ENOENT);
	fixture_file(f, "run/state", "boot " BOOT "\n101 1001 0 700 raise a\n");
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), 1);
	assert_int_equal(st.v[0].pid, 101);
	oomadj_free(&st);
	/* the directory */
	assert_int_equal(fchmod(run, 0777), 0);
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "its directory is writable by group or others");
	assert_int_equal(fchmod(run, 0755), 0);
	/* the file */
	assert_int_equal(fchmodat(run, "state", 0666, 0), 0);
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "it is writable by group or others");
	assert_int_equal(fchmodat(run, "state", 0644, 0), 0);
	if (geteuid() == 0) {
		assert_int_equal(fchownat(run, "state", 1000, 0, 0), 0);
		assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -EPERM);
		assert_string_equal(why, "it is not owned by root");
		assert_int_equal(fchownat(run, "state", 0, 0, 0), 0);
	}
	assert_int_equal(renameat(run, "state", run, "real"), 0);
	assert_int_equal(symlinkat("real", run, "state"), 0);
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -ELOOP);
	assert_string_equal(why, "it is a symbolic link");
	assert_int_equal(unlinkat(run, "state", 0), 0);
	/* the contents */
	fixture_file(f, "run/state", "boot " BOOT "\n101 1001 0 700 raise a\ngarbage\n");
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "line 3 is malformed");
	/* the boot: a pid and a start time name a process in one boot only */
	fixture_file(f, "run/state", "boot 00000000-1111\n101 1001 0 700 raise a\n");
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -ESTALE);
	assert_null(st.v);
	fixture_file(f, "run/state", "101 1001 0 700 raise a\n");
	assert_int_equal(oomadj_load(path, proc, &st, why, sizeof(why)), -ESTALE);
	assert_string_equal(why, "it names no boot");
	close(run);
	close(proc);
	fixture_free(f);
}

/* A restarted daemon restores what a crashed one left: onto the same
 * processes only (pid, start time, this boot), and nothing from a state
 * file it cannot trust. */
static void test_recover(void **state)
{
	struct fixture *f = fixture_new();
	struct og_opts o = { .psi_mode = -1 };
	char err[OG_ERR_SIZE], proc[PATH_MAX + 16], conf[PATH_MAX + 16], yaml[PATH_MAX + 128];
	struct loop_hooks hooks = { 0 };
	struct shield_rt s;
	struct loop *loop;
	struct og_ctx c;
	int run;

	(void)state;
	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	fixture_file(f, "proc/sys/kernel/random/boot_id", BOOT "\n");
	add(f, 101, 1001, 700);         /* raised by the crashed run */
	add(f, 102, 7777, 700);         /* pid 102 is another process now */
	add(f, 103, 1003, -500);        /* a managed one it lowered */
	add(f, 104, 1004, 900);         /* changed by someone since */
	fixture_dir(f, "run");
	run = fixture_open_dir(f, "run");
	assert_int_equal(fchmod(run, 0755), 0);
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(conf, sizeof(conf), "%s/conf.yaml", f->dir);
	snprintf(yaml, sizeof(yaml), "dynamic_adjustment: {enabled: false, state_file: %s/run/state}\n",
		 f->dir);
	fixture_file(f, "conf.yaml", yaml);
	o.proc_dir = proc;
	o.cgroup_root = f->dir;
	o.config_path = conf;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	assert_int_equal(loop_new(&hooks, &loop), 0);

	/* from another boot: nothing is restored, even where pid and start
	 * time match (they would after a reboot, early in boot) */
	fixture_file(f, "run/state", "boot 00000000-1111\n101 1001 0 700 raise a\n");
	shield_rt_start(&s, &c, loop, NULL, NULL);
	assert_int_equal(adj_of(f, 101), 700);
	assert_int_equal(faccessat(run, "state", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	shield_rt_stop(&s, &c);

	/* a file others may write: nothing either */
	fixture_file(f, "run/state", "boot " BOOT "\n101 1001 0 700 raise a\n");
	assert_int_equal(fchmodat(run, "state", 0666, 0), 0);
	shield_rt_start(&s, &c, loop, NULL, NULL);
	assert_int_equal(adj_of(f, 101), 700);
	shield_rt_stop(&s, &c);

	/* this boot, root's: each process that is still the same gets its
	 * original back; the reused pid and the value someone changed stay */
	fixture_file(f, "run/state", "boot " BOOT "\n101 1001 0 700 raise a\n102 1002 0 700 raise b\n"
		     "103 1003 0 -500 lower m\n104 1004 100 700 raise d\n");
	shield_rt_start(&s, &c, loop, NULL, NULL);
	assert_int_equal(adj_of(f, 101), 0);
	assert_int_equal(adj_of(f, 102), 700);
	assert_int_equal(adj_of(f, 103), 0);
	assert_int_equal(adj_of(f, 104), 900);
	assert_int_equal(faccessat(run, "state", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	shield_rt_stop(&s, &c);
	loop_free(loop);
	ctx_close(&c);
	close(run);
	fixture_free(f);
}

/* The state file is written through a fresh temporary: a stale PATH.tmp
 * symlink is removed, never written through. */
static void test_save_no_symlink(void **state)
{
	struct fixture *f = fixture_new();
	struct og_opts o = { .psi_mode = -1 };
	char err[OG_ERR_SIZE], proc[PATH_MAX + 16], conf[PATH_MAX + 16], yaml[PATH_MAX + 160];
	char buf[PATH_MAX + 32];
	struct loop_hooks hooks = { 0 };
	struct oa_state st;
	struct shield_rt s;
	struct loop *loop;
	struct og_ctx c;
	struct stat sb;
	int run, proc_fd;

	(void)state;
	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	fixture_file(f, "proc/sys/kernel/random/boot_id", BOOT "\n");
	add(f, 101, 1001, 0);
	fixture_dir(f, "run");
	run = fixture_open_dir(f, "run");
	assert_int_equal(fchmod(run, 0755), 0);
	fixture_file(f, "precious", "do not touch\n");
	snprintf(buf, sizeof(buf), "%s/precious", f->dir);
	assert_int_equal(symlinkat(buf, run, "state.tmp"), 0);
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(conf, sizeof(conf), "%s/conf.yaml", f->dir);
	snprintf(yaml, sizeof(yaml), "dynamic_adjustment: {enabled: true, count: 1, score: 600, "
		 "state_file: %s/run/state}\n", f->dir);
	fixture_file(f, "conf.yaml", yaml);
	o.proc_dir = proc;
	o.cgroup_root = f->dir;
	o.config_path = conf;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	assert_int_equal(loop_new(&hooks, &loop), 0);
	shield_rt_start(&s, &c, loop, NULL, NULL);
	shield_rt_pass(&s);
	assert_int_equal(adj_of(f, 101), 600);
	assert_true(read_file_at(f->dirfd, "precious", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "do not touch\n");
	assert_int_equal(fstatat(run, "state", &sb, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0644);
	snprintf(buf, sizeof(buf), "%s/run/state", f->dir);
	proc_fd = fixture_open_dir(f, "proc");
	assert_int_equal(oomadj_load(buf, proc_fd, &st, err, sizeof(err)), 1);
	oomadj_free(&st);
	close(proc_fd);
	shield_rt_stop(&s, &c);
	assert_int_equal(adj_of(f, 101), 0);
	loop_free(loop);
	ctx_close(&c);
	close(run);
	fixture_free(f);
}

static void test_read_write(void **state)
{
	struct fixture *f = fixture_new();
	int proc, v = 1;

	add(f, 50, 500, 42);
	proc = fixture_open_dir(f, "proc");
	assert_int_equal(oomadj_read(proc, 50, 500, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(oomadj_read(proc, 50, 501, &v), -ESRCH);
	assert_int_equal(oomadj_read(proc, 51, 500, &v), -ESRCH);
	assert_int_equal(oomadj_write(proc, 50, 501, 700), -ESRCH);
	assert_int_equal(adj_of(f, 50), 42);
	assert_int_equal(oomadj_write(proc, 50, 500, -17), 0);
	assert_int_equal(adj_of(f, 50), -17);
	fixture_file(f, "proc/50/oom_score_adj", "garbage\n");
	assert_int_equal(oomadj_read(proc, 50, 500, &v), -EINVAL);
	close(proc);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_save_no_symlink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
