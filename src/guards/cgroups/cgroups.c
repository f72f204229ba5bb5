/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroups guard: every cgroup v2 with a memory.max is checked for its
 * own headroom and pressure, and a cgroup near its limit is relieved with
 * victims chosen inside it. Limited cgroups are found by a walk that reads
 * only memory.max; inotify on every cgroup directory says when a cgroup
 * appears or a limit is written, so the walk is only a safety net. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "guards/calibration/calibration.h"
#include "guards/cgroups/cgroups.h"

#define CG_WALK_MS 2000          /* without inotify */
#define CG_WALK_SAFETY_MS 60000  /* with inotify: a walk in case an event was missed */
#define CG_WALK_MIN_MS 1000      /* walks asked for by inotify: at most one a second */
#define CG_EVENTS_MIN_MS 100     /* looks asked for by memory.events: at most ten a second */
#define CG_KILLS_SLOTS 256       /* limited cgroups whose OOM kills are followed */

struct cgroups_guard {
	struct loop_timer timer;
	struct loop_source ino;         /* inotify, fd -1 = walk every CG_WALK_MS */
	char **limited;                 /* relative paths of cgroups with a memory.max */
	size_t n_limited, cap;
	uint64_t walk_ms;               /* the last walk; 0 = none yet */
	bool walk_due;                  /* inotify saw a new cgroup or a limit written */
	uint64_t events_ms;             /* the last look a memory.events change asked for */
	bool events_due;                /* memory.events changed since the last look */
	/* each limited cgroup's own OOM count when last read: a rise is the
	 * kernel's OOM at its limit, the last signal for rebalancing */
	struct cg_kills {
		char path[256];
		uint64_t oom;
	} kills[CG_KILLS_SLOTS];
	size_t n_kills;
	bool kills_full_said;
	unsigned walks, oom_rises;
	struct cg_pick last;
	char asked[PATH_MAX];           /* the cgroup the pipeline was last asked to relieve */
};

static struct cgroups_guard *G(struct guard *g) { return g->state; }

static void forget(struct cgroups_guard *s)
{
	for (size_t i = 0; i < s->n_limited; i++)
		free(s->limited[i]);
	s->n_limited = 0;
}

static int add_limited(struct cgroups_guard *s, const char *relpath)
{
	char *p;

	if (s->n_limited == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->limited, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->limited = v;
		s->cap = cap;
	}
	if (!(p = strdup(relpath)))
		return -ENOMEM;
	s->limited[s->n_limited++] = p;
	return 0;
}

/* Read a limited cgroup's own OOM count (memory.events.local `oom`: its
 * own limit was reached and reclaim could not make room; memory.events
 * counts its descendants' too, and oom_kill counts a kill here for any
 * ancestor's limit); *rose when it is higher than last time. A cgroup seen
 * for the first time only sets the baseline; a walk (rose NULL) sets
 * nothing else. A count lower than last time is a cgroup removed and made
 * again under the same path: every OOM of the new one counts. */
static void oom_kills_seen(struct cgroups_guard *s, int cg_fd, const char *relpath, bool *rose)
{
	char buf[512];
	struct cg_events ev = { 0 };
	struct cg_kills *k = NULL;

	if (rose)
		*rose = false;
	if (strlen(relpath) >= sizeof(s->kills[0].path) ||
	    read_file_at(cg_fd, "memory.events.local", buf, sizeof(buf)) <= 0 ||
	    parse_cg_events(buf, &ev) < 0)
		return;
	for (size_t i = 0; i < s->n_kills; i++)
		if (!strcmp(s->kills[i].path, relpath))
			k = &s->kills[i];
	if (k && !rose)
		return;         /* a walk: the count is after_oom_kills' to move */
	if (!k) {
		if (s->n_kills == CG_KILLS_SLOTS) {
			if (!s->kills_full_said)
				log_notice("cgroups: more than %d limited cgroups: OOM kills by the "
					   "kernel in the others do not rebalance them", CG_KILLS_SLOTS);
			s->kills_full_said = true;
			return;
		}
		k = &s->kills[s->n_kills++];
		snprintf(k->path, sizeof(k->path), "%s", relpath);
		k->oom = ev.oom;
		return;
	}
	if (rose)
		*rose = ev.oom > k->oom || (ev.oom < k->oom && ev.oom > 0);
	k->oom = ev.oom;
}

/* After a walk: forget the counts of cgroups no longer limited. */
static void drop_gone_kills(struct cgroups_guard *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_kills; i++) {
		bool still = false;

		for (size_t j = 0; j < s->n_limited && !still; j++)
			still = !strcmp(s->limited[j], s->kills[i].path);
		if (still)
			s->kills[n++] = s->kills[i];
	}
	s->n_kills = n;
}

