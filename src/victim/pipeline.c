/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "victim/pipeline.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "guards/shield/shieldd.h"
#include "hooks/hooks.h"
#include "victim/choose.h"
#include "victim/kill.h"

#define STUCK_MS 5000           /* a SIGKILLed victim that has not exited by then is given up on */
#define RANK_REUSE_MS 1000      /* at the kill level, a system ranking this fresh is reused */
#define VP_SLOTS 8              /* episodes of disjoint scopes (and GPUs) at once */
#define STUCK_MAX 64            /* victims given up on, never chosen again */

const struct vp_kernel vp_kernel_real = {
	.open = kill_open,
	.send = kill_send,
	.mrelease = kill_mrelease,
	.cgroup_kill = kill_cgroup,
};

/* Fault injection for the VM scenarios (OOMGUARD_TEST_DELAY_SIGNAL_MS in
 * the daemon's environment, set by whoever starts it): a pause on the loop
 * between the choice and pidfd_open, long enough for a scenario to make the
 * victim exit, hand its pid to another process or remove its cgroup in
 * between, which otherwise happens only by rare chance. */
static uint64_t delay_signal_ms;

static int open_delayed(int proc_fd, pid_t pid, uint64_t starttime, int *ret_pidfd)
{
	struct timespec ts = { .tv_sec = (time_t)(delay_signal_ms / 1000),
			       .tv_nsec = (long)(delay_signal_ms % 1000) * 1000000 };

	log_warn("test: pid %d chosen; waiting %llu ms before opening its pidfd "
		 "(OOMGUARD_TEST_DELAY_SIGNAL_MS)", (int)pid, (unsigned long long)delay_signal_ms);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return kill_open(proc_fd, pid, starttime, ret_pidfd);
}

static const struct vp_kernel vp_kernel_delayed = {
	.open = open_delayed,
	.send = kill_send,
	.mrelease = kill_mrelease,
	.cgroup_kill = kill_cgroup,
};

const struct vp_kernel *vp_kernel_from_env(void)
{
	const char *env = getenv("OOMGUARD_TEST_DELAY_SIGNAL_MS");

	if (!env || parse_duration_ms(env, &delay_signal_ms) < 0 || !delay_signal_ms)
		return &vp_kernel_real;
	log_warn("test fault injection on: every victim waits %llu ms between its choice and "
		 "its signal (OOMGUARD_TEST_DELAY_SIGNAL_MS)", (unsigned long long)delay_signal_ms);
	return &vp_kernel_delayed;
}

/* One episode: its scope, the victim in flight, the rest of a chosen set. */
struct slot {
	bool used;
	char scope[PATH_MAX];           /* "" = the system */
	struct vpipe *p;
	struct loop_source src;         /* the victim's pidfd */
	struct loop_timer timer;        /* grace period, then the stuck limit */
	int pidfd;                      /* -1 = none in flight */
	int sig;
	uint64_t sent_ms, avail_before, freed_est, starttime;
	uint64_t cooldown_until;
	struct decision d;
	char guard[16], comm[64], cgroup[PATH_MAX], reason[256];
	char domain[32];                /* "" = the host; "gpu0": a GPU's episodes */
	struct decision_device device;  /* with has_device: the records' "device" */
	bool has_device;
	void (*wake)(void *, uint64_t);
	void *wake_data;
	/* The pre_kill hook runs: SIGTERM (or, in dry-run, its record) waits
	 * for it, at most hooks.pre_kill_timeout (the timer); hook_token
	 * tells its end from an older hook's. */
	bool hook_wait;
	uint64_t hook_token;
	/* The rest of a set chosen by value, killed one by one while the
	 * guard still asks and until the set's goal is freed. */
	struct {
		int pid[PLAN_MAX];
		uint64_t starttime[PLAN_MAX];
		size_t n, next;
		uint64_t need, freed, set_freed;
		int64_t set_value;
	} queue;
};

struct vpipe {
	struct og_ctx *c;
	struct loop *loop;
	struct reporter *rep;
	const struct vp_kernel *k;
	struct slot slot[VP_SLOTS];
	struct { int pid; uint64_t start; } stuck[STUCK_MAX];
	size_t stuck_next;
	/* The last system-wide ranking (c->cands), for the next victim at the
	 * kill level; any other ranking invalidates it. */
	struct { uint64_t ms; int eligible; size_t n, next; bool prepared; } rank;
	/* Whole-cgroup checks rank the members apart from c->cands. */
	struct proc_list members;
	struct candidate *mcands;
	size_t mcap;
	uint64_t last_skip_ms;
	uint64_t stale_ms;              /* a choice this slow asks rq->still */
	uint64_t signal_ms;             /* when the last signal was sent (now_ms), 0 = none */
	struct hooks *hooks;            /* NULL: none (explain, tests) */
	uint64_t hook_seq;
};

