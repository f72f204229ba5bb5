/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: one epoll over a timerfd (adaptive interval), a PSI
 * trigger fd where the kernel allows it, a signalfd, the pidfd of the victim
 * being waited on and its grace timer. Nothing here blocks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "og-config.h"
#include "victim/kill.h"
#include "guards/shield/shieldd.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/util.h"
#include "victim/rules.h"
#include "report/record.h"
#if HAVE_LIBSYSTEMD
#include <dlfcn.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#endif

/* libsystemd is loaded only when systemd listens (NOTIFY_SOCKET or
 * WATCHDOG_USEC set). Linked, Debian 12's pulls in libgcrypt, libgpg-error,
 * liblzma, libzstd, liblz4 and libcap: about 1 MiB of resident pages in a
 * daemon that otherwise never uses them. */
static int (*notify_fn)(int, const char *);
static int (*watchdog_fn)(int, uint64_t *);

static void sd_load(void)
{
#if HAVE_LIBSYSTEMD
	void *h;

	if (!getenv("NOTIFY_SOCKET") && !getenv("WATCHDOG_USEC"))
		return;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_warn("NOTIFY_SOCKET is set but %s: no readiness or watchdog notifications", dlerror());
		return;
	}
	notify_fn = (__typeof__(&sd_notify))dlsym(h, "sd_notify");
	watchdog_fn = (__typeof__(&sd_watchdog_enabled))dlsym(h, "sd_watchdog_enabled");
#endif
}

static int sd_notify_(const char *state) { return notify_fn ? notify_fn(0, state) : 0; }
static int sd_watchdog_(uint64_t *usec) { return watchdog_fn ? watchdog_fn(0, usec) : 0; }

#define STUCK_MS 5000   /* a SIGKILLed victim that has not exited by then is given up on */
#define RANK_REUSE_MS 1000      /* at the kill level, a system ranking this fresh is reused */

enum { EV_TIMER = 1, EV_SIGNAL, EV_PSI, EV_VICTIM, EV_GRACE, EV_WATCHDOG,
       EV_SHIELD_TIMER, EV_SHIELD_CONN, EV_CGROUPS };

struct victim {
	int pidfd;              /* -1 = none in flight */
	int sig;
	uint64_t sent_ms;
	uint64_t avail_before;
	struct decision d;
	char comm[64];
	char cgroup[256];
	char reason[256];
	char scope[PATH_MAX];   /* the record outlives the caller's buffer */
};

struct daemon {
	struct og_ctx c;
	struct reporter rep;
	struct policy_state pol;
	int epfd, timer_fd, sig_fd, psi_trig_fd, grace_fd, wd_fd;
	const char *psi_mode_desc;
	struct victim vic;
	struct shield_rt shield;        /* protected cgroup, dynamic oom_score_adj */
	/* The rest of a chosen set (priority mode), killed one after another
	 * until the set's goal is freed. */
	struct {
		int pid[PLAN_MAX];
		uint64_t starttime[PLAN_MAX];
		size_t n, next;
		uint64_t need, freed, set_freed;
		int64_t set_value;
		struct verdict v;
		char scope[PATH_MAX];
		bool has_scope;
	} queue;
	/* The last system-wide ranking (d->c.cands), for the next victim at
	 * the kill level; any other ctx_rank call invalidates it. */
	struct {
		uint64_t ms;            /* 0 = none */
		int eligible;
		size_t n, next;         /* next: first candidate not yet taken */
	} rank;
	uint64_t cooldown_until;
	uint64_t last_skip_ms;
	bool running;
};

