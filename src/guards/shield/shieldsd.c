/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield on a systemd host: see shieldsd.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sdbus.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/shield/shieldd.h"
#include "guards/shield/shieldsd.h"
#include "observe/cgroup.h"
#include "observe/fs.h"
#include "observe/proc.h"
#include "victim/rank.h"

#define SD_JOB_MS 5000          /* a call's deadline (systemd answers in ms) */
#define SD_RETRY_MS 60000       /* a slice systemd refused is asked again after */
#define SD_QUEUE 32
#define SD_UNITS 32

/* ---- pure ----------------------------------------------------------------------- */

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

enum sd_place shield_sd_place(const char *where, const char *slice, const char **unit)
{
	const char *last = strrchr(where, '/'), *u;

	*unit = NULL;
	if (cgroup_path_within(where, slice))
		return SDP_INSIDE;
	if (!strcmp(where, "/"))
		return SDP_SCOPE;
	/* a login session: /user.slice/user-UID.slice/session-ID.scope */
	if (last && !strncmp(where, "/user.slice/user-", 17) && !strncmp(last, "/session-", 9) &&
	    has_suffix(last, strlen(last), ".scope") && strchr(where + 12, '/') == last &&
	    has_suffix(where, (size_t)(last - where), ".slice"))
		return SDP_SCOPE;
	u = sd_unit_of_cgroup(where);
	if (u && !strncmp(u, "user@", 5))
		return SDP_ALONE;
	if (u && !has_suffix(u, strlen(u), ".slice")) {
		*unit = u;
		return SDP_UNIT;
	}
	/* below a unit (user@UID.service's tree, a delegated subtree), or a
	 * slice itself: systemd's, or someone's who manages it; left alone */
	return SDP_ALONE;
}

