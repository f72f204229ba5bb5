/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Victim ranking and plans over a fixture /proc. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/config-schema.h"
#include "core/util.h"
#include "victim/choose.h"
#include "victim/rank.h"
#include "victim/rules.h"
#include "fixture.h"


struct world {
	struct fixture *f;
	int proc_fd;
	struct proc_list l;
	struct candidate cands[64];
	struct og_config cfg;
};

static const struct fixture_proc procs[] = {
	{ .pid = 1, .comm = "systemd", .cmdline = "/sbin/init", .exe = "/usr/lib/systemd/systemd",
	  .cgroup = "/init.scope", .rss_anon_kb = 9000, .oom_score = 0 },
	{ .pid = 2, .comm = "kthreadd", .kthread = 1 },
	{ .pid = 10, .ppid = 2, .comm = "kworker/0:1", .kthread = 1 },
	{ .pid = 100, .ppid = 1, .comm = "sshd", .cmdline = "sshd: /usr/sbin/sshd -D",
	  .exe = "/usr/sbin/sshd", .cgroup = "/system.slice/ssh.service",
	  .rss_anon_kb = 300000, .oom_score = 310 },
	{ .pid = 200, .ppid = 1, .comm = "postgres", .cmdline = "postgres -D /var/lib/pg",
	  .exe = "/usr/lib/postgresql/15/bin/postgres", .cgroup = "/system.slice/pg.service",
	  .uid = 105, .rss_anon_kb = 600000, .oom_score = 600, .starttime = 500 },
	{ .pid = 300, .ppid = 1, .comm = "hog", .cmdline = "./hog --rate 500",
	  .exe = "/tmp/hog", .cgroup = "/user.slice/user-1000.slice/session-1.scope",
	  .uid = 1000, .rss_anon_kb = 500000, .swap_kb = 10000, .oom_score = 510, .starttime = 900 },
	{ .pid = 301, .ppid = 1, .comm = "chrome", .cmdline = "chrome --type=renderer",
	  .exe = "/usr/lib/chromium/chromium", .cgroup = "/user.slice/user-1000.slice/app.scope",
	  .uid = 1000, .rss_anon_kb = 200000, .oom_score = 200, .starttime = 800 },
	{ .pid = 302, .ppid = 1, .comm = "shielded", .cmdline = "shielded",
	  .exe = "/usr/bin/shielded", .cgroup = "/user.slice/user-1000.slice/app.scope",
	  .uid = 1000, .rss_anon_kb = 900000, .oom_score = 0, .oom_score_adj = -1000 },
	{ .pid = 303, .ppid = 1, .comm = "idle", .cmdline = "idle", .exe = "/usr/bin/idle",
	  .cgroup = "/user.slice", .uid = 1000, .oom_score = 0 },
};

static int setup(void **state)
{
	static struct world w;

	memset(&w, 0, sizeof(w));
	w.f = fixture_new();
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		fixture_proc(w.f, "proc", &procs[i]);
	w.proc_fd = fixture_open_dir(w.f, "proc");
	config_default(&w.cfg);
	usercache_set(1000, "alice");
	usercache_set(105, "postgres");
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	close(w->proc_fd);
	proc_list_free(&w->l);
	config_free(&w->cfg);
	fixture_free(w->f);
	return 0;
}

static size_t rank(struct world *w, const char *scope, size_t *n)
{
	struct rank_input in = { .proc_fd = w->proc_fd, .self = 99999,
				 .mem_total = 4096 * MiB, .cgroup = scope };

	assert_true(proc_scan(w->proc_fd, &w->l) > 0);
	return rank_candidates(&w->cfg, &in, &w->l, w->cands, n);
}

static const struct candidate *find(struct world *w, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (w->cands[i].p->pid == pid)
			return &w->cands[i];
	fail_msg("pid %d not ranked", pid);
	return NULL;
}

