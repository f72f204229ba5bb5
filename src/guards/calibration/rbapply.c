/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rebalancing (issue 16, phase 2), on the loop: the cgroups guard found a
 * cgroup near its memory.max and asks here before it asks the victim
 * pipeline. Its siblings' limits and use are read, the figures the store's
 * lane last computed are looked up, rebalance.c plans, and the new limits
 * are written (donors first, so that the children never hold more than
 * the parent). A record and a kmsg line say what moved; the audit line
 * and the original limits (for `calibrate --restore`) wait for the lane. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "guards/calibration/calibration.h"
#include "guards/calibration/rebalance.h"
#include "observe/cgroup.h"
#include "observe/meminfo.h"
#include "report/record.h"

struct kid {
	char path[CG_PATH_MAX];
	char limit_text[32];            /* memory.max as read: what --restore writes back */
	int fd;
};

static bool eligible(const struct og_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->n_rb_cgroups; i++)
		if (cg_glob_match(cfg->rb_cgroups[i], path))
			return true;
	return false;
}

/* The slot of path; with take, a new one if it has none: the oldest of
 * those not in a cooldown (never rebalanced, or longer ago than it), so
 * that no active cooldown is forgotten. NULL: every slot is in one. */
static struct rb_cool *cool_slot(struct calib *c, const char *path, bool take,
				 uint64_t now, uint64_t cooldown_ms)
{
	struct rb_cool *old = NULL;

	for (size_t i = 0; i < RB_COOL_SLOTS; i++) {
		struct rb_cool *x = &c->cool[i];

		if (!strcmp(x->path, path))
			return x;
		if (x->ms && now - x->ms < cooldown_ms)
			continue;
		if (!old || MAX(x->ms, x->said_ms) < MAX(old->ms, old->said_ms))
			old = x;
	}
	if (!take || !old)
		return NULL;
	*old = (struct rb_cool){ 0 };
	snprintf(old->path, sizeof(old->path), "%s", path);
	return old;
}

/* A unit of systemd's, on a host where it is PID 1 (systemd true, looked
 * up once per rebalance): its limits are systemd's to set
 * (SetUnitProperties), not ours to write behind it. */
static bool systemd_unit(bool systemd, const char *path)
{
	const char *name = strrchr(path, '/');
	size_t n;

	if (!systemd || !name)
		return false;
	n = strlen(++name);
	return (n > 8 && !strcmp(name + n - 8, ".service")) ||
	       (n > 6 && !strcmp(name + n - 6, ".scope")) ||
	       (n > 6 && !strcmp(name + n - 6, ".slice"));
}

