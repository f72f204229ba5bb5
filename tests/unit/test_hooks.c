/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hooks: the `hooks` section (a command as a list or a string, its program
 * an absolute path, every refusal with its FILE:LINE:COL, the check of the
 * program against this machine), what a hook is told (its environment and
 * its stdin's JSON object), whether a hook applies (dry run, guards), and
 * running one for real: its exit status, stdin, output, a clean
 * environment, an exec error, and a hook killed at its bound. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/util.h"
#include "core/worker.h"
#include "hooks/hooks.h"
#include "hooks/schema.h"
#include "unit/record-util.h"

static int load(const char *yaml, struct og_config *cfg, char *err)
{
	return config_load_buffer("t.yaml", yaml, strlen(yaml), cfg, err);
}

static void expect_error(const char *yaml, const char *msg)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	assert_int_equal(load(yaml, &cfg, err), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("error \"%s\" lacks \"%s\"", err, msg);
	assert_int_equal(cfg.hook_pre_kill.argc, 0);
	config_free(&cfg);
}

static void test_config(void **state)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	assert_int_equal(cfg.hook_pre_kill_timeout_ms, 100);
	assert_int_equal(cfg.hook_post_kill_timeout_ms, 5000);
	assert_int_equal(cfg.hook_pre_kill.argc, 0);
	assert_false(cfg.hook_dry_run);
	assert_int_equal(load("hooks:\n  pre_kill: [/usr/local/bin/x, --a, \"b c\"]\n"
			      "  post_kill: \"/bin/logger  -t\toomguard \"\n"
			      "  pre_kill_timeout: 250ms\n  post_kill_timeout: 2s\n  dry_run: true\n"
			      "  guards: [memory, cgroups]\n", &cfg, err), 0);
	assert_int_equal(cfg.hook_pre_kill.argc, 3);
	assert_string_equal(cfg.hook_pre_kill.argv[0], "/usr/local/bin/x");
	assert_string_equal(cfg.hook_pre_kill.argv[2], "b c");
	assert_null(cfg.hook_pre_kill.argv[3]);
	assert_int_equal(cfg.hook_pre_kill.line, 2);
	assert_int_equal(cfg.hook_pre_kill.col, 13);
	assert_int_equal(cfg.hook_post_kill.argc, 3);   /* split on blanks, no shell */
	assert_string_equal(cfg.hook_post_kill.argv[1], "-t");
	assert_string_equal(cfg.hook_post_kill.argv[2], "oomguard");
	assert_int_equal(cfg.hook_pre_kill_timeout_ms, 250);
	assert_int_equal(cfg.hook_post_kill_timeout_ms, 2000);
	assert_true(cfg.hook_dry_run);
	assert_int_equal(cfg.n_hook_guards, 2);
	assert_true(cfg.sections_seen & SEC_HOOKS);
	/* A reload without the section: no hooks. */
	assert_int_equal(load("memory: {enabled: true}\n", &cfg, err), 0);
	assert_int_equal(cfg.hook_pre_kill.argc, 0);
	assert_int_equal(load("hooks: {pre_kill: null}\n", &cfg, err), 0);
	assert_int_equal(cfg.hook_pre_kill.argc, 0);
	config_free(&cfg);
}