static void test_default_order_and_exclusions(void **state)
{
	struct world *w = *state;
	size_t n, eligible = rank(w, NULL, &n);

	/* Kernel threads are left out entirely. */
	assert_int_equal(n, 7);
	/* eligible: postgres, hog, chrome, sshd (avoided by the default rule). */
	assert_int_equal(eligible, 4);
	assert_int_equal(w->cands[0].p->pid, 200);      /* highest oom_score */
	assert_int_equal(w->cands[1].p->pid, 300);
	assert_int_equal(w->cands[2].p->pid, 301);
	assert_int_equal(w->cands[3].p->pid, 100);      /* 310 - 300 */
	assert_int_equal(w->cands[3].badness, 10);
	assert_true(w->cands[3].rule_line != 0 || w->cfg.rules[0].line == 0);
	assert_int_equal(find(w, n, 1)->excluded, EXCL_PID1);
	assert_int_equal(find(w, n, 302)->excluded, EXCL_ADJ_MIN);
	assert_int_equal(find(w, n, 303)->excluded, EXCL_NO_MEMORY);
	assert_int_equal(find(w, n, 300)->freed, (500000 + 10000) * 1024ull);
}

static void add_rule(struct og_config *cfg, const char *field, const char *re,
		     enum og_rule_action action, int adjust)
{
	struct og_rule *r = &cfg->rules[cfg->n_rules++];
	regex_t *rx;

	memset(r, 0, sizeof(*r));
	if (!strcmp(field, "comm")) { r->comm = strdup(re); rx = &r->comm_re; }
	else if (!strcmp(field, "cmdline")) { r->cmdline = strdup(re); rx = &r->cmdline_re; }
	else if (!strcmp(field, "exe")) { r->exe = strdup(re); rx = &r->exe_re; }
	else if (!strcmp(field, "cgroup")) { r->cgroup = strdup(re); rx = &r->cgroup_re; }
	else { r->user = strdup(re); rx = &r->user_re; }
	assert_int_equal(regcomp(rx, re, REG_EXTENDED | REG_NOSUB), 0);
	r->action = action;
	r->adjust = adjust;
	r->line = 40 + (int)cfg->n_rules;
}

static void test_rules_by_every_field(void **state)
{
	struct world *w = *state;
	size_t n, eligible;

	add_rule(&w->cfg, "exe", "^/usr/lib/postgresql/", RULE_PROTECT, 0);
	add_rule(&w->cfg, "cmdline", "--type=renderer", RULE_PREFER, 1000);
	add_rule(&w->cfg, "user", "^alice$", RULE_AVOID, 100);
	eligible = rank(w, NULL, &n);
	assert_int_equal(find(w, n, 200)->excluded, EXCL_PROTECTED);
	assert_int_equal(eligible, 3);
	assert_int_equal(w->cands[0].p->pid, 301);      /* 200 + 1000 - 100 */
	assert_int_equal(w->cands[0].badness, 1100);
	assert_int_equal(w->cands[1].p->pid, 300);      /* 510 - 100 */
	assert_int_equal(w->cands[1].badness, 410);

	/* A cgroup rule, and a uid given as a number. */
	config_free(&w->cfg);
	config_default(&w->cfg);
	add_rule(&w->cfg, "cgroup", "^/user\\.slice/user-1000\\.slice/session-", RULE_PROTECT, 0);
	add_rule(&w->cfg, "user", "^105$", RULE_PREFER, 50);
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_PROTECTED);
	assert_int_equal(find(w, n, 200)->badness, 650);
	config_free(&w->cfg);
	config_default(&w->cfg);
}

static size_t rank_bounded(struct world *w, struct undecided *t, uint64_t now, size_t *n)
{
	struct rank_input in = { .proc_fd = w->proc_fd, .self = 99999,
				 .mem_total = 4096 * MiB, .undecided = t, .now_ms = now };

	assert_true(proc_scan(w->proc_fd, &w->l) > 0);
	return rank_candidates(&w->cfg, &in, &w->l, w->cands, n);
}

/* Write a process of the fixture again (its exe link first removed). */
static void reproc(struct world *w, const struct fixture_proc *p)
{
	char exe[32];

	snprintf(exe, sizeof(exe), "%d/exe", p->pid);
	unlinkat(w->proc_fd, exe, 0);
	fixture_proc(w->f, "proc", p);
}

static const char hog_cmdline[] = "./hog\0--rate\0500";

/* An empty command line is known, not unreadable: anyone can clear their
 * argv, and that must not make a protect rule undecidable (= protected).
 * The rule does not match; the process is eligible. */
