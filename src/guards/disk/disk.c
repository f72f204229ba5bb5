/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard (see disk.h). Every `interval` its timer puts a look in
 * the guard's worker lane (mountinfo, then fstatvfs of each watched
 * filesystem: a listed network filesystem may hang, and the loop must
 * not); the result comes back here: threshold crossings and the fill rate
 * are judged, and one more job may follow in the same lane, a cleanup of a
 * filesystem under its threshold or a hunt for who eats the ones still
 * falling. A hunt's result gives the records of top writers and of
 * deleted files held open, and with writer_action: kill a request to the
 * victim pipeline ranked by what each of them wrote there. */
#include "guards/disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/disk/schema.h"
#include "guards/disk/state.h"
#include "report/record.h"

#define LOOK_TIMEOUT_MS 10000   /* a look (statvfs may hang on a listed network fs) */
#define CLEAN_MS 30000          /* a cleanup stops deleting after this ... */
#define HUNT_MS 20000           /* ... a hunt after this ... */
#define GRACE_MS 5000           /* ... and the lane's deadline is this much later */
#define CLEAN_RETRY_MS 60000    /* a filesystem still under its threshold is cleaned again */

enum job_kind { JOB_LOOK, JOB_CLEAN, JOB_HUNT };

struct look {
	int proc_fd;
	bool listed;
	char **paths;                   /* the `disk` list's paths (copies) */
	size_t npaths;
	struct fs_mounts m;
	int err;
	struct disk_sel sel[DISK_MAX_WATCH];
	size_t nsel;
	struct disk_skipped skip[OG_MAX_DISKS];
	size_t nskip;
	struct fs_usage u[DISK_MAX_WATCH];
	int uerr[DISK_MAX_WATCH];
	dev_t st_dev[DISK_MAX_WATCH];
	uint64_t t_ms;
};

struct job {
	enum job_kind kind;
	struct guard *g;                /* only on the loop (done), never in the lane */
	unsigned gen;
	size_t watch;                   /* JOB_CLEAN: whose */
	struct look *look;
	struct disk_clean *clean;
	struct hunt *hunt;
};

static struct disk_guard *D(struct guard *g)
{
	return g->state;
}

static const struct og_config *CFG(const struct guard *g)
{
	return &g->env->c->cfg;
}

/* ---- the jobs ----------------------------------------------------------- */

static void look_free(struct look *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->npaths; i++)
		free(l->paths[i]);
	free(l->paths);
	fs_mounts_free(&l->m);
	free(l);
}

static void job_free(void *arg)
{
	struct job *j = arg;

	look_free(j->look);
	disk_clean_free(j->clean);
	disk_hunt_free(j->hunt);
	free(j);
}

