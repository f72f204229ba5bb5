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

enum sd_kind {
	SDJ_SLICE,      /* the slice, with the settings */
	SDJ_SCOPE,      /* a process into a transient scope under it */
	SDJ_UNIT,       /* a unit protected in place (its own settings read first) */
	SDJ_REUNIT,     /* the same unit again, new settings (a reload) */
	SDJ_RESTORE,    /* every unit its own settings back */
};

struct sd_unit {
	char name[256];
	struct sd_protect orig;         /* its own settings, given back at exit */
	bool known;                     /* orig was read (not a call that timed out) */
};

struct sd_item {
	enum sd_kind kind;
	int pid;
	uint64_t start;
	char comm[32], where[PATH_MAX], name[256];      /* name: the scope or the unit */
};

/* The call in the lane: the loop writes it only while the lane is free,
 * and reads what the lane wrote (err, orig) only from a done that did not
 * time out. */
struct sd_run {
	struct sd_item it;
	char slice[256];
	struct sd_protect want, orig;
	int proc_fd;
	struct sd_unit units[SD_UNITS]; /* SDJ_RESTORE: a copy of the units */
	size_t n_units;
	char err[512];
};

struct sd_shield {
	struct sdbus *bus;              /* the lane's only */
	struct worker *w;
	unsigned lane;
	char slice[256];                /* "oom_protector.slice" */
	struct sd_protect want;
	struct sd_run run;
	struct sd_unit units[SD_UNITS]; /* protected in place, to give back */
	size_t n_units;
	bool inflight, slice_ready, slice_asked, slice_warned;
	bool dead;                      /* detached: freed when its last call is done */
	bool hung;                      /* a call timed out: the lane may still hold it */
	uint64_t slice_retry_ms;
	struct sd_item q[SD_QUEUE];
	size_t nq;
	struct shield_rt *s;            /* NULL once detached: a late answer is dropped */
};

static void protect_of(const struct og_config *cfg, struct sd_protect *p)
{
	*p = (struct sd_protect){ .memory_low = cfg->cg_memory_low, .memory_min = cfg->cg_memory_min,
				  .cpu_weight = cfg->cg_cpu_weight, .io_weight = cfg->cg_io_weight };
}

static int job_run(void *arg)
{
	struct sd_shield *d = arg;
	struct sd_run *j = &d->run;
	int r;

	j->err[0] = '\0';
	if (!d->bus && (r = sdbus_open(&d->bus, j->err, sizeof(j->err))) < 0)
		return r;
	switch (j->it.kind) {
	case SDJ_SLICE:
		return sdbus_protect_slice(d->bus, j->slice, &j->want, SD_JOB_MS - 500, j->err,
					   sizeof(j->err));
	case SDJ_SCOPE:
		/* the pid must still be the process that matched: it waited
		 * in the queue (what is left is the call's own moment) */
		if (proc_same(j->proc_fd, j->it.pid, j->it.start, NULL) < 0) {
			snprintf(j->err, sizeof(j->err), "the process is gone");
			return -ESRCH;
		}
		return sdbus_scope_pid(d->bus, j->it.name, j->slice, j->it.pid,
				       "oomguard: a managed process, protected", SD_JOB_MS - 500,
				       j->err, sizeof(j->err));
	case SDJ_UNIT:
		/* its own settings first, to give them back */
		if ((r = sdbus_unit_protection(d->bus, j->it.name, &j->orig, 2000, j->err,
					       sizeof(j->err))) < 0)
			return r;
		return sdbus_protect_unit(d->bus, j->it.name, &j->want, 2000, j->err, sizeof(j->err));
	case SDJ_REUNIT:
		return sdbus_protect_unit(d->bus, j->it.name, &j->want, 2000, j->err, sizeof(j->err));
	case SDJ_RESTORE:
		r = 0;
		for (size_t i = 0; i < j->n_units; i++) {
			struct sd_protect p = j->units[i].orig;
			char err[256];

			p.all = true;   /* every one, what systemd had (unset weights too) */
			if (sdbus_protect_unit(d->bus, j->units[i].name, &p, 2000, err,
					       sizeof(err)) < 0 && !r) {
				snprintf(j->err, sizeof(j->err), "%s", err);
				r = -EIO;
			}
		}
		return r;
	}
	return -EINVAL;
}

static void job_done(void *arg, int result, bool timed_out);