static void test_config_refused(void **state)
{
	expect_error("hooks:\n  pre_kill: x.sh\n",
		     "t.yaml:2:13: hooks.pre_kill: the program must be an absolute path");
	expect_error("hooks:\n  pre_kill: [bin/x]\n",
		     "t.yaml:2:13: hooks.pre_kill: the program must be an absolute path");
	expect_error("hooks:\n  post_kill: \"sh -c 'kill $PID'\"\n",
		     "t.yaml:2:14: hooks.post_kill: the program must be an absolute path");
	expect_error("hooks:\n  pre_kill: []\n", "t.yaml:2:13: hooks.pre_kill: expected a command");
	expect_error("hooks:\n  pre_kill: \"  \"\n", "t.yaml:2:13: hooks.pre_kill: expected a command");
	expect_error("hooks:\n  pre_kill: {a: b}\n", "t.yaml:2:13: hooks.pre_kill: expected a command");
	expect_error("hooks:\n  pre_kill: [/x, [y]]\n", "t.yaml:2:18: hooks.pre_kill[1]: expected a string");
	expect_error("hooks:\n  pre_kill: /bin/true\n  pre_kill_timeout: 0\n",
		     "t.yaml:3:21: hooks.pre_kill_timeout: expected a duration 1ms..10s");
	expect_error("hooks:\n  pre_kill: /bin/true\n  pre_kill_timeout: 11s\n",
		     "t.yaml:3:21: hooks.pre_kill_timeout: expected a duration");
	expect_error("hooks:\n  pre_kill: /bin/true\n  guards: [memroy]\n",
		     "t.yaml:3:12: hooks.guards[0]: expected the name of a guard");
	{       /* the job's fixed buffer holds the command: longer is refused */
		char yaml[HOOK_ARGV_BYTES + 64];

		snprintf(yaml, sizeof(yaml), "hooks:\n  pre_kill: [/bin/true, %0*d]\n",
			 HOOK_ARGV_BYTES, 0);
		expect_error(yaml, "t.yaml:2:13: hooks.pre_kill: the command is too long");
	}
	expect_error("hooks:\n  pre_kill: /bin/true\n  prekill_timeout: 1s\n",
		     "t.yaml:3:3: unknown key \"prekill_timeout\" in hooks; did you mean \"pre_kill_timeout\"?");
}

/* config_load checks the program on this machine. */
static void test_config_check(void **state)
{
	char dir[] = "/tmp/og-hooks-XXXXXX", cfgp[PATH_MAX], prog[PATH_MAX], yaml[PATH_MAX * 2];
	char err[OG_ERR_SIZE];
	struct og_config cfg;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(cfgp, sizeof(cfgp), "%s/c.yaml", dir);
	snprintf(prog, sizeof(prog), "%s/hook", dir);
	snprintf(yaml, sizeof(yaml), "hooks:\n  post_kill: [%s, x]\n", prog);
	assert_non_null(f = fopen(cfgp, "w"));
	fputs(yaml, f);
	fclose(f);
	config_default(&cfg);
	/* missing */
	assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, ":2:14: hooks.post_kill: "));
	assert_non_null(strstr(err, "No such file or directory"));
	/* not executable */
	assert_non_null(f = fopen(prog, "w"));
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(prog, 0644);
	if (geteuid() != 0) {   /* root may execute it anyway (access X_OK needs one x bit) */
		assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
		assert_non_null(strstr(err, "not executable"));
	}
	/* writable by every user */
	chmod(prog, 0757);
	assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "writable by every user"));
	assert_int_equal(cfg.hook_post_kill.argc, 0);   /* refused: the old config stays */
	/* writable by its group */
	chmod(prog, 0775);
	assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, ":2:14: hooks.post_kill: "));
	assert_non_null(strstr(err, "writable by its group"));
	chmod(prog, 0755);
	/* in a directory others may write: they may replace it */
	chmod(dir, 0775);
	assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, ":2:14: hooks.post_kill: "));
	assert_non_null(strstr(err, "its directory is writable by others"));
	chmod(dir, 01777);
	assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "its directory is writable by others"));
	chmod(dir, 0755);
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 0), 0);
		assert_int_equal(config_load(cfgp, &cfg, err), -EINVAL);
		assert_non_null(strstr(err, "its directory is owned by another user than root"));
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	assert_int_equal(config_load(cfgp, &cfg, err), 0);
	assert_int_equal(cfg.hook_post_kill.argc, 2);
	config_free(&cfg);
	unlink(prog);
	unlink(cfgp);
	rmdir(dir);
}

