/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hooks: a command run around a kill (hooks.pre_kill, hooks.post_kill),
 * with execve (no shell), the victim and the reason in OOMGUARD_*
 * environment variables and as one JSON object on its stdin, in a worker
 * lane with a bound, never on the loop. Its outcome is a `hook` record;
 * its failure is never fatal.
 *
 * pre_kill runs only at the terminate level: the victim pipeline sends
 * SIGTERM when it exits or hooks.pre_kill_timeout passes, whichever is
 * first; at the kill level nothing stands between the decision and
 * SIGKILL. post_kill runs once the victim's exit is confirmed and holds
 * nothing back. One hook of each kind runs at a time: while the last one
 * still runs, the next is skipped (and recorded), so hooks never pile up. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "report/record.h"

struct worker;

#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HOOK_ENV_MAX 24
#define HOOK_ARGV_BYTES 8192           /* a command's words, with their NULs: at most */
/* What the environment and the JSON hold of the strings from outside, once
 * escaped, with the NUL: a longer one is cut (never inside an escape), so
 * a user cannot make a hook's environment too big for it to start. */
#define HOOK_COMM_MAX 256
#define HOOK_CGROUP_MAX 2048            /* OOMGUARD_CGROUP and OOMGUARD_SCOPE each */
#define HOOK_REASON_MAX 1024
#define HOOK_OUTPUT_MAX 512             /* of its stdout and stderr, kept for the record */
#define HOOK_PRE_KILL_AFTER_MS 1000     /* a pre_kill hook still running this long after its
					 * timeout is killed (SIGKILL, its process group) */

/* ---- what a hook is told (pure) ---- */

/* The environment of a hook for event ("pre_kill", "post_kill") about d:
 * PATH=HOOK_PATH and the OOMGUARD_* variables (the README's list), as
 * pointers into buf, NULL-terminated in envp. Strings from outside
 * (comm, cgroup, scope, reason) are escaped as in the records and cut to
 * HOOK_*_MAX. The count, or -ENOSPC (buf smaller than the job's). */
int hook_env(const char *event, const struct decision *d, char *buf, size_t size,
	     char *envp[HOOK_ENV_MAX + 1]);
/* The same as one JSON object (one line, no newline), malloc'd; NULL on
 * ENOMEM. */
char *hook_json(const char *event, const struct decision *d);

/* ---- running one (spawn.c; blocking: a worker lane's) ---- */

enum hook_status { HOOK_OK, HOOK_FAILED, HOOK_SIGNALED, HOOK_TIMEOUT, HOOK_EXEC_ERROR,
		   HOOK_SKIPPED };
const char *hook_status_name(enum hook_status s);

struct hook_run {
	char *const *argv;
	char *const *envp;
	const char *input;              /* written to its stdin (a pipe), then EOF */
	size_t input_len;
	uint64_t kill_after_ms;         /* SIGKILL to its process group past this */
	/* out */
	enum hook_status status;
	int exit_code;                  /* -1: did not exit */
	int term_signal;                /* 0: not killed by a signal */
	int err;                        /* exec error (errno), 0 none */
	uint64_t duration_ms;
	char output[HOOK_OUTPUT_MAX];   /* the first bytes of stdout + stderr */
	size_t output_len;
};
/* Start argv[0] (clone(CLONE_VM|CLONE_VFORK) + execve: a process group of
 * its own, signals at default and unblocked, oom_score_adj 0, cwd /, fds
 * 0, 1, 2 only) and wait for it: until it exits or kill_after_ms passes.
 * Fills the out fields. 0, or -errno when it could not even be tried. */
int hook_spawn_run(struct hook_run *r);

/* ---- the daemon's hooks (hooks.c; on the loop) ---- */

struct hooks;
typedef void (*hook_exited_fn)(void *userdata, uint64_t token);

/* lane_pre, lane_post: worker lanes of their own. rep: where hook
 * records go (the same struct across reloads). Allocates the one job of
 * each kind that every hook run reuses: the kill path allocates nothing. */
int hooks_new(struct worker *w, unsigned lane_pre, unsigned lane_post, struct reporter *rep,
	      struct hooks **ret);
/* After each load of the config (startup, reload): start the worker lane
 * threads of the hooks cfg configures (worker_lane_start: the lanes stay
 * free), so that no hook creates a thread on the kill path. 0 or -errno (then the first
 * hook starts the thread). */
int hooks_prepare(struct hooks *h, const struct og_config *cfg);
/* The job of a kind (tests: the same from hooks_new on). */
const void *hooks_job(const struct hooks *h, bool pre);
void hooks_free(struct hooks *h);
/* Does cfg run hooks of this kind for d (configured, d's guard listed,
 * not a dry run unless hooks.dry_run)? */
bool hooks_apply(const struct og_config *cfg, bool pre, const struct decision *d);
/* Start cfg's pre_kill hook about d (whose event/sig say what is about to
 * be sent). 0: exited(userdata, token) runs once on the loop when it has
 * ended (or was given up on); -ENOENT: no hook applies; -EBUSY: the last
 * pre_kill hook still runs, this one was skipped (and recorded); -errno
 * (recorded: exec-error). A hook that cannot start on its lane is recorded
 * too.
 * Whatever it returns, the caller must not wait on it past
 * hooks.pre_kill_timeout. */
int hooks_pre_kill(struct hooks *h, const struct og_config *cfg, const struct decision *d,
		   hook_exited_fn exited, void *userdata, uint64_t token);
/* Start cfg's post_kill hook about d; nothing waits on it. 0, -ENOENT,
 * -EBUSY (skipped, recorded), -errno. */
int hooks_post_kill(struct hooks *h, const struct og_config *cfg, const struct decision *d);