static int read_u64(int fd, const char *file, uint64_t *ret, char *text, size_t size)
{
	char buf[64];

	if (read_file_at(fd, file, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	if (text)
		snprintf(text, size, "%.31s", buf);
	return parse_cg_limit(buf, ret);
}

/* The children of the parent of path, with their limits and use. */
static int read_children(struct guard *g, const char *parent, bool systemd, struct kid *kids,
			 struct rb_cgroup *v, size_t *n, size_t *affected, const char *path)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct calib *c = g->state;
	int pfd = openat(g->env->c->cg_root_fd, *parent ? parent + 1 : ".",
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	*n = 0;
	*affected = SIZE_MAX;
	if (pfd < 0)
		return -errno;
	if (!(d = fdopendir(pfd))) {
		close(pfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct kid *k = &kids[*n];
		const struct calib_entry *e;
		uint64_t limit, current;
		int fd;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (*n == RB_MAX_CHILDREN) {    /* the parent's sums would be wrong: refuse */
			closedir(d);
			return -E2BIG;
		}
		if ((fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				 O_CLOEXEC)) < 0)
			continue;
		if ((size_t)snprintf(k->path, sizeof(k->path), "%s/%s", parent, de->d_name) >=
		    sizeof(k->path) ||
		    read_u64(fd, "memory.max", &limit, k->limit_text, sizeof(k->limit_text)) < 0 ||
		    read_u64(fd, "memory.current", &current, NULL, 0) < 0) {
			close(fd);
			continue;
		}
		k->fd = fd;
		e = calib_stats_find(c->stats, c->n_stats, k->path);
		/* a systemd unit is neither raised nor lowered behind systemd */
		v[*n] = (struct rb_cgroup){ .path = k->path, .current = current,
					    .limit = limit == CG_MAX ? RB_NO_LIMIT : limit,
					    .calibrated = e != NULL,
					    .eligible = eligible(cfg, k->path) &&
							!systemd_unit(systemd, k->path) };
		if (e) {
			v[*n].st = e->st;
			v[*n].st.median = e->st.median_low;     /* a donor only if surely under it */
		}
		if (!strcmp(k->path, path))
			*affected = *n;
		(*n)++;
	}
	closedir(d);
	return *affected == SIZE_MAX ? -ENOENT : 0;
}

/* The parent's memory.max, or for the root (or a parent without one) the
 * machine's memory minus calibration.reserve. */
static uint64_t parent_limit(struct guard *g, const char *parent)
{
	struct og_ctx *ctx = g->env->c;
	struct meminfo mi = { 0 };
	uint64_t limit = CG_MAX, machine;
	int fd;

	meminfo_read_fd(ctx->meminfo_fd, &mi);
	machine = mi.mem_total > ctx->cfg.calib_reserve ? mi.mem_total - ctx->cfg.calib_reserve : 0;
	if (*parent && (fd = openat(ctx->cg_root_fd, parent + 1, O_RDONLY | O_DIRECTORY |
				    O_CLOEXEC)) >= 0) {
		read_u64(fd, "memory.max", &limit, NULL, 0);
		close(fd);
	}
	return limit == CG_MAX ? machine : MIN(limit, machine);
}

static int write_limit(int fd, uint64_t bytes)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
	return write_file_at(fd, "memory.max", buf);
}

static void queue_audit(struct calib *c, const struct rebalance_rec *b)
{
	json_object *o = rebalance_json(b);
	const char *s;
	char iso[40];
	uint64_t now = realtime_ms();

	if (!o)
		return;
	format_when(now, iso, sizeof(iso));
	json_object_object_add(o, "time", json_object_new_string(iso));
	json_object_object_add(o, "time_ms", json_object_new_int64((int64_t)now));
	json_object_object_add(o, "dry_run", json_object_new_boolean(b->dry_run));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (c->n_audit < RB_PENDING && s && (c->audit[c->n_audit] = strdup(s)))
		c->n_audit++;
	else
		c->audit_dropped++;
	json_object_put(o);
}

static void queue_original(struct calib *c, const struct kid *k)
{
	for (size_t i = 0; i < c->n_orig; i++)
		if (!strcmp(c->orig[i].path, k->path))
			return;
	if (c->n_orig == RB_ORIG_MAX) {
		log_warn("calibration: %s: its limit before rebalancing is not remembered (%d "
			 "waiting for the store): calibrate --restore will not know it", k->path,
			 RB_ORIG_MAX);
		return;
	}
	snprintf(c->orig[c->n_orig].path, sizeof(c->orig[0].path), "%s", k->path);
	snprintf(c->orig[c->n_orig].value, sizeof(c->orig[0].value), "%s", k->limit_text);
	c->n_orig++;
}

/* A refusal: recorded once per cgroup per cooldown (the cgroups guard
 * asks again at every look while the cgroup stays near its limit). */
static void refused(struct guard *g, const char *path, const char *why)
{
	struct calib *c = g->state;
	uint64_t now = now_ms();
	struct rb_cool *cool = cool_slot(c, path, true, now, g->env->c->cfg.rb_cooldown_ms);
	char msg[512];
	struct rebalance_rec b = { .event = "rebalance-refused", .message = msg,
				   .dry_run = g->env->c->cfg.dry_run, .cgroup = path,
				   .source = "none" };

	if (cool && cool->said_ms && now - cool->said_ms < g->env->c->cfg.rb_cooldown_ms)
		return;
	if (cool)
		cool->said_ms = now;
	c->rb_refused++;
	snprintf(msg, sizeof(msg), "%s near its memory.max: not rebalanced: %s", path, why);
	snprintf(c->rb_last, sizeof(c->rb_last), "%s", msg);
	report_rebalance(g->env->rep, &b);
}

/* Write the plan: donors first, then the raise; a failure puts back what
 * was written. 0 or -errno (what failed in why). */
static int apply(const struct rb_plan *p, struct kid *kids, char *why, size_t size)
{
	int r;

	for (size_t i = 1; i <= p->n; i++) {
		const struct rb_change *ch = &p->ch[i % p->n];   /* donors, then ch[0] */

		if ((r = write_limit(kids[ch->idx].fd, ch->new_limit)) < 0) {
			snprintf(why, size, "writing %s/memory.max: %s", kids[ch->idx].path,
				 strerror(-r));
			for (size_t k = 1; k < i; k++)
				write_limit(kids[p->ch[k % p->n].idx].fd, p->ch[k % p->n].old_limit);
			return r;
		}
	}
	return 0;
}

static int rebalance(struct guard *g, const char *path, bool after_oom, char *why, size_t size)
{
	const struct og_config *cfg = &g->env->c->cfg;
	struct calib *c = g->state;
	static struct kid kids[RB_MAX_CHILDREN];
	static struct rb_cgroup v[RB_MAX_CHILDREN];
	struct rebalance_donor donors[RB_MAX_CHILDREN];
	char parent[CG_PATH_MAX], msg[600];
	struct rb_plan p;
	struct rb_cool *cool;
	size_t n = 0, affected;
	uint64_t now = now_ms();
	bool systemd;
	int r = 0;

	*why = '\0';
	if (!cfg->rb_enabled || !g->active || g->env->c->cg_root_fd < 0 || !eligible(cfg, path))
		return 0;               /* not ours to rebalance: the kill proceeds, no word */
	if (strlen(path) >= CG_PATH_MAX) {
		snprintf(why, size, "its path is longer than %d bytes", CG_PATH_MAX - 1);
		refused(g, path, why);
		return 0;
	}
	if ((cool = cool_slot(c, path, false, now, cfg->rb_cooldown_ms)) && cool->ms &&
	    now - cool->ms < cfg->rb_cooldown_ms) {
		snprintf(why, size, "rebalanced %" PRIu64 " ms ago (rebalance.cooldown %" PRIu64
			 " ms)", now - cool->ms, cfg->rb_cooldown_ms);
		refused(g, path, why);
		return 0;
	}
	systemd = access("/run/systemd/system", F_OK) == 0;    /* systemd is PID 1 */
	if (systemd_unit(systemd, path)) {
		snprintf(why, size, "a systemd unit: its MemoryMax= is systemd's to set, and "
			 "oomguard does not set it through systemd yet");
		refused(g, path, why);
		return 0;
	}
	if (!c->stats_ms) {
		snprintf(why, size, "no calibration yet (calibration.enabled, and a first "
			 "sample)");
		refused(g, path, why);
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';   /* "/a/b" -> "/a", "/a" -> "" (the root) */
	if ((r = read_children(g, parent, systemd, kids, v, &n, &affected, path)) < 0) {
		if (r == -E2BIG)
			snprintf(why, size, "its parent has more than %d children", RB_MAX_CHILDREN);
		else
			snprintf(why, size, "reading its siblings: %s", strerror(-r));
		goto out;
	}
	struct rb_input in = { v, n, affected, parent_limit(g, parent), cfg->rb_margin,
			       2 * cfg->cg_term_headroom_percent };
	if ((r = rb_plan(&in, &p)) < 0 || p.source == RB_NONE) {
		snprintf(why, size, "%s", r < 0 ? "bad input" : p.why);
		r = -ENOSPC;
		goto out;
	}
	if (!cfg->dry_run && (r = apply(&p, kids, why, size)) < 0)
		goto out;
	for (size_t i = 1; i < p.n; i++)
		donors[i - 1] = (struct rebalance_donor){ kids[p.ch[i].idx].path,
			p.ch[i].old_limit - p.ch[i].new_limit, p.ch[i].old_limit, p.ch[i].new_limit };
	snprintf(msg, sizeof(msg), "%s%s%s: memory.max %" PRIu64 " -> %" PRIu64 " MiB (+%" PRIu64
		 " MiB from the %s: %s)", cfg->dry_run ? "would rebalance " : "rebalanced ", path,
		 after_oom ? " after an OOM kill by the kernel in it" : "", p.ch[0].old_limit >> 20,
		 p.ch[0].new_limit >> 20, p.added >> 20, rb_source_name(p.source), p.why);
	struct rebalance_rec b = { .event = "rebalance", .message = msg, .dry_run = cfg->dry_run,
				   .cgroup = path, .source = rb_source_name(p.source),
				   .added = p.added, .old_limit = p.ch[0].old_limit,
				   .new_limit = p.ch[0].new_limit, .donors = donors,
				   .n_donors = p.n - 1 };
	report_rebalance(g->env->rep, &b);
	report_kmsg(g->env->rep, "%s", msg);
	log_notice("calibration: %s", msg);
	snprintf(c->rb_last, sizeof(c->rb_last), "%s", msg);
	queue_audit(c, &b);
	if (!cfg->dry_run)
		for (size_t i = 0; i < p.n; i++)
			queue_original(c, &kids[p.ch[i].idx]);
	c->rebalances++;
	if ((cool = cool_slot(c, path, true, now, cfg->rb_cooldown_ms))) {
		cool->ms = now;
		cool->said_ms = 0;
	}
	r = 1;
out:
	for (size_t i = 0; i < n; i++)
		close(kids[i].fd);
	if (r <= 0 && *why)
		refused(g, path, why);
	return r > 0;
}

int calib_rebalance(struct guard *g, const char *path, char *why, size_t size)
{
	return rebalance(g, path, false, why, size);
}

int calib_rebalance_after_oom(struct guard *g, const char *path, char *why, size_t size)
{
	return rebalance(g, path, true, why, size);
}
