/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot on the daemon's loop, the metrics textfile's timer and
 * lane, and the status socket. See statusd.h. */
#include "core/statusd.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "guards/memory/memory.h"
#include "observe/meminfo.h"
#include "observe/psi.h"
#include "report/textfile.h"

#define ACCEPTS_PER_WAKEUP 8
#define TEXTFILE_TIMEOUT_MS 10000

/* ---- the counters ------------------------------------------------------ */

static void on_tap(void *userdata, const struct report_tap *t)
{
	struct statusd *s = userdata;

	snap_count_tap(&s->live, t, (int64_t)realtime_ms());
}

static void on_ask(void *userdata, struct guard *g, const struct vp_request *rq, bool acted,
		   uint64_t latency_us)
{
	struct statusd *s = userdata;
	bool danger = rq->v->level != LEVEL_OK;

	snap_count_ask(&s->live, g->ops->name, danger, trigger_name(rq->v->trigger), acted,
		       (double)latency_us / 1e6, now_ms());
}

/* ---- readings ------------------------------------------------------------ */

static int64_t jint(json_object *o, const char *k, bool *ok)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int)) {
		*ok = false;
		return 0;
	}
	return json_object_get_int64(v);
}

/* The disk and gpu guards' readings, as their describe says them. */
static void from_describe(struct og_snapshot *snap, struct guard *g, struct snap_guard *sg)
{
	json_object *o = json_object_new_object(), *x;
	struct describe d = { .json = o };
	bool ok = true;

	if (!o)
		return;
	g->ops->describe(g, &d);
	if (!strcmp(g->ops->name, "disk")) {
		sg->cleanups = (uint64_t)jint(o, "cleanups", &ok);
		sg->has_cleanups = ok;
		if (json_object_object_get_ex(o, "filesystems", &x) &&
		    json_object_is_type(x, json_type_object)) {
			json_object_object_foreach(x, path, v) {
				struct snap_fs *f = &snap->fs[snap->n_fs];

				ok = true;
				if (snap->n_fs == SNAP_FS)
					break;
				f->size = (uint64_t)jint(v, "size", &ok);
				f->avail = (uint64_t)jint(v, "avail", &ok);
				/* valid UTF-8 (a cut never splits a character): a label value */
				escape_untrusted(path, f->path, sizeof(f->path));
				snap->n_fs += ok;
			}
		}
	} else if (json_object_object_get_ex(o, "devices", &x) &&
		   json_object_is_type(x, json_type_object)) {
		json_object_object_foreach(x, index, v) {
			struct snap_gpu *gp = &snap->gpus[snap->n_gpus];
			json_object *name;

			ok = true;
			if (snap->n_gpus == SNAP_GPUS)
				break;
			gp->total = (uint64_t)jint(v, "memory_total", &ok);
			gp->used = (uint64_t)jint(v, "memory_used", &ok);
			int64_t idx;

			ok = ok && parse_int_range(index, 0, INT32_MAX, &idx) == 0;
			gp->index = ok ? (int)idx : -1;
			escape_untrusted(json_object_object_get_ex(v, "name", &name) ?
					 json_object_get_string(name) : "", gp->name, sizeof(gp->name));
			snap->n_gpus += ok;     /* only a device whose memory was read */
		}
	}
	json_object_put(o);
}

const struct og_snapshot *statusd_take(struct statusd *s)
{
	struct og_snapshot *snap = &s->snap;
	struct og_ctx *c = s->env->c;
	struct guard *gs = s->env->guards, *mem = guard_find(gs, "memory");
	const struct meminfo *mi = NULL;
	struct meminfo own;

	*snap = s->live;
	snap->time_ms = (int64_t)realtime_ms();
	snap->dry_run = c->cfg.dry_run;
	snap->records_dropped = s->env->rep->dropped;
	if (mem && mem->active)
		memory_verdict(mem, &mi);       /* what its last tick read */
	else if (meminfo_read_fd(c->meminfo_fd, &own) == 0)
		mi = &own;
	if ((snap->have_mem = mi && mi->mem_total)) {
		snap->mem_total = mi->mem_total;
		snap->mem_available = mi->mem_available;
		snap->swap_total = mi->swap_total;
		snap->swap_free = mi->swap_free;
	}
	for (int r = 0; r < SNAP_PSI_N; r++) {
		struct psi p;

		snap->psi[r].have = s->psi_fd[r] >= 0 && psi_read_fd(s->psi_fd[r], &p) == 0;
		if (!snap->psi[r].have)
			continue;
		snap->psi[r].has_full = p.has_full;
		snap->psi[r].some_avg10 = p.some.avg10;
		snap->psi[r].full_avg10 = p.full.avg10;
		snap->psi[r].some_total_us = p.some.total_us;
		snap->psi[r].full_total_us = p.full.total_us;
	}
	snap->n_fs = snap->n_gpus = 0;
	for (size_t i = 0; i < guard_count; i++) {
		struct guard *g = &gs[i];
		struct snap_guard *sg;

		if (g->ops->hidden && !g->active)
			continue;
		if (!(sg = snap_guard(snap, g->ops->name)))
			continue;
		sg->active = g->active;
		snprintf(sg->why, sizeof(sg->why), "%s", g->active ? "" : g->why);
		if (g->active && g->state && g->ops->describe &&
		    (!strcmp(g->ops->name, "disk") || !strcmp(g->ops->name, "gpu")))
			from_describe(snap, g, sg);
	}
	return snap;
}

/* ---- the textfile -------------------------------------------------------- */

/* The one write in flight: the lane is busy until its release ran, so it
 * is never reused while the lane thread still holds it. */