static const struct decision victim = {
	.guard = "memory", .event = "terminate", .trigger = "memory", .level = "terminate",
	.reason = "MemAvailable 90 MiB <= 102 MiB", .pid = 4242, .comm = "ho\ng\"x",
	.cgroup = "/user.slice/a b.scope", .uid = 1000, .rss = 800 << 20, .sig = SIGTERM,
	.freed_bytes = -1, .exit_ms = -1,
};

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static void test_env(void **state)
{
	char buf[16384], *envp[HOOK_ENV_MAX + 1], small[64];
	struct decision d = victim;
	int n = hook_env("pre_kill", &d, buf, sizeof(buf), envp);

	assert_true(n > 10);
	assert_null(envp[n]);
	assert_string_equal(env_get(envp, "PATH"), HOOK_PATH);
	assert_string_equal(env_get(envp, "OOMGUARD_EVENT"), "pre_kill");
	assert_string_equal(env_get(envp, "OOMGUARD_PID"), "4242");
	assert_string_equal(env_get(envp, "OOMGUARD_UID"), "1000");
	assert_string_equal(env_get(envp, "OOMGUARD_COMM"), "ho\\x0ag\\x22x");    /* escaped */
	assert_string_equal(env_get(envp, "OOMGUARD_CGROUP"), "/user.slice/a b.scope");
	assert_string_equal(env_get(envp, "OOMGUARD_GUARD"), "memory");
	assert_string_equal(env_get(envp, "OOMGUARD_TRIGGER"), "memory");
	assert_string_equal(env_get(envp, "OOMGUARD_LEVEL"), "terminate");
	assert_string_equal(env_get(envp, "OOMGUARD_SCOPE"), "system");
	assert_string_equal(env_get(envp, "OOMGUARD_REASON"), "MemAvailable 90 MiB <= 102 MiB");
	assert_string_equal(env_get(envp, "OOMGUARD_SIGNAL"), "SIGTERM");
	assert_string_equal(env_get(envp, "OOMGUARD_DRY_RUN"), "0");
	assert_null(env_get(envp, "OOMGUARD_EXIT_MS"));         /* before the exit */
	assert_null(env_get(envp, "HOME"));                     /* nothing of the daemon's */
	d.exit_ms = 12;
	d.freed_bytes = 4096;
	d.dry_run = true;
	d.sig = SIGKILL;
	n = hook_env("post_kill", &d, buf, sizeof(buf), envp);
	assert_string_equal(env_get(envp, "OOMGUARD_EVENT"), "post_kill");
	assert_string_equal(env_get(envp, "OOMGUARD_EXIT_MS"), "12");
	assert_string_equal(env_get(envp, "OOMGUARD_FREED_BYTES"), "4096");
	assert_string_equal(env_get(envp, "OOMGUARD_DRY_RUN"), "1");
	assert_string_equal(env_get(envp, "OOMGUARD_SIGNAL"), "SIGKILL");
	assert_int_equal(hook_env("pre_kill", &d, small, sizeof(small), envp), -ENOSPC);
}

static void test_json(void **state)
{
	struct decision d = victim;
	char *s = hook_json("pre_kill", &d);
	json_object *o, *v;

	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	assert_non_null(o = json_tokener_parse(s));
	assert_true(json_object_object_get_ex(o, "pid", &v));
	assert_int_equal(json_object_get_int(v), 4242);
	assert_true(json_object_object_get_ex(o, "comm", &v));
	assert_string_equal(json_object_get_string(v), "ho\\x0ag\\x22x");
	assert_true(json_object_object_get_ex(o, "event", &v));
	assert_string_equal(json_object_get_string(v), "pre_kill");
	assert_true(json_object_object_get_ex(o, "signal", &v));
	assert_string_equal(json_object_get_string(v), "SIGTERM");
	assert_true(json_object_object_get_ex(o, "dry_run", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "exit_ms", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "cgroup", &v));
	assert_string_equal(json_object_get_string(v), "/user.slice/a b.scope");
	json_object_put(o);
	free(s);
}