static int look_run(struct look *l)
{
	if ((l->err = fs_mounts_read(l->proc_fd, &l->m)) < 0)
		return 0;
	l->nsel = disk_select(&l->m, l->listed, l->paths, l->npaths, l->sel, DISK_MAX_WATCH, l->skip,
			      OG_MAX_DISKS, &l->nskip);
	for (size_t i = 0; i < l->nsel; i++) {
		int fd = open(l->sel[i].m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
		struct stat st;

		l->uerr[i] = fd < 0 ? -errno : fstat(fd, &st) < 0 ? -errno : fs_usage_fd(fd, &l->u[i]);
		l->st_dev[i] = fd >= 0 && !l->uerr[i] ? st.st_dev : 0;
		if (fd >= 0)
			close(fd);
	}
	l->t_ms = now_ms();
	return 0;
}

static int job_run(void *arg)
{
	struct job *j = arg;

	switch (j->kind) {
	case JOB_LOOK:
		return look_run(j->look);
	case JOB_CLEAN:
		return disk_clean_run(j->clean);
	default:
		return disk_hunt_run(j->hunt);
	}
}

static void job_done(void *arg, int result, bool timed_out);

static int submit(struct guard *g, struct job *j, uint64_t timeout_ms)
{
	int r;

	j->g = g;
	j->gen = D(g)->gen;
	r = worker_submit(g->env->worker, g->lane, job_run, j, timeout_ms, job_done, job_free);
	if (r < 0)
		job_free(j);
	return r;
}

static int submit_look(struct guard *g)
{
	const struct og_config *cfg = CFG(g);
	struct job *j = calloc(1, sizeof(*j));
	struct look *l = calloc(1, sizeof(*l));

	if (!j || !l || (cfg->n_disks && !(l->paths = calloc(cfg->n_disks, sizeof(char *))))) {
		free(j);
		look_free(l);
		return -ENOMEM;
	}
	j->kind = JOB_LOOK;
	j->look = l;
	l->proc_fd = g->env->c->proc_fd;
	l->listed = cfg->sections_seen & SEC_DISK;
	for (; l->npaths < cfg->n_disks; l->npaths++)
		if (!(l->paths[l->npaths] = strdup(cfg->disks[l->npaths].path))) {
			job_free(j);
			return -ENOMEM;
		}
	if (!g->env->worker) {          /* explain: at once */
		look_run(l);
		j->g = g;
		j->gen = D(g)->gen;
		job_done(j, 0, false);
		return 0;
	}
	return submit(g, j, LOOK_TIMEOUT_MS);
}

static int submit_clean(struct guard *g, size_t wi)
{
	struct disk_watch *w = &D(g)->w[wi];
	struct job *j = calloc(1, sizeof(*j));
	struct disk_clean *c = calloc(1, sizeof(*c));

	if (!j || !c || !(c->mnt = strdup(w->path)) || disk_entry_copy(w->lim.d, &c->rules) < 0) {
		free(j);
		disk_clean_free(c);
		return -ENOMEM;
	}
	j->kind = JOB_CLEAN;
	j->clean = c;
	j->watch = wi;
	c->sb_dev = makedev(w->major, w->minor);
	c->lim = w->lim;
	c->lim.d = NULL;                /* the job reads its own copy only */
	c->proc_fd = g->env->c->proc_fd;
	c->dry_run = CFG(g)->dry_run;
	c->need_complete = true;
	c->deadline_ms = now_ms() + CLEAN_MS;
	w->cleaned_ms = MAX(now_ms(), (uint64_t)1);
	w->want_clean = false;
	return submit(g, j, CLEAN_MS + GRACE_MS);
}

static int submit_hunt(struct guard *g)
{
	struct disk_guard *dg = D(g);
	struct job *j = calloc(1, sizeof(*j));
	struct hunt *h = calloc(1, sizeof(*h));

	if (!j || !h) {
		free(j);
		free(h);
		return -ENOMEM;
	}
	j->kind = JOB_HUNT;
	j->hunt = h;
	h->proc_fd = g->env->c->proc_fd;
	h->deadline_ms = now_ms() + HUNT_MS;
	for (size_t i = 0; i < dg->n; i++) {
		if (!dg->w[i].hunting)
			continue;
		h->devs[h->ndevs] = makedev(dg->w[i].major, dg->w[i].minor);
		h->fs_of[h->ndevs++] = (unsigned)i;
		if (dg->w[i].st_dev && dg->w[i].st_dev != h->devs[h->ndevs - 1]) {
			h->devs[h->ndevs] = dg->w[i].st_dev;
			h->fs_of[h->ndevs++] = (unsigned)i;
		}
	}
	return submit(g, j, HUNT_MS + GRACE_MS);
}

/* ---- records ------------------------------------------------------------ */

void disk_record_of(const struct disk_watch *w, const char *event, const char *message,
		    struct disk_record *r)
{
	memset(r, 0, sizeof(*r));
	r->event = event;
	r->message = message;
	r->path = w->path;
	r->type = w->type;
	r->size = w->u.size;
	r->avail = w->u.avail;
	r->files = w->u.files;
	r->favail = w->u.favail;
	r->threshold_percent = w->lim.free_percent;
	r->inodes_threshold_percent = w->lim.inodes_free_percent;
	r->fill_rate = w->rate.have ? w->rate.bytes_s : NAN;
}

/* A record and a log line (none for explain, which only looks). */
static void record(struct guard *g, const struct disk_watch *w, const char *event,
		   const char *message)
{
	struct disk_record r;

	if (!g->env->loop)
		return;
	if (strcmp(event, "recovered"))
		log_notice("disk: %s: %s", w->path, message);
	disk_record_of(w, event, message, &r);
	r.dry_run = CFG(g)->dry_run;
	report_disk(g->env->rep, &r);
}

void disk_low_reason(const struct disk_watch *w, bool space, bool inodes, char *buf, size_t size)
{
	int n = 0;

	if (space)
		n = snprintf(buf, size, "free space %.1f%% (%.0f MiB) < %g%%", fs_free_percent(&w->u),
			     (double)w->u.avail / MiB, w->lim.free_percent);
	if (inodes && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "%sfree inodes %.1f%% (%llu) < %g%%",
			 space ? ", " : "", fs_inodes_free_percent(&w->u),
			 (unsigned long long)w->u.favail, w->lim.inodes_free_percent);
}

/* ---- judging a look ------------------------------------------------------ */

static void judge(struct guard *g, struct disk_watch *w, uint64_t now)
{
	bool space, inodes, was = w->low_space || w->low_inodes;
	struct disk_limits up = w->lim;
	bool up_space, up_inodes;
	char msg[256];
	double eta;

	disk_rate_add(&w->rate, &w->u, now);
	disk_below(&w->u, &w->lim, &space, &inodes);
	if ((space && !w->low_space) || (inodes && !w->low_inodes)) {
		disk_low_reason(w, space && !w->low_space, inodes && !w->low_inodes, msg, sizeof(msg));
		record(g, w, "low", msg);
	}
	/* back above only past half the margin: no record per look for a
	 * filesystem that hovers at its threshold */
	up.free_percent += up.free_percent > 0 ? DISK_MARGIN_PERCENT / 2 : 0;
	up.inodes_free_percent += up.inodes_free_percent > 0 ? DISK_MARGIN_PERCENT / 2 : 0;
	disk_below(&w->u, &up, &up_space, &up_inodes);
	w->low_space = space || (w->low_space && up_space);
	w->low_inodes = inodes || (w->low_inodes && up_inodes);
	if (was && !w->low_space && !w->low_inodes) {
		snprintf(msg, sizeof(msg), "free space %.1f%%%s back above the thresholds",
			 fs_free_percent(&w->u), w->u.files ? " and inodes" : "");
		record(g, w, "recovered", msg);
		w->said_clean = false;
		w->reported_ms = w->held_ms = 0;
	}
	space = w->low_space;
	inodes = w->low_inodes;
	eta = disk_eta_s(&w->rate, &w->u);
	/* within the horizon at the average rate, and still filling now (the
	 * average remembers a writer that stopped for a while) */
	w->fast = w->lim.horizon_ms && eta >= 0 && eta * 1000 < (double)w->lim.horizon_ms &&
		  (w->rate.last_bytes_s > 0 || w->rate.last_inodes_s > 0) ? w->fast + 1 : 0;
	if (w->fast >= DISK_FAST_LOOKS && !w->filling) {
		bool by_inodes = w->u.files && w->rate.inodes_s > 0 &&
				 (double)w->u.favail / w->rate.inodes_s <= eta;
		char rate[32];

		if (by_inodes)
			snprintf(msg, sizeof(msg), "using %.1f inodes/s: out of inodes in %.0f s, within "
				 "the horizon of %llu s", w->rate.inodes_s, eta,
				 (unsigned long long)(w->lim.horizon_ms / 1000));
		else
			snprintf(msg, sizeof(msg), "filling at %s: full in %.0f s, within the horizon "
				 "of %llu s", disk_fmt_rate(w->rate.bytes_s, rate, sizeof(rate)), eta,
				 (unsigned long long)(w->lim.horizon_ms / 1000));
		record(g, w, "filling", msg);
		w->filling = true;
	} else if (w->filling && (eta < 0 || eta * 1000 > 2.0 * (double)w->lim.horizon_ms)) {
		w->filling = false;
	}
	w->want_clean = (space || inodes) && w->lim.d && w->lim.d->n_cleanup &&
			(!w->cleaned_ms || now - w->cleaned_ms >= CLEAN_RETRY_MS);
	/* who eats it: under a threshold once its cleanup had its go, or
	 * filling abnormally fast whatever its level */
	w->hunting = ((space || inodes) && !w->want_clean) || w->filling;
}

/* "PATH: why" to the list of filesystems not watched, for explain. */
static void add_skipped(struct disk_guard *dg, const char *path, const char *why)
{
	char *s;

	if (asprintf(&s, "%s%s%s: %s", dg->skipped ? dg->skipped : "", dg->skipped ? "; " : "",
		     path, why) >= 0) {
		free(dg->skipped);
		dg->skipped = s;
	}
}

/* Take a look's filesystems, keeping what is known of those watched
 * before (same mount point, device and entry); one whose statvfs failed
 * is not watched, and explain says why. */
static int merge(struct guard *g, struct look *l)
{
	struct disk_guard *dg = D(g);
	struct disk_watch *v = calloc(DISK_MAX_WATCH, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < l->nsel; i++) {
		const struct fs_mount *m = l->sel[i].m;
		struct disk_watch *w = &v[n];

		if (l->uerr[i] < 0)
			continue;
		for (size_t k = 0; k < dg->n; k++) {
			struct disk_watch *o = &dg->w[k];

			if (o->path && !strcmp(o->path, m->path) && o->major == m->major &&
			    o->minor == m->minor && o->cfg == l->sel[i].cfg) {
				*w = *o;
				o->path = NULL;
				break;
			}
		}
		if (!w->path && !(w->path = strdup(m->path)))
			continue;
		snprintf(w->type, sizeof(w->type), "%s", m->type);
		w->major = m->major;
		w->minor = m->minor;
		w->cfg = l->sel[i].cfg;
		w->st_dev = l->st_dev[i];
		w->u = l->u[i];
		disk_limits_of(CFG(g), w->cfg, &w->lim);
		n++;
	}
	disk_watches_free(dg);
	dg->w = v;
	dg->n = n;
	free(dg->skipped);
	dg->skipped = NULL;
	for (size_t i = 0; i < l->nskip; i++)
		add_skipped(dg, l->paths[l->skip[i].cfg], l->skip[i].why);
	for (size_t i = 0; i < l->nsel; i++)
		if (l->uerr[i] < 0)
			add_skipped(dg, l->sel[i].m->path, strerror(-l->uerr[i]));
	return 0;
}

static void next_job(struct guard *g)
{
	struct disk_guard *dg = D(g);
	bool hunt = false;

	if (!g->env->worker || !g->active)
		return;
	for (size_t i = 0; i < dg->n; i++)
		if (dg->w[i].want_clean) {
			if (submit_clean(g, i) < 0)
				log_warn("disk: %s: cannot start a cleanup", dg->w[i].path);
			return;
		}
	for (size_t i = 0; i < dg->n; i++)
		hunt |= dg->w[i].hunting;
	if (hunt && submit_hunt(g) < 0)
		log_warn("disk: cannot start looking for writers");
}

static void look_done(struct guard *g, struct look *l)
{
	struct disk_guard *dg = D(g);

	if (l->err < 0) {
		if (!dg->said_mounts)
			log_warn("disk: cannot read the mounts: %s", strerror(-l->err));
		dg->said_mounts = true;
		return;
	}
	dg->said_mounts = false;
	dg->looks++;
	if (merge(g, l) < 0)
		return;
	for (size_t i = 0; i < dg->n; i++)
		judge(g, &dg->w[i], l->t_ms);
	next_job(g);
}

/* ---- a cleanup done ------------------------------------------------------ */

static void clean_done(struct guard *g, struct disk_clean *c, size_t wi)
{
	struct disk_guard *dg = D(g);
	struct disk_watch *w = wi < dg->n ? &dg->w[wi] : NULL;
	struct disk_record_cleanup rc = {
		.deleted = c->deleted, .bytes = c->bytes, .inodes = c->inodes,
		.avail_before = c->before.avail, .avail_after = c->after.avail,
		.favail_before = c->before.favail, .favail_after = c->after.favail,
		.open = c->counts[DV_OPEN], .kept = c->counts[DV_KEPT], .younger = c->counts[DV_YOUNG],
		.other = c->counts[DV_NOT_REGULAR] + c->counts[DV_LINKED] + c->counts[DV_OTHER_FS] +
			 c->counts[DV_UNCHECKED],
		.unchecked_processes = c->unchecked, .complete = !c->timed_out,
		.deleted_names = c->deleted_names, .n_deleted_names = c->n_deleted_names,
		.skipped_names = c->skipped_names, .n_skipped_names = c->n_skipped_names,
	};
	char msg[512], error[256] = "";
	struct disk_record r;

	if (!w || strcmp(w->path, c->mnt))
		return;
	if (c->err < 0)
		snprintf(error, sizeof(error), "%s: %s", c->mnt, strerror(-c->err));
	else if (c->errors)
		snprintf(error, sizeof(error), "%zu files could not be deleted: %s%s", c->errors,
			 strerror(c->first_errno), c->first_errno == EROFS ? " (read-only here: under "
			 "systemd, add the directory to ReadWritePaths=, see the README)" : "");
	else if (c->unchecked && c->counts[DV_UNCHECKED])
		snprintf(error, sizeof(error), "%zu processes' open files could not be read (pid %d "
			 "first): nothing deleted", c->unchecked, c->unchecked_pid);
	else if (c->dir_problem)
		snprintf(error, sizeof(error), "%s", c->dir_problem);
	rc.error = *error ? error : NULL;
	snprintf(msg, sizeof(msg), "%s %zu files (%.1f MiB, %llu inodes) of %s: free %.1f%% -> %.1f%%"
		 "%s%s", c->dry_run ? "would delete" : "deleted", c->deleted, (double)c->bytes / MiB,
		 (unsigned long long)c->inodes, c->mnt, fs_free_percent(&c->before),
		 fs_free_percent(&c->after), c->timed_out ? "; cut short by its deadline" : "",
		 c->counts[DV_OPEN] ? "; files still open were kept" : "");
	dg->cleanups++;
	w->u = c->after;                /* the record's fs: after it */
	snprintf(w->last_clean, sizeof(w->last_clean), "%.199s", msg);
	/* a cleanup that found nothing to do is said once per episode */
	if (c->deleted || rc.open || rc.other || rc.error || !w->said_clean) {
		disk_record_of(w, "cleanup", msg, &r);
		r.dry_run = c->dry_run;
		r.cleanup = &rc;
		report_disk(g->env->rep, &r);
		w->said_clean = true;
	}
	if (c->deleted)
		report_kmsg(g->env->rep, "%s%s", c->dry_run ? "dry-run: " : "", msg);
	if (rc.error)
		log_warn("disk: %s: cleanup: %s", c->mnt, rc.error);
	/* what it freed is no fill rate: the next look measures from here */
	w->rate.avail = c->after.avail;
	w->rate.favail = c->after.favail;
	w->hunting = w->low_space || w->low_inodes || w->filling;
	if (w->hunting)
		next_job(g);
}

static void job_done(void *arg, int result, bool timed_out)
{
	struct job *j = arg;
	struct guard *g = j->g;

	if (timed_out) {                /* j is release's now */
		log_warn("disk: a %s passed its deadline; the guard's worker lane is busy until it "
			 "returns", j->kind == JOB_LOOK ? "look (statvfs)" : j->kind == JOB_CLEAN ?
			 "cleanup" : "search for writers");
		return;
	}
	if (j->gen == D(g)->gen) {
		if (j->kind == JOB_LOOK) {
			look_done(g, j->look);
		} else if (j->kind == JOB_CLEAN) {
			clean_done(g, j->clean, j->watch);
		} else {
			disk_hunt_free(D(g)->prev);
			D(g)->prev = D(g)->hunt;
			D(g)->hunt = j->hunt;
			j->hunt = NULL;
			disk_hunt_done(g);
		}
	}
	job_free(j);
}

/* ---- the guard ---------------------------------------------------------- */

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	if (!worker_lane_busy(g->env->worker, g->lane) && submit_look(g) < 0)
		log_warn("disk: cannot look at the filesystems (out of memory)");
	loop_timer_arm(&D(g)->timer, CFG(g)->disk_interval_ms);
}