static void tf_free(void *arg)
{
	struct tf_job *j = arg;

	free(j->path);
	free(j->text);
	j->path = j->text = NULL;
}

static int tf_run(void *arg)
{
	struct tf_job *j = arg;

	return textfile_replace(j->path, j->text, j->len);
}

static void tf_done(void *arg, int result, bool timed_out)
{
	struct tf_job *j = arg;
	struct statusd *s = j->s;
	const char *path = s->env->c->cfg.metrics_textfile;

	if (result != s->last_err) {
		if (result < 0)
			log_warn("metrics: cannot write %s: %s", path ? path : "the textfile",
				 strerror(-result));
		else
			log_notice("metrics: %s written again", path ? path : "the textfile");
	}
	s->last_err = result;
	if (!timed_out)
		tf_free(arg);
}

static void write_textfile(struct statusd *s)
{
	const char *path = s->env->c->cfg.metrics_textfile;
	struct tf_job *j = &s->job;
	FILE *f;
	int r;

	if (!path || worker_lane_busy(s->env->worker, s->lane))
		return;                 /* the last write still runs (a slow disk): skip one */
	j->s = s;
	f = open_memstream(&j->text, &j->len);
	if (!f || !(j->path = strdup(path)) || snap_metrics(statusd_take(s), f) < 0) {
		if (f)
			fclose(f);
		tf_free(j);
		return;
	}
	if (fclose(f) != 0) {
		tf_free(j);
		return;
	}
	if ((r = worker_submit(s->env->worker, s->lane, tf_run, j, TEXTFILE_TIMEOUT_MS, tf_done,
			       tf_free)) < 0) {
		log_warn("metrics: cannot start a write: %s", strerror(-r));
		tf_free(j);
	}
}

static void on_timer(void *userdata, uint32_t events)
{
	struct statusd *s = userdata;

	write_textfile(s);
	if (s->env->c->cfg.metrics_textfile)
		loop_timer_arm(&s->timer, s->env->c->cfg.metrics_interval_ms);
}

void statusd_reload(struct statusd *s)
{
	const struct og_config *cfg = &s->env->c->cfg;

	if (!s->started)
		return;
	if (cfg->metrics_textfile) {
		loop_timer_arm(&s->timer, 1);   /* config_describe's line says where */
	} else {
		loop_timer_disarm(&s->timer);
	}
}

/* ---- the socket ------------------------------------------------------------ */

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void on_connect(void *userdata, uint32_t events)
{
	struct statusd *s = userdata;
	json_object *o = NULL;
	const char *text = NULL;
	size_t len = 0;

	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(s->listen.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		if (!peer_allowed(fd)) {
			close(fd);
			continue;
		}
		if (!o && (o = snap_to_json(statusd_take(s)))) {
			text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
			len = strlen(text);
		}
		/* one nonblocking send: a client that does not take it all gets
		 * less, and knows (the JSON does not parse); never waited on */
		if (text)
			(void)!send(fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
	}
	json_object_put(o);
}

static int make_dir_of(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int listen_on(struct statusd *s, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	if ((r = make_dir_of(path)) < 0)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (lstat(path, &st) == 0) {
		/* non-blocking: a daemon with a full backlog answers EAGAIN at
		 * once instead of holding the start */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		bool answered = probe >= 0 && (connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0 ||
						errno == EAGAIN);

		if (probe >= 0)
			close(probe);
		if (answered || !S_ISSOCK(st.st_mode)) {
			close(fd);
			return answered ? -EADDRINUSE : -EEXIST;
		}
		unlink(path);   /* a stale socket of a daemon gone */
	}
	old = umask(0177);      /* the socket is made 0600 (no chmod: it follows links) */
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if ((r = loop_add(s->env->loop, &s->listen, fd, EPOLLIN, on_connect, s)) < 0) {
		close(fd);
		unlink(path);
		return r;
	}
	snprintf(s->sock_path, sizeof(s->sock_path), "%s", path);
	return 0;
}

int statusd_start(struct statusd *s, struct guard_env *env, const char *sock_path, unsigned lane)
{
	int r;

	s->env = env;
	s->lane = lane;
	s->listen.fd = -1;
	s->live.start_ms = (int64_t)realtime_ms();
	for (int i = 0; i < SNAP_PSI_N; i++) {
		char p[32];

		snprintf(p, sizeof(p), "pressure/%s", snap_psi_names[i]);
		s->psi_fd[i] = openat(env->c->proc_fd, p, O_RDONLY | O_CLOEXEC);
	}
	if ((r = loop_timer_init(env->loop, &s->timer, on_timer, s)) < 0)
		return r;
	if ((r = reporter_tap_add(env->rep, on_tap, s)) < 0)
		return r;
	env->asked = on_ask;
	env->asked_data = s;
	s->started = true;
	if (sock_path && *sock_path) {
		if ((r = listen_on(s, sock_path)) < 0)
			log_warn("status socket %s: %s: `oomguard status` and `oomguard watch` "
				 "cannot reach this daemon", sock_path,
				 r == -EADDRINUSE ? "another daemon answers there" : strerror(-r));
		else
			log_notice("status socket %s", sock_path);
	}
	statusd_reload(s);
	return 0;
}

void statusd_stop(struct statusd *s)
{
	if (!s->started)
		return;
	reporter_tap_remove(s->env->rep, s);
	s->env->asked = NULL;
	loop_timer_close(s->env->loop, &s->timer);
	if (s->listen.fd >= 0) {
		loop_close(s->env->loop, &s->listen);
		unlink(s->sock_path);
	}
	for (int i = 0; i < SNAP_PSI_N; i++)
		if (s->psi_fd[i] >= 0)
			close(s->psi_fd[i]);
	s->started = false;
}
