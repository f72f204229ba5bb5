/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/pressure/pressure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "observe/cgroup.h"

#define TRIGGER_WINDOW_US 2000000       /* the kernel takes any multiple of 2 s unprivileged */
#define IDLE_WITH_TRIGGER_MS 10000      /* a trigger wakes us: look less often when calm */
#define CG_WALK_MS 10000                /* limited cgroups are looked for this often */

static const char *resource(const struct pressure_guard *pg)
{
	return pg->spec->kind == USAGE_CPU ? "cpu" : "io";
}

static bool fallback(const struct pressure_guard *pg)
{
	return pg->psi_fd < 0 && pg->spec->stat_fallback;
}

static uint64_t clock_ms(const struct pressure_guard *pg)
{
	return pg->clock ? pg->clock() : now_ms();
}

static uint64_t period(const struct pressure_guard *pg)
{
	return sustain_period_ms(pg->cfg.duration_ms);
}

double pressure_busiest(const struct diskstat *before, size_t nb, const struct diskstat *after,
			size_t na, uint64_t elapsed_ms, char *name, size_t size)
{
	double best = -1;

	if (!elapsed_ms)
		return -1;
	for (size_t i = 0; i < na; i++) {
		const struct diskstat *a = &after[i];
		double busy;

		for (size_t k = 0; k < nb; k++) {
			const struct diskstat *b = &before[k];

			if (b->major != a->major || b->minor != a->minor || a->io_ms < b->io_ms)
				continue;
			busy = MIN(100.0, 100.0 * (double)(a->io_ms - b->io_ms) / (double)elapsed_ms);
			if (busy > best) {
				best = busy;
				snprintf(name, size, "%s", a->name);
			}
			break;
		}
	}
	return best;
}

/* Device context for the I/O guard: one read of /proc/diskstats a step. */
static void sample_disks(struct guard *g, struct pressure_guard *pg, uint64_t now)
{
	static char buf[65536];
	struct diskstat next[PRESSURE_DISKS];
	size_t n = 0;
	ssize_t len = read_file_at(g->env->c->proc_fd, "diskstats", buf, sizeof(buf));

	pg->busiest_percent = -1;
	if (len <= 0 || (size_t)len >= sizeof(buf) ||
	    parse_diskstats(buf, next, PRESSURE_DISKS, &n) < 0)
		return;
	n = MIN(n, (size_t)PRESSURE_DISKS);
	if (pg->disks_ms)
		pg->busiest_percent = pressure_busiest(pg->disks, pg->ndisks, next, n,
						       now - pg->disks_ms, pg->busiest,
						       sizeof(pg->busiest));
	memcpy(pg->disks, next, n * sizeof(*next));
	pg->ndisks = n;
	pg->disks_ms = now;
}

/* Keep *above_ms: since when every step has been at or above the threshold
 * (a step starts at the sample before it). */
static void track_above(double last, double threshold, uint64_t prev_ms, uint64_t *above_ms)
{
	if (threshold <= 0 || last < threshold)
		*above_ms = 0;
	else if (!*above_ms)
		*above_ms = MAX(prev_ms, (uint64_t)1);
}

/* Has it stayed at or above for the whole duration? */
static bool held(double share, double threshold, uint64_t span_ms, uint64_t above_ms,
		 uint64_t now, uint64_t duration_ms)
{
	return threshold > 0 && share >= threshold && span_ms >= duration_ms && above_ms &&
	       now - above_ms >= duration_ms;
}