/* Hand the lane one call (the lane is free: checked by the callers). */
static int submit(struct sd_shield *d, const struct sd_item *it)
{
	struct sd_run *j = &d->run;

	j->it = *it;
	snprintf(j->slice, sizeof(j->slice), "%s", d->slice);
	j->want = d->want;
	j->proc_fd = d->s ? d->s->c->proc_fd : -1;
	if (it->kind == SDJ_RESTORE) {
		j->n_units = 0;
		for (size_t i = 0; i < d->n_units; i++)
			if (d->units[i].known)
				j->units[j->n_units++] = d->units[i];
	}
	if (worker_submit(d->w, d->lane, job_run, d, SD_JOB_MS, job_done, NULL) < 0)
		return -EBUSY;
	d->inflight = true;
	return 0;
}

static void sd_free(struct sd_shield *d)
{
	if (d->hung)
		return;         /* the lane may still run the call that holds d: left to it */
	sdbus_close(d->bus);
	free(d);
}

/* A detached d: its units get their own settings back, then it goes. */
static void wind_down(struct sd_shield *d)
{
	struct sd_item it = { .kind = SDJ_RESTORE };

	if (d->inflight || worker_lane_busy(d->w, d->lane))
		return;         /* the call's done comes back here */
	if (d->n_units && submit(d, &it) == 0) {
		d->n_units = 0;
		return;
	}
	sd_free(d);
}

static void pump(struct sd_shield *d);

static void job_done(void *arg, int result, bool timed_out)
{
	struct sd_shield *d = arg;
	struct shield_rt *s = d->s;
	struct sd_run *j = &d->run;
	const char *err = timed_out ? "systemd did not answer in time" : j->err;

	d->inflight = false;
	d->hung |= timed_out;
	if (j->it.kind == SDJ_UNIT && (timed_out || result == 0) && d->n_units < SD_UNITS) {
		struct sd_unit *u = &d->units[d->n_units++];

		/* a call that timed out may have protected it all the same:
		 * remembered, but with nothing known to give back */
		snprintf(u->name, sizeof(u->name), "%s", j->it.name);
		u->known = !timed_out;
		if (u->known)
			u->orig = j->orig;
	}
	if (j->it.kind == SDJ_RESTORE && result < 0)
		log_warn("shield: a unit oomguard protected did not get its own settings back: %s",
			 err);
	if (!s) {               /* detached: a reload's (dead) winds down; exit waits itself */
		if (d->dead)
			wind_down(d);
		return;
	}
	switch (j->it.kind) {
	case SDJ_SLICE:
		d->slice_asked = false;
		if (result < 0) {
			if (!d->slice_warned)
				log_warn("shield: systemd did not set up %s: %s; managed processes are "
					 "not moved (still never oomguard's victims); asked again in "
					 "%d s", j->slice, err, SD_RETRY_MS / 1000);
			d->slice_warned = true;
			d->slice_retry_ms = now_ms() + SD_RETRY_MS;
			break;
		}
		shield_cg_close(&s->cg);
		if (shield_v2_open(s->c->cg_root_fd, s->c->shield ? s->c->shield->path : "",
				   &s->cg) < 0) {
			log_warn("shield: systemd set up %s but its cgroup cannot be opened", j->slice);
			break;
		}
		if (!d->slice_ready)
			log_notice("shield: protected slice %s, through systemd: MemoryLow=%" PRIu64
				   " MemoryMin=%" PRIu64 " CPUWeight=%" PRId64 " IOWeight=%" PRId64
				   "; managed processes in login sessions move into scopes under it, "
				   "those in services are protected where they are", j->slice,
				   j->want.memory_low, j->want.memory_min, j->want.cpu_weight,
				   j->want.io_weight);
		d->slice_ready = true;
		d->slice_warned = false;
		shield_rt_pass_soon(s);
		break;
	case SDJ_SCOPE:
		if (result < 0) {
			if (result != -ESRCH && !shield_refused_before(s, j->it.pid, j->it.start))
				log_warn("shield: cannot move pid %d (%s) from %s into %s: %s",
					 j->it.pid, j->it.comm, j->it.where, j->slice, err);
			break;
		}
		s->moved++;
		log_notice("shield: moved pid %d (%s) from %s into %s/%s, through systemd",
			   j->it.pid, j->it.comm, j->it.where, j->slice, j->it.name);
		break;
	case SDJ_UNIT:
		if (result < 0) {
			if (!shield_refused_before(s, j->it.pid, j->it.start))
				log_warn("shield: pid %d (%s) lives in %s, which systemd did not "
					 "protect: %s", j->it.pid, j->it.comm, j->it.name, err);
			break;
		}
		log_notice("shield: pid %d (%s) lives in %s: protected where it is, MemoryLow=%"
			   PRIu64 " CPUWeight=%" PRId64 " IOWeight=%" PRId64 " on the unit (runtime, "
			   "given back at exit)", j->it.pid, j->it.comm, j->it.name,
			   j->want.memory_low, j->want.cpu_weight, j->want.io_weight);
		break;
	case SDJ_REUNIT:
		if (result < 0)
			log_warn("shield: %s did not take the new settings: %s", j->it.name, err);
		break;
	case SDJ_RESTORE:
		break;
	}
	pump(d);
}

