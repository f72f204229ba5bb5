/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The victim pipeline against a fake kernel: a fixture /proc and cgroup
 * tree, and kernel operations that record what would have been signalled.
 * Each defect test names the defect of the old pipeline it would have
 * caught. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/context.h"
#include "core/util.h"
#include "fixture.h"
#include "victim/pipeline.h"
#include "unit/fake-kernel.h"

/* ---- the fake kernel (tests/unit/fake-kernel.c) ---------------------------- */

static struct world *reuse_world;
static int reuse_pid;                   /* on open, this pid becomes another process */
static void reuse(struct world *w, int pid);

static void on_open(int pid)
{
	if (pid == reuse_pid)
		reuse(reuse_world, pid);
}

#define sent_to fake_sent_to
#define fd_of fake_fd_of

/* ---- the world -------------------------------------------------------------- */

struct world {
	struct fixture *f;
	struct og_opts o;
	struct og_ctx c;
	struct reporter rep;
	struct vpipe *vp;
	char proc[PATH_MAX + 8], cg[PATH_MAX + 8], rec[PATH_MAX + 8];
	struct meminfo mi;
};

static void proc(struct world *w, int pid, const char *comm, const char *cgroup,
		 unsigned long anon_kb, int score, int adj, unsigned long long start)
{
	struct fixture_proc p = {
		.pid = pid, .ppid = 1, .comm = comm, .cmdline = comm, .exe = "/usr/bin/x",
		.cgroup = cgroup, .uid = 1000, .rss_anon_kb = anon_kb, .oom_score = score,
		.oom_score_adj = adj, .starttime = start,
	};

	fixture_proc(w->f, "proc", &p);
}

static void world_open(struct world *w, const char *yaml)
{
	char err[OG_ERR_SIZE] = "";

	snprintf(w->proc, sizeof(w->proc), "%s/proc", w->f->dir);
	snprintf(w->cg, sizeof(w->cg), "%s/cg", w->f->dir);
	snprintf(w->rec, sizeof(w->rec), "%s/records", w->f->dir);
	fixture_file(w->f, "proc/meminfo",
		     "MemTotal: 4000000 kB\nMemAvailable: 100000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
	w->o = (struct og_opts){ .psi_mode = -1, .proc_dir = w->proc, .cgroup_root = w->cg,
				 .runtime_dir = "/nonexistent" };
	assert_int_equal(ctx_open(&w->c, &w->o, err), 0);
	if (yaml) {
		if (config_load_buffer("test.yaml", yaml, strlen(yaml), &w->c.cfg, err) < 0)
			fail_msg("%s", err);
		ctx_apply_opts(&w->c);
	}
	assert_int_equal(reporter_open(&w->rep, w->rec, false, true, err, sizeof(err)), 0);
	assert_int_equal(vp_new(&w->c, NULL, &w->rep, &fake_kernel, &w->vp), 0);
	w->mi = (struct meminfo){ .mem_total = 4000000ull * 1024, .mem_available = 100000ull * 1024 };
}

/* The pid exited and a new process got it. */
static void reuse(struct world *w, int pid)
{
	char exe[PATH_MAX + 32];

	snprintf(exe, sizeof(exe), "%s/proc/%d/exe", w->f->dir, pid);
	unlink(exe);
	proc(w, pid, "newcomer", "/", 1000, 10, 0, 99999);
}

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));

	fake_reset();
	K.on_open = on_open;
	reuse_pid = 0;
	w->f = fixture_new();
	fixture_dir(w->f, "cg");
	proc(w, 1, "systemd", "/init.scope", 9000, 0, 0, 1);
	return w;
}

static void world_free(struct world *w)
{
	vp_free(w->vp);
	reporter_close(&w->rep);
	ctx_close(&w->c);
	fixture_free(w->f);
	fake_reset();
	free(w);
}

static enum vp_result ask(struct world *w, const char *scope, enum og_level level, uint64_t need)
{
	struct verdict v = { .level = level, .trigger = scope ? TRIG_CGROUP : TRIG_MEMORY,
			     .need_bytes = need };
	struct vp_request rq = { .guard = scope ? "cgroups" : "memory", .scope = scope, .v = &v,
				 .mi = &w->mi };

	snprintf(v.reason, sizeof(v.reason), "test %s", level_name(level));
	return vp_request(w->vp, &rq, now_ms() + 100000, NULL);
}

/* How many records of this event the records file holds. */
static int records(struct world *w, const char *event)
{
	char *buf = NULL, pat[64];
	size_t cap = 0;
	int n = 0;

	if (read_file_whole_at(AT_FDCWD, w->rec, &buf, &cap) < 0) {
		free(buf);
		return -1;
	}
	snprintf(pat, sizeof(pat), "\"event\":\"%s\"", event);
	for (const char *p = buf; (p = strstr(p, pat)); p++)
		n++;
	free(buf);
	return n;
}


/* ---- whole-cgroup kills ------------------------------------------------------ */

