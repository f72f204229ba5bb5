/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's hooks: one job per kind, allocated by hooks_new and reused,
 * filled on the loop (argv and the victim copied into its buffers: the
 * kill path allocates nothing, and the lanes' threads were started by
 * hooks_prepare), its environment and JSON made and the hook run on its
 * worker lane by hook_spawn_run, and its outcome written as a `hook`
 * record back on the loop. A job is in use exactly while its lane is busy. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "hooks/hooks.h"

struct hook_job {
	struct hooks *h;
	atomic_int refs;                /* hooks_new's, and the lane's while submitted */
	bool pre;
	char argbuf[HOOK_ARGV_BYTES];
	char *argv[OG_MAX_HOOK_ARGS + 1];
	char envbuf[16384];
	char *envp[HOOK_ENV_MAX + 1];
	char *input;                    /* the lane's (malloc'd there) */
	struct hook_run run;
	/* the victim, copied: d's strings point into these */
	struct decision d;
	char guard[32], trigger[32], level[32], comm[256], reason[1024];
	char cgroup[PATH_MAX], scope[PATH_MAX];
	hook_exited_fn exited;
	void *userdata;
	uint64_t token;
};

/* The environment always fits: each outside string is cut (hook_env),
 * the rest is short. */
_Static_assert(sizeof(((struct hook_job *)0)->envbuf) >=
	       2 * HOOK_CGROUP_MAX + HOOK_COMM_MAX + HOOK_REASON_MAX + 3 * 32 +
	       (HOOK_ENV_MAX + 1) * 64, "hook environment buffer");

struct hooks {
	struct worker *w;
	unsigned lane[2];               /* pre_kill, post_kill */
	bool warm[2];                   /* the lane's thread was started */
	struct reporter *rep;
	struct hook_job *job[2];
};

static void job_put(struct hook_job *j)
{
	if (j && atomic_fetch_sub(&j->refs, 1) == 1)
		free(j);
}

int hooks_new(struct worker *w, unsigned lane_pre, unsigned lane_post, struct reporter *rep,
	      struct hooks **ret)
{
	struct hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->w = w;
	h->lane[0] = lane_pre;
	h->lane[1] = lane_post;
	h->rep = rep;
	for (int i = 0; i < 2; i++) {
		if (!(h->job[i] = calloc(1, sizeof(*h->job[i])))) {
			hooks_free(h);
			return -ENOMEM;
		}
		h->job[i]->h = h;
		h->job[i]->pre = i == 0;
		atomic_init(&h->job[i]->refs, 1);
	}
	*ret = h;
	return 0;
}

void hooks_free(struct hooks *h)
{
	if (!h)
		return;
	/* A job still on a hung lane is freed by its release, later. */
	for (int i = 0; i < 2; i++)
		job_put(h->job[i]);
	free(h);
}

const void *hooks_job(const struct hooks *h, bool pre) { return h ? h->job[!pre] : NULL; }

int hooks_prepare(struct hooks *h, const struct og_config *cfg)
{
	int ret = 0;

	for (int i = 0; h && i < 2; i++) {
		const struct og_hook *hk = i == 0 ? &cfg->hook_pre_kill : &cfg->hook_post_kill;
		int r;

		if (!hk->argc || h->warm[i])
			continue;
		if ((r = worker_lane_start(h->w, h->lane[i])) == 0)
			h->warm[i] = true;
		else if (!ret)
			ret = r;
	}
	return ret;
}

/* The lane gives the job back: done (not timed out) or release. */
static void job_release(void *arg) { job_put(arg); }

static int job_fn(void *arg)
{
	struct hook_job *j = arg;
	int r;

	if ((r = hook_env(j->pre ? "pre_kill" : "post_kill", &j->d, j->envbuf, sizeof(j->envbuf),
			  j->envp)) < 0)
		return r;
	if (!(j->input = hook_json(j->pre ? "pre_kill" : "post_kill", &j->d)))
		return -ENOMEM;
	j->run.argv = j->argv;
	j->run.envp = j->envp;
	j->run.input = j->input;
	j->run.input_len = strlen(j->input);
	r = hook_spawn_run(&j->run);
	free(j->input);
	j->input = NULL;
	return r;
}