static void test_empty_cmdline_is_no_match(void **state)
{
	struct world *w = *state;
	size_t n;

	add_rule(&w->cfg, "cmdline", "^never$", RULE_PROTECT, 0);
	add_rule(&w->cfg, "cmdline", ".*", RULE_PROTECT, 0);   /* not even this */
	add_rule(&w->cfg, "exe", "^/nowhere$", RULE_PROTECT, 0);
	fixture_file(w->f, "proc/300/cmdline", "");
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_NONE);
	assert_false(find(w, n, 300)->p->unreadable);
	/* argv overwritten with NULs reads the same */
	fixture_file_len(w->f, "proc/300/cmdline", "\0\0\0\0", 4);
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_NONE);
	/* the others still match the ".*" rule */
	assert_int_equal(find(w, n, 301)->excluded, EXCL_PROTECTED);
	fixture_file_len(w->f, "proc/300/cmdline", hog_cmdline, sizeof(hog_cmdline));
	config_free(&w->cfg);
	config_default(&w->cfg);
}

/* A protect rule that cannot be evaluated (the file vanished mid-read:
 * ENOENT/ESRCH, or EACCES) leaves the process alone: fail safe. Without a
 * table that is all; the bound is the next test's. */
static void test_unreadable_protect_field(void **state)
{
	struct world *w = *state;
	size_t n;

	add_rule(&w->cfg, "cmdline", "^never$", RULE_PROTECT, 0);
	assert_int_equal(unlinkat(w->proc_fd, "300/cmdline", 0), 0);
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_UNDECIDABLE);
	assert_true(find(w, n, 300)->p->unreadable & PROC_UNREAD_CMDLINE);
	/* a prefer rule on an unreadable field just does not match */
	config_free(&w->cfg);
	config_default(&w->cfg);
	add_rule(&w->cfg, "cmdline", "hog", RULE_PREFER, 100);
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_NONE);
	assert_int_equal(find(w, n, 300)->adjust, 0);
	fixture_file_len(w->f, "proc/300/cmdline", hog_cmdline, sizeof(hog_cmdline));
	config_free(&w->cfg);
	config_default(&w->cfg);
}

/* Undecidable is bounded: the same pid + start time undecidable in
 * UNDECIDED_RANKINGS rankings, or UNDECIDED_MS after the first, is ranked
 * as if the rule did not match, and said once. */
static void test_undecidable_is_bounded(void **state)
{
	struct world *w = *state;
	static struct undecided t;
	const struct candidate *c;
	size_t n;

	add_rule(&w->cfg, "cmdline", "^never$", RULE_PROTECT, 0);
	assert_int_equal(unlinkat(w->proc_fd, "300/cmdline", 0), 0);
	memset(&t, 0, sizeof(t));
	for (int i = 1; i < UNDECIDED_RANKINGS; i++) {
		rank_bounded(w, &t, 1000 + (uint64_t)i, &n);
		c = find(w, n, 300);
		assert_int_equal(c->excluded, EXCL_UNDECIDABLE);
		assert_false(c->undecided_bound || c->undecided_say);
	}
	rank_bounded(w, &t, 1100, &n);
	c = find(w, n, 300);
	assert_int_equal(c->excluded, EXCL_NONE);
	assert_true(c->undecided_bound && c->undecided_say);
	assert_int_equal(w->cands[1].p->pid, 300);      /* ranked by its badness again */
	rank_bounded(w, &t, 1200, &n);
	c = find(w, n, 300);
	assert_int_equal(c->excluded, EXCL_NONE);
	assert_true(c->undecided_bound);
	assert_false(c->undecided_say);                 /* said once */

	/* A new process under the same pid (another start time) starts over. */
	static const struct fixture_proc again = {
		.pid = 300, .ppid = 1, .comm = "hog", .cmdline = "./hog", .exe = "/tmp/hog",
		.cgroup = "/user.slice/user-1000.slice/session-1.scope", .uid = 1000,
		.rss_anon_kb = 500000, .swap_kb = 10000, .oom_score = 510, .starttime = 901,
	};
	reproc(w, &again);
	assert_int_equal(unlinkat(w->proc_fd, "300/cmdline", 0), 0);
	rank_bounded(w, &t, 1300, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_UNDECIDABLE);

	/* By time: the second ranking UNDECIDED_MS after the first. */
	memset(&t, 0, sizeof(t));
	rank_bounded(w, &t, 5000, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_UNDECIDABLE);
	rank_bounded(w, &t, 5000 + UNDECIDED_MS - 1, &n);
	assert_int_equal(find(w, n, 300)->excluded, EXCL_UNDECIDABLE);
	memset(&t, 0, sizeof(t));
	rank_bounded(w, &t, 5000, &n);
	rank_bounded(w, &t, 5000 + UNDECIDED_MS, &n);
	c = find(w, n, 300);
	assert_int_equal(c->excluded, EXCL_NONE);
	assert_true(c->undecided_say);

	reproc(w, &procs[5]);          /* the original hog back */
	config_free(&w->cfg);
	config_default(&w->cfg);
}