/* A memory.oom.group cgroup with a hog, and in a child cgroup one more
 * member. */
static struct world *group_world(void)
{
	struct world *w = world_new();

	fixture_file(w->f, "cg/app/memory.oom.group", "1\n");
	fixture_file(w->f, "cg/app/cgroup.procs", "300\n");
	fixture_file(w->f, "cg/app/sub/cgroup.procs", "301\n");
	proc(w, 300, "hog", "/app", 900000, 900, 0, 500);
	return w;
}

/* Defect: the whole-cgroup check looked only at the ranked top 256 and only
 * at the exact cgroup, so a member below it with oom_score_adj -1000 was
 * taken down with its neighbour. */
static void test_whole_refused_for_protected_descendant(void **state)
{
	struct world *w = group_world();

	proc(w, 301, "keeper", "/app/sub", 1000, 0, -1000, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 0);
	assert_int_equal(sent_to(300, SIGKILL), 1);
	assert_int_equal(sent_to(301, SIGKILL), 0);
	world_free(w);
}

/* The same for an `avoid`ed process (the built-in rule avoids root's sshd). */
static void test_whole_refused_for_avoided(void **state)
{
	struct world *w = group_world();
	struct fixture_proc sshd = {
		.pid = 301, .ppid = 1, .comm = "sshd", .cmdline = "sshd", .exe = "/usr/sbin/sshd",
		.cgroup = "/app/sub", .uid = 0, .rss_anon_kb = 1000, .oom_score = 10,
		.starttime = 600,
	};

	fixture_proc(w->f, "proc", &sshd);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 0);
	assert_int_equal(sent_to(300, SIGKILL), 1);
	world_free(w);
}

/* And for oomguard itself sharing the cgroup. */
static void test_whole_refused_for_self(void **state)
{
	struct world *w = group_world();
	char procs[32];

	snprintf(procs, sizeof(procs), "%d\n", (int)getpid());
	fixture_file(w->f, "cg/app/sub/cgroup.procs", procs);
	proc(w, (int)getpid(), "oomguard", "/app/sub", 2000, 0, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 0);
	world_free(w);
}

/* A member that is not among the ranked candidates at all (no memory, so
 * never ranked by the system scan) still counts: here an unranked
 * protected process, matched by a protect rule. */
static void test_whole_refused_for_unranked_protected(void **state)
{
	struct world *w = group_world();

	proc(w, 301, "db", "/app/sub", 0, 0, 0, 600);
	world_open(w, "rules:\n  - comm: \"^db$\"\n    action: protect\n");
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 0);
	world_free(w);
}

/* Every member killable: cgroup.kill at the kill level. Defect: at the
 * terminate level a whole cgroup got SIGKILL at once, no grace period; now
 * every member gets SIGTERM, and cgroup.kill follows the grace period. */
static void test_whole_cgroup_kill_and_grace(void **state)
{
	struct world *w = group_world();

	proc(w, 301, "helper", "/app/sub", 1000, 10, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 0);
	assert_int_equal(sent_to(300, SIGTERM), 1);
	assert_int_equal(sent_to(301, SIGTERM), 1);
	assert_int_equal(records(w, "terminate"), 1);
	vp_on_timer_all(w->vp);         /* the grace period is over */
	assert_int_equal(K.n_cg, 1);
	assert_string_equal(K.killed_cg[0], "/app");
	assert_int_equal(records(w, "escalate"), 1);
	world_free(w);

	w = group_world();
	proc(w, 301, "helper", "/app/sub", 1000, 10, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 1);
	assert_int_equal(K.n_sent, 0);
	world_free(w);
}

/* In a pid namespace pid 2 is an ordinary process: a group holding it is
 * killed whole like any other. Defect: a member with pid 2 refused the
 * whole-cgroup kill, as if it were kthreadd. */
static void test_whole_with_pid2_member(void **state)
{
	struct world *w = group_world();

	fixture_file(w->f, "cg/app/sub/cgroup.procs", "2\n");
	proc(w, 2, "bash", "/app/sub", 1000, 10, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 1);
	assert_string_equal(K.killed_cg[0], "/app");
	world_free(w);
}

/* ---- kernels without some features --------------------------------------------- */

/* No cgroup.kill (kernel < 5.14): a whole cgroup is killed member by member
 * through pidfds, at once at the kill level and after the grace period at
 * the terminate level; nothing outside the cgroup is touched. */