static int ep_add(int epfd, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void arm_ms(int tfd, uint64_t ms)
{
	struct itimerspec its = {0};

	if (!ms)
		ms = 1;
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	timerfd_settime(tfd, 0, &its, NULL);
}

static void disarm(int tfd)
{
	struct itimerspec its = {0};

	timerfd_settime(tfd, 0, &its, NULL);
}

/* A timerfd: one read takes the expiry count and resets it. */
static void drain(int fd)
{
	uint64_t x;

	if (read(fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
		log_warn("timerfd read: %s", strerror(errno));
}

/* Register (or re-register) the PSI trigger as the config asks. */
static void setup_psi(struct daemon *d)
{
	const struct og_config *cfg = &d->c.cfg;
	int fd;

	if (d->psi_trig_fd >= 0) {
		close(d->psi_trig_fd);
		d->psi_trig_fd = -1;
	}
	if (!cfg->psi_enabled || d->c.psi_fd < 0) {
		d->psi_mode_desc = "off";
		log_notice("PSI: %s", cfg->psi_enabled ? "not available on this kernel" : "disabled");
		return;
	}
	if (cfg->psi_mode == PSI_MODE_POLL) {
		d->psi_mode_desc = "poll (forced)";
		log_notice("PSI: polling mode (forced by config or --psi-mode=poll)");
		return;
	}
	fd = psi_trigger_open(d->c.proc_fd, "pressure/memory", cfg->psi_full,
			      cfg->psi_stall_us, cfg->psi_window_us);
	if (fd < 0) {
		d->psi_mode_desc = "poll (triggers refused)";
		log_warn("PSI: triggers refused (%s%s); polling the averages and total counters",
			 strerror(-fd), fd == -EINVAL || fd == -EPERM ?
			 ": a window under 2 s needs CAP_SYS_RESOURCE" : "");
		return;
	}
	if (ep_add(d->epfd, fd, EPOLLPRI, EV_PSI) < 0) {
		close(fd);
		d->psi_mode_desc = "poll (epoll failed)";
		return;
	}
	d->psi_trig_fd = fd;
	d->psi_mode_desc = "trigger";
	log_notice("PSI: trigger mode (%s %llu us in %llu us)", cfg->psi_full ? "full" : "some",
		   (unsigned long long)cfg->psi_stall_us, (unsigned long long)cfg->psi_window_us);
}

static void fill_state(struct decision *dd, const struct meminfo *mi, const struct psi *psi,
		       bool have_psi)
{
	dd->mem_total = mi->mem_total;
	dd->mem_available = mi->mem_available;
	dd->swap_total = mi->swap_total;
	dd->swap_free = mi->swap_free;
	if (have_psi) {
		dd->psi_some_avg10 = psi->some.avg10;
		dd->psi_full_avg10 = psi->full.avg10;
	}
}

/* Can the whole cgroup of c be killed: asked for, and every member of it
 * is itself eligible (never take sshd or PID 1 along)? */
static bool whole_cgroup_ok(struct daemon *d, const struct candidate *c, size_t n)
{
	const struct og_config *cfg = &d->c.cfg;
	char path[PATH_MAX];
	char buf[8];
	bool group;

	if (!c->p->cgroup || !*c->p->cgroup || !strcmp(c->p->cgroup, "/") || d->c.cg_root_fd < 0)
		return false;
	snprintf(path, sizeof(path), "%s/memory.oom.group", c->p->cgroup + 1);
	group = read_file_at(d->c.cg_root_fd, path, buf, sizeof(buf)) > 0 && buf[0] == '1';
	if (!group && cfg->kill_unit != KILL_UNIT_CGROUP)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct candidate *o = &d->c.cands[i];

		if (o->excluded == EXCL_NONE || o->excluded == EXCL_NO_MEMORY)
			continue;
		if (!o->p->cgroup)
			proc_load_cgroup(d->c.proc_fd, &d->c.procs, o->p);
		if (!o->p->cgroup || !*o->p->cgroup || !strcmp(o->p->cgroup, c->p->cgroup))
			return false;
	}
	return true;
}

static void skip_log(struct daemon *d, const char *scope, const char *why, uint64_t now)
{
	char msg[512];

	if (now - d->last_skip_ms < 5000)
		return;
	d->last_skip_ms = now;
	snprintf(msg, sizeof(msg), "%s: no candidate to kill (%s)", scope ? scope : "system", why);
	log_warn("%s", msg);
	report_event(&d->rep, scope ? "cgroups" : "memory", "skip", msg);
}

/* At the kill level memory may be all gone, and a fresh /proc scan then
 * takes hundreds of ms (0.4 s in the fork-storm benchmark) while the kernel's
 * OOM killer is moments away. A system-wide ranking under RANK_REUSE_MS old
 * is good enough for the next victim: its next candidate that still runs
 * under the same comm (pid and start time are checked again by kill_open).
 * Never with values in play: those sets come from the knapsack. */
static bool reuse_ranking(struct daemon *d, const struct verdict *v, const char *scope,
			  uint64_t now)
{
	char path[32], comm[64];
	ssize_t k;

	if (v->level != LEVEL_KILL || scope || d->c.cfg.dry_run || d->queue.next < d->queue.n ||
	    !d->rank.ms || now - d->rank.ms >= RANK_REUSE_MS)
		return false;
	for (; d->rank.next < (size_t)d->rank.eligible; d->rank.next++) {
		const struct proc_info *p = d->c.cands[d->rank.next].p;

		snprintf(path, sizeof(path), "%d/comm", p->pid);
		k = read_file_at(d->c.proc_fd, path, comm, sizeof(comm));
		if (k > 0 && comm[k - 1] == '\n')
			comm[--k] = '\0';
		if (k > 0 && !strcmp(comm, p->comm))
			return true;
	}
	return false;
}

/* Pick and signal one victim for verdict v (scope: cgroup or NULL). */
static void act(struct daemon *d, const struct verdict *v, const char *scope,
		const struct meminfo *mi, const struct psi *psi, bool have_psi, uint64_t now)
{
	const struct og_config *cfg = &d->c.cfg;
	struct decision *dd = &d->vic.d;
	const struct candidate *c;
	struct plan plan;
	size_t n = 0;
	int eligible, r, pidfd = -1;
	bool whole;

	if (reuse_ranking(d, v, scope, now)) {
		eligible = d->rank.eligible;
		n = d->rank.n;
		memset(&plan, 0, sizeof(plan));
		plan.n = 1;
		plan.idx[0] = d->rank.next;
		plan.freed = d->c.cands[d->rank.next].freed;
		plan.value = d->c.cands[d->rank.next].value;
		plan.covered = plan.freed >= v->need_bytes;
		goto chosen;
	}
	eligible = ctx_rank(&d->c, scope, mi->mem_total, mi->swap_total, &n);
	d->rank.ms = 0;
	if (eligible < 0) {
		skip_log(d, scope, strerror(-eligible), now);
		return;
	}
	if (!scope && !ctx_priority_mode(&d->c, (size_t)eligible)) {
		d->rank.ms = now;
		d->rank.eligible = eligible;
		d->rank.n = n;
	}
	if (d->queue.next < d->queue.n) {
		/* The next member of the set chosen earlier, if still eligible. */
		size_t i = 0, k = d->queue.next++;

		while (i < (size_t)eligible && (d->c.cands[i].p->pid != d->queue.pid[k] ||
						d->c.cands[i].p->starttime != d->queue.starttime[k]))
			i++;
		if (i == (size_t)eligible) {
			arm_ms(d->timer_fd, 1);         /* gone or now shielded: the next one */
			return;
		}
		memset(&plan, 0, sizeof(plan));
		plan.n = 1;
		plan.idx[0] = i;
		plan.priority = true;
		plan.freed = d->queue.set_freed;
		plan.value = d->queue.set_value;
	} else {
		if (plan_choose(d->c.cands, (size_t)eligible, v->need_bytes,
				ctx_priority_mode(&d->c, (size_t)eligible), d->c.ks, d->c.items, &plan) < 0) {
			skip_log(d, scope, "every process is excluded", now);
			return;
		}
		d->queue.n = d->queue.next = 0;
		if (plan.priority && plan.n > 1 && !cfg->dry_run) {
			for (size_t i = 0; i < plan.n; i++) {
				d->queue.pid[i] = d->c.cands[plan.idx[i]].p->pid;
				d->queue.starttime[i] = d->c.cands[plan.idx[i]].p->starttime;
			}
			d->queue.n = plan.n;
			d->queue.next = 1;
			d->queue.need = v->need_bytes;
			d->queue.set_freed = plan.freed;
			d->queue.set_value = plan.value;
			d->queue.freed = 0;
			d->queue.v = *v;
			d->queue.has_scope = scope != NULL;
			snprintf(d->queue.scope, sizeof(d->queue.scope), "%s", scope ? scope : "");
		}
	}
chosen:
	c = &d->c.cands[plan.idx[0]];
	d->rank.next = plan.idx[0] + 1;
	if (!c->p->cgroup)
		proc_load_cgroup(d->c.proc_fd, &d->c.procs, c->p);
	whole = whole_cgroup_ok(d, c, n);

	memset(&d->vic, 0, sizeof(d->vic));
	d->vic.pidfd = -1;
	fill_state(dd, mi, psi, have_psi);
	snprintf(d->vic.comm, sizeof(d->vic.comm), "%s", c->p->comm);
	snprintf(d->vic.cgroup, sizeof(d->vic.cgroup), "%s", c->p->cgroup ? c->p->cgroup : "");
	snprintf(d->vic.reason, sizeof(d->vic.reason), "%s", v->reason);
	dd->guard = scope ? "cgroups" : "memory";
	dd->trigger = trigger_name(v->trigger);
	dd->level = level_name(v->level);
	dd->reason = d->vic.reason;
	snprintf(d->vic.scope, sizeof(d->vic.scope), "%s", scope ? scope : "");
	dd->scope = scope ? d->vic.scope : NULL;
	dd->dry_run = cfg->dry_run;
	dd->pid = c->p->pid;
	dd->comm = d->vic.comm;
	dd->cgroup = d->vic.cgroup;
	dd->uid = c->p->uid;
	dd->rss = c->p->rss;
	dd->anon = c->p->anon;
	dd->swap = c->p->swap;
	dd->oom_score = c->p->oom_score;
	dd->oom_score_adj = c->p->oom_score_adj;
	dd->badness = c->badness;
	dd->value = c->value;
	dd->rule_line = c->rule_line;
	dd->whole_cgroup = whole;
	/* cgroup.kill only knows SIGKILL. */
	dd->sig = v->level == LEVEL_KILL || cfg->grace_ms == 0 || whole ? SIGKILL : SIGTERM;
	dd->set_size = plan.priority ? (unsigned)MAX(plan.n, d->queue.n) : 0;
	dd->set_freed = plan.freed;
	dd->set_value = plan.value;
	dd->freed_bytes = dd->exit_ms = -1;
	dd->event = dd->sig == SIGKILL ? "kill" : "terminate";
	d->vic.sig = dd->sig;
	d->vic.sent_ms = now;
	d->vic.avail_before = mi->mem_available;

	if (cfg->dry_run) {
		report_decision(&d->rep, dd);
		report_decision_kmsg(&d->rep, dd);
		d->cooldown_until = now + MAX(cfg->cooldown_ms, 1000);
		return;
	}
	/* The kill path: no allocation from here to the signal. */
	r = kill_open(d->c.proc_fd, c->p->pid, c->p->starttime, &pidfd);
	if (r == 0)
		r = whole ? kill_cgroup(d->c.cg_root_fd, c->p->cgroup) : kill_send(pidfd, dd->sig);
	if (r == 0 && dd->sig == SIGKILL)
		kill_mrelease(pidfd);
	if (r < 0) {
		dd->event = "error";
		dd->err = r;
		report_decision(&d->rep, dd);
		if (pidfd >= 0)
			close(pidfd);
		log_warn("could not signal pid %d: %s", c->p->pid, strerror(-r));
		return;     /* the next tick ranks afresh */
	}
	d->vic.pidfd = pidfd;
	ep_add(d->epfd, pidfd, EPOLLIN, EV_VICTIM);
	arm_ms(d->grace_fd, dd->sig == SIGTERM ? cfg->grace_ms : STUCK_MS);
	report_decision(&d->rep, dd);
	report_decision_kmsg(&d->rep, dd);
	policy_reset_psi(&d->pol);
}

static void victim_done(struct daemon *d, const char *event)
{
	struct meminfo mi;
	uint64_t now = now_ms();

	if (d->vic.pidfd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->vic.pidfd, NULL);
	close(d->vic.pidfd);
	d->vic.pidfd = -1;
	disarm(d->grace_fd);
	d->vic.d.event = event;
	d->vic.d.exit_ms = (int64_t)(now - d->vic.sent_ms);
	if (meminfo_read_fd(d->c.meminfo_fd, &mi) == 0) {
		d->vic.d.freed_bytes = mi.mem_available > d->vic.avail_before ?
			(int64_t)(mi.mem_available - d->vic.avail_before) : 0;
		d->vic.d.mem_available = mi.mem_available;
	}
	report_decision(&d->rep, &d->vic.d);
	if (d->queue.next < d->queue.n) {
		d->queue.freed += d->vic.d.freed_bytes > 0 ? (uint64_t)d->vic.d.freed_bytes : 0;
		if (d->queue.freed < d->queue.need) {
			arm_ms(d->timer_fd, 1);         /* the rest of the set, no cooldown */
			return;
		}
		d->queue.n = d->queue.next = 0;
	}
	d->cooldown_until = now + d->c.cfg.cooldown_ms;
	arm_ms(d->timer_fd, d->c.cfg.interval_min_ms);
}

static void escalate(struct daemon *d, const char *why)
{
	int r;

	if (d->vic.pidfd < 0 || d->vic.sig == SIGKILL)
		return;
	r = d->vic.d.whole_cgroup ? kill_cgroup(d->c.cg_root_fd, d->vic.cgroup)
				  : kill_send(d->vic.pidfd, SIGKILL);
	if (r == -ESRCH)
		return;         /* exiting already: the pidfd will tell */
	kill_mrelease(d->vic.pidfd);
	d->vic.sig = d->vic.d.sig = SIGKILL;
	d->vic.d.event = "escalate";
	snprintf(d->vic.reason, sizeof(d->vic.reason), "%s", why);
	report_decision(&d->rep, &d->vic.d);
	report_decision_kmsg(&d->rep, &d->vic.d);
	arm_ms(d->grace_fd, STUCK_MS);
}

static void tick(struct daemon *d)
{
	const struct og_config *cfg = &d->c.cfg;
	struct meminfo mi;
	struct psi psi = {0};
	struct verdict v;
	struct cg_pick cg;
	bool have_psi;
	uint64_t now = now_ms(), next;

	if (ctx_read_memory(&d->c, &mi, &psi, &have_psi) < 0) {
		log_err("cannot read meminfo");
		arm_ms(d->timer_fd, cfg->interval_max_ms);
		return;
	}
	policy_eval(cfg, &d->pol, &mi, have_psi ? &psi : NULL, now, &v);
	ctx_scan_cgroups(&d->c, &cg);
	next = MIN(v.next_ms, cg.next_ms);

	if (d->vic.pidfd >= 0) {
		if (v.level == LEVEL_KILL || (cg.found && cg.v.level == LEVEL_KILL))
			escalate(d, v.level == LEVEL_KILL ? v.reason : cg.v.reason);
	} else if (d->queue.next < d->queue.n) {
		struct verdict qv = d->queue.v;

		if (v.level > qv.level)
			qv.level = v.level;
		act(d, &qv, d->queue.has_scope ? d->queue.scope : NULL, &mi, &psi, have_psi, now);
	} else if (now < d->cooldown_until && v.level != LEVEL_KILL &&
		   !(cg.found && cg.v.level == LEVEL_KILL)) {
		next = MIN(next, d->cooldown_until - now);
	} else if (v.level != LEVEL_OK && (!cg.found || v.level >= cg.v.level)) {
		act(d, &v, NULL, &mi, &psi, have_psi, now);
	} else if (cg.found) {
		act(d, &cg.v, cg.path, &mi, &psi, have_psi, now);
	}
	arm_ms(d->timer_fd, MAX(next, cfg->interval_min_ms));
}

static void reload(struct daemon *d)
{
	char err[OG_ERR_SIZE] = "";
	int r;

	sd_notify_("RELOADING=1");
	if (d->c.opts->config_path) {
		r = config_load(d->c.opts->config_path, &d->c.cfg, err);
		if (r < 0) {
			log_err("reload refused, old config stays in force: %s", err);
			report_event(&d->rep, "daemon", "reload-refused", err);
			sd_notify_("READY=1\nSTATUS=reload refused; old config in force");
			return;
		}
	}
	ctx_apply_opts(&d->c);
	usercache_load_for(&d->c.cfg);
	d->rank.ms = 0;         /* ranked under the old rules */
	ctx_open_cgroups(&d->c);
	if (d->c.cg_ino_fd >= 0)
		ep_add(d->epfd, d->c.cg_ino_fd, EPOLLIN, EV_CGROUPS);
	d->rep.json = d->c.cfg.json_logs;
	setup_psi(d);
	shield_rt_reload(&d->shield, &d->c);
	log_notice("config reloaded from %s", d->c.opts->config_path ? d->c.opts->config_path : "built-in default");
	report_event(&d->rep, "daemon", "reload", d->c.opts->config_path ? d->c.opts->config_path : "built-in default");
	sd_notify_("READY=1");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->running = false;
	}
}

static void self_protect(struct daemon *d)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
	    mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("mlockall: %s (the daemon may be paged out under pressure)", strerror(errno));
	if (write_file_at(d->c.proc_fd, "self/oom_score_adj", "-1000") < 0)
		log_warn("cannot set own oom_score_adj to -1000 (needs CAP_SYS_RESOURCE)");
}