static void test_apply(void **state)
{
	struct og_config cfg;
	struct decision d = victim;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	assert_false(hooks_apply(&cfg, true, &d));              /* none configured */
	assert_int_equal(load("hooks: {pre_kill: /bin/true, guards: [cgroups]}\n", &cfg, err), 0);
	assert_true(hooks_apply(&cfg, true, &(struct decision){ .guard = "cgroups" }));
	assert_false(hooks_apply(&cfg, true, &d));              /* memory is not listed */
	assert_false(hooks_apply(&cfg, false, &d));             /* no post_kill */
	assert_int_equal(load("hooks: {pre_kill: /bin/true}\n", &cfg, err), 0);
	assert_true(hooks_apply(&cfg, true, &d));
	d.dry_run = true;
	assert_false(hooks_apply(&cfg, true, &d));              /* a dry run, not asked */
	assert_int_equal(load("hooks: {pre_kill: /bin/true, dry_run: true}\n", &cfg, err), 0);
	assert_true(hooks_apply(&cfg, true, &d));
	config_free(&cfg);
}

static void run(struct hook_run *r, char *const *argv, const char *input, uint64_t bound)
{
	static char *envp[] = { "PATH=/usr/bin:/bin", "OOMGUARD_PID=7", NULL };

	memset(r, 0, sizeof(*r));
	r->argv = argv;
	r->envp = envp;
	r->input = input;
	r->input_len = input ? strlen(input) : 0;
	r->kill_after_ms = bound;
	assert_int_equal(hook_spawn_run(r), 0);
}

static void test_spawn(void **state)
{
	char *echo[] = { "/bin/sh", "-c", "cat; echo \" $OOMGUARD_PID $HOME $(pwd)\"; "
			 "cat /proc/self/oom_score_adj; exit 3", NULL };
	char *loud[] = { "/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; exit 0", NULL };
	char *missing[] = { "/nonexistent/hook", NULL };
	char *hang[] = { "/bin/sh", "-c", "sleep 30 & sleep 30; exit 0", NULL };
	char *term[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
	struct hook_run r;
	uint64_t t0;

	run(&r, echo, "{\"pid\":7}", 5000);
	assert_int_equal(r.status, HOOK_FAILED);
	assert_int_equal(r.exit_code, 3);
	/* stdin, its clean environment (no HOME), cwd /, oom_score_adj 0 */
	assert_string_equal(r.output, "{\"pid\":7} 7  /\n0\n");
	run(&r, loud, NULL, 5000);
	assert_int_equal(r.status, HOOK_OK);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.output_len, HOOK_OUTPUT_MAX - 1);   /* bounded, and drained */
	run(&r, missing, NULL, 5000);
	assert_int_equal(r.status, HOOK_EXEC_ERROR);
	assert_int_equal(r.err, ENOENT);
	run(&r, term, NULL, 5000);
	assert_int_equal(r.status, HOOK_SIGNALED);
	assert_int_equal(r.term_signal, SIGTERM);
	t0 = now_ms();
	run(&r, hang, NULL, 300);
	assert_int_equal(r.status, HOOK_TIMEOUT);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_true(r.duration_ms >= 300);
	/* killed with its process group: the background sleep too, so the
	 * output pipe closed and nothing waited for 30 s */
	assert_true(now_ms() - t0 < 5000);
	assert_string_equal(hook_status_name(HOOK_EXEC_ERROR), "exec-error");
}

/* A hook that closes its stdout and stderr (exec >/dev/null 2>&1) and
 * goes on: its pipe says POLLHUP for good, which must not spin the lane
 * (it did: poll returned at once until the hook exited, a whole CPU). */