static const char *scope_of(const struct slot *s) { return *s->scope ? s->scope : NULL; }

/* Do two scopes overlap (one within the other; the system holds all)?
 * Never across domains (the host, a GPU). */
static bool overlap(const struct slot *s, const struct vp_request *rq)
{
	const char *a = *s->scope ? s->scope : NULL, *b = rq->scope;

	if (strcmp(s->domain, rq->domain ? rq->domain : ""))
		return false;
	return !a || !b || cgroup_path_within(a, b) || cgroup_path_within(b, a);
}

static bool queued(const struct slot *s) { return s->queue.next < s->queue.n; }

static bool is_stuck(const struct vpipe *p, int pid, uint64_t start)
{
	for (size_t i = 0; i < STUCK_MAX; i++)
		if (p->stuck[i].pid == pid && p->stuck[i].start == start)
			return true;
	return false;
}

/* Move candidates given up on as stuck behind the eligible ones. */
static int drop_stuck(struct vpipe *p, struct candidate *c, int eligible)
{
	int k = 0;

	for (int i = 0; i < eligible; i++) {
		if (is_stuck(p, c[i].p->pid, c[i].p->starttime))
			continue;
		if (k != i) {
			struct candidate t = c[k];

			c[k] = c[i];
			c[i] = t;
		}
		k++;
	}
	return k;
}

static void skip_log(struct vpipe *p, const char *guard, const char *scope, const char *why,
		     uint64_t now)
{
	char msg[512];

	if (now - p->last_skip_ms < 5000)
		return;
	p->last_skip_ms = now;
	snprintf(msg, sizeof(msg), "%s: no candidate to kill (%s)", scope ? scope : "system", why);
	log_warn("%s", msg);
	report_event(p->rep, guard, "skip", msg);
}