static int open_fds(struct daemon *d)
{
	sigset_t mask;
	uint64_t wd_usec = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->grace_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->wd_fd = -1;
	if (d->epfd < 0 || d->sig_fd < 0 || d->timer_fd < 0 || d->grace_fd < 0)
		return -errno;
	ep_add(d->epfd, d->sig_fd, EPOLLIN, EV_SIGNAL);
	ep_add(d->epfd, d->timer_fd, EPOLLIN, EV_TIMER);
	ep_add(d->epfd, d->grace_fd, EPOLLIN, EV_GRACE);
	if (sd_watchdog_(&wd_usec) > 0 && wd_usec > 0) {
		struct itimerspec its = {0};
		uint64_t half = wd_usec / 2;

		d->wd_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)(half / 1000000);
		its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(half % 1000000) * 1000;
		timerfd_settime(d->wd_fd, 0, &its, NULL);
		ep_add(d->epfd, d->wd_fd, EPOLLIN, EV_WATCHDOG);
	}
	return 0;
}

static void on_grace(struct daemon *d)
{
	drain(d->grace_fd);
	if (d->vic.pidfd < 0)
		return;
	if (d->vic.sig == SIGTERM) {
		escalate(d, "grace period over");
	} else {
		log_warn("pid %d has not exited %d ms after SIGKILL; moving on", d->vic.d.pid, STUCK_MS);
		victim_done(d, "stuck");
	}
}