int shield_sd_scope_name(const char *comm, int pid, char *buf, size_t size)
{
	char c[17];
	size_t i;
	int n;

	for (i = 0; comm && comm[i] && i < sizeof(c) - 1; i++) {
		unsigned char ch = (unsigned char)comm[i];

		c[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' ? (char)ch : '_';
	}
	c[i] = '\0';
	n = snprintf(buf, size, "oomguard-%s%s%d.scope", c, *c ? "-" : "", pid);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- the lane's jobs --------------------------------------------------------------- */

enum sd_kind { SDJ_SLICE, SDJ_SCOPE, SDJ_UNIT, SDJ_RESTORE };

struct sd_unit {
	char name[256];
	struct sd_protect orig;         /* its own settings, given back at exit */
};

struct sd_item {
	enum sd_kind kind;
	int pid;
	uint64_t start;
	char comm[32], where[PATH_MAX], name[256];      /* name: the scope or the unit */
};

struct sd_shield {
	struct sdbus *bus;              /* the lane's only */
	char slice[256];                /* "oom_protector.slice" */
	struct sd_protect want;
	/* the job in the lane (its copy: the loop never touches it meanwhile) */
	struct sd_item job;
	struct sd_unit units[SD_UNITS];
	size_t n_units, n_restore;
	bool inflight, slice_ready, slice_asked, slice_warned;
	uint64_t slice_retry_ms;
	char err[512];
	struct sd_item q[SD_QUEUE];
	size_t nq;
	struct shield_rt *s;            /* NULL once stopped: a late answer is dropped */
};

static void protect_of(const struct og_config *cfg, struct sd_protect *p)
{
	*p = (struct sd_protect){ .memory_low = cfg->cg_memory_low, .memory_min = cfg->cg_memory_min,
				  .cpu_weight = cfg->cg_cpu_weight, .io_weight = cfg->cg_io_weight };
}

static int job_run(void *arg)
{
	struct sd_shield *d = arg;
	struct sd_item *j = &d->job;
	int r;

	d->err[0] = '\0';
	if (!d->bus && (r = sdbus_open(&d->bus, d->err, sizeof(d->err))) < 0)
		return r;
	switch (j->kind) {
	case SDJ_SLICE:
		return sdbus_protect_slice(d->bus, d->slice, &d->want, SD_JOB_MS - 500, d->err,
					   sizeof(d->err));
	case SDJ_SCOPE:
		return sdbus_scope_pid(d->bus, j->name, d->slice, j->pid,
				       "oomguard: a managed process, protected", SD_JOB_MS - 500,
				       d->err, sizeof(d->err));
	case SDJ_UNIT: {
		struct sd_unit *u = &d->units[d->n_units];

		/* its own settings first, to give them back */
		if ((r = sdbus_unit_protection(d->bus, j->name, &u->orig, 2000, d->err,
					       sizeof(d->err))) < 0)
			return r;
		snprintf(u->name, sizeof(u->name), "%s", j->name);
		return sdbus_protect_unit(d->bus, j->name, &d->want, 2000, d->err, sizeof(d->err));
	}
	case SDJ_RESTORE:
		r = 0;
		for (size_t i = 0; i < d->n_restore; i++) {
			struct sd_protect p = d->units[i].orig;
			char err[256];

			p.all = true;   /* every one, what systemd had (unset weights too) */
			if (sdbus_protect_unit(d->bus, d->units[i].name, &p, 2000, err,
					       sizeof(err)) < 0 && !r) {
				snprintf(d->err, sizeof(d->err), "%s", err);
				r = -EIO;
			}
		}
		return r;
	}
	return -EINVAL;
}

static void pump(struct sd_shield *d);

static void job_done(void *arg, int result, bool timed_out)
{
	struct sd_shield *d = arg;
	struct shield_rt *s = d->s;
	struct sd_item *j = &d->job;

	d->inflight = false;
	if (!s)
		return;
	if (timed_out)
		snprintf(d->err, sizeof(d->err), "systemd did not answer within %d ms", SD_JOB_MS);
	switch (j->kind) {
	case SDJ_SLICE:
		d->slice_asked = false;
		if (result < 0) {
			if (!d->slice_warned)
				log_warn("shield: systemd did not set up %s: %s; managed processes are "
					 "not moved (still never oomguard's victims); asked again in "
					 "%d s", d->slice, d->err, SD_RETRY_MS / 1000);
			d->slice_warned = true;
			d->slice_retry_ms = now_ms() + SD_RETRY_MS;
			break;
		}
		shield_cg_close(&s->cg);
		if (shield_v2_open(s->c->cg_root_fd, s->c->shield ? s->c->shield->path : "",
				   &s->cg) < 0) {
			log_warn("shield: systemd set up %s but its cgroup cannot be opened", d->slice);
			break;
		}
		if (!d->slice_ready)
			log_notice("shield: protected slice %s, through systemd: MemoryLow=%" PRIu64
				   " MemoryMin=%" PRIu64 " CPUWeight=%" PRId64 " IOWeight=%" PRId64
				   "; managed processes in login sessions move into scopes under it, "
				   "those in services are protected where they are", d->slice,
				   d->want.memory_low, d->want.memory_min, d->want.cpu_weight,
				   d->want.io_weight);
		d->slice_ready = true;
		d->slice_warned = false;
		shield_rt_pass_soon(s);
		break;
	case SDJ_SCOPE:
		if (result < 0) {
			log_warn("shield: cannot move pid %d (%s) from %s into %s: %s", j->pid, j->comm,
				 j->where, d->slice, d->err);
			break;
		}
		s->moved++;
		log_notice("shield: moved pid %d (%s) from %s into %s/%s, through systemd",
			   j->pid, j->comm, j->where, d->slice, j->name);
		break;
	case SDJ_UNIT:
		if (result < 0) {
			log_warn("shield: pid %d (%s) lives in %s, which systemd did not protect: %s",
				 j->pid, j->comm, j->name, d->err);
			break;
		}
		d->n_units++;
		log_notice("shield: pid %d (%s) lives in %s: protected where it is, MemoryLow=%"
			   PRIu64 " CPUWeight=%" PRId64 " IOWeight=%" PRId64 " on the unit (runtime, "
			   "given back at exit)", j->pid, j->comm, j->name, d->want.memory_low,
			   d->want.cpu_weight, d->want.io_weight);
		break;
	case SDJ_RESTORE:
		break;
	}
	pump(d);
}

static void pump(struct sd_shield *d)
{
	struct shield_rt *s = d->s;

	if (d->inflight || !s || !d->nq || worker_lane_busy(s->w, s->lane))
		return;
	/* the slice before any move into it */
	if (!d->slice_ready && d->q[0].kind == SDJ_SCOPE)
		return;
	d->job = d->q[0];
	if (d->job.kind == SDJ_UNIT && d->n_units == SD_UNITS) {
		memmove(d->q, d->q + 1, --d->nq * sizeof(d->q[0]));
		return pump(d);
	}
	if (worker_submit(s->w, s->lane, job_run, d, SD_JOB_MS, job_done, NULL) < 0)
		return;
	memmove(d->q, d->q + 1, --d->nq * sizeof(d->q[0]));
	d->inflight = true;
}

static bool queued(const struct sd_shield *d, enum sd_kind kind, int pid, const char *name)
{
	if (d->inflight && d->job.kind == kind &&
	    (kind == SDJ_UNIT ? !strcmp(d->job.name, name) : d->job.pid == pid))
		return true;
	for (size_t i = 0; i < d->nq; i++)
		if (d->q[i].kind == kind &&
		    (kind == SDJ_UNIT ? !strcmp(d->q[i].name, name) : d->q[i].pid == pid))
			return true;
	return false;
}

static void enqueue(struct sd_shield *d, const struct sd_item *it, bool first)
{
	if (d->nq == SD_QUEUE)
		return;         /* the next pass asks again */
	if (first) {
		memmove(d->q + 1, d->q, d->nq * sizeof(d->q[0]));
		d->q[0] = *it;
	} else {
		d->q[d->nq] = *it;
	}
	d->nq++;
	pump(d);
}

/* ---- the shield's side ---------------------------------------------------------------- */

bool shield_sd_wanted(const struct shield_rt *s, const struct og_ctx *c)
{
	const struct og_config *cfg = &c->cfg;

	return s->systemd && s->w && !cfg->cg_parent && shield_wanted(cfg) && cfg->cg_name &&
	       has_suffix(cfg->cg_name, strlen(cfg->cg_name), ".slice") &&
	       shield_v2_usable(c->cg_root_fd);
}

void shield_sd_setup(struct shield_rt *s, struct og_ctx *c)
{
	struct sd_shield *d = s->sd;
	struct sd_item it = { .kind = SDJ_SLICE };

	if (!d) {
		if (!(d = s->sd = calloc(1, sizeof(*d))))
			return;
	}
	d->s = s;
	snprintf(d->slice, sizeof(d->slice), "%s", c->cfg.cg_name);
	protect_of(&c->cfg, &d->want);
	if (d->slice_asked)
		return;
	d->slice_asked = true;
	enqueue(d, &it, true);
}

void shield_sd_check(struct shield_rt *s, struct og_ctx *c)
{
	struct sd_shield *d = s->sd;
	struct shield_settings now;

	if (!d || d->slice_asked)
		return;
	if (!d->slice_ready) {
		if (now_ms() >= d->slice_retry_ms)
			shield_sd_setup(s, c);
		return;
	}
	if (shield_read(&s->cg, &now) == -ENOENT || now.memory_low != d->want.memory_low ||
	    now.memory_min != d->want.memory_min ||
	    (now.cpu_weight && now.cpu_weight != d->want.cpu_weight) ||
	    (now.io_weight && now.io_weight != d->want.io_weight)) {
		log_notice("shield: %s is not as oomguard asked (removed, or its settings changed "
			   "behind systemd's back); asking systemd again", d->slice);
		shield_sd_setup(s, c);
	}
}

void shield_sd_try(struct shield_rt *s, struct og_ctx *c, int pid, uint64_t start,
		   const char *comm, const char *how)
{
	struct sd_shield *d = s->sd;
	char name[32], buf[4096], where[PATH_MAX];
	struct sd_item it = { .pid = pid, .start = start };
	const char *unit;

	if (!d || !d->slice_ready)
		return;
	snprintf(name, sizeof(name), "%d/cgroup", pid);
	if (read_file_at(c->proc_fd, name, buf, sizeof(buf)) < 0 ||
	    parse_proc_cgroup(buf, where, sizeof(where)) < 0)
		return;
	snprintf(it.comm, sizeof(it.comm), "%s", comm);
	snprintf(it.where, sizeof(it.where), "%s", where);
	switch (shield_sd_place(where, s->cg.path, &unit)) {
	case SDP_INSIDE:
		return;
	case SDP_SCOPE:
		if (queued(d, SDJ_SCOPE, pid, NULL) || shield_refused_before(s, pid, start) ||
		    shield_sd_scope_name(comm, pid, it.name, sizeof(it.name)) < 0)
			return;
		it.kind = SDJ_SCOPE;
		break;
	case SDP_UNIT:
		for (size_t i = 0; i < d->n_units; i++)
			if (!strcmp(d->units[i].name, unit))
				return;
		if (queued(d, SDJ_UNIT, 0, unit) || shield_refused_before(s, pid, start))
			return;
		it.kind = SDJ_UNIT;
		snprintf(it.name, sizeof(it.name), "%s", unit);
		break;
	case SDP_ALONE:
		if (!shield_refused_before(s, pid, start))
			log_notice("shield: pid %d (%s) is in %s, under a user's own systemd or "
				   "inside a unit's own tree: not moved (%s); still never a victim",
				   pid, comm, where, how);
		return;
	}
	/* the pid must still be the process that matched */
	if (proc_same(c->proc_fd, pid, start, NULL) < 0)
		return;
	enqueue(d, &it, false);
}

int shield_sd_members(struct shield_rt *s, size_t *ret_n)
{
	size_t n = 0;
	DIR *dir;
	int fd, r;
	struct dirent *e;

	if (s->cg.mode == SHIELD_OFF || s->cg.fd[0] < 0)
		return -EBADF;
	r = shield_members(&s->cg, &s->members, &n, &s->members_cap);
	if (r < 0)
		return r;
	if ((fd = openat(s->cg.fd[0], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		*ret_n = n;
		return 0;
	}
	while ((e = readdir(dir))) {
		int sub;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if ((sub = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		cgroup_read_procs(sub, &s->members, &n, &s->members_cap);
		close(sub);
	}
	closedir(dir);
	shield_sort_pids(s->members, n);
	*ret_n = n;
	return 0;
}

void shield_sd_stop(struct shield_rt *s, struct og_ctx *c)
{
	struct sd_shield *d = s->sd;

	if (!d)
		return;
	d->nq = 0;
	if (d->inflight)
		worker_wait(s->w, s->lane, SD_JOB_MS);
	if (d->n_units && !worker_lane_busy(s->w, s->lane)) {
		d->job = (struct sd_item){ .kind = SDJ_RESTORE };
		d->n_restore = d->n_units;
		if (worker_submit(s->w, s->lane, job_run, d, SD_JOB_MS, job_done, NULL) == 0) {
			d->inflight = true;
			if (worker_wait(s->w, s->lane, SD_JOB_MS) == 0)
				log_notice("shield: gave %zu units their own settings back", d->n_units);
		}
	}
	d->s = NULL;
	if (worker_lane_busy(s->w, s->lane))
		return;         /* a call still holds d: it is left to the lane (freed never: rare) */
	sdbus_close(d->bus);
	free(d);
	s->sd = NULL;
}