static void sample(struct guard *g, struct pressure_guard *pg, uint64_t now)
{
	int proc_fd = g->env->c->proc_fd;

	pg->have_psi = pg->psi_fd >= 0 && psi_read_fd(pg->psi_fd, &pg->psi) == 0;
	if (pg->have_psi) {
		const struct psi_line *l = pg->spec->full ? &pg->psi.full : &pg->psi.some;

		sustain_add(&pg->hist, now, l->total_us, now * 1000);
	}
	if ((fallback(pg) || (pg->have_psi && pg->spec->kind == USAGE_CPU)) &&
	    read_proc_stat_cpu(proc_fd, &pg->cpu, &pg->ncpu) == 0 && fallback(pg)) {
		const struct cpu_times *t = &pg->cpu;
		uint64_t total = t->user + t->nice + t->system + t->idle + t->iowait + t->irq +
				 t->softirq + t->steal;

		sustain_add(&pg->hist, now, total - t->idle - t->iowait, total);
	}
	if (pg->have_psi && pg->spec->kind == USAGE_CPU && read_loadavg(proc_fd, &pg->load) == 0) {
		const struct sustain_sample *last = sustain_newest(&pg->contended_hist);
		uint64_t looks = last ? last->whole + 1 : 1, hits = last ? last->part : 0;

		hits += pg->load.running > MAX(pg->ncpu, 1u) + 1;       /* + 1: oomguard, looking */
		sustain_add(&pg->contended_hist, now, hits, looks);
	}
	pg->contended_share = pg->have_psi && pg->spec->kind == USAGE_CPU ?
		sustain_share(&pg->contended_hist, pg->cfg.duration_ms, NULL) : -1;
	if (fallback(pg) && pg->cfg.load_per_cpu > 0 && read_loadavg(proc_fd, &pg->load) == 0) {
		bool above = pg->load.load1 >= pg->cfg.load_per_cpu * MAX(pg->ncpu, 1u);

		if (!above)
			pg->load_above_ms = 0;
		else if (!pg->load_above_ms)
			pg->load_above_ms = now;
	}
	pg->share = sustain_share(&pg->hist, pg->cfg.duration_ms, &pg->span_ms);
	pg->last = sustain_last(&pg->hist);
	track_above(pg->last, fallback(pg) ? pg->cfg.busy_percent : pg->cfg.percent, pg->prev_ms,
		    &pg->above_ms);
	if (pg->spec->kind == USAGE_IO && pg->have_psi)
		sample_disks(g, pg, now);
	pg->prev_ms = now;
}

void pressure_decide(const struct pressure_guard *pg, uint64_t now_ms, struct verdict *v)
{
	const struct pressure_cfg *cfg = &pg->cfg;
	double secs = (double)cfg->duration_ms / 1000.0;

	memset(v, 0, sizeof(*v));
	v->level = LEVEL_OK;
	v->trigger = pg->spec->trigger;
	v->eta_ms = v->psi_full_share = v->refault_percent = -1;
	if (!fallback(pg)) {
		if (held(pg->share, cfg->percent, pg->span_ms, pg->above_ms, now_ms, cfg->duration_ms) &&
		    (pg->spec->kind != USAGE_CPU || pg->contended_share >= PRESSURE_CPU_CONTENDED_MIN)) {
			v->level = LEVEL_TERM;
			int n = snprintf(v->reason, sizeof(v->reason), "%s %s %.1f%% over %.0f s >= %.0f%%",
					 resource(pg), pg->spec->full ? "full" : "some", pg->share,
					 secs, cfg->percent);

			if (pg->spec->kind == USAGE_CPU && n > 0 && (size_t)n < sizeof(v->reason))
				snprintf(v->reason + n, sizeof(v->reason) - (size_t)n,
					 ", more runnable tasks than CPUs in %.0f%% of the looks",
					 pg->contended_share);
			if (pg->spec->kind == USAGE_IO && pg->busiest_percent >= 0 && n > 0 &&
			    (size_t)n < sizeof(v->reason))
				snprintf(v->reason + n, sizeof(v->reason) - (size_t)n,
					 "; busiest device %s, %.0f%% busy", pg->busiest,
					 pg->busiest_percent);
		}
		return;
	}
	bool busy = cfg->busy_percent <= 0 ||
		    held(pg->share, cfg->busy_percent, pg->span_ms, pg->above_ms, now_ms,
			 cfg->duration_ms);
	bool load = cfg->load_per_cpu <= 0 ||
		    (pg->load_above_ms && now_ms - pg->load_above_ms >= cfg->duration_ms);

	if ((cfg->busy_percent > 0 || cfg->load_per_cpu > 0) && busy && load) {
		v->level = LEVEL_TERM;
		snprintf(v->reason, sizeof(v->reason),
			 "no PSI: cpu busy %.1f%% over %.0f s (>= %.0f%%), load %.2f for %u CPUs "
			 "(>= %.2f per CPU)", pg->share, secs, cfg->busy_percent, pg->load.load1,
			 pg->ncpu, cfg->load_per_cpu);
	}
}