struct walk {
	struct guard *g;
	int ino_fd;
};

void cgroups_drop_inotify(struct guard *g)
{
	loop_close(g->env->loop, &G(g)->ino);
}

/* The walk reads one file per cgroup: memory.max. */
static int find_limited(int cg_fd, const char *relpath, void *userdata)
{
	struct walk *w = userdata;
	struct cgroups_guard *s = G(w->g);
	struct og_ctx *c = w->g->env->c;
	char buf[32];
	uint64_t max;

	/* Watch before reading memory.max: a write in between is not lost. */
	if (w->ino_fd >= 0) {
		char abs[PATH_MAX + 8];

		if (snprintf(abs, sizeof(abs), "%s%s%s", c->cg_root, *relpath ? "/" : "", relpath) <
		    PATH_MAX && inotify_add_watch(w->ino_fd, abs, IN_CREATE | IN_MODIFY | IN_ONLYDIR |
				      IN_DONT_FOLLOW | IN_EXCL_UNLINK) < 0 && errno == ENOSPC) {
			log_warn("cgroups: inotify watch limit reached; walking the tree every %d ms",
				 CG_WALK_MS);
			cgroups_drop_inotify(w->g);
			w->ino_fd = -1;
		}
	}
	if (!*relpath || read_file_at(cg_fd, "memory.max", buf, sizeof(buf)) < 0 ||
	    parse_cg_limit(buf, &max) < 0 || max == CG_MAX)
		return 0;
	if (add_limited(s, relpath) < 0)
		return -ENOMEM;
	oom_kills_seen(s, cg_fd, relpath, NULL);
	return 0;
}

/* Worse: a higher level, then less headroom relative to memory.max. */
static bool cg_worse(const struct verdict *v, const struct cg_mem *m, const struct cg_pick *p)
{
	if (!p->found)
		return true;
	if (v->level != p->v.level)
		return v->level > p->v.level;
	return (double)m->current / (double)m->max > (double)p->mem.current / (double)p->mem.max;
}