static void pump(struct sd_shield *d)
{
	if (d->inflight || !d->nq || worker_lane_busy(d->w, d->lane))
		return;
	/* the slice before any move into it */
	if (!d->slice_ready && d->q[0].kind == SDJ_SCOPE)
		return;
	if (d->q[0].kind == SDJ_UNIT && d->n_units == SD_UNITS) {
		memmove(d->q, d->q + 1, --d->nq * sizeof(d->q[0]));
		pump(d);
		return;
	}
	if (submit(d, &d->q[0]) < 0)
		return;
	memmove(d->q, d->q + 1, --d->nq * sizeof(d->q[0]));
}

static bool queued(const struct sd_shield *d, enum sd_kind kind, int pid, const char *name)
{
	const struct sd_item *r = &d->run.it;

	if (d->inflight && r->kind == kind && (kind == SDJ_UNIT ? !strcmp(r->name, name) : r->pid == pid))
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
		d->w = s->w;
		d->lane = s->lane;
		d->s = s;
	}
	/* the lane reads its own copy (submit): these are the loop's */
	snprintf(d->slice, sizeof(d->slice), "%s", c->cfg.cg_name);
	protect_of(&c->cfg, &d->want);
	/* new settings (a reload): the units protected in place take them too */
	if (d->want.memory_low != d->run.want.memory_low ||
	    d->want.memory_min != d->run.want.memory_min ||
	    d->want.cpu_weight != d->run.want.cpu_weight || d->want.io_weight != d->run.want.io_weight)
		for (size_t i = 0; i < d->n_units; i++) {
			struct sd_item u = { .kind = SDJ_REUNIT };

			snprintf(u.name, sizeof(u.name), "%s", d->units[i].name);
			enqueue(d, &u, false);
		}
	if (d->slice_asked)
		return;
	d->slice_asked = true;
	enqueue(d, &it, true);
}

static uint64_t page_down(uint64_t v)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t p = ps > 0 ? (uint64_t)ps : 4096;

	return v / p * p;
}

void shield_sd_check(struct shield_rt *s, struct og_ctx *c)
{
	struct sd_shield *d = s->sd;
	struct shield_settings now = { 0 };
	int r;

	if (!d || d->slice_asked)
		return;
	if (!d->slice_ready) {
		if (now_ms() >= d->slice_retry_ms)
			shield_sd_setup(s, c);
		return;
	}
	r = shield_read(&s->cg, &now);
	if (r < 0 && r != -ENOENT && r != -ENODEV)
		return;         /* cannot tell: nothing to say */
	/* the kernel keeps memory.low and memory.min in whole pages */
	if (r < 0 || now.memory_low != page_down(d->want.memory_low) ||
	    now.memory_min != page_down(d->want.memory_min) ||
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
		/* a move that failed is not asked again for the same process */
		if (queued(d, SDJ_SCOPE, pid, NULL) || shield_refused_earlier(s, pid, start) ||
		    shield_sd_scope_name(comm, pid, it.name, sizeof(it.name)) < 0)
			return;
		it.kind = SDJ_SCOPE;
		break;
	case SDP_UNIT:
		for (size_t i = 0; i < d->n_units; i++)
			if (!strcmp(d->units[i].name, unit))
				return;
		if (queued(d, SDJ_UNIT, 0, unit) || shield_refused_earlier(s, pid, start))
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

void shield_sd_stop(struct shield_rt *s, struct og_ctx *c, bool at_exit)
{
	struct sd_shield *d = s->sd;

	if (!d)
		return;
	s->sd = NULL;
	d->s = NULL;
	d->nq = 0;
	if (!at_exit) {         /* a reload: never wait on systemd from the loop */
		d->dead = true;
		wind_down(d);
		return;
	}
	if (d->inflight)
		worker_wait(d->w, d->lane, SD_JOB_MS);
	if (d->n_units && !worker_lane_busy(d->w, d->lane)) {
		struct sd_item it = { .kind = SDJ_RESTORE };
		size_t n = d->n_units;

		if (submit(d, &it) == 0 && worker_wait(d->w, d->lane, SD_JOB_MS) == 0)
			log_notice("shield: gave %zu units their own settings back", n);
	}
	if (worker_lane_busy(d->w, d->lane))
		d->hung = true; /* a call still holds d: it is left to the lane */
	sd_free(d);
}