void pressure_decide_scope(const struct pressure_guard *pg, const struct pressure_scope *sc,
			   uint64_t now_ms, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->level = LEVEL_OK;
	v->trigger = pg->spec->trigger;
	v->eta_ms = v->psi_full_share = v->refault_percent = -1;
	if (held(sc->share, pg->cfg.percent, sc->span_ms, sc->above_ms, now_ms, pg->cfg.duration_ms)) {
		v->level = LEVEL_TERM;
		snprintf(v->reason, sizeof(v->reason), "cgroup %s (%s set): %s full %.1f%% over %.0f s >= %.0f%%",
			 sc->path, pg->spec->cg_limit_file, resource(pg), sc->share,
			 (double)pg->cfg.duration_ms / 1000.0, pg->cfg.percent);
	}
}

bool pressure_limited(const char *limit_file, const char *content)
{
	if (!strcmp(limit_file, "cpu.max"))     /* "$MAX $PERIOD": "max 100000" is none */
		return content[0] >= '0' && content[0] <= '9';
	/* io.max: a line per device, "8:0 rbps=1048576 wbps=max riops=max wiops=max" */
	for (const char *p = content; (p = strchr(p, '=')); p++)
		if (strncmp(p + 1, "max", 3) != 0)
			return true;
	return false;
}

static void scope_free(struct pressure_scope *sc)
{
	if (sc->fd >= 0)
		close(sc->fd);
	free(sc->path);
}