static void test_whole_without_cgroup_kill(void **state)
{
	struct world *w = group_world();

	proc(w, 301, "helper", "/app/sub", 1000, 10, 0, 600);
	proc(w, 400, "bystander", "/", 1000, 10, 0, 700);
	world_open(w, NULL);
	w->c.kf.missing |= KF_BIT(KF_CGROUP_KILL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_cg, 0);
	assert_true(sent_to(300, SIGKILL) >= 1);
	assert_true(sent_to(301, SIGKILL) >= 1);
	assert_int_equal(sent_to(400, SIGKILL), 0);
	assert_int_equal(records(w, "kill"), 1);
	assert_int_equal(records(w, "error"), 0);
	world_free(w);

	w = group_world();
	proc(w, 301, "helper", "/app/sub", 1000, 10, 0, 600);
	world_open(w, NULL);
	w->c.kf.missing |= KF_BIT(KF_CGROUP_KILL);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(sent_to(300, SIGTERM), 1);
	assert_int_equal(sent_to(301, SIGTERM), 1);
	assert_int_equal(sent_to(301, SIGKILL), 0);
	vp_on_timer_all(w->vp);         /* the grace period is over */
	assert_int_equal(K.n_cg, 0);
	assert_true(sent_to(300, SIGKILL) >= 1);
	assert_true(sent_to(301, SIGKILL) >= 1);
	assert_int_equal(records(w, "escalate"), 1);
	world_free(w);
}

/* A pid listed in the cgroup but reused by a process elsewhere by the
 * time its pidfd is open is not signalled. */
static void test_members_checked_after_open(void **state)
{
	struct world *w = group_world();
	char exe[PATH_MAX + 32];

	fixture_file(w->f, "cg/app/sub/cgroup.procs", "301\n");
	proc(w, 301, "helper", "/app/sub", 1000, 10, 0, 600);
	world_open(w, NULL);
	w->c.kf.missing |= KF_BIT(KF_CGROUP_KILL);
	/* 301 moved out of the cgroup (or exited, and its pid went to a
	 * process elsewhere) while cgroup.procs still lists it. */
	snprintf(exe, sizeof(exe), "%s/proc/301/exe", w->f->dir);
	unlink(exe);
	proc(w, 301, "elsewhere", "/other", 1000, 10, 0, 600);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_true(sent_to(300, SIGKILL) >= 1);
	assert_int_equal(sent_to(301, SIGKILL), 0);
	world_free(w);
}

/* The probe could not tell (no cgroup to look in at start) and the kernel
 * has no cgroup.kill: the first write fails with ENOENT, the members are
 * killed one by one, and cgroup.kill is never tried again. */
static void test_cgroup_kill_enoent_learnt(void **state)
{
	struct world *w = group_world();

	proc(w, 301, "helper", "/app/sub", 1000, 10, 0, 600);
	world_open(w, NULL);
	K.cgroup_kill_ret = -ENOENT;
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_true(sent_to(301, SIGKILL) >= 1);
	assert_int_equal(records(w, "error"), 0);
	assert_false(kfeat_has(&w->c.kf, KF_CGROUP_KILL));
	world_free(w);
}

/* No process_mrelease (kernel < 5.15): called once, answered ENOSYS, never
 * again; and not at all when the probe already said so. */
static void test_mrelease_enosys_once(void **state)
{
	struct world *w = world_new();

	proc(w, 300, "hog", "/", 900000, 900, 0, 500);
	proc(w, 301, "hog2", "/", 800000, 800, 0, 600);
	world_open(w, NULL);
	K.mrelease_ret = -ENOSYS;
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_mrelease, 1);
	vp_on_exit_fd(w->vp, fd_of(300));
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(sent_to(301, SIGKILL), 1);
	assert_int_equal(K.n_mrelease, 1);
	assert_false(kfeat_has(&w->c.kf, KF_PROCESS_MRELEASE));
	world_free(w);

	w = world_new();
	proc(w, 300, "hog", "/", 900000, 900, 0, 500);
	world_open(w, NULL);
	w->c.kf.missing |= KF_BIT(KF_PROCESS_MRELEASE);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	vp_on_timer_all(w->vp);         /* escalation to SIGKILL */
	assert_int_equal(sent_to(300, SIGKILL), 1);
	assert_int_equal(K.n_mrelease, 0);
	world_free(w);

	/* With it, every SIGKILL is followed by one call. */
	w = world_new();
	proc(w, 300, "hog", "/", 900000, 900, 0, 500);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(K.n_mrelease, 0);
	vp_on_timer_all(w->vp);
	assert_int_equal(K.n_mrelease, 1);
	world_free(w);
}

/* ---- stuck victims -------------------------------------------------------------- */

/* Defect: a victim given up as stuck after SIGKILL was chosen again on the
 * next request, forever. */
