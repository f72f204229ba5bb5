/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rulesets guard (issue 17): runs the oomd rulesets of the config
 * (engine.c) four times a second (oomd: once, with Debian's --interval 1),
 * so that it acts no later than oomd on the same config. A
 * kill plugin's choice goes to the victim pipeline as a whole-cgroup kill
 * (cgroup.kill, a pidfd, records, kmsg), where protected and managed
 * processes still never die: a cgroup holding one loses only its
 * killable processes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/sdbus.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/rulesets/engine.h"
#include "guards/rulesets/sdoomd.h"
#include "observe/meminfo.h"
#include "report/record.h"

#define TICK_MS 250              /* evaluations; oomd's history stays at 1 s (engine.h) */
#define DROPINS_MAX 64
#define DROPIN_SIZE_MAX (1u << 20)
#define SD_SCAN_MS 30000        /* systemd's units' ManagedOOM settings, read again */
#define SD_JOB_MS 5000
#define SD_UNITS_MAX 64
#define OOMD_CONF "/etc/systemd/oomd.conf"

struct rsg {
	struct loop_timer timer;
	struct rs_engine e;
	bool engine;
	struct rs_ruleset *views;       /* what runs: the base with its drop-ins (rs_views) */
	size_t n_views;
	/* oomd's --drop-in-dir: the files in force, newest first */
	struct rs_dropin *dropins;
	size_t n_dropins;
	struct loop_source ino;
	bool dir_watched;
	uint64_t dir_retry_ms;
	uint64_t acted, nobody, busy, dropins_refused;
	char last[512];
	char dropin_last[512];
	/* systemd-oomd's settings (sdoomd.c): the units last read, their rulesets */
	struct rs_config sdcfg;
	struct sd_oom_unit sd_units[SD_UNITS_MAX];
	size_t n_sd_units;
	bool sd_inflight;
	uint64_t sd_next_ms, sd_scans;
	char sd_err[320];
	/* systemd_restart: one RestartUnit at a time, for the plugin at rs_key */
	const void *rs_key;
	int rs_state;                   /* 0 none, 1 asked, 2 answered (rs_ok) */
	bool rs_ok;
};

struct restart_job {
	struct sdbus **bus;
	char unit[256];
	char err[320];
};

/* A read of the units' settings, in the D-Bus lane. */
struct sd_job {
	struct sdbus **bus;
	struct sd_oom_unit u[SD_UNITS_MAX];
	int n;
	struct sd_oomd_conf conf;
	char err[320];
};

static struct rsg *S(struct guard *g) { return g->state; }
static void dropin_watch(struct guard *g);
static void on_inotify(void *userdata, uint32_t events);
static void sd_scan(struct guard *g, uint64_t now);
static int restart_unit(void *u, const void *key, const char *unit, bool dry);
static bool sd_wanted(struct guard *g);

__attribute__((format(printf, 4, 5)))
static void say(void *u, bool engine, bool silenced, const char *fmt, ...)
{
	va_list ap;
	char msg[768];

	if (silenced)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (engine)
		log_debug("rulesets: %s", msg);
	else
		log_notice("rulesets: %s", msg);
}

static int kill_cgroup(void *u, const struct rs_kill *k)
{
	struct guard *g = u;
	struct rsg *s = S(g);
	struct meminfo mi = { 0 };
	struct verdict v = { .level = LEVEL_KILL, .trigger = TRIG_RULESET };
	char scope[RS_PATH_MAX + 2];
	struct vp_request rq = { .v = &v, .mi = &mi, .scope = scope, .whole_scope = true };
	enum vp_result r;

	char why[1024];

	snprintf(scope, sizeof(scope), "/%s", k->cgroup);
	snprintf(why, sizeof(why), "ruleset \"%s\": detector group \"%s\" fired; %s chose %s (%s)",
		 k->ruleset, k->group, k->plugin, scope, k->why);
	snprintf(v.reason, sizeof(v.reason), "%.*s", (int)sizeof(v.reason) - 1, why);
	if (k->dry) {           /* the plugin's dry: oomd logs, kills nothing */
		snprintf(why, sizeof(why), "would kill %s (dry): %s", scope, v.reason);
		snprintf(s->last, sizeof(s->last), "%.*s", (int)sizeof(s->last) - 1, why);
		report_event(g->env->rep, "rulesets", "dry-kill", s->last);
		log_notice("rulesets: %s", s->last);
		return 1;
	}
	meminfo_read_fd(g->env->c->meminfo_fd, &mi);
	r = guard_ask(g, &rq, now_ms(), NULL);
	snprintf(why, sizeof(why), "%s: %s", vp_result_name(r), v.reason);
	snprintf(s->last, sizeof(s->last), "%.*s", (int)sizeof(s->last) - 1, why);
	switch (r) {
	case VP_ACTED:
		s->acted++;
		return 1;
	case VP_BUSY:
	case VP_COOLDOWN:
		s->busy++;
		return -1;
	default:
		s->nobody++;
		return 0;
	}
}

static void tick(struct guard *g)
{
	struct og_ctx *c = g->env->c;
	struct rs_env env = { .cg_fd = c->cg_root_fd, .cg_root = c->cg_root, .proc_fd = c->proc_fd,
			      .now_ms = now_ms(), .kill = kill_cgroup, .say = say,
			      .restart = restart_unit, .dry_run = c->cfg.dry_run, .u = g };

	struct rsg *s = S(g);

	if (c->cg_root_fd >= 0 && s->engine && s->n_views)
		rs_engine_tick(&s->e, &env);
	if (c->opts && c->opts->dropin_dir && !s->dir_watched &&
	    env.now_ms - s->dir_retry_ms >= 1000)
		dropin_watch(g);        /* the directory is not there: once a second, as oomd */
	sd_scan(g, env.now_ms);
	/* four times a second only with something to run; else once a second
	 * while the drop-in directory is missing, or at the next read of
	 * systemd's settings; nothing once the guard is off (a reload) */
	if (!g->active)
		return;
	if (s->engine && s->n_views)
		loop_timer_arm(&s->timer, TICK_MS);
	else if (c->opts && c->opts->dropin_dir && !s->dir_watched)
		loop_timer_arm(&s->timer, 1000);
	else if (sd_wanted(g))
		loop_timer_arm(&s->timer, MAX(s->sd_next_ms > env.now_ms ?
					      s->sd_next_ms - env.now_ms : 0, TICK_MS));
}

static void on_timer(void *userdata, uint32_t events) { tick(userdata); }

/* The engine over the base rulesets and the drop-ins in force (their
 * state starts afresh: oomd compiles a fresh copy of a ruleset per
 * drop-in). 0 or -errno. */
static int rebuild(struct guard *g)
{
	struct rsg *s = S(g);
	const struct rs_config *rc = &g->env->c->cfg.rulesets;
	struct rs_ruleset *old = s->views;
	int r;

	s->views = NULL;
	if ((r = rs_views(rc, s->dropins, s->n_dropins, &s->views, &s->n_views)) < 0) {
		s->views = old;
		return r;
	}
	if (s->sdcfg.n_rulesets) {      /* systemd-oomd's after the config's */
		struct rs_ruleset *v = realloc(s->views, (s->n_views + s->sdcfg.n_rulesets) *
					       sizeof(*v));

		if (!v) {
			free(s->views);
			s->views = old;
			return -ENOMEM;
		}
		memcpy(v + s->n_views, s->sdcfg.rulesets, s->sdcfg.n_rulesets * sizeof(*v));
		s->views = v;
		s->n_views += s->sdcfg.n_rulesets;
	}
	/* what stays keeps its state (the engine compares the old views) */
	r = s->engine ? rs_engine_rebuild(&s->e, s->views, s->n_views) :
			rs_engine_init(&s->e, s->views, s->n_views);
	free(old);
	if (r < 0) {
		s->engine = false;
		return r;
	}
	if (s->rs_state == 2)
		s->rs_state = 0;        /* an answer nobody waits for now */
	s->engine = true;
	return 0;
}

static void dropin_free(struct rs_dropin *d)
{
	rs_config_free(&d->c);
}

/* Forget the drop-in tag (a file removed, or replaced). */
static bool dropin_remove(struct rsg *s, const char *tag)
{
	for (size_t i = 0; i < s->n_dropins; i++)
		if (!strcmp(s->dropins[i].tag, tag)) {
			dropin_free(&s->dropins[i]);
			memmove(&s->dropins[i], &s->dropins[i + 1],
				(s->n_dropins - i - 1) * sizeof(*s->dropins));
			s->n_dropins--;
			return true;
		}
	return false;
}

static void dropin_say(struct guard *g, const char *event, const char *msg)
{
	struct rsg *s = S(g);

	/* cut to the buffer, as said (-O3 sees the longer messages) */
	snprintf(s->dropin_last, sizeof(s->dropin_last), "%.*s", (int)sizeof(s->dropin_last) - 1,
		 msg);
	report_event(g->env->rep, "rulesets", event, msg);
	if (!strcmp(event, "drop-in-refused"))
		log_warn("rulesets: %s", msg);
	else
		log_notice("rulesets: %s", msg);
}

/* Read and check the drop-in file tag of dirfd; in force, newest, when it
 * is good. A bad one is said and the version in force stays (as oomd). A
 * file is taken as the config is: regular, root's, nobody else may write
 * it. true when what runs changed. */
static bool dropin_load(struct guard *g, int dirfd, const char *tag)
{
	struct rsg *s = S(g);
	const struct og_opts *o = g->env->c->opts;
	struct rs_dropin d = { 0 };
	char err[640], name[400], *buf = NULL;
	struct stat st;
	ssize_t n = 0, k;
	int fd;

	snprintf(name, sizeof(name), "%.200s/%.190s", o->dropin_dir, tag);
	if ((fd = openat(dirfd, tag, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return false;           /* gone again, or a link: nothing to take */
	}
	if (!S_ISREG(st.st_mode) || (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & 022))) ||
	    st.st_size > DROPIN_SIZE_MAX) {
		close(fd);
		snprintf(err, sizeof(err), "%s: refused: %s", name, !S_ISREG(st.st_mode) ?
			 "not a regular file" : st.st_size > DROPIN_SIZE_MAX ? "larger than 1 MiB" :
			 "not root's, or others may write it");
		s->dropins_refused++;
		dropin_say(g, "drop-in-refused", err);
		return false;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return false;
	}
	while (n < st.st_size && (k = read(fd, buf + n, (size_t)(st.st_size - n))) > 0)
		n += k;
	close(fd);
	snprintf(d.tag, sizeof(d.tag), "%s", tag);
	if (!n) {               /* touch: nothing yet (oomd ignores it too) */
		free(buf);
		return false;
	}
	if (rs_parse_oomd(name, buf, (size_t)n, true, &d.c, err, sizeof(err)) < 0 ||
	    rs_dropin_check(&g->env->c->cfg.rulesets, &d.c, name, err, sizeof(err)) < 0) {
		free(buf);
		rs_config_free(&d.c);
		s->dropins_refused++;
		dropin_say(g, "drop-in-refused", err);
		return false;
	}
	free(buf);
	dropin_remove(s, tag);
	if (s->n_dropins == DROPINS_MAX) {
		snprintf(err, sizeof(err), "%s: refused: %d drop-ins are in force already", name,
			 DROPINS_MAX);
		rs_config_free(&d.c);
		dropin_say(g, "drop-in-refused", err);
		return true;    /* its old version went */
	}
	memmove(&s->dropins[1], &s->dropins[0], s->n_dropins * sizeof(*s->dropins));
	s->dropins[0] = d;
	s->n_dropins++;
	snprintf(err, sizeof(err), "%s: in force, %zu ruleset(s)", name, d.c.n_rulesets);
	dropin_say(g, "drop-in", err);
	return true;
}

static void changed(struct guard *g)
{
	if (rebuild(g) < 0)
		log_err("rulesets: out of memory rebuilding the rulesets");
}

/* Watch the drop-in directory and take what is in it, in name order (as
 * oomd at start, or when the directory comes back). */
static void dropin_watch(struct guard *g)
{
	struct rsg *s = S(g);
	const char *dir = g->env->c->opts ? g->env->c->opts->dropin_dir : NULL;
	struct dirent **names = NULL;
	int n, dirfd;
	bool any = false;

	if (!dir || s->dir_watched || !g->env->loop)
		return;
	s->dir_retry_ms = now_ms();
	if (s->ino.fd < 0) {
		int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

		if (fd < 0 || loop_add(g->env->loop, &s->ino, fd, EPOLLIN, on_inotify, g) < 0) {
			if (fd >= 0)
				close(fd);
			return;
		}
	}
	if (inotify_add_watch(s->ino.fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE |
			      IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0)
		return;         /* not there (yet): tried again every second */
	s->dir_watched = true;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	n = scandirat(dirfd, ".", &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			any |= dropin_load(g, dirfd, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	close(dirfd);
	if (any)
		changed(g);
}

static void on_inotify(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct rsg *s = S(g);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;
	int dirfd;

	if ((n = read(s->ino.fd, buf, sizeof(buf))) <= 0)
		return;
	dirfd = open(g->env->c->opts->dropin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (ssize_t off = 0; off < n;) {
		const struct inotify_event *e = (const struct inotify_event *)(buf + off);
		char msg[PATH_MAX + 64];

		off += (ssize_t)(sizeof(*e) + e->len);
		if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_Q_OVERFLOW)) {
			s->dir_watched = false;         /* watched again (and read) when it is back */
			continue;
		}
		if (!e->len || e->name[0] == '.')
			continue;
		if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
			if (dropin_remove(s, e->name)) {
				snprintf(msg, sizeof(msg), "%s/%s: removed", g->env->c->opts->dropin_dir,
					 e->name);
				dropin_say(g, "drop-in", msg);
				any = true;
			}
		} else if (dirfd >= 0) {
			any |= dropin_load(g, dirfd, e->name);
		}
	}
	if (dirfd >= 0)
		close(dirfd);
	if (any)
		changed(g);
	if (!s->dir_watched)
		dropin_watch(g);
}

static struct guard *restart_g;        /* whose RestartUnit is in the lane */

static int restart_run(void *arg)
{
	struct restart_job *j = arg;

	if (!*j->bus && sdbus_open(j->bus, j->err, sizeof(j->err)) < 0)
		return -ENOTCONN;
	return sdbus_restart_unit(*j->bus, j->unit, 2000, j->err, sizeof(j->err));
}

static void restart_done(void *arg, int result, bool timed_out)
{
	struct restart_job *j = arg;
	struct guard *g = restart_g;
	char msg[700];

	if (!g) {
		if (!timed_out)
			free(j);
		return;
	}
	restart_g = NULL;
	S(g)->rs_state = 2;
	S(g)->rs_ok = !timed_out && result == 0;
	if (timed_out)
		snprintf(msg, sizeof(msg), "systemd_restart: systemd did not answer in time");
	else if (result < 0)
		snprintf(msg, sizeof(msg), "systemd_restart: %s", j->err);
	else
		snprintf(msg, sizeof(msg), "restarted systemd service=%s", j->unit);
	report_event(g->env->rep, "rulesets", "restart", msg);
	if (!timed_out && result == 0)
		report_kmsg(g->env->rep, "%s", msg);
	log_notice("rulesets: %s", msg);
	if (!timed_out)
		free(j);
}

static int restart_unit(void *u, const void *key, const char *unit, bool dry)
{
	struct guard *g = u;
	struct rsg *s = S(g);
	struct restart_job *j;
	char msg[400];

	if (dry) {
		snprintf(msg, sizeof(msg), "restarted systemd service=%s (dry)", unit);
		report_event(g->env->rep, "rulesets", "restart", msg);
		log_notice("rulesets: %s", msg);
		return 1;
	}
	if (s->rs_state == 2 && s->rs_key == key) {
		s->rs_state = 0;
		return s->rs_ok;
	}
	if (s->rs_state == 2)
		s->rs_state = 0;        /* another plugin's, not asked for again: gone */
	if (s->rs_state || !g->env->worker)
		return s->rs_state ? -1 : 0;
	if (worker_lane_busy(g->env->worker, g->env->bus_lane) || !(j = calloc(1, sizeof(*j))))
		return -1;
	j->bus = &g->env->bus;
	snprintf(j->unit, sizeof(j->unit), "%s", unit);
	if (worker_submit(g->env->worker, g->env->bus_lane, restart_run, j, SD_JOB_MS,
			  restart_done, free) < 0) {
		free(j);
		return -1;
	}
	s->rs_state = 1;
	s->rs_key = key;
	restart_g = g;
	return -1;
}

/* systemd is PID 1 and systemd_oomd.enabled: its units' settings count. */
static bool sd_wanted(struct guard *g)
{
	return g->env->c->cfg.sd_oomd_enabled && g->env->worker && sd_booted_here();
}

static int sd_run(void *arg)
{
	struct sd_job *j = arg;
	char buf[8192];
	FILE *f;
	size_t n;

	rs_sdoomd_conf_default(&j->conf);
	if ((f = fopen(OOMD_CONF, "re"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		rs_sdoomd_conf_parse(buf, &j->conf);
	}
	if (!*j->bus && sdbus_open(j->bus, j->err, sizeof(j->err)) < 0)
		return -ENOTCONN;
	j->n = sdbus_managed_oom_units(*j->bus, j->u, SD_UNITS_MAX, 2000, j->err, sizeof(j->err));
	return j->n < 0 ? j->n : 0;
}

static struct guard *sd_g;      /* the guard whose read is in the lane (NULL once stopped) */

static void sd_done(void *arg, int result, bool timed_out)
{
	struct sd_job *j = arg;
	struct guard *g = sd_g;
	struct rsg *s = g ? S(g) : NULL;
	char err[400], msg[1024];
	size_t len;

	if (!s) {
		if (!timed_out)
			free(j);
		return;
	}
	sd_g = NULL;
	s->sd_inflight = false;
	s->sd_next_ms = now_ms() + SD_SCAN_MS;
	if (timed_out) {
		snprintf(s->sd_err, sizeof(s->sd_err), "systemd did not answer within %d ms",
			 SD_JOB_MS);
		return;
	}
	s->sd_scans++;
	if (result < 0) {
		snprintf(s->sd_err, sizeof(s->sd_err), "%s", *j->err ? j->err : strerror(-result));
		free(j);
		return;
	}
	s->sd_err[0] = '\0';
	if ((size_t)j->n == s->n_sd_units &&
	    !memcmp(j->u, s->sd_units, (size_t)j->n * sizeof(*j->u))) {
		free(j);
		return;         /* nothing changed */
	}
	memcpy(s->sd_units, j->u, (size_t)j->n * sizeof(*j->u));
	s->n_sd_units = (size_t)j->n;
	rs_config_free(&s->sdcfg);
	if (rs_sdoomd_rulesets(j->u, (size_t)j->n, &j->conf, &s->sdcfg, err, sizeof(err)) < 0)
		log_warn("rulesets: systemd-oomd settings: %s", err);
	len = (size_t)snprintf(msg, sizeof(msg), "systemd-oomd settings of %d unit(s)", j->n);
	for (int i = 0; i < j->n && len < sizeof(msg) - 80; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s%s%s", i ? ";" : ":",
					j->u[i].unit, j->u[i].pressure_kill ?
					" ManagedOOMMemoryPressure=kill" : "",
					j->u[i].swap_kill ? " ManagedOOMSwap=kill" : "");
	report_event(g->env->rep, "rulesets", "systemd-oomd", msg);
	log_notice("rulesets: %s: %zu ruleset(s)", msg, s->sdcfg.n_rulesets);
	free(j);
	if (rebuild(g) < 0)
		log_err("rulesets: out of memory rebuilding the rulesets");
}

/* Read the units' settings again when due and the D-Bus lane is free. */
static void sd_scan(struct guard *g, uint64_t now)
{
	struct rsg *s = S(g);
	struct sd_job *j;

	if (!sd_wanted(g) || s->sd_inflight || now < s->sd_next_ms ||
	    worker_lane_busy(g->env->worker, g->env->bus_lane))
		return;
	if (!(j = calloc(1, sizeof(*j))))
		return;
	j->bus = &g->env->bus;
	if (worker_submit(g->env->worker, g->env->bus_lane, sd_run, j, SD_JOB_MS, sd_done, free) < 0) {
		free(j);
		return;
	}
	s->sd_inflight = true;
	sd_g = g;
}

static int setup(struct guard *g)
{
	struct rsg *s = S(g);
	const struct rs_config *rc = &g->env->c->cfg.rulesets;
	int r;

	/* the views point into the config that was: gone with it (a reload) */
	if (s->engine)
		rs_engine_free(&s->e);
	s->engine = false;
	free(s->views);
	s->views = NULL;
	s->n_views = 0;
	if (!s->dropins) {
		snprintf(g->why, sizeof(g->why), "out of memory");
		return -ENOMEM;
	}
	if (!rc->n_rulesets && !sd_wanted(g)) {
		snprintf(g->why, sizeof(g->why), "no oomd rulesets in the config, and no systemd "
			 "as PID 1 to read units' ManagedOOM settings from%s",
			 g->env->c->cfg.sd_oomd_enabled ? "" : " (systemd_oomd.enabled: false)");
		return -ENOTSUP;
	}
	if (g->env->c->cg_root_fd < 0) {
		snprintf(g->why, sizeof(g->why), "no cgroup v2 hierarchy found");
		return -ENOTSUP;
	}
	/* a drop-in checked against the old base may not fit the new one */
	for (size_t i = 0; i < s->n_dropins;) {
		char err[640];

		if (rs_dropin_check(rc, &s->dropins[i].c, s->dropins[i].tag, err, sizeof(err)) < 0) {
			dropin_say(g, "drop-in-refused", err);
			dropin_remove(s, s->dropins[i].tag);
		} else {
			i++;
		}
	}
	if ((r = rebuild(g)) < 0)
		return r;
	if (g->env->loop) {
		dropin_watch(g);
		loop_timer_arm(&s->timer, TICK_MS);
	}
	return 0;
}

static int rulesets_start(struct guard *g)
{
	struct rsg *s = S(g);
	int r;

	s->timer.src.fd = -1;
	s->ino.fd = -1;
	if (g->env->loop) {
		if ((r = loop_timer_init(g->env->loop, &s->timer, on_timer, g)) < 0)
			return r;
		g->tick = &s->timer;
	}
	if (!(s->dropins = calloc(DROPINS_MAX, sizeof(*s->dropins))))
		return -ENOMEM;
	if ((r = setup(g)) == 0 && g->env->loop)
		log_notice("rulesets: %zu oomd ruleset(s) from %s, every %d ms",
			   g->env->c->cfg.rulesets.n_rulesets, g->env->c->cfg.path, TICK_MS);
	return r;
}

/* A new config: its rulesets start afresh (oomd's detectors' timers too). */
static void rulesets_reload(struct guard *g)
{
	loop_timer_disarm(&S(g)->timer);
	g->active = setup(g) == 0;
}

static void rulesets_describe(struct guard *g, struct describe *d)
{
	struct rsg *s = S(g);
	const struct rs_config *rc = &g->env->c->cfg.rulesets;

	desc_line(d, "  %zu oomd ruleset(s) running (%zu drop-in file(s) in force), every %d ms: "
		  "%llu kills asked, %llu with nobody killable, %llu while another episode ran",
		  s->n_views, s->n_dropins, TICK_MS,
		  (unsigned long long)s->acted, (unsigned long long)s->nobody,
		  (unsigned long long)s->busy);
	if (*s->last)
		desc_line(d, "  last: %s", s->last);
	if (g->env->c->opts && g->env->c->opts->dropin_dir)
		desc_line(d, "  drop-ins: %s%s; %llu refused%s%s", g->env->c->opts->dropin_dir,
			  s->dir_watched ? "" : " (not there: looked for every second)",
			  (unsigned long long)s->dropins_refused, *s->dropin_last ? "; last: " : "",
			  s->dropin_last);
	if (sd_wanted(g))
		desc_line(d, "  systemd-oomd settings: %zu unit(s) with ManagedOOM*=kill, %zu "
			  "ruleset(s), read every %d s (%llu reads)%s%s", s->n_sd_units,
			  s->sdcfg.n_rulesets, SD_SCAN_MS / 1000, (unsigned long long)s->sd_scans,
			  *s->sd_err ? "; last error: " : "", s->sd_err);
	desc_int(d, "rulesets", (int64_t)rc->n_rulesets);
	desc_int(d, "systemd_oomd_units", (int64_t)s->n_sd_units);
	desc_int(d, "rulesets_running", (int64_t)s->n_views);
	desc_int(d, "dropins", (int64_t)s->n_dropins);
	desc_int(d, "kills", (int64_t)s->acted);
}

static void rulesets_stop(struct guard *g)
{
	struct rsg *s = S(g);

	if ((s->sd_inflight || s->rs_state == 1) && g->env->worker)
		worker_wait(g->env->worker, g->env->bus_lane, SD_JOB_MS + 100);
	if (sd_g == g)
		sd_g = NULL;
	if (restart_g == g)
		restart_g = NULL;
	rs_config_free(&s->sdcfg);

	loop_timer_close(g->env->loop, &s->timer);
	loop_close(g->env->loop, &s->ino);
	if (s->engine)
		rs_engine_free(&s->e);
	s->engine = false;
	free(s->views);
	s->views = NULL;
	for (size_t i = 0; s->dropins && i < s->n_dropins; i++)
		dropin_free(&s->dropins[i]);
	free(s->dropins);
	s->dropins = NULL;
	s->n_dropins = 0;
}

const struct guard_ops rulesets_guard_ops = {
	.name = "rulesets",
	.state_size = sizeof(struct rsg),
	.start = rulesets_start,
	.reload = rulesets_reload,
	.describe = rulesets_describe,
	.stop = rulesets_stop,
};