/* The table: a slot per undecidable process, the stalest reused; more
 * undecidable processes in one ranking than slots are not left alone. */
static void test_undecided_table(void **state)
{
	static struct undecided t;
	bool say;

	memset(&t, 0, sizeof(t));
	t.seq = 1;
	for (int pid = 1000; pid < 1000 + UNDECIDED_SLOTS; pid++)
		assert_false(undecided_expired(&t, pid, 7, 0, &say));
	assert_true(undecided_expired(&t, 5000, 7, 0, &say));  /* no slot this ranking */
	assert_true(say);
	assert_true(undecided_expired(&t, 5001, 7, 0, &say));
	assert_false(say);                                      /* said once */
	t.seq = 2;
	assert_false(undecided_expired(&t, 1000, 7, 1, &say));  /* seen again: count 2 */
	assert_false(undecided_expired(&t, 5000, 7, 1, &say));  /* a stale slot reused */
	t.seq = 3;
	assert_true(undecided_expired(&t, 1000, 7, 2, &say));   /* 3 rankings */
	assert_true(say);
	assert_false(undecided_expired(&t, 1001, 8, 2, &say));  /* another start time */
	(void)state;
}

/* The built-in avoid rule is for root's processes: a hog that names itself
 * "sshd" gets no -300. A rule of the config keeps its meaning (any uid). */
static void test_builtin_avoid_is_roots(void **state)
{
	struct world *w = *state;
	struct fixture_proc fake = procs[5];
	size_t n;

	fake.comm = "sshd";
	reproc(w, &fake);
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->badness, 510);
	assert_int_equal(find(w, n, 300)->rule_line, 0);
	assert_int_equal(find(w, n, 100)->badness, 10);         /* root's sshd */
	assert_true(w->cfg.rules[0].root_only);

	config_free(&w->cfg);
	config_default(&w->cfg);
	config_rules_free(&w->cfg);
	add_rule(&w->cfg, "comm", "^sshd$", RULE_AVOID, 300);
	rank(w, NULL, &n);
	assert_int_equal(find(w, n, 300)->badness, 210);
	assert_int_equal(find(w, n, 100)->badness, 10);
	reproc(w, &procs[5]);
	config_free(&w->cfg);
	config_default(&w->cfg);
}

/* The fast scan keeps only the largest processes, and never a kernel thread
 * or a process without memory. */
static void test_scan_top(void **state)
{
	struct world *w = *state;
	int pids[] = { 300, 200, 999 };

	assert_int_equal(proc_scan_top(w->proc_fd, &w->l, 2), 2);
	assert_int_equal(w->l.seen, 6);         /* idle (no memory) and kthreads skipped */
	assert_true((w->l.v[0].pid == 302 && w->l.v[1].pid == 200) ||
		    (w->l.v[0].pid == 200 && w->l.v[1].pid == 302));
	assert_int_equal(proc_scan_top(w->proc_fd, &w->l, 100), 6);
	assert_int_equal(proc_scan_top(w->proc_fd, &w->l, 0), -EINVAL);
	/* A cgroup's members: exactly those pids, vanished ones skipped. */
	assert_int_equal(proc_scan_pids(w->proc_fd, &w->l, pids, 3), 2);
	assert_int_equal(w->l.v[0].pid, 300);
	assert_int_equal(w->l.v[1].pid, 200);
}