static void test_stuck_not_chosen_again(void **state)
{
	struct world *w = world_new();

	proc(w, 300, "dstate", "/", 900000, 900, 0, 500);
	proc(w, 301, "next", "/", 500000, 500, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(sent_to(300, SIGKILL), 1);
	vp_on_timer_all(w->vp);         /* not gone STUCK_MS after SIGKILL */
	assert_int_equal(records(w, "stuck"), 1);
	/* A fresh ranking (the terminate level reuses none) skips it. */
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(sent_to(300, SIGKILL) + sent_to(300, SIGTERM), 1);
	assert_int_equal(sent_to(301, SIGTERM), 1);
	world_free(w);
}

/* ---- ranking ahead ----------------------------------------------------------- */

/* The memory guard ranks ahead when its level is near (vp_prepare): the
 * terminate-level decision then signals that ranking's first candidate
 * without a /proc scan, if the ranking is under VP_PREPARED_MS old. Later
 * victims, and any decision after that, are ranked afresh: a process that
 * grew past the first since (here: appears) is seen then. */
/* A world with the hog ranked ahead at t (for rq's scope), and then a
 * bigger process appearing. */
static struct world *prepared_world(struct vp_request *rq, struct verdict *v, uint64_t t)
{
	struct world *w = world_new();

	proc(w, 300, "hog", "/", 900000, 900, 0, 500);
	world_open(w, NULL);
	rq->mi = &w->mi;
	v->level = LEVEL_OK;
	vp_prepare(w->vp, rq, t);
	proc(w, 302, "bigger", "/", 2000000, 2000, 0, 700);
	v->level = LEVEL_TERM;
	snprintf(v->reason, sizeof(v->reason), "test");
	return w;
}

static void test_prepared_ranking(void **state)
{
	struct verdict v = { .trigger = TRIG_PREDICTED };
	struct vp_request rq = { .guard = "memory", .v = &v };
	uint64_t t = now_ms() + 100000;
	struct world *w = prepared_world(&rq, &v, t);

	(void)state;
	assert_int_equal(vp_signal_ms(w->vp), 0);
	assert_int_equal(vp_request(w->vp, &rq, t + 100, NULL), VP_ACTED);
	assert_int_equal(sent_to(300, SIGTERM), 1);     /* the prepared first */
	/* When it was sent (the memory guard's look-ahead ends there, not
	 * after the records). */
	assert_true(vp_signal_ms(w->vp) > 0 && vp_signal_ms(w->vp) <= now_ms());
	assert_int_equal(sent_to(302, SIGTERM), 0);
	vp_on_exit_fd(w->vp, fd_of(300));
	/* The next victim, still within VP_PREPARED_MS: ranked afresh. */
	assert_int_equal(vp_request(w->vp, &rq, t + 200, NULL), VP_ACTED);
	assert_int_equal(sent_to(302, SIGTERM), 1);
	world_free(w);

	/* A ranking made ahead that is too old by the decision: afresh. */
	w = prepared_world(&rq, &v, t);
	assert_int_equal(vp_request(w->vp, &rq, t + VP_PREPARED_MS, NULL), VP_ACTED);
	assert_int_equal(sent_to(302, SIGTERM), 1);
	assert_int_equal(sent_to(300, SIGTERM), 0);
	world_free(w);

	/* Never for a scoped request. */
	rq.scope = "/app";
	w = prepared_world(&rq, &v, t);
	rq.scope = NULL;
	assert_int_equal(vp_request(w->vp, &rq, t + 100, NULL), VP_ACTED);
	assert_int_equal(sent_to(302, SIGTERM), 1);
	world_free(w);
}

/* ---- priority sets ---------------------------------------------------------------- */

static struct world *set_world(void)
{
	struct world *w = world_new();

	/* Three of value 1 must go together (each frees ~100 MB); the big one
	 * is worth too much. */
	proc(w, 300, "a", "/", 100000, 100, 0, 500);
	proc(w, 301, "b", "/", 100000, 100, 0, 501);
	proc(w, 302, "c", "/", 100000, 100, 0, 502);
	proc(w, 303, "big", "/", 900000, 900, 0, 503);
	world_open(w, "rules:\n  - comm: \"^big$\"\n    value: 1000\n");
	return w;
}

/* Defect: in priority mode the queued set kept being killed after the level
 * was back to OK. Now the guard's verdict is asked before each queued kill. */
static void test_set_stops_when_relieved(void **state)
{
	struct world *w = set_world();

	assert_int_equal(ask(w, NULL, LEVEL_TERM, 250ull << 20), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_true(vp_busy(w->vp));
	vp_on_exit_fd(w->vp, fd_of(K.sent[0].pid));
	assert_true(vp_busy(w->vp));    /* the rest of the set is queued */
	assert_int_equal(ask(w, NULL, LEVEL_OK, 0), VP_IDLE);
	assert_false(vp_busy(w->vp));
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 250ull << 20), VP_COOLDOWN);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(sent_to(303, SIGTERM), 0);
	world_free(w);
}

/* While the level holds, the set goes on; what it has freed is counted from
 * each victim's own memory, so the set ends when its members' estimates
 * cover the need, even though MemAvailable (a hog eating it) never rose. */
