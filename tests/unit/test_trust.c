// SPDX-License-Identifier: GPL-2.0-or-later
/* Who may be protected by a name: trust from what a process cannot choose
 * (its uid, a cgroup or unit not delegated to it, its login) combined with
 * the name; the protected cgroup and dynamic oom_score_adj under renamed
 * hogs, rescans and comm events. Split from test_shield.c. */
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
#include "core/loop.h"
#include "core/config.h"
#include "core/context.h"
#include "core/util.h"
#include "observe/connector.h"
#include "victim/rank.h"
#include "tests/fixture.h"
#include "unit/shield-util.h"

/* ---- trust --------------------------------------------------------------------- */

static void test_trust_pure(void **state)
{
	struct og_config cfg;
	struct shield_trust t;
	char err[128];
	size_t first = 99;
	uid_t uid;

	assert_int_equal(shield_user_check("alice", err, sizeof(err)), 0);
	assert_int_equal(shield_user_check("_svc-1.x$", err, sizeof(err)), 0);
	assert_int_equal(shield_user_check("0", err, sizeof(err)), 0);
	assert_int_equal(shield_user_check("4294967294", err, sizeof(err)), 0);
	assert_int_equal(shield_user_check("4294967295", err, sizeof(err)), -EINVAL);
	assert_int_equal(shield_user_check("-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(shield_user_check("a b", err, sizeof(err)), -EINVAL);
	assert_int_equal(shield_user_check("$a", err, sizeof(err)), -EINVAL);
	assert_int_equal(shield_user_check("1abc", err, sizeof(err)), -EINVAL);
	assert_int_equal(shield_user_check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", err, sizeof(err)), -EINVAL);
	assert_int_equal(shield_user_resolve("root", &uid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(shield_user_resolve("1000", &uid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(shield_user_resolve("no-such-user-og", &uid), -ENOENT);
	uint32_t lu;

	assert_int_equal(parse_loginuid("4294967295", &lu), 0);
	assert_int_equal(lu, PROC_LOGINUID_UNSET);
	assert_int_equal(parse_loginuid("1000\n", &lu), 0);
	assert_int_equal(lu, 1000);
	assert_int_equal(parse_loginuid("", &lu), -EINVAL);
	assert_int_equal(parse_loginuid("-1", &lu), -EINVAL);
	assert_int_equal(parse_loginuid("4294967296", &lu), -EINVAL);
	assert_int_equal(parse_loginuid("12 34", &lu), -EINVAL);

	config_default(&cfg);
	cfg.cg_managed_users[cfg.n_managed_users++] = strdup("1000");
	cfg.cg_managed_users[cfg.n_managed_users++] = strdup("no-such-user-og");
	cfg.cg_managed_users[cfg.n_managed_users++] = strdup("root");
	assert_int_equal(shield_trust_init(&t, &cfg, &first), 1);
	assert_int_equal(first, 1);
	assert_int_equal(t.n, 2);
	assert_true(t.units);
	assert_int_equal(t.owner, 0);
	assert_int_equal(shield_trust_uid(&t, 0), TRUST_ROOT);
	assert_int_equal(shield_trust_uid(&t, 1000), TRUST_USER);
	assert_int_equal(shield_trust_uid(&t, 1001), TRUST_NONE);
	assert_int_equal(shield_trust_uid(&t, 65534), TRUST_NONE);
	config_free(&cfg);
	(void)state;
}

/* Nothing on the way delegated: every level's directory and cgroup.procs
 * are the owner's (root; the test's own uid here), cgroup.procs writable by
 * it alone. The root cgroup does not count. */
static void test_cgroup_undelegated(void **state)
{
	struct fixture *f = fixture_new();
	uid_t me = geteuid();
	int root;

	fixture_file(f, "cg/cgroup.procs", "");
	fixture_file(f, "cg/system.slice/cgroup.procs", "");
	fixture_file(f, "cg/system.slice/pg.service/cgroup.procs", "");
	fixture_file(f, "cg/user.slice/cgroup.procs", "");
	fixture_file(f, "cg/user.slice/u@1000.service/cgroup.procs", "");
	fixture_file(f, "cg/user.slice/u@1000.service/app/cgroup.procs", "");
	fixture_dir(f, "cg/plain");
	root = fixture_open_dir(f, "cg");
	assert_true(shield_cgroup_undelegated(root, "/system.slice/pg.service", me));
	assert_true(shield_cgroup_undelegated(root, "/system.slice", me));
	assert_false(shield_cgroup_undelegated(root, "/", me));
	assert_false(shield_cgroup_undelegated(root, "", me));
	assert_false(shield_cgroup_undelegated(root, "system.slice", me));     /* not a path */
	assert_false(shield_cgroup_undelegated(root, "/system.slice/../user.slice", me));
	assert_false(shield_cgroup_undelegated(root, "/system.slice/gone.service", me));
	assert_false(shield_cgroup_undelegated(root, "/plain", me));    /* no cgroup.procs */
	assert_false(shield_cgroup_undelegated(-1, "/system.slice", me));
	/* all of it someone else's */
	assert_false(shield_cgroup_undelegated(root, "/system.slice/pg.service", me + 1));
	/* a level delegated: its cgroup.procs writable by a group, or (as root)
	 * the directory given to the user, as systemd does for user@UID.service */
	assert_int_equal(fchmodat(root, "user.slice/u@1000.service/cgroup.procs", 0664, 0), 0);
	assert_false(shield_cgroup_undelegated(root, "/user.slice/u@1000.service/app", me));
	assert_true(shield_cgroup_undelegated(root, "/user.slice", me));
	if (me == 0) {
		assert_int_equal(fchmodat(root, "user.slice/u@1000.service/cgroup.procs", 0644, 0), 0);
		assert_true(shield_cgroup_undelegated(root, "/user.slice/u@1000.service/app", me));
		assert_int_equal(fchownat(root, "user.slice/u@1000.service", 1000, 1000, 0), 0);
		assert_false(shield_cgroup_undelegated(root, "/user.slice/u@1000.service/app", me));
		assert_false(shield_cgroup_undelegated(root, "/user.slice/u@1000.service", me));
	}
	close(root);
	fixture_free(f);
	(void)state;
}

/* Processes named "vim", managed_processes: [vim]: who is managed. */
static const struct fixture_proc vims[] = {
	/* root's vim */
	{ .pid = 100, .ppid = 1, .comm = "vim", .cmdline = "vim notes", .exe = "/usr/bin/vim",
	  .cgroup = "/user.slice/user-1000.slice/session-1.scope", .uid = 0,
	  .rss_anon_kb = 100000, .oom_score = 100, .starttime = 10 },
	/* a hog of uid 1000 that renamed itself, in its login session */
	{ .pid = 110, .ppid = 1, .comm = "vim", .cmdline = "./hog", .exe = "/tmp/hog",
	  .cgroup = "/user.slice/user-1000.slice/session-1.scope", .uid = 1000,
	  .rss_anon_kb = 900000, .oom_score = 900, .starttime = 11 },
	/* a configured user's vim */
	{ .pid = 120, .ppid = 1, .comm = "vim", .cmdline = "vim x", .exe = "/usr/bin/vim",
	  .cgroup = "/user.slice/user-1001.slice/session-2.scope", .uid = 1001,
	  .rss_anon_kb = 120000, .oom_score = 120, .starttime = 12 },
	/* a system unit's process (uid 105, no login) */
	{ .pid = 130, .ppid = 1, .comm = "vim", .cmdline = "vim -s", .exe = "/usr/bin/vim",
	  .cgroup = "/system.slice/ed.service", .uid = 105,
	  .rss_anon_kb = 130000, .oom_score = 130, .starttime = 13 },
	/* uid 1000 in its delegated user manager: no login uid, but its own cgroup */
	{ .pid = 140, .ppid = 1, .comm = "vim", .cmdline = "./hog2", .exe = "/tmp/hog",
	  .cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice", .uid = 1000,
	  .rss_anon_kb = 140000, .oom_score = 140, .starttime = 14 },
	/* uid 1000 in the root cgroup, no login uid (no systemd) */
	{ .pid = 150, .ppid = 1, .comm = "vim", .cmdline = "./hog3", .exe = "/tmp/hog",
	  .cgroup = "/", .uid = 1000, .rss_anon_kb = 150000, .oom_score = 150, .starttime = 15 },
	/* uid 1000 in a system unit's cgroup but of a login session */
	{ .pid = 160, .ppid = 1, .comm = "vim", .cmdline = "./hog4", .exe = "/tmp/hog",
	  .cgroup = "/system.slice/ed.service", .uid = 1000,
	  .rss_anon_kb = 160000, .oom_score = 160, .starttime = 16 },
};
static const char *const vim_loginuid[] = { "1000", "1000", "1001", "4294967295", "4294967295",
					    "4294967295", "1000" };

static struct fixture *vim_world(void)
{
	struct fixture *f = v2_tree("cpu io memory\n", "");
	static const char *const cgs[] = {
		"user.slice", "user.slice/user-1000.slice", "user.slice/user-1000.slice/session-1.scope",
		"user.slice/user-1001.slice", "user.slice/user-1001.slice/session-2.scope",
		"system.slice", "system.slice/ed.service", "user.slice/user-1000.slice/user@1000.service",
		"user.slice/user-1000.slice/user@1000.service/app.slice",
	};
	char p[PATH_MAX];

	fixture_file(f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n");
	for (size_t i = 0; i < ARRAY_SIZE(vims); i++) {
		fixture_proc(f, "proc", &vims[i]);
		snprintf(p, sizeof(p), "proc/%d/loginuid", vims[i].pid);
		fixture_file(f, p, vim_loginuid[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cgs); i++) {
		snprintf(p, sizeof(p), "cg/%s/cgroup.procs", cgs[i]);
		fixture_file(f, p, "");
	}
	/* user@1000.service is delegated to uid 1000 (not being root, a
	 * cgroup.procs others may write stands for it) */
#define DELEG "cg/user.slice/user-1000.slice/user@1000.service"
	if (geteuid() == 0)
		assert_int_equal(fchownat(f->dirfd, DELEG, 1000, 1000, 0), 0);
	else
		assert_int_equal(fchmodat(f->dirfd, DELEG "/cgroup.procs", 0666, 0), 0);
#undef DELEG
	return f;
}

static void ctx_vims(struct og_ctx *c, struct og_opts *o, struct fixture *f, const char *yaml,
		     char paths[3][PATH_MAX + 16])
{
	char err[OG_ERR_SIZE];

	fixture_file(f, "conf.yaml", yaml);
	snprintf(paths[0], PATH_MAX + 16, "%s/proc", f->dir);
	snprintf(paths[1], PATH_MAX + 16, "%s/cg", f->dir);
	snprintf(paths[2], PATH_MAX + 16, "%s/conf.yaml", f->dir);
	*o = (struct og_opts){ .psi_mode = -1, .proc_dir = paths[0], .cgroup_root = paths[1],
			       .config_path = paths[2] };
	assert_int_equal(ctx_open(c, o, err), 0);
	c->shield->trust.owner = geteuid();     /* the fixture's "root" */
}

static enum excl excl_of(struct og_ctx *c, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (c->cands[i].p->pid == pid)
			return c->cands[i].excluded;
	fail_msg("pid %d not ranked", pid);
	return EXCL_NONE;
}

/* The ranking hook: a name protects only a trusted process. */
static void test_trust_managed(void **state)
{
	struct fixture *f = vim_world();
	char paths[3][PATH_MAX + 16];
	struct og_opts o;
	struct og_ctx c;
	size_t n = 0;

	ctx_vims(&c, &o, f, "cgroup_settings: {name: prot.slice, managed_users: [1001]}\n"
		 "managed_processes: [vim]\n", paths);
	ctx_rank(&c, NULL, 4000000ull * 1024, 0, &n);
	assert_int_equal(n, ARRAY_SIZE(vims));
	assert_int_equal(excl_of(&c, n, 100), EXCL_MANAGED);    /* root */
	assert_int_equal(excl_of(&c, n, 110), EXCL_NONE);       /* renamed hog: not managed */
	assert_int_equal(excl_of(&c, n, 120), EXCL_MANAGED);    /* managed_users */
	assert_int_equal(excl_of(&c, n, 130), EXCL_MANAGED);    /* a system unit */
	assert_int_equal(excl_of(&c, n, 140), EXCL_NONE);       /* delegated to its user */
	assert_int_equal(excl_of(&c, n, 150), EXCL_NONE);       /* the root cgroup */
	assert_int_equal(excl_of(&c, n, 160), EXCL_NONE);       /* a login session's */
	assert_int_equal(c.cands[0].p->pid, 110);               /* and the first victim */
	ctx_close(&c);

	/* without trust_units and managed_users: root's only; a configured
	 * user by name */
	ctx_vims(&c, &o, f, "cgroup_settings: {name: prot.slice, trust_units: false}\n"
		 "managed_processes: [\"comm:^vi\", \"cmdline:hog\"]\n", paths);
	ctx_rank(&c, NULL, 4000000ull * 1024, 0, &n);
	assert_int_equal(excl_of(&c, n, 100), EXCL_MANAGED);
	for (size_t i = 1; i < ARRAY_SIZE(vims); i++)
		assert_int_equal(excl_of(&c, n, vims[i].pid), EXCL_NONE);
	ctx_close(&c);
	ctx_vims(&c, &o, f, "cgroup_settings: {name: prot.slice, managed_users: [root, nobody]}\n"
		 "managed_processes: [\"exe:^/tmp/hog$\"]\n", paths);
	ctx_rank(&c, NULL, 4000000ull * 1024, 0, &n);
	for (size_t i = 0; i < ARRAY_SIZE(vims); i++)
		assert_int_equal(excl_of(&c, n, vims[i].pid), EXCL_NONE);
	ctx_close(&c);
	fixture_free(f);
	(void)state;
}

/* The daemon side: the rescan and the exec/comm events move only trusted
 * processes; an untrusted "vim" is not managed (no managed_oom_score_adj)
 * and is the largest for the dynamic score. */
static void test_trust_rescan_and_events(void **state)
{
	struct fixture *f = vim_world();
	char paths[3][PATH_MAX + 16];
	struct loop_hooks hooks = { 0 };
	struct loop *loop;
	struct shield_rt s;
	struct og_opts o;
	struct og_ctx c;
	struct conn_event ev = { .what = CONN_COMM, .pid = 110 };
	const char *procs;

	prot_files(f, "cg/prot.slice");
	ctx_vims(&c, &o, f, "cgroup_settings: {name: prot.slice, proc_connector: false, "
		 "managed_oom_score_adj: -500, managed_users: [1001]}\n"
		 "managed_processes: [vim]\n"
		 "dynamic_adjustment: {enabled: true, count: 1, score: 600, state_file: ~}\n", paths);
	assert_int_equal(loop_new(&hooks, &loop), 0);
	shield_rt_start(&s, &c, loop, NULL, NULL);
	assert_int_equal(s.cg.mode, SHIELD_V2);
	/* a comm event of the renamed hog moves nothing */
	shield_rt_event(&s, &ev);
	ev.what = CONN_EXEC;
	shield_rt_event(&s, &ev);
	assert_int_equal(s.moved, 0);
	assert_string_equal(slurp(f, "cg/prot.slice/cgroup.procs"), "");
	assert_int_equal(s.n_untrusted, 1);             /* said once for uid 1000 */
	/* root's does move */
	ev.pid = 100;
	shield_rt_event(&s, &ev);
	assert_int_equal(s.moved, 1);
	assert_string_equal(slurp(f, "cg/prot.slice/cgroup.procs"), "100");
	fixture_file(f, "cg/prot.slice/cgroup.procs", "100\n");

	shield_rt_pass(&s);
	/* 120 (managed_users) and 130 (a system unit) moved; none of uid 1000's */
	assert_int_equal(s.moved, 3);
	procs = slurp(f, "cg/prot.slice/cgroup.procs");
	assert_true(!strcmp(procs, "120") || !strcmp(procs, "130"));
	assert_int_equal(s.n_untrusted, 1);
	assert_int_equal(adj_of(f, 100), -500);
	assert_int_equal(adj_of(f, 120), -500);
	assert_int_equal(adj_of(f, 130), -500);
	assert_int_equal(adj_of(f, 110), 600);          /* the largest, not managed */
	for (int pid = 140; pid <= 160; pid += 10)
		assert_int_equal(adj_of(f, pid), 0);
	shield_rt_stop(&s, &c);
	loop_free(loop);
	ctx_close(&c);
	fixture_free(f);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust_pure),
		cmocka_unit_test(test_cgroup_undelegated),
		cmocka_unit_test(test_trust_managed),
		cmocka_unit_test(test_trust_rescan_and_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