static void test_spawn_closed_output(void **state)
{
	char *quiet[] = { "/bin/sh", "-c", "echo before; exec >/dev/null 2>&1; sleep 1; exit 0",
			  NULL };
	struct rusage ru0, ru1;
	struct hook_run r;
	uint64_t t0 = now_ms(), cpu_us;

	assert_int_equal(getrusage(RUSAGE_THREAD, &ru0), 0);
	run(&r, quiet, NULL, 5000);
	assert_int_equal(getrusage(RUSAGE_THREAD, &ru1), 0);
	assert_int_equal(r.status, HOOK_OK);
	assert_string_equal(r.output, "before\n");
	assert_true(now_ms() - t0 >= 1000);
	cpu_us = (uint64_t)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1000000 +
		 (uint64_t)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1000000 +
		 (uint64_t)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
		 (uint64_t)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
	/* a second of waiting: a spinning lane burns about as much CPU */
	if (cpu_us > 200000)
		fail_msg("the waiting thread used %llu us of CPU in %llu ms", (unsigned long long)cpu_us,
			 (unsigned long long)(now_ms() - t0));
}

/* Its stdout and stderr block as a pipe's do: O_NONBLOCK only on the
 * daemon's end (with it, a burst of output failed with EAGAIN). */
static void test_spawn_blocking_output(void **state)
{
	char *flags[] = { "/bin/sh", "-c", "f=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/1); "
			  "echo \"$f\"; [ $(( 0$f & 04000 )) -eq 0 ] || exit 4; "
			  "head -c 1000000 /dev/zero || exit 5; exit 0", NULL };
	struct hook_run r;

	run(&r, flags, NULL, 10000);
	if (r.status != HOOK_OK)
		fail_msg("exit %d: %s", r.exit_code, r.output);
	assert_int_equal(r.output_len, HOOK_OUTPUT_MAX - 1);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void on_exited(void *userdata, uint64_t token) { *(uint64_t *)userdata = token; }

/* The next hook record in fd (non-blocking: none fails the test). */
static json_object *hook_record(int fd)
{
	json_object *o = read_record(fd);

	assert_string_equal(json_object_get_string(get(o, "event")), "hook");
	return o;
}

/* The kill path allocates nothing and starts no thread: the job of each
 * kind is hooks_new's and reused, the lanes' threads hooks_prepare's. */
static void test_job_preallocated(void **state)
{
	struct og_config cfg;
	struct decision d = victim;
	char err[OG_ERR_SIZE];
	struct worker *w;
	struct hooks *h;
	struct reporter rep;
	const void *job;
	uint64_t token = 0;
	int p[2], t0;
	json_object *o;

	config_default(&cfg);
	assert_int_equal(load("hooks: {pre_kill: /bin/true, post_kill: [/bin/sh, -c, 'exit 2']}\n",
			      &cfg, err), 0);
	rep = pipe_reporter(p);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(worker_new(2, &w), 0);
	assert_int_equal(hooks_new(w, 0, 1, &rep, &h), 0);
	assert_non_null(job = hooks_job(h, true));
	assert_non_null(hooks_job(h, false));
	assert_ptr_not_equal(job, hooks_job(h, false));
	t0 = count_threads();
	assert_int_equal(hooks_prepare(h, &cfg), 0);
	assert_int_equal(count_threads(), t0 + 2);      /* both lanes' threads, at setup */
	assert_int_equal(hooks_prepare(h, &cfg), 0);    /* again (a reload): nothing more */
	assert_int_equal(count_threads(), t0 + 2);
	assert_false(worker_lane_busy(w, 0));           /* and the lanes are free */
	for (uint64_t i = 1; i <= 2; i++) {
		assert_int_equal(hooks_pre_kill(h, &cfg, &d, on_exited, &token, i), 0);
		assert_int_equal(count_threads(), t0 + 2);      /* no thread on the kill path */
		assert_ptr_equal(hooks_job(h, true), job);      /* the same job, reused */
		assert_int_equal(worker_wait(w, 0, 10000), 0);
		assert_int_equal(token, i);
		o = hook_record(p[0]);
		assert_string_equal(json_object_get_string(get(o, "hook.status")), "ok");
		assert_int_equal(json_object_get_int(get(o, "hook.pid")), 4242);
		json_object_put(o);
	}
	assert_int_equal(hooks_post_kill(h, &cfg, &d), 0);
	assert_int_equal(worker_wait(w, 1, 10000), 0);
	o = hook_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "hook.status")), "failed");
	assert_string_equal(json_object_get_string(get(o, "hook.command")), "/bin/sh");
	json_object_put(o);
	worker_free(w);
	hooks_free(h);
	config_free(&cfg);
	close(p[0]);
	close(p[1]);
}