static int find_limited(int cg_fd, const char *rel, void *userdata)
{
	struct pressure_guard *pg = userdata;
	struct pressure_scope *sc;
	char buf[1024], path[PATH_MAX];
	int fd;

	if (!*rel || read_file_at(cg_fd, pg->spec->cg_limit_file, buf, sizeof(buf)) <= 0 ||
	    !pressure_limited(pg->spec->cg_limit_file, buf))
		return 0;
	if (snprintf(path, sizeof(path), "/%s", rel) >= (int)sizeof(path))
		return 0;
	for (size_t i = 0; i < pg->ncg; i++)
		if (!strcmp(pg->cg[i].path, path)) {
			pg->cg[i].seen = true;
			return 0;
		}
	if (pg->ncg == pg->capcg) {
		size_t cap = pg->capcg ? 2 * pg->capcg : 16;
		struct pressure_scope *v = realloc(pg->cg, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pg->cg = v;
		pg->capcg = cap;
	}
	if ((fd = openat(cg_fd, pg->spec->cg_psi_file, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	sc = &pg->cg[pg->ncg];
	memset(sc, 0, sizeof(*sc));
	sc->fd = fd;
	sc->seen = true;
	if (!(sc->path = strdup(path))) {
		close(fd);
		return -ENOMEM;
	}
	pg->ncg++;
	return 0;
}

/* The limited cgroups, looked for every CG_WALK_MS (one small read per
 * cgroup); a cgroup removed or no longer limited is forgotten. */
static void walk_scopes(struct guard *g, struct pressure_guard *pg, uint64_t now)
{
	int root = g->env->c->cg_root_fd;

	if (!pg->spec->cg_limit_file || root < 0 || pg->psi_fd < 0 ||
	    (pg->walk_ms && now - pg->walk_ms < CG_WALK_MS))
		return;
	pg->walk_ms = now;
	for (size_t i = 0; i < pg->ncg; i++)
		pg->cg[i].seen = false;
	if (cgroup_walk(root, 32, find_limited, pg) == -ENOMEM)
		log_warn("%s: out of memory listing limited cgroups", resource(pg));
	for (size_t i = 0; i < pg->ncg;)
		if (!pg->cg[i].seen) {
			scope_free(&pg->cg[i]);
			pg->cg[i] = pg->cg[--pg->ncg];
		} else {
			i++;
		}
}

static void sample_scope(const struct pressure_guard *pg, struct pressure_scope *sc, uint64_t now)
{
	struct psi psi;

	if (psi_read_fd(sc->fd, &psi) == 0 && psi.has_full)
		sustain_add(&sc->hist, now, psi.full.total_us, now * 1000);
	sc->share = sustain_share(&sc->hist, pg->cfg.duration_ms, &sc->span_ms);
	sc->last = sustain_last(&sc->hist);
	track_above(sc->last, pg->cfg.percent, sc->prev_ms, &sc->above_ms);
	sc->prev_ms = now;
}

/* Is the pressure up now (the last step), so that a window may be opening? */
static bool hot(const struct pressure_guard *pg)
{
	if (!fallback(pg))
		return pg->last >= pg->cfg.percent;
	return (pg->cfg.busy_percent > 0 && pg->last >= pg->cfg.busy_percent) ||
	       (pg->cfg.load_per_cpu > 0 && pg->load_above_ms);
}

/* The pipeline asks, for each candidate: how much did it use since the
 * baseline? */
static int usage_of(const struct proc_info *p, void *userdata, uint64_t *ret_amount)
{
	struct guard *g = userdata;
	struct pressure_guard *pg = g->state;
	uint64_t now, start = p->starttime;
	int r;

	if (pg->spec->kind == USAGE_CPU) {
		now = usage_ticks_to_ms(p->cpu_ticks);
	} else {
		r = usage_read(USAGE_IO, g->env->c->proc_fd, p->pid, &now, &start);
		if (r < 0 || start != p->starttime) {
			pg->unreadable++;
			return r < 0 ? r : -ESRCH;
		}
	}
	*ret_amount = usage_since(&pg->base, p->pid, start, now);
	return 0;
}

static void take_baseline(struct guard *g, struct pressure_guard *pg, uint64_t now)
{
	int r = usage_take(&pg->base, g->env->c->proc_fd, now);

	if (r < 0)
		log_warn("%s: cannot take the usage baseline: %s", resource(pg), strerror(-r));
	else if (pg->base.unreadable && !pg->said_unreadable) {
		log_notice("%s: %zu processes' counters were unreadable for the baseline (gone, or "
			   "no permission): they are ranked on what they use from now on",
			   resource(pg), pg->base.unreadable);
		pg->said_unreadable = true;
	}
}

/* Ask the pipeline for a victim in scope (NULL: the system); sc is the
 * cgroup's state (NULL: the system's). */
static void ask(struct guard *g, struct pressure_guard *pg, struct pressure_scope *sc,
		uint64_t now)
{
	struct og_ctx *c = g->env->c;
	struct vp_request rq = {
		.scope = sc ? sc->path : NULL, .v = sc ? &sc->v : &pg->v, .mi = &pg->mi,
		.psi = !sc && pg->have_psi ? &pg->psi : NULL,
		.usage = usage_of, .usage_data = g, .usage_unit = pg->spec->unit,
		.window_ms = now - pg->base.t_ms, .kill_unit = &pg->cfg.kill_unit,
	};
	pg->unreadable = 0;
	if (meminfo_read_fd(c->meminfo_fd, &pg->mi) < 0)
		memset(&pg->mi, 0, sizeof(pg->mi));
	switch (guard_ask(g, &rq, now, NULL)) {
	case VP_ACTED:
		pg->acted++;
		/* the next victim needs a whole duration again */
		sustain_reset(sc ? &sc->hist : &pg->hist);
		*(sc ? &sc->above_ms : &pg->above_ms) = 0;
		if (!sc)
			sustain_reset(&pg->contended_hist);
		usage_drop(&pg->base);
		if (!sc)
			pg->load_above_ms = 0;
		break;
	default:
		break;
	}
	if (pg->unreadable)
		log_notice("%s: %zu processes' counters were unreadable when ranking (gone, or no "
			   "permission): ranked as having used nothing", resource(pg), pg->unreadable);
}

void pressure_tick(struct guard *g, struct pressure_guard *pg)
{
	uint64_t now = clock_ms(pg);
	bool fired, warm;

	sample(g, pg, now);
	pressure_decide(pg, now, &pg->v);
	if (!g->active)
		return;
	walk_scopes(g, pg, now);
	fired = pg->v.level != LEVEL_OK;
	warm = hot(pg);
	for (size_t i = 0; i < pg->ncg; i++) {
		struct pressure_scope *sc = &pg->cg[i];

		sample_scope(pg, sc, now);
		pressure_decide_scope(pg, sc, now, &sc->v);
		fired |= sc->v.level != LEVEL_OK;
		warm |= sc->last >= pg->cfg.percent;
	}
	/* A window needs its baseline, taken when the pressure rises; one
	 * taken just now measures nothing yet: ask at the next look. */
	if ((fired || warm) && !pg->base.t_ms) {
		take_baseline(g, pg, now);
	} else if (!fired && !warm) {
		usage_drop(&pg->base);
	} else if (fired && now - pg->base.t_ms >= period(pg)) {
		if (pg->v.level != LEVEL_OK)
			ask(g, pg, NULL, now);
		for (size_t i = 0; i < pg->ncg && pg->base.t_ms; i++)
			if (pg->cg[i].v.level != LEVEL_OK)
				ask(g, pg, &pg->cg[i], now);
	}
	if (pg->timer.src.fd >= 0)
		loop_timer_arm(&pg->timer, pg->trig.fd >= 0 && !pg->base.t_ms && !fired && !pg->ncg ?
				MAX(period(pg), IDLE_WITH_TRIGGER_MS) : period(pg));
}

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	pressure_tick(g, g->state);
}

static void on_trigger(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct pressure_guard *pg = g->state;

	if (events & EPOLLERR) {
		log_warn("%s: PSI trigger fd failed; polling from now on", resource(pg));
		loop_close(g->env->loop, &pg->trig);
		pg->mode = "psi (poll: the trigger failed)";
		return;
	}
	pressure_tick(g, pg);
}

/* A PSI trigger wakes the guard when the pressure starts, so that a calm
 * machine is looked at every 10 s only; refused (old kernel, no
 * CAP_SYS_RESOURCE for the window), the guard polls every period. */
static void setup_trigger(struct guard *g, struct pressure_guard *pg)
{
	struct og_ctx *c = g->env->c;
	uint64_t stall = (uint64_t)((double)TRIGGER_WINDOW_US * pg->cfg.percent / 100.0);
	int fd;

	loop_close(g->env->loop, &pg->trig);
	if (pg->psi_fd < 0) {
		pg->mode = pg->spec->stat_fallback ? "/proc/stat and /proc/loadavg (no PSI)" : "none";
		return;
	}
	pg->mode = "psi (poll)";
	if (!g->env->loop || !g->active || c->kf.state[KF_PSI_TRIGGER] == KF_HIDDEN || stall == 0)
		return;
	fd = psi_trigger_open(c->proc_fd, pg->spec->psi_file, pg->spec->full, MAX(stall, 1u),
			      TRIGGER_WINDOW_US);
	if (fd < 0) {
		pg->mode = "psi (poll: triggers refused)";
		return;
	}
	if (loop_add(g->env->loop, &pg->trig, fd, EPOLLPRI, on_trigger, g) < 0) {
		close(fd);
		return;
	}
	pg->mode = "psi (trigger)";
}

static int open_psi(struct og_ctx *c, const struct pressure_spec *spec)
{
	struct psi psi;
	int fd;

	if (c->kf.state[KF_PSI] == KF_HIDDEN)
		return -1;
	fd = openat(c->proc_fd, spec->psi_file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && psi_read_fd(fd, &psi) < 0) {     /* psi=0: the file is there, reads fail */
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool set_active(struct guard *g, struct pressure_guard *pg)
{
	if (pg->psi_fd < 0 && !pg->spec->stat_fallback) {
		snprintf(g->why, sizeof(g->why), "no PSI (/proc/%s missing or unreadable: kernel "
			 "< 4.20, or booted with psi=0)", pg->spec->psi_file);
		return false;
	}
	if (!pg->cfg.enabled) {
		snprintf(g->why, sizeof(g->why), "off by default (%s.enabled: false)", resource(pg));
		return false;
	}
	return true;
}

int pressure_start(struct guard *g, const struct pressure_spec *spec)
{
	struct pressure_guard *pg = g->state;
	struct og_ctx *c = g->env->c;
	int r;

	pg->spec = spec;
	pg->cfg = spec->cfg_of(&c->cfg);
	pg->trig.fd = pg->timer.src.fd = -1;
	pg->base.kind = spec->kind;
	pg->psi_fd = open_psi(c, spec);
	if (pg->psi_fd < 0 && spec->stat_fallback &&
	    read_proc_stat_cpu(c->proc_fd, &pg->cpu, &pg->ncpu) < 0)
		pg->ncpu = 0;
	g->active = set_active(g, pg);
	sample(g, pg, clock_ms(pg));
	pressure_decide(pg, clock_ms(pg), &pg->v);
	if (g->env->loop) {
		if ((r = loop_timer_init(g->env->loop, &pg->timer, on_timer, g)) < 0)
			return r;
		g->tick = &pg->timer;
	}
	setup_trigger(g, pg);
	if (g->active && g->env->loop)
		loop_timer_arm(&pg->timer, period(pg));
	else if (g->active)
		walk_scopes(g, pg, clock_ms(pg));       /* explain: which cgroups it would watch */
	return g->active ? 0 : -ENOTSUP;
}

void pressure_reload(struct guard *g)
{
	struct pressure_guard *pg = g->state;

	pg->cfg = pg->spec->cfg_of(&g->env->c->cfg);
	g->active = set_active(g, pg);
	sustain_reset(&pg->hist);
	sustain_reset(&pg->contended_hist);
	usage_drop(&pg->base);
	pg->load_above_ms = pg->above_ms = 0;
	if (pg->timer.src.fd < 0)
		return;
	setup_trigger(g, pg);
	if (g->active)
		loop_timer_arm(&pg->timer, 1);
	else
		loop_timer_disarm(&pg->timer);
}

void pressure_stop(struct guard *g)
{
	struct pressure_guard *pg = g->state;

	loop_close(g->env->loop, &pg->trig);
	loop_timer_close(g->env->loop, &pg->timer);
	if (pg->psi_fd >= 0)
		close(pg->psi_fd);
	pg->psi_fd = -1;
	usage_free(&pg->base);
	for (size_t i = 0; i < pg->ncg; i++)
		scope_free(&pg->cg[i]);
	free(pg->cg);
	pg->cg = NULL;
	pg->ncg = pg->capcg = 0;
}

void pressure_describe(struct guard *g, struct describe *d)
{
	struct pressure_guard *pg = g->state;
	const struct pressure_cfg *cfg = &pg->cfg;
	const char *line = pg->spec->full ? "full" : "some";

	desc_str(d, "mode", pg->mode);
	desc_int(d, "duration_ms", (int64_t)cfg->duration_ms);
	if (pg->psi_fd < 0 && !pg->spec->stat_fallback) {
		desc_line(d, "No PSI: %s pressure cannot be judged", resource(pg));
	} else if (!fallback(pg)) {
		desc_line(d, "PSI %s %s (%s): avg10=%.2f avg60=%.2f; kill when %s >= %.0f%% for %llu ms",
			  resource(pg), line, pg->mode,
			  pg->have_psi ? (pg->spec->full ? pg->psi.full.avg10 : pg->psi.some.avg10) : 0,
			  pg->have_psi ? (pg->spec->full ? pg->psi.full.avg60 : pg->psi.some.avg60) : 0,
			  line, cfg->percent, (unsigned long long)cfg->duration_ms);
		desc_num(d, pg->spec->full ? "full_percent" : "some_percent", cfg->percent);
	} else {
		desc_line(d, "No PSI: %s; kill when busy >= %.0f%% and load >= %.2f per CPU for %llu ms "
			  "(0 = that signal not used)", pg->mode, cfg->busy_percent, cfg->load_per_cpu,
			  (unsigned long long)cfg->duration_ms);
		desc_num(d, "busy_percent", cfg->busy_percent);
		desc_num(d, "load_per_cpu", cfg->load_per_cpu);
	}
	if (pg->spec->kind == USAGE_CPU)
		desc_str(d, "kill_unit", cfg->kill_unit == KILL_UNIT_CGROUP ? "cgroup" : "process");
	if (pg->spec->kind == USAGE_CPU && !fallback(pg))
		desc_line(d, "The system scope also needs more runnable tasks than CPUs in >= %.0f%% of "
			  "the looks (PSI counts a cgroup throttled at its cpu.max as waiting)",
			  PRESSURE_CPU_CONTENDED_MIN);
	if (pg->share >= 0)
		desc_line(d, "Now: %.1f%% over the last %llu ms%s", pg->share,
			  (unsigned long long)pg->span_ms,
			  pg->base.t_ms ? "; a window is open (baseline taken)" : "");
	else
		desc_line(d, "Now: not enough history yet for %llu ms", (unsigned long long)cfg->duration_ms);
	desc_num(d, "share_percent", pg->share);
	if (pg->spec->kind == USAGE_IO && pg->busiest_percent >= 0)
		desc_line(d, "Busiest device over the last step: %s, %.0f%% busy", pg->busiest,
			  pg->busiest_percent);
	if (pg->spec->cg_limit_file)
		desc_line(d, "Cgroups with %s set, judged on their own %s full: %zu", pg->spec->cg_limit_file,
			  pg->spec->cg_psi_file, pg->ncg);
	for (size_t i = 0; i < pg->ncg; i++) {
		char esc[256];

		escape_untrusted(pg->cg[i].path, esc, sizeof(esc));
		desc_line(d, "  %s: %.1f%% over the last %llu ms", esc, pg->cg[i].share,
			  (unsigned long long)pg->cg[i].span_ms);
	}
	desc_int(d, "limited_cgroups", (int64_t)pg->ncg);
	desc_str(d, "level", level_name(pg->v.level));
	desc_str(d, "reason", pg->v.level == LEVEL_OK ? NULL : pg->v.reason);
	desc_int(d, "victims", (int64_t)pg->acted);
}