static void test_set_counts_own_memory(void **state)
{
	struct world *w = set_world();

	assert_int_equal(ask(w, NULL, LEVEL_TERM, 250ull << 20), VP_ACTED);
	/* Something else frees a lot meanwhile: MemAvailable rises by 1 GB,
	 * but the set has freed only its first member's memory. */
	fixture_file(w->f, "proc/meminfo", "MemTotal: 4000000 kB\nMemAvailable: 1100000 kB\n"
		     "SwapTotal: 0 kB\nSwapFree: 0 kB\n");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(K.n_sent, (size_t)i + 1);
		vp_on_exit_fd(w->vp, fd_of(K.sent[i].pid));
		if (i == 2)
			break;
		assert_true(vp_busy(w->vp));    /* the rest of the set is still queued */
		assert_int_equal(ask(w, NULL, LEVEL_TERM, 250ull << 20), VP_ACTED);
	}
	assert_false(vp_busy(w->vp));   /* 3 x ~98 MiB >= 250 MiB: done */
	assert_int_equal(sent_to(303, SIGTERM), 0);
	assert_int_equal(records(w, "exit"), 3);
	world_free(w);
}

/* ---- escalation ------------------------------------------------------------------------- */

/* Defect: an escalation was recorded even when the signal failed. */
static void test_failed_escalation_not_recorded(void **state)
{
	struct world *w = world_new();

	proc(w, 300, "hog", "/", 900000, 900, 0, 500);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	K.fail_sigkill = -EPERM;
	vp_on_timer_all(w->vp);
	assert_int_equal(records(w, "escalate"), 0);
	assert_int_equal(records(w, "error"), 1);
	K.fail_sigkill = 0;
	vp_on_timer_all(w->vp);         /* the next try works */
	assert_int_equal(records(w, "escalate"), 1);
	assert_int_equal(sent_to(300, SIGKILL), 1);
	world_free(w);
}

/* Defect: a victim in its grace period was escalated when an unrelated
 * cgroup reached the kill level. A cgroup's kill level escalates only a
 * victim inside it; the system's escalates any. */
