// SPDX-License-Identifier: GPL-2.0-or-later
/* The protected cgroup against fixture trees: matching, creation with the
 * controllers enabled on the way down, settings applied and re-applied,
 * the v1 fallback files, moves and members; the config keys; and the
 * ranking hook (managed processes are never victims). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "guards/shield/shield.h"
#include "guards/shield/shieldd.h"
#include "guards/shield/shieldsd.h"
#include "core/loop.h"
#include "core/config.h"
#include "core/context.h"
#include "core/util.h"
#include "observe/connector.h"
#include "victim/rank.h"
#include "tests/fixture.h"
#include "unit/shield-util.h"



static bool is_dir(struct fixture *f, const char *path)
{
	struct stat st;

	return fstatat(f->dirfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* ---- matching ---------------------------------------------------------- */

static void test_match(void **state)
{
	char *entries[] = { "vim", "comm:^post(gres|master)$", "exe:^/usr/bin/python3(\\.[0-9]+)?$",
			    "cmdline:--role=db( |$)" };
	struct shield_matcher m;
	char err[128];

	assert_int_equal(shield_matcher_init(&m, entries, 4, err, sizeof(err)), 0);
	assert_true(m.need_exe && m.need_cmdline);
	/* plain entries: the comm, exactly, as in the seed */
	assert_true(shield_matches(&m, "vim", NULL, NULL));
	assert_false(shield_matches(&m, "vimx", NULL, NULL));
	assert_false(shield_matches(&m, "nvim", NULL, NULL));
	assert_false(shield_matches(&m, "VIM", NULL, NULL));
	assert_true(shield_matches(&m, "postgres", NULL, NULL));
	assert_false(shield_matches(&m, "postgresql", NULL, NULL));
	/* exe and cmdline only when given */
	assert_false(shield_matches(&m, "python3", NULL, NULL));
	assert_true(shield_matches(&m, "python3", "/usr/bin/python3.11", ""));
	assert_false(shield_matches(&m, "python3", "/usr/local/bin/python3", ""));
	assert_true(shield_matches(&m, "java", "/opt/x", "java -jar app.jar --role=db"));
	assert_false(shield_matches(&m, "java", "/opt/x", "java --role=dbx"));
	/* unreadable ("") matches no exe/cmdline regex */
	assert_false(shield_matches(&m, "java", "", ""));
	shield_matcher_free(&m);
	assert_int_equal(m.n, 0);

	/* entry checks (the config loader uses them) */
	assert_int_equal(shield_entry_check("code", err, sizeof(err)), 0);
	assert_int_equal(shield_entry_check("exe:", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty regular expression"));
	assert_int_equal(shield_entry_check("cmdline:(", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad regular expression"));
	assert_int_equal(shield_entry_check("", err, sizeof(err)), -EINVAL);
	/* a name with another colon is still a name */
	enum shield_kind k;
	const char *pat;

	shield_entry_parse("my:app", &k, &pat);
	assert_int_equal(k, SM_COMM);
	assert_string_equal(pat, "my:app");
	shield_entry_parse("cmdline:x", &k, &pat);
	assert_int_equal(k, SM_CMDLINE_RE);
	assert_string_equal(pat, "x");
}

struct loads {
	const char *exe, *cmdline;
	unsigned exe_calls, cmdline_calls;
};

static const char *load_fake(enum shield_kind what, void *userdata)
{
	struct loads *l = userdata;

	if (what == SM_EXE_RE) {
		l->exe_calls++;
		return l->exe;
	}
	assert_int_equal(what, SM_CMDLINE_RE);
	l->cmdline_calls++;
	return l->cmdline;
}

/* exe and cmdline are read only when the comm did not match and an entry
 * needs them, once each */
static void test_match_lazy(void **state)
{
	char *all[] = { "vim", "exe:^/usr/bin/python3$", "cmdline:--role=db( |$)" };
	char *comm_only[] = { "vim", "comm:^post" }, *cmd_only[] = { "cmdline:--role=db" };
	struct loads l = { .exe = "/usr/bin/python3", .cmdline = "python3 x.py" };
	struct shield_matcher m;
	char err[128];

	assert_int_equal(shield_matcher_init(&m, all, 3, err, sizeof(err)), 0);
	assert_true(shield_matches_lazy(&m, "vim", load_fake, &l));
	assert_true(l.exe_calls == 0 && l.cmdline_calls == 0);
	assert_true(shield_matches_lazy(&m, "python3", load_fake, &l));
	assert_true(l.exe_calls == 1 && l.cmdline_calls == 1);
	l = (struct loads){ .exe = "/opt/java", .cmdline = "java --role=db" };
	assert_true(shield_matches_lazy(&m, "java", load_fake, &l));
	l = (struct loads){ .exe = "", .cmdline = "" };           /* unreadable */
	assert_false(shield_matches_lazy(&m, "java", load_fake, &l));
	assert_true(l.exe_calls == 1 && l.cmdline_calls == 1);
	shield_matcher_free(&m);

	assert_int_equal(shield_matcher_init(&m, comm_only, 2, err, sizeof(err)), 0);
	l = (struct loads){ .exe = "/usr/bin/vim", .cmdline = "vim" };
	assert_true(shield_matches_lazy(&m, "postgres", load_fake, &l));
	assert_false(shield_matches_lazy(&m, "nvim", load_fake, &l));
	assert_true(l.exe_calls == 0 && l.cmdline_calls == 0);
	shield_matcher_free(&m);

	assert_int_equal(shield_matcher_init(&m, cmd_only, 1, err, sizeof(err)), 0);
	l = (struct loads){ .exe = "/x", .cmdline = "db --role=db" };
	assert_true(shield_matches_lazy(&m, "db", load_fake, &l));
	assert_true(l.exe_calls == 0 && l.cmdline_calls == 1);
	shield_matcher_free(&m);

	/* no entries: nothing matches, nothing is read */
	assert_int_equal(shield_matcher_init(&m, NULL, 0, err, sizeof(err)), 0);
	l = (struct loads){ 0 };
	assert_false(shield_matches_lazy(&m, "vim", load_fake, &l));
	assert_true(l.exe_calls == 0 && l.cmdline_calls == 0);
}

static void test_path(void **state)
{
	char p[PATH_MAX];

	assert_int_equal(shield_path(NULL, "oomguard.slice", p, sizeof(p)), 0);
	assert_string_equal(p, "/oomguard.slice");
	assert_int_equal(shield_path("/", "x", p, sizeof(p)), 0);
	assert_string_equal(p, "/x");
	assert_int_equal(shield_path("system.slice//oomguard.service/", "x", p, sizeof(p)), 0);
	assert_string_equal(p, "/system.slice/oomguard.service/x");
	assert_int_equal(shield_path("/a/../b", "x", p, sizeof(p)), -EINVAL);
	assert_int_equal(shield_path("/a/./b", "x", p, sizeof(p)), -EINVAL);
	assert_int_equal(shield_path("/a", "", p, sizeof(p)), -EINVAL);
	assert_int_equal(shield_path("/a", "b/c", p, sizeof(p)), -EINVAL);
	assert_int_equal(shield_path("/aaaaaaaa", "b", p, 8), -ENAMETOOLONG);
}

/* ---- v2 ------------------------------------------------------------------ */



static void test_v2_create(void **state)
{
	struct fixture *f = v2_tree("cpuset cpu io memory hugetlb pids rdma misc\n", "");
	struct shield_cg cg;
	char why[512] = "";
	int root = fixture_open_dir(f, "cg");

	assert_true(shield_v2_usable(root));
	assert_int_equal(shield_v2_create(root, "/a/prot", NULL, "supervisor", &cg, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(cg.mode, SHIELD_V2);
	assert_string_equal(cg.path, "/a/prot");
	assert_true(is_dir(f, "cg/a/prot"));
	/* controllers enabled in the root and in every ancestor, one write each */
	assert_string_equal(slurp(f, "cg/cgroup.subtree_control"), "+memory +cpu +io");
	assert_string_equal(slurp(f, "cg/a/cgroup.subtree_control"), "+memory +cpu +io");
	assert_int_equal(cg.ctrls, SH_BIT(SH_MEM) | SH_BIT(SH_CPU) | SH_BIT(SH_IO));
	assert_true(cg.fd[0] >= 0 && cg.fd[1] < 0 && cg.fd[2] < 0);
	shield_cg_close(&cg);
	assert_int_equal(cg.fd[0], -1);

	/* again, with everything already there: nothing is rewritten */
	fixture_file(f, "cg/cgroup.subtree_control", "cpu io memory pids\n");
	fixture_file(f, "cg/a/cgroup.subtree_control", "memory io cpu\n");
	assert_int_equal(shield_v2_create(root, "a/prot", NULL, NULL, &cg, why, sizeof(why)), 0);
	assert_string_equal(slurp(f, "cg/cgroup.subtree_control"), "cpu io memory pids\n");
	assert_string_equal(slurp(f, "cg/a/cgroup.subtree_control"), "memory io cpu\n");
	shield_cg_close(&cg);
	close(root);
	fixture_free(f);

	/* only what the kernel offers is asked for */
	f = v2_tree("cpu memory pids\n", "pids\n");
	root = fixture_open_dir(f, "cg");
	assert_int_equal(shield_v2_create(root, "/x", NULL, NULL, &cg, why, sizeof(why)), 0);
	assert_string_equal(slurp(f, "cg/cgroup.subtree_control"), "+memory +cpu");
	assert_int_equal(cg.ctrls, SH_BIT(SH_MEM) | SH_BIT(SH_CPU));
	shield_cg_close(&cg);
	/* a level without cgroup.controllers (not a cgroup): refused with a reason */
	fixture_dir(f, "cg/plain");
	assert_int_equal(shield_v2_create(root, "/plain/x", NULL, NULL, &cg, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/plain/cgroup.controllers"));
	assert_false(is_dir(f, "cg/plain/x"));
	/* no memory controller at all: not usable for the shield */
	fixture_file(f, "cg/cgroup.controllers", "cpu pids\n");
	assert_false(shield_v2_usable(root));
	close(root);
	fixture_free(f);
}

static void test_v2_apply(void **state)
{
	struct fixture *f = v2_tree("cpu io memory\n", "");
	struct shield_settings s = { 200 * MiB, 64 * MiB, 150, 300 }, back;
	struct shield_cg cg;
	unsigned rw = 99;
	char why[256] = "";
	int root = fixture_open_dir(f, "cg");

	prot_files(f, "cg/a/prot");
	assert_int_equal(shield_v2_create(root, "/a/prot", NULL, NULL, &cg, why, sizeof(why)), 0);
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, SH_BIT(SH_MEM) | SH_BIT(SH_CPU) | SH_BIT(SH_IO));
	assert_string_equal(slurp(f, "cg/a/prot/memory.low"), "209715200");
	assert_string_equal(slurp(f, "cg/a/prot/memory.min"), "67108864");
	assert_string_equal(slurp(f, "cg/a/prot/cpu.weight"), "150");
	assert_string_equal(slurp(f, "cg/a/prot/io.weight"), "default 300");
	assert_int_equal(shield_read(&cg, &back), 0);
	assert_true(back.memory_low == 200 * MiB && back.memory_min == 64 * MiB);
	assert_true(back.cpu_weight == 150 && back.io_weight == 300);

	/* the check every rescan: all in place, nothing written */
	fixture_file(f, "cg/a/prot/memory.low", "209715200\n");
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, 0);
	assert_string_equal(slurp(f, "cg/a/prot/memory.low"), "209715200\n");

	/* changed behind our back: only that one is re-applied */
	fixture_file(f, "cg/a/prot/cpu.weight", "100\n");
	fixture_file(f, "cg/a/prot/io.weight", "default 300\n8:0 50\n");
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, SH_BIT(SH_CPU));
	assert_string_equal(slurp(f, "cg/a/prot/cpu.weight"), "150");
	fixture_file(f, "cg/a/prot/memory.min", "max\n");
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, SH_BIT(SH_MEM));
	assert_string_equal(slurp(f, "cg/a/prot/memory.min"), "67108864");

	/* the kernel keeps pages: an unaligned value reads back rounded down */
	s.memory_low = 200 * MiB + 100;
	fixture_file(f, "cg/a/prot/memory.low", "209715200\n");
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, 0);

	/* the cgroup was removed: the error says so */
	fixture_free(f);        /* rm -rf under the open fds */
	assert_int_equal(shield_apply(&cg, &s, &rw), -ENOENT);
	shield_cg_close(&cg);
	close(root);
}

static void test_v2_members(void **state)
{
	struct fixture *f = v2_tree("cpu io memory\n", "");
	struct shield_cg cg;
	char why[256];
	int *pids = NULL, root = fixture_open_dir(f, "cg");
	size_t n = 0, cap = 0;

	prot_files(f, "cg/prot");
	assert_int_equal(shield_v2_create(root, "/prot", NULL, NULL, &cg, why, sizeof(why)), 0);
	assert_int_equal(shield_move(&cg, 4242), 0);
	assert_string_equal(slurp(f, "cg/prot/cgroup.procs"), "4242");
	assert_int_equal(shield_move(&cg, 0), -EINVAL);
	fixture_file(f, "cg/prot/cgroup.procs", "30\n10\n20\n");
	assert_int_equal(shield_members(&cg, &pids, &n, &cap), 3);
	assert_int_equal(n, 3);
	assert_true(pids[0] == 10 && pids[1] == 20 && pids[2] == 30);
	assert_true(shield_pid_in(pids, 3, 20));
	assert_false(shield_pid_in(pids, 3, 25));
	/* read again into the same array: replaced, not appended */
	assert_int_equal(shield_members(&cg, &pids, &n, &cap), 3);
	assert_int_equal(n, 3);
	assert_true(pids[0] == 10 && pids[1] == 20 && pids[2] == 30);
	fixture_file(f, "cg/prot/cgroup.procs", "");
	assert_int_equal(shield_members(&cg, &pids, &n, &cap), 0);
	assert_int_equal(n, 0);
	free(pids);

	/* move_all: a delegated parent's processes into its leaf */
	fixture_file(f, "cg/a/cgroup.procs", "5\n6\n");
	fixture_file(f, "cg/a/leaf/cgroup.procs", "");
	int src = fixture_open_dir(f, "cg/a"), dst = fixture_open_dir(f, "cg/a/leaf");

	assert_int_equal(shield_move_all(src, dst), 0);
	assert_string_equal(slurp(f, "cg/a/leaf/cgroup.procs"), "6");     /* the last write */
	/* thousands of them: every one (the last write is the last pid) */
	char many[3000 * 8 + 1];
	size_t o = 0;

	for (int i = 1; i <= 3000; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%d\n", 10000 + i);
	fixture_file(f, "cg/a/cgroup.procs", many);
	assert_int_equal(shield_move_all(src, dst), 0);
	assert_string_equal(slurp(f, "cg/a/leaf/cgroup.procs"), "13000");
	close(src);
	close(dst);
	shield_cg_close(&cg);
	close(root);
	fixture_free(f);
}

/* ---- v1 ------------------------------------------------------------------ */

static void v1_tree(struct fixture *f, bool bfq)
{
	static char mi[6 * PATH_MAX + 1024];

	snprintf(mi, sizeof(mi),
		 "25 1 0:23 / /sys rw,nosuid - sysfs sysfs rw\n"
		 "30 22 0:27 / %s/v1 rw,relatime - tmpfs tmpfs rw,mode=755\n"
		 "31 30 0:28 / %s/v1/cpu\\054cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
		 "32 30 0:29 / %s/v1/unified rw,relatime - cgroup2 cgroup2 rw\n"
		 "34 30 0:31 / %s/v1/memory rw,relatime - cgroup cgroup rw,memory\n"
		 "35 30 0:32 / %s/v1/blkio rw,relatime - cgroup cgroup rw,blkio\n",
		 f->dir, f->dir, f->dir, f->dir, f->dir);
	fixture_file(f, "proc/self/mountinfo", mi);
	fixture_file(f, "v1/memory/prot/memory.soft_limit_in_bytes", "9223372036854771712\n");
	fixture_file(f, "v1/memory/prot/cgroup.procs", "");
	fixture_file(f, "v1/cpu,cpuacct/prot/cpu.shares", "1024\n");
	fixture_file(f, "v1/cpu,cpuacct/prot/cgroup.procs", "");
	fixture_file(f, bfq ? "v1/blkio/prot/blkio.bfq.weight" : "v1/blkio/prot/blkio.weight",
		     bfq ? "100\n" : "500\n");
	fixture_file(f, "v1/blkio/prot/cgroup.procs", "");
}

static void test_v1_fallback(void **state)
{
	struct fixture *f = fixture_new();
	struct shield_settings s = { 200 * MiB, 64 * MiB, 150, 2000 }, back;
	struct shield_cg cg;
	char mem[PATH_MAX], want[PATH_MAX + 16];
	int roots[SH_NCTRL], proc;
	unsigned rw;

	v1_tree(f, false);
	proc = fixture_open_dir(f, "proc");
	assert_int_equal(shield_v1_roots(proc, roots, mem), 0);
	snprintf(want, sizeof(want), "%s/v1/memory", f->dir);
	assert_string_equal(mem, want);
	assert_true(roots[SH_MEM] >= 0 && roots[SH_CPU] >= 0 && roots[SH_IO] >= 0);
	assert_int_equal(shield_v1_create(roots, "/prot", &cg), 0);
	assert_int_equal(cg.mode, SHIELD_V1);
	assert_string_equal(cg.path, "/prot");
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, SH_BIT(SH_MEM) | SH_BIT(SH_CPU) | SH_BIT(SH_IO));
	assert_string_equal(slurp(f, "v1/memory/prot/memory.soft_limit_in_bytes"), "209715200");
	assert_string_equal(slurp(f, "v1/cpu,cpuacct/prot/cpu.shares"), "1536");  /* 150 * 1024 / 100 */
	assert_string_equal(slurp(f, "v1/blkio/prot/blkio.weight"), "1000");      /* clamped */
	assert_int_equal(shield_read(&cg, &back), 0);
	assert_true(back.memory_low == 200 * MiB && back.cpu_weight == 150 && back.io_weight == 1000);
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_int_equal(rw, 0);
	/* the whole process into every hierarchy */
	assert_int_equal(shield_move(&cg, 77), 0);
	assert_string_equal(slurp(f, "v1/memory/prot/cgroup.procs"), "77");
	assert_string_equal(slurp(f, "v1/cpu,cpuacct/prot/cgroup.procs"), "77");
	assert_string_equal(slurp(f, "v1/blkio/prot/cgroup.procs"), "77");
	shield_cg_close(&cg);

	/* memory_low 0: the soft limit is left alone (0 would make it reclaimed first) */
	fixture_file(f, "v1/memory/prot/memory.soft_limit_in_bytes", "9223372036854771712\n");
	s.memory_low = 0;
	assert_int_equal(shield_v1_open(roots, "prot", &cg), 0);
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_false(rw & SH_BIT(SH_MEM));
	assert_string_equal(slurp(f, "v1/memory/prot/memory.soft_limit_in_bytes"), "9223372036854771712\n");
	shield_cg_close(&cg);
	shield_v1_roots_close(roots);
	assert_int_equal(shield_v1_open(roots, "prot", &cg), -ENOENT);   /* no memory root */
	close(proc);
	fixture_free(f);

	/* BFQ's weight file; cpu weight 1 still gives the minimum of 2 shares */
	f = fixture_new();
	v1_tree(f, true);
	proc = fixture_open_dir(f, "proc");
	assert_int_equal(shield_v1_roots(proc, roots, NULL), 0);
	assert_int_equal(shield_v1_create(roots, "prot", &cg), 0);
	s = (struct shield_settings){ 0, 0, 1, 150 };
	assert_int_equal(shield_apply(&cg, &s, &rw), 0);
	assert_string_equal(slurp(f, "v1/blkio/prot/blkio.bfq.weight"), "150");
	assert_string_equal(slurp(f, "v1/cpu,cpuacct/prot/cpu.shares"), "10");
	shield_cg_close(&cg);
	shield_v1_roots_close(roots);
	close(proc);
	/* no v1 memory hierarchy */
	fixture_file(f, "proc/self/mountinfo", "1 2 0:1 / /x rw - cgroup2 cgroup2 rw\n");
	proc = fixture_open_dir(f, "proc");
	assert_int_equal(shield_v1_roots(proc, roots, NULL), -ENOENT);
	assert_true(roots[0] == -1 && roots[1] == -1 && roots[2] == -1);
	close(proc);
	fixture_free(f);
}

/* ---- config ---------------------------------------------------------------- */

static void test_config_keys(void **state)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];
	const char *y =
		"cgroup_settings:\n"
		"  name: critical.slice\n"
		"  parent: /system.slice/oomguard.service\n"
		"  memory_low: 300MiB\n"
		"  move_from_units: true\n"
		"  proc_connector: false\n"
		"  rescan_interval: 3s\n"
		"  managed_oom_score_adj: -500\n"
		"managed_processes: [postgres, \"exe:^/usr/bin/python3\", \"cmdline:--role=db\"]\n"
		"dynamic_adjustment: {enabled: true, count: 2, score: 600, interval: 500ms, state_file: ~}\n";

	config_default(&cfg);
	assert_true(cfg.cg_enabled && cfg.cg_connector && !cfg.cg_move_from_units);
	assert_int_equal(cfg.cg_managed_adj, 1);
	assert_false(shield_wanted(&cfg));
	assert_int_equal(config_load_buffer("t.yaml", y, strlen(y), &cfg, err), 0);
	assert_string_equal(cfg.cg_parent, "/system.slice/oomguard.service");
	assert_true(cfg.cg_move_from_units && !cfg.cg_connector);
	assert_int_equal(cfg.cg_rescan_ms, 3000);
	assert_int_equal(cfg.cg_managed_adj, -500);
	assert_int_equal(cfg.n_managed, 3);
	assert_int_equal(cfg.dyn_interval_ms, 500);
	assert_null(cfg.dyn_state_path);
	assert_true(shield_wanted(&cfg));
	/* whom the entries may manage: root only by default, and system units */
	assert_int_equal(cfg.n_managed_users, 0);
	assert_true(cfg.cg_trust_units);
	const char *u = "cgroup_settings: {managed_users: [alice, 1000, \"svc-x$\"], trust_units: no}\n";

	assert_int_equal(config_load_buffer("t.yaml", u, strlen(u), &cfg, err), 0);
	assert_int_equal(cfg.n_managed_users, 3);
	assert_string_equal(cfg.cg_managed_users[0], "alice");
	assert_string_equal(cfg.cg_managed_users[1], "1000");
	assert_false(cfg.cg_trust_units);
	assert_int_equal(config_load_buffer("t.yaml", y, strlen(y), &cfg, err), 0);

	static const struct {
		const char *yaml, *msg;
	} bad[] = {
		{ "managed_processes: [vim, \"exe:(\"]\n",
		  "t.yaml:1:26: managed_processes[1]: bad regular expression \"(\"" },
		{ "managed_processes:\n  - \"cmdline:\"\n",
		  "t.yaml:2:5: managed_processes[0]: empty regular expression after \"cmdline:\"" },
		{ "cgroup_settings: {parent: /a/../b}\n", "t.yaml:1:27: cgroup_settings.parent: expected" },
		{ "cgroup_settings: {managed_oom_score_adj: 5}\n",
		  "t.yaml:1:42: cgroup_settings.managed_oom_score_adj: expected an integer -1000..0" },
		{ "cgroup_settings: {rescan_interval: 10ms}\n", "cgroup_settings.rescan_interval: expected" },
		{ "cgroup_settings: {move_from_unit: true}\n",
		  "unknown key \"move_from_unit\" in cgroup_settings; did you mean \"move_from_units\"?" },
		{ "cgroup_settings: {managed_users: alice}\n",
		  "t.yaml:1:34: cgroup_settings.managed_users: expected a list of user names or uids" },
		{ "cgroup_settings: {managed_users: [alice, \"bad name\"]}\n",
		  "t.yaml:1:42: cgroup_settings.managed_users[1]: expected a user name or a uid, got \"bad name\"" },
		{ "cgroup_settings: {managed_users: [4294967295]}\n",
		  "cgroup_settings.managed_users[0]: uid \"4294967295\" out of range" },
		{ "cgroup_settings: {managed_users: [~]}\n",
		  "cgroup_settings.managed_users[0]: expected a user name or uid" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(config_load_buffer("t.yaml", bad[i].yaml, strlen(bad[i].yaml), &cfg, err),
				 -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad[i].msg);
	}
	/* the refused files left the good config alone */
	assert_int_equal(cfg.cg_managed_adj, -500);
	config_free(&cfg);
}

/* ---- the ranking hook ---------------------------------------------------------- */

static void test_is_managed(void **state)
{
	struct fixture *f = fixture_new();
	const struct fixture_proc procs[] = {
		{ .pid = 100, .ppid = 1, .comm = "vim", .cmdline = "vim notes", .exe = "/usr/bin/vim",
		  .cgroup = "/user.slice", .rss_anon_kb = 900000, .oom_score = 900, .starttime = 10 },
		{ .pid = 200, .ppid = 1, .comm = "java", .cmdline = "java -jar db.jar --role=db",
		  .exe = "/usr/bin/java", .cgroup = "/user.slice", .rss_anon_kb = 800000,
		  .oom_score = 800, .starttime = 11 },
		{ .pid = 300, .ppid = 1, .comm = "helper", .cmdline = "helper", .exe = "/usr/bin/helper",
		  .cgroup = "/prot.slice", .rss_anon_kb = 700000, .oom_score = 700, .starttime = 12 },
		{ .pid = 400, .ppid = 1, .comm = "hog", .cmdline = "hog", .exe = "/usr/bin/hog",
		  .cgroup = "/prot.slicex", .rss_anon_kb = 600000, .oom_score = 600, .starttime = 13 },
	};
	struct og_opts o = { .psi_mode = -1 };
	struct og_ctx c;
	char err[OG_ERR_SIZE], proc[PATH_MAX + 16], cg[PATH_MAX + 16], conf[PATH_MAX + 16];
	size_t n = 0;
	int eligible;

	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	for (size_t i = 0; i < ARRAY_SIZE(procs); i++) {
		char p[64], statm[64];

		fixture_proc(f, "proc", &procs[i]);
		/* the fast scan reads statm first (resident pages) */
		snprintf(p, sizeof(p), "proc/%d/statm", procs[i].pid);
		snprintf(statm, sizeof(statm), "300000 %lu 0 5 0 200000 0\n", procs[i].rss_anon_kb / 4);
		fixture_file(f, p, statm);
	}
	fixture_file(f, "cg/cgroup.controllers", "memory\n");
	fixture_file(f, "conf.yaml", "cgroup_settings: {name: prot.slice}\n"
		     "managed_processes: [vim, \"cmdline:--role=db\"]\n");
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(cg, sizeof(cg), "%s/cg", f->dir);
	snprintf(conf, sizeof(conf), "%s/conf.yaml", f->dir);
	o.proc_dir = proc;
	o.cgroup_root = cg;
	o.config_path = conf;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	assert_non_null(c.shield);
	assert_string_equal(c.shield->path, "/prot.slice");
	eligible = ctx_rank(&c, NULL, 4000000ull * 1024, 0, &n);
	assert_int_equal(eligible, 1);
	assert_int_equal(n, 4);
	assert_int_equal(c.cands[0].p->pid, 400);         /* /prot.slicex is not /prot.slice */
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(c.cands[i].excluded, EXCL_MANAGED);
		assert_true(c.cands[i].p->pid == 100 || c.cands[i].p->pid == 200 ||
			    c.cands[i].p->pid == 300);
	}
	ctx_close(&c);
	assert_null(c.shield);

	/* without managed_processes and cgroup_settings: nobody is managed */
	o.config_path = NULL;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	assert_int_equal(ctx_rank(&c, NULL, 4000000ull * 1024, 0, &n), 4);
	ctx_close(&c);
	fixture_free(f);
}

/* ---- the daemon side: one rescan ------------------------------------------------ */


/* A rescan walks /proc: managed processes (by comm and by cmdline) are moved
 * into the protected cgroup, a member stays, every managed one gets
 * managed_oom_score_adj, the largest other one the dynamic score; stop
 * restores them all. */
static bool in_episode;

static bool episode(void *userdata)
{
	return *(bool *)userdata;
}

static void test_rescan(void **state)
{
	struct fixture *f = v2_tree("cpu io memory\n", "");
	const struct fixture_proc procs[] = {
		{ .pid = 100, .ppid = 1, .comm = "vim", .cmdline = "vim notes", .exe = "/usr/bin/vim",
		  .cgroup = "/user.slice", .rss_anon_kb = 1000, .starttime = 10 },
		{ .pid = 200, .ppid = 1, .comm = "java", .cmdline = "java -jar db.jar --role=db",
		  .exe = "/usr/bin/java", .cgroup = "/user.slice", .rss_anon_kb = 2000, .starttime = 11 },
		{ .pid = 300, .ppid = 1, .comm = "helper", .cmdline = "helper", .exe = "/usr/bin/helper",
		  .cgroup = "/prot.slice", .rss_anon_kb = 3000, .starttime = 12 },
		{ .pid = 400, .ppid = 1, .comm = "hog", .cmdline = "hog", .exe = "/usr/bin/hog",
		  .cgroup = "/user.slice", .rss_anon_kb = 900000, .starttime = 13 },
		{ .pid = 500, .ppid = 1, .comm = "small", .cmdline = "small", .exe = "/usr/bin/small",
		  .cgroup = "/user.slice", .rss_anon_kb = 500, .starttime = 14 },
		{ .pid = 600, .ppid = 2, .comm = "vim", .starttime = 15, .kthread = 1 },
		{ .pid = 700, .ppid = 1, .comm = "py", .cmdline = "py x", .exe = "/usr/bin/python3",
		  .cgroup = "/user.slice", .rss_anon_kb = 700, .starttime = 16 },
	};
	struct og_opts o = { .psi_mode = -1 };
	struct shield_rt s;
	struct og_ctx c;
	char err[OG_ERR_SIZE], proc[PATH_MAX + 16], cg[PATH_MAX + 16], conf[PATH_MAX + 16];
	const char *last;
	struct loop_hooks hooks = { 0 };
	struct loop *loop;

	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	for (size_t i = 0; i < ARRAY_SIZE(procs); i++)
		fixture_proc(f, "proc", &procs[i]);
	prot_files(f, "cg/prot.slice");
	fixture_file(f, "cg/prot.slice/cgroup.procs", "300\n");
	fixture_file(f, "conf.yaml",
		     "cgroup_settings: {name: prot.slice, proc_connector: false, "
		     "managed_oom_score_adj: -500}\n"
		     "managed_processes: [vim, \"cmdline:--role=db\", \"exe:^/usr/bin/python3$\"]\n"
		     "dynamic_adjustment: {enabled: true, count: 1, score: 600, state_file: ~}\n");
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(cg, sizeof(cg), "%s/cg", f->dir);
	snprintf(conf, sizeof(conf), "%s/conf.yaml", f->dir);
	o.proc_dir = proc;
	o.cgroup_root = cg;
	o.config_path = conf;
	assert_int_equal(ctx_open(&c, &o, err), 0);
	assert_int_equal(loop_new(&hooks, &loop), 0);

	shield_rt_start(&s, &c, loop, episode, &in_episode);
	assert_int_equal(s.cg.mode, SHIELD_V2);
	assert_string_equal(s.cg.path, "/prot.slice");
	/* No pass while an episode is on: put off, not lost. */
	in_episode = true;
	assert_true(loop_run_once(loop, 2000) > 0);
	assert_int_equal(s.moved, 0);
	assert_int_equal(s.deferred, 1);
	in_episode = false;
	shield_rt_pass(&s);
	/* vim by its comm, java by its cmdline, py by its exe; helper is a
	 * member already and the kernel thread named vim is no process to manage */
	assert_int_equal(s.moved, 3);
	last = slurp(f, "cg/prot.slice/cgroup.procs");
	assert_true(!strcmp(last, "100") || !strcmp(last, "200") || !strcmp(last, "700"));
	assert_int_equal(adj_of(f, 700), -500);
	assert_int_equal(adj_of(f, 100), -500);
	assert_int_equal(adj_of(f, 200), -500);
	assert_int_equal(adj_of(f, 300), -500);
	assert_int_equal(adj_of(f, 400), 600);
	assert_int_equal(adj_of(f, 500), 0);
	assert_int_equal(adj_of(f, 600), 0);

	/* a second pass changes nothing more */
	fixture_file(f, "cg/prot.slice/cgroup.procs", "100\n200\n300\n700\n");
	shield_rt_pass(&s);
	assert_int_equal(s.moved, 3);
	assert_int_equal(adj_of(f, 400), 600);

	shield_rt_stop(&s, &c);
	for (size_t i = 0; i < ARRAY_SIZE(procs); i++)
		assert_int_equal(adj_of(f, procs[i].pid), 0);
	loop_free(loop);
	ctx_close(&c);
	fixture_free(f);
}

/* Under systemd: where a managed process lives decides what is done. */
static void test_sd_place(void **state)
{
	static const struct { const char *where; enum sd_place want; const char *unit; } t[] = {
		{ "/oom_protector.slice/oomguard-nvim-245.scope", SDP_INSIDE, NULL },
		{ "/oom_protector.slice", SDP_INSIDE, NULL },
		{ "/", SDP_SCOPE, NULL },
		{ "/user.slice/user-1000.slice/session-2.scope", SDP_SCOPE, NULL },
		{ "/user.slice/user-4242.slice/session-c1.scope", SDP_SCOPE, NULL },
		/* a user's own systemd and what it runs: left alone */
		{ "/user.slice/user-1000.slice/user@1000.service", SDP_ALONE, NULL },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-nvim-1.scope",
		  SDP_ALONE, NULL },
		/* services and other units: protected where they are */
		{ "/system.slice/postgresql@15-main.service", SDP_UNIT, "postgresql@15-main.service" },
		{ "/system.slice/docker-abc.scope", SDP_UNIT, "docker-abc.scope" },
		{ "/init.scope", SDP_UNIT, "init.scope" },
		/* not a session: a scope of the wrong shape, a slice, a subtree */
		{ "/user.slice/session-2.scope", SDP_UNIT, "session-2.scope" },
		{ "/user.slice/user-1000.slice", SDP_ALONE, NULL },
		{ "/system.slice/x.service/payload", SDP_ALONE, NULL },
		{ "/oom_protector.slicer/a.scope", SDP_ALONE, NULL },
	};
	const char *unit;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum sd_place got = shield_sd_place(t[i].where, "/oom_protector.slice", &unit);

		if (got != t[i].want || (t[i].unit ? !unit || strcmp(unit, t[i].unit) : !!unit))
			fail_msg("%s: place %d unit %s, want %d %s", t[i].where, got,
				 unit ? unit : "-", t[i].want, t[i].unit ? t[i].unit : "-");
	}
}

static void test_sd_scope_name(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(shield_sd_scope_name("nvim", 245, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "oomguard-nvim-245.scope");
	/* what a process calls itself never makes a bad or misleading unit name */
	assert_int_equal(shield_sd_scope_name("a b/../x\\y:z", 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "oomguard-a_b_.._x_y_z-7.scope");
	assert_int_equal(shield_sd_scope_name("", 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "oomguard-7.scope");
	assert_int_equal(shield_sd_scope_name("0123456789abcdefXYZ", 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "oomguard-0123456789abcdef-7.scope");
	assert_int_equal(shield_sd_scope_name("nvim", 245, buf, 12), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_lazy),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_v2_create),
		cmocka_unit_test(test_v2_apply),
		cmocka_unit_test(test_v2_members),
		cmocka_unit_test(test_v1_fallback),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_is_managed),
		cmocka_unit_test(test_rescan),
		cmocka_unit_test(test_sd_place),
		cmocka_unit_test(test_sd_scope_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