void disk_watches_free(struct disk_guard *dg)
{
	for (size_t i = 0; i < dg->n; i++)
		free(dg->w[i].path);
	free(dg->w);
	dg->w = NULL;
	dg->n = 0;
}

static bool set_active(struct guard *g)
{
	if (!CFG(g)->disk_enabled) {
		snprintf(g->why, sizeof(g->why), "off (disk_settings.enabled: false)");
		return false;
	}
	return true;
}

static int disk_start(struct guard *g)
{
	struct disk_guard *dg = D(g);
	int r;

	dg->timer.src.fd = -1;
	dg->kill_fs = -1;
	g->active = set_active(g);
	if (!g->env->loop) {
		if (g->active)
			submit_look(g);         /* explain: one look, at once */
		return g->active ? 0 : -ENOTSUP;
	}
	if ((r = loop_timer_init(g->env->loop, &dg->timer, on_timer, g)) < 0)
		return r;
	g->tick = &dg->timer;
	if (g->active)
		loop_timer_arm(&dg->timer, 1);
	return g->active ? 0 : -ENOTSUP;
}

static void forget(struct disk_guard *dg)
{
	dg->gen++;                      /* a job under way reports to nobody */
	disk_watches_free(dg);
	disk_hunt_free(dg->hunt);
	disk_hunt_free(dg->prev);
	dg->hunt = dg->prev = NULL;
	free(dg->skipped);
	dg->skipped = NULL;
}

static void disk_reload(struct guard *g)
{
	struct disk_guard *dg = D(g);

	forget(dg);
	g->active = set_active(g);
	if (dg->timer.src.fd < 0)
		return;
	if (g->active)
		loop_timer_arm(&dg->timer, 1);
	else
		loop_timer_disarm(&dg->timer);
}

static void disk_stop(struct guard *g)
{
	loop_timer_close(g->env->loop, &D(g)->timer);
	forget(D(g));
}

const struct guard_ops disk_guard_ops = {
	.name = "disk",
	.state_size = sizeof(struct disk_guard),
	.start = disk_start,
	.reload = disk_reload,
	.describe = disk_describe,
	.stop = disk_stop,
};