static void test_unrelated_cgroup_does_not_escalate(void **state)
{
	struct world *w = world_new();

	fixture_file(w->f, "cg/a/cgroup.procs", "300\n");
	fixture_file(w->f, "cg/b/cgroup.procs", "400\n");
	proc(w, 300, "ahog", "/a", 500000, 500, 0, 500);
	proc(w, 400, "bhog", "/b", 400000, 400, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, "/a", LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(sent_to(300, SIGTERM), 1);
	/* /b at its kill level: its own victim, /a's keeps its grace. */
	assert_int_equal(ask(w, "/b", LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(sent_to(400, SIGKILL), 1);
	assert_int_equal(sent_to(300, SIGKILL), 0);
	/* /a itself at its kill level: escalated. */
	assert_int_equal(ask(w, "/a", LEVEL_KILL, 1), VP_BUSY);
	assert_int_equal(sent_to(300, SIGKILL), 1);
	world_free(w);

	/* A system episode's victim in /b, in its grace period: /a at its kill
	 * level waits (the system episode overlaps it) but does not escalate
	 * a victim outside /a. */
	w = world_new();
	fixture_file(w->f, "cg/a/cgroup.procs", "300\n");
	fixture_file(w->f, "cg/b/cgroup.procs", "400\n");
	proc(w, 300, "ahog", "/a", 100000, 100, 0, 500);
	proc(w, 400, "bhog", "/b", 400000, 400, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(sent_to(400, SIGTERM), 1);
	assert_int_equal(ask(w, "/a", LEVEL_KILL, 1), VP_BUSY);
	assert_int_equal(sent_to(400, SIGKILL), 0);
	assert_int_equal(ask(w, "/b", LEVEL_KILL, 1), VP_BUSY);
	assert_int_equal(sent_to(400, SIGKILL), 1);
	world_free(w);
}

/* The system's kill level escalates a cgroup's victim (the system holds it),
 * and a system request waits while it is in flight. */
static void test_system_escalates_cgroup_victim(void **state)
{
	struct world *w = world_new();

	fixture_file(w->f, "cg/a/cgroup.procs", "300\n");
	proc(w, 300, "ahog", "/a", 500000, 500, 0, 500);
	proc(w, 301, "other", "/", 100000, 100, 0, 600);
	world_open(w, NULL);
	assert_int_equal(ask(w, "/a", LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 1), VP_BUSY);
	assert_int_equal(sent_to(300, SIGKILL), 0);
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_BUSY);
	assert_int_equal(sent_to(300, SIGKILL), 1);
	assert_int_equal(sent_to(301, SIGTERM) + sent_to(301, SIGKILL), 0);
	world_free(w);
}

/* ---- what no guard can get killed ------------------------------------------------ */

static void test_never_managed_or_protected(void **state)
{
	struct world *w = world_new();

	/* the fixture's processes are uid 1000's: a user the config trusts */
	proc(w, 300, "vim", "/", 900000, 900, 0, 500);
	proc(w, 301, "pg", "/", 800000, 800, 0, 600);
	proc(w, 302, "hog", "/", 100000, 100, 0, 700);
	world_open(w, "managed_processes: [vim]\n"
		      "cgroup_settings: {enabled: false, managed_users: [1000]}\n"
		      "rules:\n  - comm: \"^pg$\"\n    action: protect\n");
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 302);
	world_free(w);
}

/* Defect (the slow-leak benchmark under the installed config): a `values:`
 * section holding only the default (the installed config spells out the
 * built-in one) put the pipeline in priority mode, where every process is
 * worth the same and the knapsack took the idle 300 MB ballast (less CPU
 * lost) instead of the 450 MB leak. Values are in play only when some can
 * differ. */
static void test_default_value_alone_is_no_priority(void **state)
{
	struct world *w = world_new();

	struct fixture_proc ballast = { .pid = 300, .ppid = 1, .comm = "ballast", .cmdline = "b",
					.exe = "/x", .cgroup = "/", .uid = 1000, .rss_anon_kb = 300000,
					.oom_score = 875, .starttime = 500, .utime = 20 };
	struct fixture_proc leak = ballast;

	leak.pid = 301, leak.comm = "leak", leak.rss_anon_kb = 450000, leak.oom_score = 976;
	leak.starttime = 600, leak.utime = 900;         /* it burns CPU growing */
	fixture_proc(w->f, "proc", &ballast);
	fixture_proc(w->f, "proc", &leak);
	world_open(w, "values:\n  default: 1\n");
	assert_int_equal(ask(w, NULL, LEVEL_TERM, 64ull << 20), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 301);
	world_free(w);
}

/* The CPU guard's request ranks by CPU used over its window, not by
 * memory: the burner dies, not the largest process; a protected burner is
 * passed over; an idle process is never chosen; and the memory guard never
 * reuses that ranking. */
static int cpu_used(const struct proc_info *p, void *userdata, uint64_t *ret)
{
	*ret = p->pid == 1 ? 0 : p->cpu_ticks * 10;     /* the fixture's ticks as ms */
	return 0;
}

static void test_usage_ranking(void **state)
{
	struct world *w = world_new();
	struct verdict v = { .level = LEVEL_TERM, .trigger = TRIG_CPU, .reason = "cpu some 95%" };
	struct vp_request rq = { .guard = "cpu", .v = &v, .usage = cpu_used, .usage_unit = "cpu_ms",
				 .window_ms = 30000 };
	struct fixture_proc big = { .pid = 300, .ppid = 1, .comm = "db", .cmdline = "db",
				    .exe = "/x", .cgroup = "/", .uid = 1000, .rss_anon_kb = 900000,
				    .starttime = 500, .utime = 10 };
	struct fixture_proc burner = big, guarded = big, idle = big;

	burner.pid = 301, burner.comm = burner.cmdline = "burn", burner.rss_anon_kb = 1000;
	burner.utime = 2000, burner.starttime = 600;
	guarded.pid = 302, guarded.comm = guarded.cmdline = "render", guarded.utime = 5000;
	idle.pid = 303, idle.comm = idle.cmdline = "idle", idle.utime = 0, idle.rss_anon_kb = 950000;
	fixture_proc(w->f, "proc", &big);
	fixture_proc(w->f, "proc", &burner);
	fixture_proc(w->f, "proc", &guarded);
	fixture_proc(w->f, "proc", &idle);
	world_open(w, "rules:\n  - comm: \"^render$\"\n    action: protect\n");
	rq.mi = &w->mi;
	assert_int_equal(vp_request(w->vp, &rq, now_ms() + 100000, NULL), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 301);
	assert_int_equal(K.sent[0].sig, SIGTERM);
	/* the memory guard at the kill level ranks afresh: the largest, 303 */
	vp_on_exit_fd(w->vp, fd_of(301));
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.sent[1].pid, 303);
	world_free(w);
}

/* The disk guard names its writers (vp_request.pids): a small process
 * outside the 256 largest is ranked, and only those named are. */
static int writer_used(const struct proc_info *p, void *userdata, uint64_t *ret)
{
	*ret = p->pid == 900 || p->pid == 300 ? 4096 : 0;
	return 0;
}

static void test_usage_pids(void **state)
{
	struct world *w = world_new();
	struct verdict v = { .level = LEVEL_TERM, .trigger = TRIG_DISK, .reason = "/ 2% free" };
	int pids[] = { 900 };
	struct vp_request rq = { .guard = "disk", .v = &v, .usage = writer_used,
				 .usage_unit = "disk_bytes", .window_ms = 5000 };

	for (int i = 0; i < 300; i++)
		proc(w, 300 + i, "big", "/", 100000 + i, 100, 0, 500 + i);
	proc(w, 900, "dd", "/", 100, 1, 0, 2000);
	world_open(w, NULL);
	rq.mi = &w->mi;
	/* ranked among the 256 largest only: 300 (the smallest of them) is
	 * not there either, and the writer is not */
	assert_int_equal(vp_request(w->vp, &rq, now_ms() + 100000, NULL), VP_NOBODY);
	assert_int_equal(K.n_sent, 0);
	rq.pids = pids;
	rq.npids = 1;
	assert_int_equal(vp_request(w->vp, &rq, now_ms() + 200000, NULL), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 900);
	world_free(w);
}

/* The GPU guard: GPU memory per pid (a table, as NVML would give it). */
static const struct { int pid; uint64_t bytes; } gpu_table[] = {
	{ 300, 6ull << 30 }, { 301, 4ull << 30 }, { 302, 2ull << 30 }, { 303, 2ull << 30 },
};

static int gpu_used(const struct proc_info *p, void *userdata, uint64_t *ret)
{
	*ret = 0;
	for (size_t i = 0; i < ARRAY_SIZE(gpu_table); i++)
		if (gpu_table[i].pid == p->pid)
			*ret = gpu_table[i].bytes;
	return 0;
}

static enum vp_result ask_gpu(struct world *w, uint64_t need, const int *pids, size_t n,
			      struct vp_chosen *chosen, uint64_t now)
{
	struct verdict v = { .level = LEVEL_TERM, .trigger = TRIG_GPU, .need_bytes = need,
			     .reason = "GPU 0 memory 95%" };
	struct decision_device dev = { .index = 0, .name = "Fake GPU", .uuid = "GPU-1",
				       .total = 16ull << 30, .used = 15ull << 30,
				       .threshold_percent = 90 };
	struct vp_request rq = { .guard = "gpu", .v = &v, .mi = &w->mi, .usage = gpu_used,
				 .usage_unit = "gpu_bytes", .usage_frees = true, .pids = pids,
				 .npids = n, .domain = "gpu0", .device = &dev, .chosen = chosen };

	return vp_request(w->vp, &rq, now, NULL);
}

/* The seed's rule: the largest GPU user that is not managed dies, however
 * much CPU it has behind it (no "least work lost" weighing for memory that
 * a death frees), and its own domain: a memory episode meanwhile is not
 * held back by it, nor escalates it. */
static void test_gpu_largest_unmanaged(void **state)
{
	struct world *w = world_new();
	int pids[] = { 300, 301, 302 };
	struct fixture_proc p = { .pid = 300, .ppid = 1, .comm = "trainer", .cmdline = "t",
				  .exe = "/x", .cgroup = "/", .uid = 1000, .rss_anon_kb = 1000,
				  .starttime = 500, .utime = 10 };
	struct vp_chosen chosen = { 0 };

	fixture_proc(w->f, "proc", &p);
	p.pid = 301, p.comm = "bigjob", p.utime = 900000, p.starttime = 600;   /* hours of CPU */
	fixture_proc(w->f, "proc", &p);
	p.pid = 302, p.comm = "small", p.utime = 1, p.starttime = 700;
	fixture_proc(w->f, "proc", &p);
	proc(w, 400, "hog", "/", 900000, 900, 0, 800);
	world_open(w, "managed_processes: [trainer]\n"
		      "cgroup_settings: {enabled: false, managed_users: [1000]}\n");
	assert_int_equal(ask_gpu(w, 3ull << 30, pids, 3, &chosen, now_ms() + 100000), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 301);
	assert_int_equal(chosen.pid, 301);
	assert_int_equal(chosen.amount, 4ull << 30);
	/* while it is in flight, the memory guard kills its own victim */
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_sent, 2);
	assert_int_equal(K.sent[1].pid, 400);
	assert_int_equal(fake_sent_to(301, SIGKILL), 0);        /* not escalated by it */
	world_free(w);
}