static void check_limited(struct og_ctx *c, const char *relpath, struct cg_pick *pick)
{
	struct cg_mem m;
	struct verdict v;
	int fd = openat(c->cg_root_fd, relpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;         /* removed since the walk */
	/* Past 3x the terminate headroom the verdict is OK and the tick slow
	 * whatever the page cache holds (policy_cgroup). */
	if (cgroup_read_mem(fd, 3 * c->cfg.cg_term_headroom_percent, &m) < 0 || m.max == CG_MAX) {
		close(fd);
		return;
	}
	close(fd);
	pick->limited++;
	policy_cgroup(&c->cfg, &m, &v);
	pick->next_ms = MIN(pick->next_ms, v.next_ms);
	if (v.level != LEVEL_OK && cg_worse(&v, &m, pick)) {
		pick->found = true;
		snprintf(pick->path, sizeof(pick->path), "/%s", relpath);
		pick->mem = m;
		pick->v = v;
	}
}

void cgroups_scan(struct guard *g, struct cg_pick *ret)
{
	struct cgroups_guard *s = G(g);
	struct og_ctx *c = g->env->c;
	uint64_t now = now_ms();

	memset(ret, 0, sizeof(*ret));
	ret->next_ms = c->cfg.interval_max_ms;
	if (c->cg_root_fd < 0 || !c->cfg.cgroups_enabled)
		return;
	/* A user creating cgroups in a loop must not make oomguard walk the
	 * tree in a loop: walks asked for by events are at most one a second. */
	if (!s->walk_ms || now - s->walk_ms >= (s->ino.fd >= 0 ? CG_WALK_SAFETY_MS : CG_WALK_MS) ||
	    (s->walk_due && now - s->walk_ms >= CG_WALK_MIN_MS)) {
		struct walk w = { g, s->ino.fd };

		forget(s);
		cgroup_walk(c->cg_root_fd, 32, find_limited, &w);
		drop_gone_kills(s);
		s->walk_ms = now;
		s->walk_due = false;
		s->walks++;
	}
	for (size_t i = 0; i < s->n_limited; i++)
		check_limited(c, s->limited[i], ret);
	/* Nothing limited and inotify says when that changes: sleep until
	 * the safety walk. */
	if (!s->n_limited && s->ino.fd >= 0)
		ret->next_ms = CG_WALK_SAFETY_MS;
	if (s->walk_due)
		ret->next_ms = MIN(ret->next_ms, s->walk_ms + CG_WALK_MIN_MS - now);
}

/* Still near its limit (asked by the pipeline after a slow choice)? */
static bool still(void *userdata)
{
	struct guard *g = userdata;
	struct cg_pick p = { .next_ms = UINT64_MAX };

	check_limited(g->env->c, G(g)->last.path + 1, &p);
	return p.found;
}

/* The kernel OOM-killed in a limited cgroup (its oom_kill rose): the
 * calibration guard may give it room before it fills again. */
static void after_oom_kills(struct guard *g)
{
	struct cgroups_guard *s = G(g);
	struct guard *cal = g->env->guards ? guard_find(g->env->guards, "calibration") : NULL;
	char path[PATH_MAX], why[400];

	for (size_t i = 0; i < s->n_limited; i++) {
		int fd = openat(g->env->c->cg_root_fd, s->limited[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool rose = false;

		if (fd < 0)
			continue;
		oom_kills_seen(s, fd, s->limited[i], &rose);
		close(fd);
		s->oom_rises += rose;
		if (rose && cal) {
			snprintf(path, sizeof(path), "/%s", s->limited[i]);
			calib_rebalance_after_oom(cal, path, why, sizeof(why));
		}
	}
}

static void tick(struct guard *g)
{
	struct cgroups_guard *s = G(g);
	const struct og_config *cfg = &g->env->c->cfg;
	struct meminfo mi = { 0 };
	struct verdict ok = { .level = LEVEL_OK };
	uint64_t now = now_ms(), next;
	struct vp_request rq = { .guard = "cgroups", .mi = &mi };

	/* Before the scan (a walk must not hide a rise); without inotify no
	 * memory.events notification comes: every look reads the counts. */
	if (s->events_due || s->ino.fd < 0) {
		s->events_due = false;
		after_oom_kills(g);
	}
	cgroups_scan(g, &s->last);
	next = s->last.next_ms;
	/* The cgroup relieved before (or no longer the worst): tell the
	 * pipeline, so that the rest of a set chosen for it is not killed. */
	if (*s->asked && (!s->last.found || strcmp(s->asked, s->last.path))) {
		rq.v = &ok;
		rq.scope = s->asked;
		vp_request(g->env->vp, &rq, now, NULL);
		s->asked[0] = '\0';
	}
	if (s->last.found) {
		meminfo_read_fd(g->env->c->meminfo_fd, &mi);
		rq.v = &s->last.v;
		rq.scope = s->last.path;
		rq.still = still;
		guard_ask(g, &rq, now, &next);
		snprintf(s->asked, sizeof(s->asked), "%s", s->last.path);
	}
	loop_timer_arm(&s->timer, MAX(MIN(next, s->last.next_ms), cfg->interval_min_ms));
}

static void on_timer(void *userdata, uint32_t events) { tick(userdata); }

/* Before a victim: the calibration guard may move memory to the cgroup
 * (rebalance). When it does not, why goes into the kill's reason. */
static int cgroups_relieve(struct guard *g, const struct vp_request *rq)
{
	struct cgroups_guard *s = G(g);
	struct guard *cal = g->env->guards ? guard_find(g->env->guards, "calibration") : NULL;
	char why[400], tail[sizeof(s->last.v.reason)];
	size_t len;

	if (!cal || !rq->scope || strcmp(rq->scope, s->last.path))
		return 0;
	if (calib_rebalance(cal, rq->scope, why, sizeof(why)) > 0)
		return 1;
	len = strlen(s->last.v.reason);
	if (*why && len + 20 < sizeof(tail)) {
		size_t n = (size_t)snprintf(tail, sizeof(tail), "; not rebalanced: %.200s", why);

		n = MIN(n, sizeof(tail) - 1 - len);
		memcpy(s->last.v.reason + len, tail, n);
		s->last.v.reason[len + n] = '\0';
	}
	return 0;
}

static void on_inotify(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct cgroups_guard *s = G(g);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false, notified = false;
	uint64_t now;
	ssize_t n;

	/* One buffer per wake-up; the rest waits for the next (level-triggered). */
	if ((n = read(s->ino.fd, buf, sizeof(buf))) <= 0)
		return;
	for (ssize_t off = 0; off < n;) {
		const struct inotify_event *e = (const struct inotify_event *)(buf + off);

		off += (ssize_t)(sizeof(*e) + e->len);
		/* A new child cgroup, a limit written, or lost events: walk. The
		 * kernel's memory.events notification (a cgroup at its high or
		 * max, or an OOM in it): look now. Everything else (cgroup.procs
		 * writes) is dropped. */
		if ((e->mask & IN_Q_OVERFLOW) ||
		    (e->mask & (IN_CREATE | IN_ISDIR)) == (IN_CREATE | IN_ISDIR) ||
		    (e->len && (e->mask & IN_MODIFY) && !strcmp(e->name, "memory.max")))
			changed = true;
		else if (e->len && (e->mask & IN_MODIFY) && (!strcmp(e->name, "memory.events") ||
							     !strcmp(e->name, "memory.events.local")))
			notified = true;
	}
	now = now_ms();
	if (notified)
		s->events_due = true;   /* the next look reads the oom_kill counts */
	if (changed) {
		s->walk_due = true;
		tick(g);
	} else if (notified && now - s->events_ms >= CG_EVENTS_MIN_MS) {
		/* At most ten a second: at its limit with page cache, the kernel
		 * notifies up to fifty times a second, and a look decides on
		 * headroom with the reclaimable cache counted, not on the event. */
		s->events_ms = now;
		tick(g);
	}
}

static void close_ino(struct guard *g)
{
	loop_close(g->env->loop, &G(g)->ino);
}

static int setup(struct guard *g)
{
	struct cgroups_guard *s = G(g);
	struct og_ctx *c = g->env->c;
	int fd;

	close_ino(g);
	forget(s);
	s->walk_ms = 0;
	s->walk_due = false;
	if (!c->cfg.cgroups_enabled) {
		snprintf(g->why, sizeof(g->why), "disabled by config (cgroups.enabled)");
		return -ENOTSUP;
	}
	if (c->cg_root_fd < 0) {
		snprintf(g->why, sizeof(g->why), "no cgroup v2 hierarchy found (mountinfo, cgroups.root)");
		return -ENOTSUP;
	}
	if (g->env->loop) {
		fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (fd >= 0 && loop_add(g->env->loop, &s->ino, fd, EPOLLIN, on_inotify, g) < 0)
			close(fd);
		loop_timer_arm(&s->timer, 1);
	} else {
		cgroups_scan(g, &s->last);
	}
	return 0;
}

static int cgroups_start(struct guard *g)
{
	struct cgroups_guard *s = G(g);

	s->ino.fd = s->timer.src.fd = -1;
	if (g->env->loop) {
		int r = loop_timer_init(g->env->loop, &s->timer, on_timer, g);

		if (r < 0)
			return r;
		g->tick = &s->timer;
	}
	return setup(g);
}

static void cgroups_reload(struct guard *g)
{
	g->active = setup(g) == 0;
}

static void cgroups_stop(struct guard *g)
{
	struct cgroups_guard *s = G(g);

	close_ino(g);
	loop_timer_close(g->env->loop, &s->timer);
	forget(s);
	free(s->limited);
	s->limited = NULL;
}

const struct cg_pick *cgroups_last(struct guard *g)
{
	return &G(g)->last;
}

static void cgroups_describe(struct guard *g, struct describe *d)
{
	struct cgroups_guard *s = G(g);
	const struct og_ctx *c = g->env->c;
	const struct cg_pick *p = &s->last;

	desc_line(d, "Cgroups: root %s, %u with a memory.max; SIGTERM at < %g%% of memory.max free, SIGKILL at < %g%%",
		  c->cg_root_fd >= 0 ? c->cg_root : "(none)", p->limited,
		  c->cfg.cg_term_headroom_percent, c->cfg.cg_kill_headroom_percent);
	if (p->found)
		desc_line(d, "Now: worst %s: %s", p->path, level_name(p->v.level));
	else
		desc_line(d, "Now: none near its limit");
	if (p->found)
		desc_line(d, "  %s", p->v.reason);
	desc_str(d, "root", c->cg_root_fd >= 0 ? c->cg_root : NULL);
	desc_int(d, "limited", p->limited);
	desc_str(d, "worst", p->found ? p->path : NULL);
	desc_str(d, "level", level_name(p->found ? p->v.level : LEVEL_OK));
	desc_str(d, "reason", p->found ? p->v.reason : NULL);
	desc_num(d, "terminate_headroom_percent", c->cfg.cg_term_headroom_percent);
	desc_num(d, "kill_headroom_percent", c->cfg.cg_kill_headroom_percent);
	desc_bool(d, "inotify", s->ino.fd >= 0);
	desc_int(d, "walks", s->walks);
}

const struct guard_ops cgroups_guard_ops = {
	.name = "cgroups",
	.state_size = sizeof(struct cgroups_guard),
	.start = cgroups_start,
	.relieve = cgroups_relieve,
	.reload = cgroups_reload,
	.describe = cgroups_describe,
	.stop = cgroups_stop,
};

unsigned cgroups_walks(struct guard *g)
{
	return G(g)->walks;
}

unsigned cgroups_oom_rises(struct guard *g)
{
	return G(g)->oom_rises;
}

size_t cgroups_limited(struct guard *g, size_t i, const char **ret_path)
{
	struct cgroups_guard *s = G(g);

	if (ret_path)
		*ret_path = i < s->n_limited ? s->limited[i] : NULL;
	return s->n_limited;
}
