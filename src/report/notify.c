/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kill notifications, the daemon's side and the user agent (notify.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "report/notify.h"
#include "report/record.h"

#define KN_JOB_MS 3000

/* What a process chose (its name, its cgroup's, a reason that quotes
 * them): well-formed UTF-8 with controls escaped, as in the records, so
 * sd-bus takes it (it refuses a string that is not UTF-8) and it prints
 * as it is. */
static void copy(char *dst, size_t size, const char *s)
{
	escape_untrusted(s ? s : "", dst, size);
}

/* The notification spec lets a server read markup in the body: & < > as
 * entities. */
static void unmarkup(const char *s, char *dst, size_t size)
{
	size_t o = 0;

	for (; *s && o + 6 < size; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;

		if (e) {
			memcpy(dst + o, e, strlen(e));
			o += strlen(e);
		} else {
			dst[o++] = *s;
		}
	}
	dst[o] = '\0';
}

bool kill_notice(const struct report_tap *t, struct sd_killed *ret)
{
	const struct decision *d = t->d;

	if (!d || d->dry_run || d->err || d->pid <= 0 ||
	    (strcmp(d->event, "terminate") && strcmp(d->event, "kill")))
		return false;
	*ret = (struct sd_killed){ .pid = (uint32_t)d->pid, .uid = (uint32_t)d->uid };
	copy(ret->comm, sizeof(ret->comm), d->comm);
	copy(ret->guard, sizeof(ret->guard), d->guard);
	copy(ret->trigger, sizeof(ret->trigger), d->trigger);
	copy(ret->reason, sizeof(ret->reason), d->reason);
	copy(ret->cgroup, sizeof(ret->cgroup), d->cgroup);
	return true;
}

void kill_notice_text(const struct sd_killed *k, char *summary, size_t ssize, char *body,
		      size_t bsize)
{
	snprintf(summary, ssize, "oomguard stopped %s (pid %u)", *k->comm ? k->comm : "a process",
		 k->pid);
	char reason[sizeof(k->reason) * 5];

	/* the reason says the trigger itself ("predicted: MemAvailable ...") */
	unmarkup(k->reason, reason, sizeof(reason));
	snprintf(body, bsize, "%s guard: %s", *k->guard ? k->guard : "oomguard", reason);
}

/* ---- the daemon's side ------------------------------------------------------ */

static int send_run(void *arg)
{
	struct kill_notify *k = arg;
	char err[256];
	int r;

	if (!k->bus && (r = sdbus_new(&k->bus, err, sizeof(err))) < 0)
		return r;
	return sdbus_emit_killed(k->bus, &k->job, err, sizeof(err));
}

static void pump(struct kill_notify *k);

static void send_done(void *arg, int result, bool timed_out)
{
	struct kill_notify *k = arg;

	k->inflight = false;
	if (result < 0) {
		k->failed++;
		if (!k->warned)
			log_warn("notify: Killed for pid %u (%s) not sent on the system bus: %s%s",
				 k->job.pid, k->job.comm, timed_out ? "no answer in time" :
				 strerror(-result), result == -EACCES || result == -EPERM ?
				 " (is dbus-1/system.d/" OG_BUS_NAME ".conf installed?)" : "");
		k->warned = true;
	} else {
		k->sent++;
	}
	if (k->on)
		pump(k);
}

static void pump(struct kill_notify *k)
{
	/* a call that timed out may still read k->job: not a byte of it
	 * changes until the lane is free */
	if (k->inflight || !k->n || worker_lane_busy(k->w, k->lane))
		return;
	k->job = k->q[k->head];
	if (worker_submit(k->w, k->lane, send_run, k, KN_JOB_MS, send_done, NULL) < 0)
		return; /* a hung lane: tried again with the next kill */
	k->head = (k->head + 1) % KN_QUEUE;
	k->n--;
	k->inflight = true;
}

static void on_tap(void *userdata, const struct report_tap *t)
{
	struct kill_notify *k = userdata;
	struct sd_killed s;

	if (!kill_notice(t, &s))
		return;
	if (k->n == KN_QUEUE) {         /* the oldest goes */
		k->head = (k->head + 1) % KN_QUEUE;
		k->n--;
		k->lost++;
	}
	k->q[(k->head + k->n) % KN_QUEUE] = s;
	k->n++;
	pump(k);
}

int kill_notify_start(struct kill_notify *k, struct reporter *rep, struct worker *w,
		      unsigned lane)
{
	*k = (struct kill_notify){ .w = w, .lane = lane, .rep = rep };
	if (access("/run/dbus/system_bus_socket", F_OK) < 0)
		return 0;
	if (reporter_tap_add(rep, on_tap, k) < 0)
		return -ENOSPC;
	k->on = true;
	return 0;
}

void kill_notify_stop(struct kill_notify *k)
{
	if (!k->on)
		return;
	reporter_tap_remove(k->rep, k);
	k->on = false;
	/* the last signals get their chance; the bus goes only when idle */
	if (k->inflight)
		worker_wait(k->w, k->lane, KN_JOB_MS);
	if (!worker_lane_busy(k->w, k->lane)) {
		sdbus_close(k->bus);
		k->bus = NULL;
	}
}

/* ---- the user agent ----------------------------------------------------------- */

int notify_agent(int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' }, { 0 } };
	uid_t me = getuid();
	bool all = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: oomguard notify [--all]\n"
				"  Shows a desktop notification for each process of yours oomguard\n"
				"  stops (--all: everyone's). Started with the desktop session.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	for (unsigned backoff = 1;; backoff = MIN(backoff * 2, 60)) {
		struct sdbus *b = NULL;
		char err[256] = "";
		struct sd_killed k;
		int r = sdbus_new(&b, err, sizeof(err));

		if (r == 0)
			r = sdbus_agent_open(b, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "oomguard notify: %s\n", err);
			sdbus_close(b);
			if (r == -ENOTSUP || r == -ENOENT || r == -ENOEXEC || strstr(err, "session"))
				return 1;
			sleep(backoff);
			continue;
		}
		fprintf(stderr, "oomguard notify: listening for %s.Killed (%s)\n", OG_BUS_IFACE,
			all ? "every user" : "this user's processes");
		backoff = 1;
		while ((r = sdbus_agent_next(b, &k, UINT64_MAX / 1000)) >= 0) {
			char summary[160], body[700];

			if (r == 0 || (!all && k.uid != me))
				continue;
			kill_notice_text(&k, summary, sizeof(summary), body, sizeof(body));
			if (sdbus_desktop_notify(b, summary, body, 2, err, sizeof(err)) < 0)
				fprintf(stderr, "oomguard notify: %s\n", err);
		}
		fprintf(stderr, "oomguard notify: the system bus went away (%s); again\n",
			strerror(-r));
		sdbus_close(b);
		sleep(backoff);
	}
}