static void test_cgroup_scope(void **state)
{
	struct world *w = *state;
	size_t n, eligible = rank(w, "/user.slice/user-1000.slice", &n);

	assert_int_equal(eligible, 2);
	assert_int_equal(w->cands[0].p->pid, 300);
	assert_int_equal(w->cands[1].p->pid, 301);
	assert_int_equal(find(w, n, 200)->excluded, EXCL_OUTSIDE);
	assert_true(cgroup_path_within("/a/b", "/a"));
	assert_true(cgroup_path_within("/a", "/a"));
	assert_true(cgroup_path_within("/a/b", "/"));
	assert_false(cgroup_path_within("/ab", "/a"));
	assert_false(cgroup_path_within("/a", "/a/b"));
}

/* oomd's and systemd-oomd's preference xattrs on cgroups, in every
 * guard's ranking: trusted.oomd_prefer first, trusted.oomd_avoid later,
 * user.oomd_omit (ManagedOOMPreference=omit) never, found on the nearest
 * ancestor; user.* only on a directory root owns. */
static void test_oomd_preference_xattrs(void **state)
{
	struct world *w = *state;
	struct rank_input in = { .proc_fd = w->proc_fd, .self = 99999, .mem_total = 4096 * MiB,
				 .use_xattr = true };
	char p[4400];
	size_t n;

	fixture_dir(w->f, "cg/system.slice/ssh.service");
	fixture_dir(w->f, "cg/system.slice/pg.service");
	fixture_dir(w->f, "cg/user.slice/user-1000.slice/session-1.scope");
	fixture_dir(w->f, "cg/user.slice/user-1000.slice/app.scope");
	snprintf(p, sizeof(p), "%s/cg/user.slice/user-1000.slice/app.scope", w->f->dir);
	if (setxattr(p, "trusted.oomd_prefer", "", 0, 0) < 0)
		skip();         /* no trusted xattrs here */
	snprintf(p, sizeof(p), "%s/cg/system.slice", w->f->dir);   /* an ancestor of pg's */
	assert_int_equal(setxattr(p, "trusted.oomd_avoid", "", 0, 0), 0);
	in.cg_root_fd = fixture_open_dir(w->f, "cg");
	assert_true(proc_scan(w->proc_fd, &w->l) > 0);
	rank_candidates(&w->cfg, &in, &w->l, w->cands, &n);
	/* chrome (200 MB) is preferred over the hog (500 MB) */
	assert_int_equal(w->cands[0].p->pid, 301);
	assert_int_equal(find(w, n, 301)->oomd_pref, 1);
	assert_int_equal(find(w, n, 200)->oomd_pref, -1);      /* from system.slice */
	/* both services under system.slice are avoided: after the hog, whatever their size */
	assert_int_equal(w->cands[1].p->pid, 300);
	assert_int_equal(w->cands[2].p->pid, 200);
	assert_int_equal(w->cands[3].p->pid, 100);
	/* systemd-oomd's omit on a root-owned cgroup: never a candidate */
	snprintf(p, sizeof(p), "%s/cg/user.slice/user-1000.slice/session-1.scope", w->f->dir);
	if (setxattr(p, "user.oomd_omit", "1", 1, 0) == 0) {    /* tmpfs has user.* from 6.6 */
		rank_candidates(&w->cfg, &in, &w->l, w->cands, &n);
		assert_int_equal(find(w, n, 300)->excluded, EXCL_OMIT);
		/* the same on a directory another user owns: not honoured */
		assert_int_equal(chown(p, 1000, 1000), 0);
		rank_candidates(&w->cfg, &in, &w->l, w->cands, &n);
		assert_int_equal(find(w, n, 300)->excluded, EXCL_NONE);
	}
	close(in.cg_root_fd);
}

static void test_anon_swap_badness(void **state)
{
	struct world *w = *state;
	size_t n;

	w->cfg.badness = BADNESS_ANON_SWAP;
	rank(w, NULL, &n);
	w->cfg.badness = BADNESS_OOM_SCORE;
	/* postgres 600000 KiB > hog 510000 KiB > chrome 200000 KiB of 4 GiB. */
	assert_int_equal(w->cands[0].p->pid, 200);
	assert_int_equal(w->cands[1].p->pid, 300);
	assert_int_equal(w->cands[1].badness, (int64_t)(510000ull * 1024 / (4096 * MiB / 1000 + 1)));
}

