/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon: the loop, the victim pipeline, the worker and the guards,
 * wired together; reload and stop. Nothing here knows a resource. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "og-config.h"
#include "core/daemon.h"
#include "core/guard.h"
#include "core/log.h"
#include "core/sdbus.h"
#include "report/notify.h"
#include "core/statusd.h"
#include "core/loop.h"
#include "core/util.h"
#include "core/worker.h"
#include "hooks/hooks.h"
#include "victim/rules.h"

struct daemon {
	struct og_ctx c;
	struct reporter rep;
	struct guard_env env;
	struct guard guards[32];
	struct loop *loop;
	struct loop_timer kmsg_timer;   /* the summary of kmsg lines the rate limit held back */
	struct kill_notify notify;      /* kills as a signal on the system bus */
	struct statusd status;          /* metrics textfile, status socket */
	struct hooks *hooks;            /* hooks.pre_kill and post_kill: lanes guard_count + 3, + 4 */
};

/* The config's summary as log lines: it holds the config's own strings
 * (regexes, paths), escaped like any other log line. */
static void log_config(const struct og_config *cfg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return;
	config_describe(cfg, f);
	if (fclose(f) == 0)
		log_text(LOG_INFO, text);
	free(text);
	if (cfg->warnings)
		log_text(LOG_WARNING, cfg->warnings);
}

static const char *config_name(const struct daemon *d)
{
	return d->c.opts->config_path ? d->c.opts->config_path : "built-in default";
}

/* A new config is taken whole or not at all: it must load, its records
 * output must open, and every guard must accept it. */
static void reload(void *userdata)
{
	struct daemon *d = userdata;
	char err[OG_ERR_SIZE] = "";
	struct og_config next;
	struct reporter rep;
	int r = 0;

	loop_notify("RELOADING=1");
	config_default(&next);
	if (d->c.opts->config_path)
		r = config_load(d->c.opts->config_path, &next, err);
	if (r == 0 && d->c.opts->dry_run)
		next.dry_run = true;
	if (r == 0 && !next.dry_run && !d->c.kf.can_kill) {
		snprintf(err, sizeof(err), "%s: dry_run is off, but this kernel cannot kill through "
			 "pidfds (pidfd_open, 5.3; pidfd_send_signal, 5.1)", config_name(d));
		r = -ENOTSUP;
	}
	if (r == 0)
		r = reporter_open(&rep, next.record_path, next.kmsg, next.json_logs, err, sizeof(err));
	if (r == 0 && (r = guards_check(d->guards, &next, err, sizeof(err))) < 0)
		reporter_close(&rep);
	if (r < 0) {
		config_free(&next);
		log_err("reload refused, old config stays in force: %s", err);
		report_event(&d->rep, "daemon", "reload-refused", err);
		loop_notify("READY=1\nSTATUS=reload refused; old config in force");
		return;
	}
	reporter_replace(&d->rep, &rep);
	config_free(&d->c.cfg);
	d->c.cfg = next;
	ctx_apply_opts(&d->c);
	usercache_load_for(&d->c.cfg);
	ctx_open_cgroups(&d->c);
	vp_forget_ranking(d->env.vp);   /* ranked under the old rules */
	ctx_refresh_registry(&d->c);
	guards_reload(d->guards);
	statusd_reload(&d->status);
	if ((r = hooks_prepare(d->hooks, &d->c.cfg)) < 0)
		log_warn("hooks: could not start their worker lanes: %s", strerror(-r));
	log_config(&d->c.cfg);
	log_notice("config reloaded from %s", config_name(d));
	report_event(&d->rep, "daemon", "reload", config_name(d));
	loop_notify("READY=1");
}

static void self_protect(struct daemon *d)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
	    mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("mlockall: %s (the daemon may be paged out under pressure)", strerror(errno));
	if (write_file_at(d->c.proc_fd, "self/oom_score_adj", "-1000") < 0)
		log_warn("cannot set own oom_score_adj to -1000 (needs CAP_SYS_RESOURCE)");
}

/* What the kernel offers, in one line at start (and a "kernel" record);
 * false when the daemon must not run: kills need pidfds. */
static bool kernel_check(struct daemon *d)
{
	char line[2048], bad[64];

	if (ctx_probe_kernel(&d->c, bad, sizeof(bad)) < 0)
		log_warn("OOMGUARD_TEST_HIDE: unknown feature \"%s\" (known: pidfd_send_signal, "
			 "pidfd_open, cgroup.kill, process_mrelease, psi, psi_trigger, cgroup2)", bad);
	if (kfeat_summary(&d->c.kf, line, sizeof(line)))
		log_warn("%s", line);
	else
		log_notice("%s", line);
	report_event(&d->rep, "daemon", "kernel", line);
	if (d->c.kf.can_kill || d->c.cfg.dry_run)
		return true;
	log_err("refusing to run: oomguard kills only through pidfds, so that a recycled pid "
		"is never signalled, and %s is not usable here (it needs Linux %s or later). "
		"`oomguard explain` and --dry-run still work.",
		kfeat_has(&d->c.kf, KF_PIDFD_OPEN) ? "pidfd_send_signal" : "pidfd_open",
		kfeat_has(&d->c.kf, KF_PIDFD_OPEN) ? "5.1" : "5.3");
	reporter_close(&d->rep);
	ctx_close(&d->c);
	return false;
}

/* Which process scan the ranking uses, and why, in one line at start. */
static void scan_check(struct daemon *d)
{
	char line[512];

	ctx_open_scan(&d->c);
	ctx_scan_line(&d->c, line, sizeof(line));
	log_notice("%s", line);
}

