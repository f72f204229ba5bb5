/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's hooks: a job per hook run, built on the loop (argv copied,
 * environment and JSON made), run on its worker lane by hook_spawn_run,
 * and its outcome written as a `hook` record back on the loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "hooks/hooks.h"

struct hooks {
	struct worker *w;
	unsigned lane[2];               /* pre_kill, post_kill */
	struct reporter *rep;
};

struct hook_job {
	struct hooks *h;
	bool pre;
	char *argv[OG_MAX_HOOK_ARGS + 1];
	char envbuf[16384];
	char *envp[HOOK_ENV_MAX + 1];
	char *input;
	struct hook_run run;
	/* for the record */
	char guard[16], comm[64];
	int pid;
	bool dry_run;
	hook_exited_fn exited;
	void *userdata;
	uint64_t token;
};

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
	*ret = h;
	return 0;
}

void hooks_free(struct hooks *h) { free(h); }

static void job_free(struct hook_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; j->argv[i]; i++)
		free(j->argv[i]);
	free(j->input);
	free(j);
}

static void job_release(void *arg) { job_free(arg); }

static int job_fn(void *arg)
{
	struct hook_job *j = arg;

	return hook_spawn_run(&j->run);
}

static const char *name_of(bool pre) { return pre ? "pre_kill" : "post_kill"; }

static void record(struct hooks *h, const struct hook_job *j, enum hook_status st, int err,
		   bool gave_up)
{
	const struct hook_run *r = &j->run;
	char msg[512], what[128];
	struct hook_rec rec = {
		.guard = j->guard, .message = msg, .dry_run = j->dry_run, .name = name_of(j->pre),
		.command = j->argv[0], .status = hook_status_name(st), .pid = j->pid,
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
	snprintf(msg, sizeof(msg), "%s hook %s for pid %d (%s): %s", rec.name, j->argv[0], j->pid,
		 j->comm, what);
	report_hook(h->rep, &rec);
}

static void job_done(void *arg, int result, bool timed_out)
{
	struct hook_job *j = arg;
	hook_exited_fn exited = j->exited;
	void *userdata = j->userdata;
	uint64_t token = j->token;

	if (timed_out)
		record(j->h, j, HOOK_TIMEOUT, 0, true);
	else if (result < 0)
		record(j->h, j, HOOK_EXEC_ERROR, -result, false);
	else
		record(j->h, j, j->run.status, j->run.status == HOOK_EXEC_ERROR ? j->run.err : 0,
		       false);
	if (!timed_out)
		job_free(j);    /* else release frees it once the lane returns */
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

static int start(struct hooks *h, const struct og_config *cfg, bool pre, const struct decision *d,
		 hook_exited_fn exited, void *userdata, uint64_t token)
{
	const struct og_hook *hk = pre ? &cfg->hook_pre_kill : &cfg->hook_post_kill;
	struct hook_job *j;
	int r;

	if (!h || !hooks_apply(cfg, pre, d))
		return -ENOENT;
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	j->h = h;
	j->pre = pre;
	j->pid = d->pid;
	j->dry_run = d->dry_run;
	snprintf(j->guard, sizeof(j->guard), "%s", d->guard ? d->guard : "");
	snprintf(j->comm, sizeof(j->comm), "%s", d->comm ? d->comm : "");
	for (size_t i = 0; i < hk->argc; i++)
		if (!(j->argv[i] = strdup(hk->argv[i]))) {
			job_free(j);
			return -ENOMEM;
		}
	if (worker_lane_busy(h->w, h->lane[!pre])) {
		record(h, j, HOOK_SKIPPED, 0, false);
		job_free(j);
		return -EBUSY;
	}
	if ((r = hook_env(name_of(pre), d, j->envbuf, sizeof(j->envbuf), j->envp)) < 0 ||
	    !(j->input = hook_json(name_of(pre), d))) {
		job_free(j);
		return r < 0 ? r : -ENOMEM;
	}
	j->run.argv = j->argv;
	j->run.envp = j->envp;
	j->run.input = j->input;
	j->run.input_len = strlen(j->input);
	j->run.kill_after_ms = pre ? cfg->hook_pre_kill_timeout_ms + HOOK_PRE_KILL_AFTER_MS :
				     cfg->hook_post_kill_timeout_ms;
	j->exited = exited;
	j->userdata = userdata;
	j->token = token;
	/* The lane's own deadline only catches a wait that does not end (a
	 * hook in D state after SIGKILL): the run kills it at kill_after. */
	r = worker_submit(h->w, h->lane[!pre], job_fn, j, j->run.kill_after_ms + 2000, job_done,
			  job_release);
	if (r < 0) {
		if (r == -EBUSY)
			record(h, j, HOOK_SKIPPED, 0, false);
		job_free(j);
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