static const char *name_of(bool pre) { return pre ? "pre_kill" : "post_kill"; }

/* Who a record is about: a job's, or a skipped or failed start's. */
struct who {
	bool pre;
	const char *argv0, *guard, *comm;
	int pid;
	bool dry_run;
};

static void record(struct hooks *h, const struct who *w, const struct hook_run *r,
		   enum hook_status st, int err, bool gave_up)
{
	char msg[512], what[128];
	struct hook_rec rec = {
		.guard = w->guard, .message = msg, .dry_run = w->dry_run, .name = name_of(w->pre),
		.command = w->argv0, .status = hook_status_name(st), .pid = w->pid,
		.exit_code = -1, .duration_ms = -1,
	};

	if (st == HOOK_SKIPPED) {
		snprintf(what, sizeof(what), "skipped: the last %s hook still runs", rec.name);
	} else if (gave_up) {
		snprintf(what, sizeof(what), "does not end: given up on, its lane stays busy");
		rec.error = "does not end";
	} else if (err) {
		snprintf(what, sizeof(what), "could not start: %s", strerror(err));
		rec.error = strerror(err);
		if (r)
			rec.duration_ms = (int64_t)r->duration_ms;
	} else {
		rec.exit_code = r->exit_code;
		rec.signal = r->term_signal;
		rec.duration_ms = (int64_t)r->duration_ms;
		rec.output = r->output_len ? r->output : NULL;
		if (st == HOOK_OK)
			snprintf(what, sizeof(what), "ok in %llu ms", (unsigned long long)r->duration_ms);
		else if (st == HOOK_FAILED)
			snprintf(what, sizeof(what), "exit status %d after %llu ms", r->exit_code,
				 (unsigned long long)r->duration_ms);
		else if (st == HOOK_SIGNALED)
			snprintf(what, sizeof(what), "killed by signal %d after %llu ms", r->term_signal,
				 (unsigned long long)r->duration_ms);
		else
			snprintf(what, sizeof(what), "killed (SIGKILL) after %llu ms: past its bound",
				 (unsigned long long)r->duration_ms);
	}
	snprintf(msg, sizeof(msg), "%s hook %s for pid %d (%s): %s", rec.name, w->argv0, w->pid,
		 w->comm, what);
	report_hook(h->rep, &rec);
}

static void job_record(const struct hook_job *j, enum hook_status st, int err, bool gave_up)
{
	struct who w = { .pre = j->pre, .argv0 = j->argv[0], .guard = j->guard, .comm = j->comm,
			 .pid = j->d.pid, .dry_run = j->d.dry_run };

	record(j->h, &w, &j->run, st, err, gave_up);
}

static void job_done(void *arg, int result, bool timed_out)
{
	struct hook_job *j = arg;
	hook_exited_fn exited = j->exited;
	void *userdata = j->userdata;
	uint64_t token = j->token;

	if (timed_out)
		job_record(j, HOOK_TIMEOUT, 0, true);
	else if (result < 0)
		job_record(j, HOOK_EXEC_ERROR, -result, false);
	else
		job_record(j, j->run.status, j->run.status == HOOK_EXEC_ERROR ? j->run.err : 0,
			   false);
	if (!timed_out)
		job_put(j);     /* the lane's reference; else release drops it once fn returns */
	if (exited)
		exited(userdata, token);
}

bool hooks_apply(const struct og_config *cfg, bool pre, const struct decision *d)
{
	const struct og_hook *hk = pre ? &cfg->hook_pre_kill : &cfg->hook_post_kill;
	bool listed = !cfg->n_hook_guards;

	if (!hk->argc || (d->dry_run && !cfg->hook_dry_run))
		return false;
	for (size_t i = 0; i < cfg->n_hook_guards && !listed; i++)
		listed = d->guard && !strcmp(cfg->hook_guards[i], d->guard);
	return listed;
}