static int reserve_members(struct vpipe *p, size_t n)
{
	struct candidate *v;

	if (n <= p->mcap)
		return 0;
	v = realloc(p->mcands, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->mcands = v;
	p->mcap = n;
	return 0;
}

/* May the whole cgroup of victim c go: asked for (memory.oom.group, or
 * kill_unit: cgroup), not the root, and every process in it and below it is
 * itself killable: no kernel thread, PID 1, oomguard itself, oom_score_adj
 * -1000, protect or avoid rule, managed process, or undecidable one. */
static bool whole_cgroup_ok(struct vpipe *p, const struct candidate *c, const struct vp_request *rq)
{
	struct og_ctx *x = p->c;
	struct rank_input in = {
		.proc_fd = x->proc_fd, .self = getpid(), .mem_total = rq->mi->mem_total,
		.swap_total = rq->mi->swap_total, .cgroup = c->p->cgroup,
		.is_managed = shield_is_managed, .userdata = x, .cg_root_fd = x->cg_root_fd,
		.use_xattr = true,      /* an avoided or omitted member keeps the cgroup whole */
	};
	const char *cg = rq->whole_scope && rq->scope ? rq->scope : c->p->cgroup;
	char path[PATH_MAX], buf[8];
	size_t n = 0, eligible;
	bool group;

	if (!cg || !*cg || !strcmp(cg, "/") || x->cg_root_fd < 0)
		return false;
	snprintf(path, sizeof(path), "%s/memory.oom.group", cg + 1);
	group = read_file_at(x->cg_root_fd, path, buf, sizeof(buf)) > 0 && buf[0] == '1';
	if (!group && !rq->whole_scope &&
	    (rq->kill_unit ? *rq->kill_unit : x->cfg.kill_unit) != KILL_UNIT_CGROUP)
		return false;
	if (ctx_cgroup_members(x, cg) < 0 ||
	    proc_scan_pids(x->proc_fd, &p->members, x->pids, x->npids) < 0 ||
	    reserve_members(p, p->members.n) < 0)
		return false;
	for (size_t i = 0; i < p->members.n; i++)
		if (p->members.v[i].kthread || p->members.v[i].pid <= 1)
			return false;
	eligible = rank_candidates(&x->cfg, &in, &p->members, p->mcands, &n);
	for (size_t i = 0; i < n; i++) {
		const struct candidate *m = &p->mcands[i];

		if ((i >= eligible && m->excluded != EXCL_NO_MEMORY) || m->adjust < 0 || m->oomd_pref < 0)
			return false;
	}
	return n > 0;
}

/* At the kill level memory may be all gone, and a fresh /proc scan then
 * takes hundreds of ms (0.4 s in the fork-storm benchmark) while the kernel's
 * OOM killer is moments away. A system-wide ranking under RANK_REUSE_MS old
 * is good enough for the next victim: its next candidate that still runs
 * under the same comm (pid and start time are checked again on open).
 * At the terminate level only the first of a ranking made ahead (vp_prepare)
 * and under VP_PREPARED_MS old: later victims are ranked afresh. Never with
 * values in play: those sets come from the knapsack. */
static bool reuse_ranking(struct vpipe *p, const struct vp_request *rq, const struct slot *s,
			  uint64_t now)
{
	char path[32], comm[64];
	ssize_t k;

	bool ahead = p->rank.prepared && !p->rank.next && now - p->rank.ms < VP_PREPARED_MS;

	if ((rq->v->level != LEVEL_KILL && !ahead) || rq->scope || rq->usage || rq->domain ||
	    p->c->cfg.dry_run || queued(s) || !p->rank.ms || now - p->rank.ms >= RANK_REUSE_MS)
		return false;
	for (; p->rank.next < (size_t)p->rank.eligible; p->rank.next++) {
		const struct proc_info *q = p->c->cands[p->rank.next].p;

		if (is_stuck(p, q->pid, q->starttime))
			continue;
		snprintf(path, sizeof(path), "%d/comm", q->pid);
		k = read_file_at(p->c->proc_fd, path, comm, sizeof(comm));
		if (k > 0 && comm[k - 1] == '\n')
			comm[--k] = '\0';
		if (k > 0 && !strcmp(comm, q->comm))
			return true;
	}
	return false;
}

/* Keep a system-wide ranking just made (c->cands) for the next victims;
 * never one with values in play: those sets come from the knapsack. */
static bool keep_ranking(struct vpipe *p, int eligible, size_t n, uint64_t now)
{
	if (ctx_priority_mode(p->c, (size_t)eligible))
		return false;
	p->rank.ms = now;
	p->rank.eligible = eligible;
	p->rank.n = n;
	return true;
}

/* The plan for this request: the next of a queued set, a reused ranking,
 * or a fresh ranking and choice. 0, or a vp_result to return. */
static int choose(struct vpipe *p, struct slot *s, const struct vp_request *rq, uint64_t now,
		  struct plan *plan, bool *reused)
{
	struct og_ctx *c = p->c;
	size_t n = 0;
	int eligible;

	memset(plan, 0, sizeof(*plan));
	*reused = false;
	if (reuse_ranking(p, rq, s, now)) {
		p->rank.prepared = false;
		plan->n = 1;
		plan->idx[0] = p->rank.next;
		plan->freed = c->cands[p->rank.next].freed;
		plan->value = c->cands[p->rank.next].value;
		plan->covered = plan->freed >= rq->v->need_bytes;
		*reused = true;
		return 0;
	}
	eligible = ctx_rank_by(c, rq->scope, rq->mi->mem_total, rq->mi->swap_total, rq->usage,
			       rq->usage_data, rq->usage_frees, rq->usage ? rq->pids : NULL,
			       rq->npids, &n);
	vp_forget_ranking(p);
	if (eligible < 0) {
		skip_log(p, rq->guard, rq->scope, strerror(-eligible), now);
		return VP_NOBODY;
	}
	eligible = drop_stuck(p, c->cands, eligible);
	if (!rq->scope && !rq->usage && !rq->domain)
		keep_ranking(p, eligible, n, now);
	if (queued(s)) {
		/* The next member of the set chosen earlier, if still eligible. */
		size_t i = 0, k = s->queue.next++;

		while (i < (size_t)eligible && (c->cands[i].p->pid != s->queue.pid[k] ||
						c->cands[i].p->starttime != s->queue.starttime[k]))
			i++;
		if (i == (size_t)eligible) {
			if (s->wake)
				s->wake(s->wake_data, 1);       /* gone or now shielded: the next one */
			return VP_BUSY;
		}
		plan->n = 1;
		plan->idx[0] = i;
		plan->priority = true;
		plan->freed = s->queue.set_freed;
		plan->value = s->queue.set_value;
		return 0;
	}
	if (plan_choose(c->cands, (size_t)eligible, rq->v->need_bytes,
			(!rq->usage || rq->usage_frees) && ctx_priority_mode(c, (size_t)eligible),
			c->ks, c->items,
			plan) < 0) {
		skip_log(p, rq->guard, rq->scope, "every process is excluded", now);
		return VP_NOBODY;
	}
	s->queue.n = s->queue.next = 0;
	if (plan->priority && plan->n > 1 && !c->cfg.dry_run) {
		for (size_t i = 0; i < plan->n; i++) {
			s->queue.pid[i] = c->cands[plan->idx[i]].p->pid;
			s->queue.starttime[i] = c->cands[plan->idx[i]].p->starttime;
		}
		s->queue.n = plan->n;
		s->queue.next = 1;
		s->queue.need = rq->v->need_bytes;
		s->queue.set_freed = plan->freed;
		s->queue.set_value = plan->value;
		s->queue.freed = 0;
	}
	return 0;
}

static void fill_decision(struct slot *s, const struct vp_request *rq, const struct candidate *c,
			  const struct plan *plan, bool whole, bool dry_run, uint64_t grace_ms)
{
	struct decision *d = &s->d;

	memset(d, 0, sizeof(*d));
	snprintf(s->guard, sizeof(s->guard), "%s", rq->guard);
	snprintf(s->comm, sizeof(s->comm), "%s", c->p->comm);
	snprintf(s->cgroup, sizeof(s->cgroup), "%s", c->p->cgroup ? c->p->cgroup : "");
	snprintf(s->reason, sizeof(s->reason), "%s", rq->v->reason);
	d->guard = s->guard;
	d->mem_total = rq->mi->mem_total;
	d->mem_available = rq->mi->mem_available;
	d->swap_total = rq->mi->swap_total;
	d->swap_free = rq->mi->swap_free;
	if (rq->psi) {
		d->psi_some_avg10 = rq->psi->some.avg10;
		d->psi_full_avg10 = rq->psi->full.avg10;
	}
	d->trigger = trigger_name(rq->v->trigger);
	d->level = level_name(rq->v->level);
	d->reason = s->reason;
	d->scope = scope_of(s);
	d->dry_run = dry_run;
	d->pid = c->p->pid;
	d->comm = s->comm;
	d->cgroup = s->cgroup;
	d->uid = c->p->uid;
	d->rss = c->p->rss;
	d->anon = c->p->anon;
	d->swap = c->p->swap;
	d->oom_score = c->p->oom_score;
	d->oom_score_adj = c->p->oom_score_adj;
	d->badness = c->badness;
	d->value = c->value;
	d->rule_line = c->rule_line;
	d->whole_cgroup = whole;
	d->usage = rq->usage ? (int64_t)c->freed : -1;
	d->usage_unit = rq->usage ? rq->usage_unit : NULL;
	d->window_ms = rq->usage && !rq->usage_frees ? (int64_t)rq->window_ms : -1;
	s->has_device = rq->device != NULL;
	if (rq->device)
		s->device = *rq->device;
	d->device = rq->device ? &s->device : NULL;
	d->sig = rq->v->level == LEVEL_KILL || grace_ms == 0 ? SIGKILL : SIGTERM;
	d->set_size = plan->priority ? (unsigned)MAX(plan->n, s->queue.n) : 0;
	d->set_freed = plan->freed;
	d->set_value = plan->value;
	d->freed_bytes = d->exit_ms = -1;
	d->event = d->sig == SIGKILL ? "kill" : "terminate";
}

/* Signal every process in the cgroup at cgroup and below it through its
 * own pidfd: SIGTERM for a whole cgroup at the terminate level (cgroup.kill
 * knows only SIGKILL), and SIGKILL where the kernel has no cgroup.kill
 * (< 5.14). The members are listed afresh; each pidfd is checked after
 * opening (start time, no kernel thread, not PID 1 or oomguard) and its
 * process must still be inside the cgroup (no pid reuse into another one).
 * SIGKILL takes a second pass for what was forked during the first: what
 * cgroup.kill does atomically, this does only nearly. Returns how many
 * signals were sent (> 0), else -ESRCH (or the listing's -errno). */
static int signal_members(struct vpipe *p, const char *cgroup, int sig)
{
	struct og_ctx *c = p->c;
	char path[40], buf[4096], cg[PATH_MAX];
	int sent = 0, r = 0;

	for (int pass = 0; pass < (sig == SIGKILL ? 2 : 1); pass++) {
		if ((r = ctx_cgroup_members(c, cgroup)) < 0)
			break;
		for (size_t i = 0; i < c->npids; i++) {
			struct proc_stat st;
			int fd = -1;

			if (c->pids[i] <= 1 || proc_read_stat(c->proc_fd, c->pids[i], &st) < 0 ||
			    p->k->open(c->proc_fd, c->pids[i], st.starttime, &fd) < 0)
				continue;
			snprintf(path, sizeof(path), "%d/cgroup", c->pids[i]);
			if (read_file_at(c->proc_fd, path, buf, sizeof(buf)) > 0 &&
			    parse_proc_cgroup(buf, cg, sizeof(cg)) == 0 &&
			    cgroup_path_within(cg, cgroup) && p->k->send(fd, sig) == 0)
				sent++;
			close(fd);
		}
	}
	return sent ? sent : r < 0 ? r : -ESRCH;
}

/* A whole cgroup: SIGKILL through cgroup.kill where the kernel has it,
 * else (and for SIGTERM) to each member. */
static int signal_cgroup(struct vpipe *p, const char *cgroup, int sig)
{
	char esc[256];
	int r;

	if (sig == SIGKILL && kfeat_has(&p->c->kf, KF_CGROUP_KILL)) {
		r = p->k->cgroup_kill(p->c->cg_root_fd, cgroup);
		if (r != -ENOENT)
			return r;
		/* No cgroup.kill in a cgroup that exists: the probe could not
		 * tell (no cgroup to look in at start); never try it again. */
		if (faccessat(p->c->cg_root_fd, cgroup + strspn(cgroup, "/"), F_OK, 0) < 0)
			return -ESRCH;
		kfeat_lost(&p->c->kf, KF_CGROUP_KILL, -ENOENT);
		log_warn("cgroup.kill missing (kernel < 5.14): whole-cgroup kills fall back to "
			 "signalling each member through its pidfd");
	}
	r = signal_members(p, cgroup, sig);
	if (r > 0 && sig == SIGKILL) {
		escape_untrusted(cgroup, esc, sizeof(esc));
		log_notice("%s: SIGKILL to each member through its pidfd, %d signals (no cgroup.kill)",
			   esc, r);
	}
	return r < 0 ? r : 0;
}

/* process_mrelease after SIGKILL, unless the kernel lacks it: the first
 * ENOSYS (or a seccomp filter's EPERM) is the last call. */
static void mrelease(struct vpipe *p, int pidfd)
{
	int r;

	if (!kfeat_has(&p->c->kf, KF_PROCESS_MRELEASE))
		return;
	r = p->k->mrelease(pidfd);
	if (r == -ENOSYS || r == -EPERM) {
		kfeat_lost(&p->c->kf, KF_PROCESS_MRELEASE, r);
		log_warn("process_mrelease: %s; not called again", strerror(-r));
	}
}

static void on_exit_src(void *userdata, uint32_t events);
static void on_timer(void *userdata, uint32_t events);
static void hook_over(struct slot *s);

static void on_hook_exited(void *userdata, uint64_t token)
{
	struct slot *s = userdata;

	if (s->hook_wait && s->hook_token == token)
		hook_over(s);
}

/* At the terminate level only: the pre_kill hook, if one applies and can
 * start; then the signal waits for it, at most hooks.pre_kill_timeout. */
static bool start_pre_hook(struct vpipe *p, struct slot *s)
{
	if (!p->hooks || !p->loop || s->d.sig != SIGTERM)
		return false;
	s->hook_token = ++p->hook_seq;
	if (hooks_pre_kill(p->hooks, &p->c->cfg, &s->d, on_hook_exited, s, s->hook_token) < 0)
		return false;
	s->hook_wait = true;
	loop_timer_arm(&s->timer, p->c->cfg.hook_pre_kill_timeout_ms);
	return true;
}

/* Pick and signal one victim for rq in slot s. */
static enum vp_result act(struct vpipe *p, struct slot *s, const struct vp_request *rq, uint64_t now)
{
	const struct og_config *cfg = &p->c->cfg;
	const struct candidate *c;
	struct plan plan;
	struct decision *d = &s->d;
	bool whole, reused;
	int r, pidfd = -1;

	if (s->hook_wait)
		hook_over(s);   /* a dry decision still waiting on its hook: written now */
	r = choose(p, s, rq, now, &plan, &reused);
	if (r)
		return (enum vp_result)r;
	if (rq->still && now_ms() - now >= p->stale_ms && !rq->still(rq->userdata)) {
		char msg[PATH_MAX + 96];

		snprintf(msg, sizeof(msg), "%s: relieved while choosing (%llu ms): nobody signalled",
			 rq->scope ? rq->scope : "system", (unsigned long long)(now_ms() - now));
		log_notice("%s", msg);
		report_event(p->rep, rq->guard, "skip", msg);
		s->queue.n = s->queue.next = 0;
		return VP_IDLE;
	}
	c = &p->c->cands[plan.idx[0]];
	p->rank.next = plan.idx[0] + 1;
	if (!c->p->cgroup)
		proc_load_cgroup(p->c->proc_fd, &p->c->procs, c->p);
	whole = whole_cgroup_ok(p, c, rq);
	fill_decision(s, rq, c, &plan, whole, cfg->dry_run, cfg->grace_ms);
	if (whole && rq->whole_scope && rq->scope)     /* the scope goes, not only c's cgroup */
		snprintf(s->cgroup, sizeof(s->cgroup), "%s", rq->scope);
	s->sig = d->sig;
	s->sent_ms = now;
	s->avail_before = rq->mi->mem_available;
	s->freed_est = whole || (rq->usage && !rq->usage_frees) ? 0 : c->freed;
	s->starttime = c->p->starttime;
	s->wake = rq->wake;
	s->wake_data = rq->userdata;
	if (rq->chosen) {
		rq->chosen->pid = c->p->pid;
		rq->chosen->starttime = c->p->starttime;
		snprintf(rq->chosen->comm, sizeof(rq->chosen->comm), "%s", c->p->comm);
		rq->chosen->amount = c->freed;
	}
	if (cfg->dry_run) {
		s->cooldown_until = now + MAX(cfg->cooldown_ms, 1000);
		if (start_pre_hook(p, s))
			return VP_ACTED;        /* hooks.dry_run: the record waits as a signal would */
		report_decision(p->rep, d);
		report_decision_kmsg(p->rep, d);
		hooks_post_kill(p->hooks, cfg, d);
		return VP_ACTED;
	}
	/* The kill path: no allocation from here to the signal. */
	r = p->k->open(p->c->proc_fd, c->p->pid, c->p->starttime, &pidfd);
	if (r == 0 && start_pre_hook(p, s)) {
		/* The pidfd holds the victim while the hook runs: no pid reuse. */
		s->pidfd = pidfd;
		loop_add(p->loop, &s->src, pidfd, EPOLLIN, on_exit_src, s);
		return VP_ACTED;
	}
	if (r == 0)
		r = whole ? signal_cgroup(p, s->cgroup, d->sig) : p->k->send(pidfd, d->sig);
	if (r == 0)
		p->signal_ms = now_ms();        /* before mrelease and the records */
	if (r == 0 && d->sig == SIGKILL)
		mrelease(p, pidfd);
	if (r < 0) {
		d->event = "error";
		d->err = r;
		report_decision(p->rep, d);
		if (pidfd >= 0)
			close(pidfd);
		log_warn("could not signal pid %d: %s", c->p->pid, strerror(-r));
		s->queue.n = s->queue.next = 0;
		return VP_FAILED;       /* the next request ranks afresh */
	}
	s->pidfd = pidfd;
	if (p->loop) {
		loop_add(p->loop, &s->src, pidfd, EPOLLIN, on_exit_src, s);
		loop_timer_arm(&s->timer, d->sig == SIGTERM ? cfg->grace_ms : STUCK_MS);
	}
	report_decision(p->rep, d);
	report_decision_kmsg(p->rep, d);
	return VP_ACTED;
}

static void slot_done(struct slot *s, const char *event)
{
	struct vpipe *p = s->p;
	struct meminfo mi;
	uint64_t now = now_ms(), wake_ms;
	bool signalled = !s->hook_wait;

	if (s->pidfd < 0)
		return;
	s->hook_wait = false;   /* it exited before its signal: nothing to send */
	if (p->loop) {
		loop_del(p->loop, &s->src);
		loop_timer_disarm(&s->timer);
	}
	close(s->pidfd);
	s->pidfd = -1;
	s->d.event = event;
	s->d.exit_ms = (int64_t)(now - s->sent_ms);
	if (meminfo_read_fd(p->c->meminfo_fd, &mi) == 0) {
		s->d.freed_bytes = mi.mem_available > s->avail_before ?
			(int64_t)(mi.mem_available - s->avail_before) : 0;
		s->d.mem_available = mi.mem_available;
	}
	report_decision(p->rep, &s->d);
	if (signalled && !strcmp(event, "exit"))
		hooks_post_kill(p->hooks, &p->c->cfg, &s->d);
	if (!strcmp(event, "stuck")) {
		p->stuck[p->stuck_next].pid = s->d.pid;
		p->stuck[p->stuck_next].start = s->starttime;
		p->stuck_next = (p->stuck_next + 1) % STUCK_MAX;
	}
	/* What the set has freed counts each victim's own memory, not the
	 * MemAvailable change (which a hog allocating meanwhile eats). */
	s->queue.freed += s->freed_est;
	if (queued(s) && s->queue.freed < s->queue.need) {
		wake_ms = 1;            /* the rest of the set, if the guard still asks */
	} else {
		s->queue.n = s->queue.next = 0;
		s->cooldown_until = now + p->c->cfg.cooldown_ms;
		wake_ms = p->c->cfg.interval_min_ms;
	}
	if (s->wake)
		s->wake(s->wake_data, wake_ms);
}

static void escalate(struct slot *s, const char *why)
{
	struct vpipe *p = s->p;
	int r;

	if (s->pidfd < 0 || s->sig == SIGKILL)
		return;
	s->hook_wait = false;   /* the kill level: its pre_kill hook is not waited for */
	r = s->d.whole_cgroup ? signal_cgroup(p, s->cgroup, SIGKILL) : p->k->send(s->pidfd, SIGKILL);
	if (r == -ESRCH)
		return;         /* exiting already: the pidfd will tell */
	snprintf(s->reason, sizeof(s->reason), "%s", why);
	if (r < 0) {
		/* The victim keeps its grace timer; the stuck limit still applies. */
		s->d.event = "error";
		s->d.err = r;
		report_decision(p->rep, &s->d);
		s->d.err = 0;
		log_warn("could not escalate pid %d: %s", s->d.pid, strerror(-r));
		return;
	}
	mrelease(p, s->pidfd);
	s->sig = s->d.sig = SIGKILL;
	s->d.event = "escalate";
	report_decision(p->rep, &s->d);
	report_decision_kmsg(p->rep, &s->d);
	if (p->loop)
		loop_timer_arm(&s->timer, STUCK_MS);
}

/* The pre_kill hook ended, or hooks.pre_kill_timeout passed: SIGTERM now
 * (in dry-run: the record it would have). */
static void hook_over(struct slot *s)
{
	struct vpipe *p = s->p;
	const struct og_config *cfg = &p->c->cfg;
	int r;

	if (!s->hook_wait)
		return;
	s->hook_wait = false;
	if (p->loop)
		loop_timer_disarm(&s->timer);
	if (s->d.dry_run) {
		report_decision(p->rep, &s->d);
		report_decision_kmsg(p->rep, &s->d);
		hooks_post_kill(p->hooks, cfg, &s->d);
		return;
	}
	if (s->pidfd < 0)
		return;
	r = s->d.whole_cgroup ? signal_cgroup(p, s->cgroup, SIGTERM) : p->k->send(s->pidfd, SIGTERM);
	if (r < 0) {
		s->d.event = "error";
		s->d.err = r;
		report_decision(p->rep, &s->d);
		s->d.err = 0;
		log_warn("could not signal pid %d: %s", s->d.pid, strerror(-r));
		if (p->loop)
			loop_del(p->loop, &s->src);
		close(s->pidfd);
		s->pidfd = -1;
		s->queue.n = s->queue.next = 0;
		if (s->wake)
			s->wake(s->wake_data, 1);       /* the next request ranks afresh */
		return;
	}
	s->sent_ms = now_ms();
	if (p->loop)
		loop_timer_arm(&s->timer, cfg->grace_ms);
	report_decision(p->rep, &s->d);
	report_decision_kmsg(p->rep, &s->d);
}

static void on_grace(struct slot *s)
{
	if (s->hook_wait) {
		hook_over(s);
		return;
	}
	if (s->pidfd < 0)
		return;
	if (s->sig == SIGTERM) {
		escalate(s, "grace period over");
	} else {
		log_warn("pid %d has not exited %d ms after SIGKILL; moving on", s->d.pid, STUCK_MS);
		slot_done(s, "stuck");
	}
}

static void on_exit_src(void *userdata, uint32_t events) { slot_done(userdata, "exit"); }
static void on_timer(void *userdata, uint32_t events) { on_grace(userdata); }

void vp_on_exit_fd(struct vpipe *p, int pidfd)
{
	for (size_t i = 0; i < VP_SLOTS; i++)
		if (p->slot[i].pidfd == pidfd && pidfd >= 0)
			slot_done(&p->slot[i], "exit");
}

void vp_on_timer_all(struct vpipe *p)
{
	for (size_t i = 0; i < VP_SLOTS; i++)
		on_grace(&p->slot[i]);
}

enum vp_result vp_request(struct vpipe *p, const struct vp_request *rq, uint64_t now,
			  uint64_t *ret_next_ms)
{
	struct slot *s = NULL, *free_slot = NULL;
	bool busy = false, cooling = false;

	for (size_t i = 0; i < VP_SLOTS; i++) {
		struct slot *o = &p->slot[i];

		if (o->used && o->pidfd < 0 && !queued(o) && now >= o->cooldown_until)
			o->used = false;        /* that episode is over */
		if (!o->used) {
			free_slot = free_slot ? free_slot : o;
			continue;
		}
		if (!overlap(o, rq))
			continue;
		/* A victim in flight of an overlapping scope: this episode is
		 * its. At the kill level, one within this scope gets SIGKILL
		 * now (never one of an unrelated cgroup). */
		if (o->pidfd >= 0) {
			busy = true;
			if (rq->v->level == LEVEL_KILL &&
			    (!rq->scope || cgroup_path_within(o->cgroup, rq->scope)))
				escalate(o, rq->v->reason);
			continue;
		}
		if (!strcmp(o->scope, rq->scope ? rq->scope : "") &&
		    !strcmp(o->domain, rq->domain ? rq->domain : ""))
			s = o;
		if (now < o->cooldown_until && !queued(o)) {
			cooling = true;
			if (ret_next_ms)
				*ret_next_ms = o->cooldown_until - now;
		}
	}
	if (busy)
		return VP_BUSY;
	if (rq->v->level == LEVEL_OK) {
		/* Relieved: the rest of a queued set is not killed (the guard's
		 * verdict is re-evaluated before each queued kill). */
		if (s && queued(s)) {
			s->queue.n = s->queue.next = 0;
			s->cooldown_until = now + p->c->cfg.cooldown_ms;        /* the episode ended */
		}
		return VP_IDLE;
	}
	if (cooling && rq->v->level != LEVEL_KILL)
		return VP_COOLDOWN;
	if (!s) {
		if (!free_slot)
			return VP_BUSY;
		s = free_slot;
		memset(&s->queue, 0, sizeof(s->queue));
		snprintf(s->scope, sizeof(s->scope), "%s", rq->scope ? rq->scope : "");
		snprintf(s->domain, sizeof(s->domain), "%s", rq->domain ? rq->domain : "");
		s->cooldown_until = 0;
		s->used = true;
	}
	return act(p, s, rq, now);
}

bool vp_busy(const struct vpipe *p)
{
	for (size_t i = 0; i < VP_SLOTS; i++)
		if (p->slot[i].pidfd >= 0 || queued(&p->slot[i]))
			return true;
	return false;
}

void vp_forget_ranking(struct vpipe *p)
{
	p->rank.ms = 0;
	p->rank.prepared = false;
}

uint64_t vp_signal_ms(const struct vpipe *p) { return p->signal_ms; }

void vp_prepare(struct vpipe *p, const struct vp_request *rq, uint64_t now)
{
	struct og_ctx *c = p->c;
	size_t n = 0;
	int eligible;

	if (rq->scope || rq->usage || rq->domain || vp_busy(p) ||
	    (p->rank.ms && now - p->rank.ms < VP_PREPARE_EVERY_MS))
		return;
	eligible = ctx_rank_by(c, NULL, rq->mi->mem_total, rq->mi->swap_total, NULL, NULL, false,
			       NULL, 0, &n);
	vp_forget_ranking(p);
	if (eligible <= 0)
		return;
	eligible = drop_stuck(p, c->cands, eligible);
	if (keep_ranking(p, eligible, n, now)) {
		p->rank.next = 0;
		p->rank.prepared = true;
	}
}

void vp_set_stale_ms(struct vpipe *p, uint64_t ms) { p->stale_ms = ms; }

void vp_set_reporter(struct vpipe *p, struct reporter *rep) { p->rep = rep; }

void vp_set_hooks(struct vpipe *p, struct hooks *h) { p->hooks = h; }

int vp_new(struct og_ctx *c, struct loop *l, struct reporter *rep, const struct vp_kernel *k,
	   struct vpipe **ret)
{
	struct vpipe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->c = c;
	p->loop = l;
	p->rep = rep;
	p->k = k;
	p->stale_ms = VP_STALE_MS;
	for (size_t i = 0; i < VP_SLOTS; i++) {
		struct slot *s = &p->slot[i];

		s->p = p;
		s->pidfd = s->src.fd = s->timer.src.fd = -1;
		if (l && loop_timer_init(l, &s->timer, on_timer, s) < 0) {
			vp_free(p);
			return -errno;
		}
	}
	*ret = p;
	return 0;
}

void vp_free(struct vpipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < VP_SLOTS; i++) {
		struct slot *s = &p->slot[i];

		if (s->pidfd >= 0) {
			if (p->loop)
				loop_del(p->loop, &s->src);
			close(s->pidfd);
		}
		loop_timer_close(p->loop, &s->timer);
	}
	proc_list_free(&p->members);
	free(p->mcands);
	free(p);
}

const char *vp_result_name(enum vp_result r)
{
	static const char *const names[] = { "idle", "acted", "busy", "cooldown", "nobody", "failed" };

	return (size_t)r < ARRAY_SIZE(names) ? names[r] : "?";
}