int daemon_run(const struct og_opts *o)
{
	struct daemon d = { .psi_trig_fd = -1 };
	char err[OG_ERR_SIZE] = "";
	struct epoll_event evs[8];
	int r;

	r = ctx_open(&d.c, o, err);
	if (r < 0) {
		log_err("%s", err);
		return 1;
	}
	d.vic.pidfd = -1;
	policy_init(&d.pol);
	r = reporter_open(&d.rep, d.c.cfg.record_path, d.c.cfg.kmsg, d.c.cfg.json_logs, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		return 1;
	}
	if (d.rep.kmsg_err)
		log_warn("/dev/kmsg: %s; actions are not written to the kernel log", strerror(-d.rep.kmsg_err));
	sd_load();
	if ((r = open_fds(&d)) < 0) {
		log_err("event loop setup: %s", strerror(-r));
		return 1;
	}
	self_protect(&d);
	setup_psi(&d);
	if (d.c.cg_ino_fd >= 0)
		ep_add(d.epfd, d.c.cg_ino_fd, EPOLLIN, EV_CGROUPS);
	shield_rt_start(&d.shield, &d.c, d.epfd, EV_SHIELD_TIMER, EV_SHIELD_CONN);
	config_describe(&d.c.cfg, stderr);
	log_notice("oomguard %s running%s; cgroup root: %s", OG_VERSION,
		   d.c.cfg.dry_run ? " in dry-run mode (nothing will be signalled)" : "",
		   d.c.cg_root_fd >= 0 ? d.c.cg_root : "none");
	report_event(&d.rep, "daemon", "start", d.c.cfg.dry_run ? "dry-run" : "active");
	sd_notify_("READY=1");
	arm_ms(d.timer_fd, 1);
	d.running = true;
	while (d.running) {
		int n = epoll_wait(d.epfd, evs, (int)ARRAY_SIZE(evs), -1);

		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EV_TIMER:
				drain(d.timer_fd);
				tick(&d);
				break;
			case EV_PSI:
				if (evs[i].events & EPOLLERR) {
					log_warn("PSI trigger fd failed; polling from now on");
					epoll_ctl(d.epfd, EPOLL_CTL_DEL, d.psi_trig_fd, NULL);
					close(d.psi_trig_fd);
					d.psi_trig_fd = -1;
					break;
				}
				policy_note_psi_event(&d.pol, now_ms());
				tick(&d);
				break;
			case EV_VICTIM:
				victim_done(&d, "exit");
				break;
			case EV_GRACE:
				on_grace(&d);
				break;
			case EV_SIGNAL:
				on_signal(&d);
				break;
			case EV_WATCHDOG:
				drain(d.wd_fd);
				sd_notify_("WATCHDOG=1");
				break;
			case EV_SHIELD_TIMER:
				shield_rt_on_timer(&d.shield, &d.c);
				break;
			case EV_SHIELD_CONN:
				shield_rt_on_conn(&d.shield, &d.c);
				break;
			case EV_CGROUPS:
				/* A new cgroup or a changed memory.max: look now. */
				if (ctx_cgroup_events(&d.c))
					tick(&d);
				break;
			}
		}
	}
	sd_notify_("STOPPING=1");
	shield_rt_stop(&d.shield, &d.c);
	report_event(&d.rep, "daemon", "stop", "signal");
	reporter_close(&d.rep);
	ctx_close(&d.c);
	return 0;
}