static void test_plan_default_and_priority(void **state)
{
	struct world *w = *state;
	struct ks_item items[64];
	struct ks_scratch *ks = ks_scratch_new(64);
	struct plan p;
	size_t n, eligible = rank(w, NULL, &n);

	assert_false(plan_priority_mode(&w->cfg, false));
	assert_true(plan_priority_mode(&w->cfg, true));
	assert_int_equal(plan_choose(w->cands, eligible, 100 * MiB, false, ks, items, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(w->cands[p.idx[0]].p->pid, 200);
	assert_false(p.priority);

	/* Values: postgres is precious, the hog and chrome are cheap. */
	for (size_t i = 0; i < eligible; i++) {
		int pid = w->cands[i].p->pid;

		w->cands[i].value = pid == 200 ? 100 : pid == 100 ? 50 : 1;
	}
	assert_int_equal(plan_choose(w->cands, eligible, 600 * MiB, true, ks, items, &p), 0);
	assert_true(p.priority);
	assert_true(p.covered);
	assert_int_equal(p.n, 2);               /* hog + chrome: value 2 */
	assert_int_equal(p.value, 2);
	assert_int_equal(w->cands[p.idx[0]].p->pid, 300);       /* biggest first */
	assert_int_equal(w->cands[p.idx[1]].p->pid, 301);
	assert_int_equal(plan_choose(w->cands, 0, MiB, true, ks, items, &p), -ENOENT);
	ks_scratch_free(ks);
}

/* In a pid namespace pid 2 is an ordinary process (kthreadd exists only in
 * the initial one): it and its children are ranked like any other; only
 * PF_KTHREAD and PID 1 keep a process out. */
static void test_pid_namespace(void **state)
{
	static const struct fixture_proc ns[] = {
		{ .pid = 1, .comm = "tini", .cmdline = "tini", .exe = "/usr/bin/tini", .cgroup = "/",
		  .rss_anon_kb = 500, .oom_score = 1, .starttime = 100 },
		{ .pid = 2, .ppid = 1, .comm = "bash", .cmdline = "bash", .exe = "/bin/bash",
		  .cgroup = "/", .uid = 1000, .rss_anon_kb = 3000, .oom_score = 3, .starttime = 101 },
		{ .pid = 3, .ppid = 2, .comm = "hog", .cmdline = "./hog", .exe = "/tmp/hog",
		  .cgroup = "/", .uid = 1000, .rss_anon_kb = 800000, .oom_score = 800,
		  .starttime = 102 },
	};
	struct world w = { 0 };
	size_t n, eligible;

	(void)state;
	w.f = fixture_new();
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
		fixture_proc(w.f, "proc", &ns[i]);
	w.proc_fd = fixture_open_dir(w.f, "proc");
	config_default(&w.cfg);
	eligible = rank(&w, NULL, &n);
	assert_int_equal(n, 3);
	assert_int_equal(eligible, 2);
	assert_int_equal(w.cands[0].p->pid, 3);
	assert_int_equal(w.cands[1].p->pid, 2);
	assert_int_equal(find(&w, n, 2)->excluded, EXCL_NONE);
	assert_int_equal(find(&w, n, 1)->excluded, EXCL_PID1);
	teardown(&(void *){ &w });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_order_and_exclusions),
		cmocka_unit_test(test_rules_by_every_field),
		cmocka_unit_test(test_empty_cmdline_is_no_match),
		cmocka_unit_test(test_unreadable_protect_field),
		cmocka_unit_test(test_undecidable_is_bounded),
		cmocka_unit_test(test_undecided_table),
		cmocka_unit_test(test_builtin_avoid_is_roots),
		cmocka_unit_test(test_scan_top),
		cmocka_unit_test(test_cgroup_scope),
		cmocka_unit_test(test_oomd_preference_xattrs),
		cmocka_unit_test(test_anon_swap_badness),
		cmocka_unit_test(test_plan_default_and_priority),
		cmocka_unit_test(test_pid_namespace),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