/* A user with a delegated cgroup names it as long as the kernel lets
 * (4096), of bytes that escape four times as long: the hook still runs,
 * told a value cut to HOOK_CGROUP_MAX (it was skipped, unrecorded: its
 * environment did not fit). And a hook that cannot start is recorded. */
static void test_long_cgroup(void **state)
{
	char *cg = malloc(4001), buf[16384], *envp[HOOK_ENV_MAX + 1];
	struct decision d = victim;
	struct og_config cfg;
	char err[OG_ERR_SIZE];
	struct worker *w;
	struct hooks *h;
	struct reporter rep;
	const char *v;
	int p[2];
	json_object *o;

	assert_non_null(cg);
	cg[0] = '/';
	memset(cg + 1, 1, 3999);
	cg[4000] = '\0';
	d.cgroup = d.scope = cg;
	assert_true(hook_env("pre_kill", &d, buf, sizeof(buf), envp) > 0);
	assert_non_null(v = env_get(envp, "OOMGUARD_CGROUP"));
	assert_true(strlen(v) < HOOK_CGROUP_MAX && strlen(v) > HOOK_CGROUP_MAX - 8);
	assert_memory_equal(v, "/\\x01\\x01", 9);
	assert_true(strlen(env_get(envp, "OOMGUARD_SCOPE")) < HOOK_CGROUP_MAX);

	config_default(&cfg);
	assert_int_equal(load("hooks: {pre_kill: [/bin/sh, -c, 'echo ${#OOMGUARD_CGROUP}']}\n",
			      &cfg, err), 0);
	rep = pipe_reporter(p);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(worker_new(2, &w), 0);
	assert_int_equal(hooks_new(w, 0, 1, &rep, &h), 0);
	assert_int_equal(hooks_prepare(h, &cfg), 0);
	assert_int_equal(hooks_pre_kill(h, &cfg, &d, NULL, NULL, 0), 0);
	assert_int_equal(worker_wait(w, 0, 10000), 0);
	o = hook_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "hook.status")), "ok");
	snprintf(buf, sizeof(buf), "%zu\\x0a", strlen(v));
	assert_string_equal(json_object_get_string(get(o, "hook.output")), buf);
	json_object_put(o);
	worker_free(w);
	hooks_free(h);
	/* A forced failure: its lane does not exist (worker_submit -EINVAL). */
	assert_int_equal(worker_new(1, &w), 0);
	assert_int_equal(hooks_new(w, 5, 6, &rep, &h), 0);
	assert_int_equal(hooks_pre_kill(h, &cfg, &d, NULL, NULL, 0), -EINVAL);
	o = hook_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "hook.status")), "exec-error");
	assert_string_equal(json_object_get_string(get(o, "hook.name")), "pre_kill");
	assert_string_equal(json_object_get_string(get(o, "hook.error")), strerror(EINVAL));
	json_object_put(o);
	worker_free(w);
	hooks_free(h);
	config_free(&cfg);
	free(cg);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_spawn_closed_output),
		cmocka_unit_test(test_spawn_blocking_output),
		cmocka_unit_test(test_job_preallocated),
		cmocka_unit_test(test_long_cgroup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