static void copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

/* On the kill path: nothing allocates here (the job is hooks_new's, the
 * lane's thread hooks_prepare's); only copies into the job's buffers. */
static int start(struct hooks *h, const struct og_config *cfg, bool pre, const struct decision *d,
		 hook_exited_fn exited, void *userdata, uint64_t token)
{
	const struct og_hook *hk = pre ? &cfg->hook_pre_kill : &cfg->hook_post_kill;
	struct who who = { .pre = pre, .argv0 = hk->argv[0], .guard = d->guard ? d->guard : "",
			   .comm = d->comm ? d->comm : "", .pid = d->pid, .dry_run = d->dry_run };
	struct hook_job *j;
	size_t used = 0;
	int r;

	if (!h || !hooks_apply(cfg, pre, d))
		return -ENOENT;
	if (worker_lane_busy(h->w, h->lane[!pre])) {
		record(h, &who, NULL, HOOK_SKIPPED, 0, false);
		return -EBUSY;
	}
	j = h->job[!pre];       /* free: its lane is not busy */
	for (size_t i = 0; i < hk->argc; i++) {
		size_t n = strlen(hk->argv[i]) + 1;

		if (n > sizeof(j->argbuf) - used) {     /* the config refuses it: never here */
			record(h, &who, NULL, HOOK_EXEC_ERROR, E2BIG, false);
			return -E2BIG;
		}
		j->argv[i] = memcpy(j->argbuf + used, hk->argv[i], n);
		used += n;
	}
	j->argv[hk->argc] = NULL;
	j->d = *d;
	copy(j->guard, sizeof(j->guard), d->guard);
	copy(j->trigger, sizeof(j->trigger), d->trigger);
	copy(j->level, sizeof(j->level), d->level);
	copy(j->comm, sizeof(j->comm), d->comm);
	copy(j->reason, sizeof(j->reason), d->reason);
	copy(j->cgroup, sizeof(j->cgroup), d->cgroup);
	copy(j->scope, sizeof(j->scope), d->scope);
	j->d.guard = j->guard;
	j->d.trigger = j->trigger;
	j->d.level = j->level;
	j->d.comm = j->comm;
	j->d.reason = j->reason;
	j->d.cgroup = j->cgroup;
	j->d.scope = d->scope ? j->scope : NULL;
	j->d.event = NULL;
	j->d.usage_unit = NULL;
	j->d.device = NULL;
	j->input = NULL;
	memset(&j->run, 0, sizeof(j->run));
	j->run.kill_after_ms = pre ? cfg->hook_pre_kill_timeout_ms + HOOK_PRE_KILL_AFTER_MS :
				     cfg->hook_post_kill_timeout_ms;
	j->exited = exited;
	j->userdata = userdata;
	j->token = token;
	/* The lane's own deadline only catches a wait that does not end (a
	 * hook in D state after SIGKILL): the run kills it at kill_after. */
	atomic_fetch_add(&j->refs, 1);
	r = worker_submit(h->w, h->lane[!pre], job_fn, j, j->run.kill_after_ms + 2000, job_done,
			  job_release);
	if (r < 0) {
		atomic_fetch_sub(&j->refs, 1);  /* hooks_new's stays: never 0 here */
		record(h, &who, NULL, r == -EBUSY ? HOOK_SKIPPED : HOOK_EXEC_ERROR,
		       r == -EBUSY ? 0 : -r, false);
	}
	return r;
}

int hooks_pre_kill(struct hooks *h, const struct og_config *cfg, const struct decision *d,
		   hook_exited_fn exited, void *userdata, uint64_t token)
{
	return start(h, cfg, true, d, exited, userdata, token);
}

int hooks_post_kill(struct hooks *h, const struct og_config *cfg, const struct decision *d)
{
	return start(h, cfg, false, d, NULL, NULL, 0);
}