static void on_worker(void *userdata, uint32_t events)
{
	worker_dispatch(userdata);
}

static void on_kmsg_due(void *userdata, uint64_t in_ms)
{
	struct daemon *d = userdata;

	loop_timer_arm(&d->kmsg_timer, MAX(in_ms, 1));
}

static void on_kmsg_timer(void *userdata, uint32_t events)
{
	struct daemon *d = userdata;
	uint64_t left = report_kmsg_flush(&d->rep, false);

	if (left)
		loop_timer_arm(&d->kmsg_timer, left);
}

/* The metrics textfile (its lane after the bus lane) and the status
 * socket: --status-socket, or status.sock in the runtime dir. */
static void status_start(struct daemon *d)
{
	char path[4096];
	int r;

	if (d->c.opts->status_socket)
		snprintf(path, sizeof(path), "%s", d->c.opts->status_socket);
	else
		snprintf(path, sizeof(path), "%s/status.sock", ctx_runtime_dir(&d->c));
	if ((r = statusd_start(&d->status, &d->env, path, (unsigned)guard_count + 1)) < 0)
		log_warn("metrics and status socket off: %s", strerror(-r));
}

int daemon_run(const struct og_opts *o)
{
	static struct daemon d;         /* big (the guards), and one per process */
	struct loop_hooks hooks = { .reload = reload, .userdata = &d };
	struct loop_source worker_src = { .fd = -1 };
	char err[OG_ERR_SIZE] = "";
	int r;

	_Static_assert(ARRAY_SIZE(d.guards) >= 11, "room for every guard of the table");
	if (ctx_open(&d.c, o, err) < 0) {
		log_err("%s", err);
		return 1;
	}
	if (reporter_open(&d.rep, d.c.cfg.record_path, d.c.cfg.kmsg, d.c.cfg.json_logs, err,
			  sizeof(err)) < 0) {
		log_err("%s", err);
		return 1;
	}
	if (d.rep.kmsg_err)
		log_warn("/dev/kmsg: %s: actions will not be written to the kernel log",
			 strerror(-d.rep.kmsg_err));
	if (!kernel_check(&d))
		return OG_EXIT_NO_PIDFD;
	scan_check(&d);
	if ((r = loop_new(&hooks, &d.loop)) < 0 ||
	    (r = vp_new(&d.c, d.loop, &d.rep, vp_kernel_from_env(), &d.env.vp)) < 0 ||
	    (r = worker_new((unsigned)guard_count + 5, &d.env.worker)) < 0 ||
	    (r = hooks_new(d.env.worker, (unsigned)guard_count + 3, (unsigned)guard_count + 4,
			   &d.rep, &d.hooks)) < 0 ||
	    (r = loop_add(d.loop, &worker_src, worker_fd(d.env.worker), EPOLLIN, on_worker,
			  d.env.worker)) < 0 ||
	    (r = loop_timer_init(d.loop, &d.kmsg_timer, on_kmsg_timer, &d)) < 0) {
		log_err("event loop setup: %s", strerror(-r));
		return 1;
	}
	vp_set_hooks(d.env.vp, d.hooks);
	if ((r = hooks_prepare(d.hooks, &d.c.cfg)) < 0)
		log_warn("hooks: could not start their worker lanes: %s", strerror(-r));
	d.rep.kmsg.due = on_kmsg_due;
	d.rep.kmsg.userdata = &d;
	d.c.log_registry = true;
	ctx_refresh_registry(&d.c);     /* a registry ignored is said at once */
	d.env.c = &d.c;
	d.env.bus_lane = (unsigned)guard_count;
	d.env.loop = d.loop;
	d.env.rep = &d.rep;
	d.env.guards = d.guards;
	self_protect(&d);
	if ((r = kill_notify_start(&d.notify, &d.rep, d.env.worker, (unsigned)guard_count + 2)) < 0)
		log_warn("notify: %s: kills are not announced on the system bus", strerror(-r));
	guards_start(d.guards, &d.env);
	status_start(&d);
	log_config(&d.c.cfg);
	log_notice("oomguard %s running%s; cgroup root: %s", OG_VERSION,
		   d.c.cfg.dry_run ? " in dry-run mode (nothing will be signalled)" : "",
		   d.c.cg_root_fd >= 0 ? d.c.cg_root : "none");
	report_event(&d.rep, "daemon", "start", d.c.cfg.dry_run ? "dry-run" : "active");
	loop_notify("READY=1");
	if ((r = loop_run(d.loop)) < 0)
		log_err("event loop: %s", strerror(-r));
	loop_notify("STOPPING=1");
	statusd_stop(&d.status);
	guards_stop(d.guards);
	kill_notify_stop(&d.notify);
	report_kmsg_flush(&d.rep, true);        /* what the rate limit held back */
	report_event(&d.rep, "daemon", "stop", "signal");
	loop_timer_close(d.loop, &d.kmsg_timer);
	loop_del(d.loop, &worker_src);
	bool bus_busy = worker_lane_busy(d.env.worker, d.env.bus_lane);

	worker_free(d.env.worker);
	if (!bus_busy)          /* else a call still uses it: left to the lane */
		sdbus_close(d.env.bus);
	vp_free(d.env.vp);
	hooks_free(d.hooks);    /* after worker_free: no job calls back any more */
	loop_free(d.loop);
	reporter_close(&d.rep);
	ctx_close(&d.c);
	return 0;
}