/* With values in play the GPU request is a knapsack like memory's: two
 * cheap 2 GiB users go instead of the 4 GiB one worth 100, one at a time,
 * and the set stops when the guard finds the device relieved. */
static void test_gpu_values_knapsack(void **state)
{
	struct world *w = world_new();
	int pids[] = { 301, 302, 303 };
	struct vp_chosen chosen = { 0 };
	struct verdict ok = { .level = LEVEL_OK };
	struct vp_request rq_ok = { .guard = "gpu", .v = &ok, .mi = &w->mi, .domain = "gpu0" };

	proc(w, 301, "precious", "/", 1000, 10, 0, 600);
	proc(w, 302, "cheap1", "/", 1000, 10, 0, 700);
	proc(w, 303, "cheap2", "/", 1000, 10, 0, 800);
	world_open(w, "rules:\n  - comm: \"^precious$\"\n    value: 100\n");
	assert_int_equal(ask_gpu(w, 3ull << 30, pids, 3, &chosen, now_ms() + 100000), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_true(K.sent[0].pid == 302 || K.sent[0].pid == 303);
	assert_int_equal(fake_sent_to(301, SIGTERM), 0);
	assert_int_equal(records(w, "terminate"), 1);
	/* the first exits; the guard looks again and is relieved: no second */
	vp_on_exit_fd(w->vp, fd_of(K.sent[0].pid));
	assert_int_equal(vp_request(w->vp, &rq_ok, now_ms() + 200000, NULL), VP_IDLE);
	assert_int_equal(K.n_sent, 1);
	world_free(w);
}

/* A name is what a process chooses: uid 1000's "vim" is managed only when
 * the config trusts uid 1000; otherwise it is the victim like any hog. */
static void test_renamed_hog_is_no_managed_process(void **state)
{
	struct world *w = world_new();

	proc(w, 300, "vim", "/", 900000, 900, 0, 500);
	proc(w, 302, "small", "/", 100000, 100, 0, 700);
	world_open(w, "managed_processes: [vim]\ncgroup_settings: {enabled: false}\n");
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 300);
	world_free(w);
}

/* The pid is reused between choice and signal: the pidfd's process has
 * another start time, so nothing is signalled and an error is recorded. */
static void test_pid_reused_between_choice_and_signal(void **state)
{
	struct world *w = world_new();

	proc(w, 300, "hog", "/", 900000, 900, 0, 500);
	world_open(w, NULL);
	reuse_world = w;
	reuse_pid = 300;
	assert_int_equal(ask(w, NULL, LEVEL_KILL, 1), VP_FAILED);
	assert_int_equal(K.n_sent, 0);
	assert_int_equal(records(w, "error"), 1);
	world_free(w);
}

/* A cgroup of 2,000 members and a hog added last: cgroup.procs is many
 * pages long, and the hog (at its end) is the victim. */
static void test_scope_of_2000(void **state)
{
	struct world *w = world_new();
	size_t cap = 2002 * 7, len = 0;
	char *procs = malloc(cap);

	for (int pid = 1000; pid < 3000; pid++) {
		proc(w, pid, "idle", "/many", 100, 0, 0, (unsigned long long)pid);
		len += (size_t)snprintf(procs + len, cap - len, "%d\n", pid);
	}
	proc(w, 7000, "hog", "/many", 600000, 300, 0, 7000);
	len += (size_t)snprintf(procs + len, cap - len, "7000\n");
	fixture_file(w->f, "cg/many/cgroup.procs", procs);
	free(procs);
	world_open(w, NULL);
	assert_int_equal(ask(w, "/many", LEVEL_TERM, 1), VP_ACTED);
	assert_int_equal(K.n_sent, 1);
	assert_int_equal(K.sent[0].pid, 7000);
	world_free(w);
}

static bool still_answer;
static bool still(void *userdata) { return still_answer; }

/* A choice slow enough to be stale asks the guard again: relieved
 * meanwhile (the hog died by other hands), nobody is signalled. */
static void test_slow_choice_asks_again(void **state)
{
	struct world *w = world_new();
	struct verdict v = { .level = LEVEL_TERM, .trigger = TRIG_CGROUP, .need_bytes = 1 };
	struct vp_request rq = { .guard = "cgroups", .scope = "/a", .v = &v, .still = still };

	fixture_file(w->f, "cg/a/cgroup.procs", "300\n301\n");
	proc(w, 300, "hog", "/a", 600000, 300, 0, 500);
	proc(w, 301, "idle", "/a", 100, 0, 0, 501);
	world_open(w, NULL);
	rq.mi = &w->mi;
	vp_set_stale_ms(w->vp, 0);      /* every choice counts as slow */
	still_answer = false;
	assert_int_equal(vp_request(w->vp, &rq, now_ms(), NULL), VP_IDLE);
	assert_int_equal(K.n_sent, 0);
	assert_int_equal(records(w, "skip"), 1);
	still_answer = true;
	assert_int_equal(vp_request(w->vp, &rq, now_ms(), NULL), VP_ACTED);
	assert_int_equal(sent_to(300, SIGTERM), 1);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_refused_for_protected_descendant),
		cmocka_unit_test(test_whole_refused_for_avoided),
		cmocka_unit_test(test_whole_refused_for_self),
		cmocka_unit_test(test_whole_refused_for_unranked_protected),
		cmocka_unit_test(test_whole_cgroup_kill_and_grace),
		cmocka_unit_test(test_whole_with_pid2_member),
		cmocka_unit_test(test_whole_without_cgroup_kill),
		cmocka_unit_test(test_members_checked_after_open),
		cmocka_unit_test(test_cgroup_kill_enoent_learnt),
		cmocka_unit_test(test_mrelease_enosys_once),
		cmocka_unit_test(test_stuck_not_chosen_again),
		cmocka_unit_test(test_prepared_ranking),
		cmocka_unit_test(test_set_stops_when_relieved),
		cmocka_unit_test(test_set_counts_own_memory),
		cmocka_unit_test(test_failed_escalation_not_recorded),
		cmocka_unit_test(test_unrelated_cgroup_does_not_escalate),
		cmocka_unit_test(test_system_escalates_cgroup_victim),
		cmocka_unit_test(test_never_managed_or_protected),
		cmocka_unit_test(test_usage_ranking),
		cmocka_unit_test(test_usage_pids),
		cmocka_unit_test(test_gpu_largest_unmanaged),
		cmocka_unit_test(test_gpu_values_knapsack),
		cmocka_unit_test(test_default_value_alone_is_no_priority),
		cmocka_unit_test(test_renamed_hog_is_no_managed_process),
		cmocka_unit_test(test_pid_reused_between_choice_and_signal),
		cmocka_unit_test(test_scope_of_2000),
		cmocka_unit_test(test_slow_choice_asks_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
