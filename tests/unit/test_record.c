/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "fixture.h"
#include "core/guard.h"
#include "report/record.h"
#include "unit/record-util.h"

static json_object *decision_json(const struct decision *d)
{
	int p[2];
	struct reporter r = pipe_reporter(p);
	json_object *o;

	assert_int_equal(report_decision(&r, d), 0);
	o = read_record(p[0]);
	close(p[0]);
	close(p[1]);
	return o;
}

/* Position of key among o's keys (records keep their order), -1 if absent. */
static int key_index(json_object *o, const char *key)
{
	int i = 0;

	json_object_object_foreach(o, k, v) {
		(void)v;
		if (!strcmp(k, key))
			return i;
		i++;
	}
	return -1;
}

static void test_kill_record_fields(void **state)
{
	struct decision d = {
		.guard = "memory", .event = "terminate", .trigger = "memory", .level = "terminate",
		.reason = "MemAvailable 90 MiB (8.8%) <= terminate threshold 102 MiB",
		.mem_total = 1 << 30, .mem_available = 90 << 20, .pid = 4242,
		.comm = "hog", .cgroup = "/app.slice/x.scope", .uid = 1000,
		.rss = 800 << 20, .anon = 790 << 20, .oom_score = 780, .badness = 780,
		.value = 1, .sig = SIGTERM, .freed_bytes = -1, .exit_ms = -1,
	};
	json_object *o;

	(void)state;
	o = decision_json(&d);
	assert_string_equal(json_object_get_string(get(o, "guard")), "memory");
	assert_int_equal(key_index(o, "guard"), key_index(o, "event") - 1);
	assert_string_equal(json_object_get_string(get(o, "event")), "terminate");
	assert_string_equal(json_object_get_string(get(o, "signal")), "SIGTERM");
	assert_int_equal(json_object_get_int(get(o, "victim.pid")), 4242);
	assert_string_equal(json_object_get_string(get(o, "victim.comm")), "hog");
	assert_string_equal(json_object_get_string(get(o, "victim.cgroup")), "/app.slice/x.scope");
	assert_int_equal(json_object_get_int64(get(o, "victim.anon")), 790 << 20);
	assert_string_equal(json_object_get_string(get(o, "trigger.type")), "memory");
	assert_string_equal(json_object_get_string(get(o, "trigger.scope")), "system");
	assert_int_equal(json_object_get_int64(get(o, "trigger.mem_available")), 90 << 20);
	assert_null(get(o, "freed_bytes"));     /* unknown yet */
	assert_null(get(o, "exit_ms"));
	assert_false(json_object_get_boolean(get(o, "dry_run")));
	assert_true(json_object_get_int64(get(o, "time_ms")) > 1600000000000LL);
	json_object_put(o);

	d.event = "exit";
	d.freed_bytes = 780 << 20;
	d.exit_ms = 12;
	d.set_size = 2;
	d.set_freed = 900 << 20;
	d.set_value = 6;
	o = decision_json(&d);
	assert_int_equal(json_object_get_int64(get(o, "freed_bytes")), 780 << 20);
	assert_int_equal(json_object_get_int(get(o, "exit_ms")), 12);
	assert_int_equal(json_object_get_int(get(o, "chosen_set.value_lost")), 6);
	assert_int_equal(json_object_get_int64(get(o, "chosen_set.frees")), 900 << 20);
	json_object_put(o);
}

/* Process names are untrusted: quotes, newlines, escapes, non-ASCII. */
static void test_hostile_comm_escaped(void **state)
{
	struct decision d = { .event = "kill", .comm = "evil\"\n{\x1b[31m}\\\xff",
			      .cgroup = "/a\nb", .sig = SIGKILL, .freed_bytes = -1, .exit_ms = -1 };
	json_object *o;
	const char *c;

	(void)state;
	o = decision_json(&d);
	c = json_object_get_string(get(o, "victim.comm"));
	assert_null(strchr(c, '\n'));
	assert_null(strchr(c, '"'));
	assert_null(strchr(c, '\x1b'));
	assert_null(strchr(c, '\xff'));
	assert_non_null(strstr(c, "evil"));
	assert_null(strchr(json_object_get_string(get(o, "victim.cgroup")), '\n'));
	json_object_put(o);
}

/* Text mode (json_logs: false): a reason or message with a newline (a
 * cgroup path, a config error) stays on its line, escaped as in JSON. */
static void test_text_mode_escaped(void **state)
{
	int p[2];
	struct reporter r = pipe_reporter(p);
	struct decision d = { .guard = "cgroups", .event = "kill", .comm = "caf\xc3\xa9\n",
			      .trigger = "cgroup", .sig = SIGKILL,
			      .reason = "headroom of /a\nmemory: kill pid=1 comm=x: forged\xff" };
	char buf[4096];
	ssize_t n;

	(void)state;
	r.json = false;
	assert_int_equal(report_decision(&r, &d), 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "cgroups: kill pid=0 comm=caf\xc3\xa9\\x0a signal=9 trigger=cgroup: "
			    "headroom of /a\\x0amemory: kill pid=1 comm=x: forged\\xff\n");
	assert_int_equal(report_event(&r, "cgroups", "skip", "/x\n\"y\": no candidate"), 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "cgroups: skip: /x\\x0a\\x22y\\x22: no candidate\n");
	close(p[0]);
	close(p[1]);
}

/* Read what one write put in the pipe. */
static size_t read_all(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	return (size_t)n;
}

/* The whole kmsg line, byte for byte: the README's order (reason, then
 * trigger), escaped names, and a trailing newline so that the kernel closes
 * the record at once instead of holding it open as a continuation. */
static void test_kmsg_line(void **state)
{
	int p[2];
	char buf[1024];
	struct reporter r = { .out_fd = -1, .json = true };
	struct decision d = { .event = "terminate", .comm = "runaway", .cgroup = "/",
			      .pid = 412, .sig = SIGTERM, .trigger = "memory",
			      .anon = 865075200, .swap = 0,
			      .reason = "MemAvailable 90 MiB (8.8%) <= terminate threshold 98 MiB" };

	(void)state;
	assert_int_equal(pipe(p), 0);
	r.kmsg_fd = p[1];
	assert_int_equal(report_decision_kmsg(&r, &d), 0);
	read_all(p[0], buf, sizeof(buf));
	assert_string_equal(buf, "<4>oomguard: sent SIGTERM to pid 412 (runaway) cgroup / "
			    "anon+swap 844800 KiB: MemAvailable 90 MiB (8.8%) <= terminate "
			    "threshold 98 MiB trigger: memory\n");

	d.dry_run = true;
	assert_int_equal(report_decision_kmsg(&r, &d), 0);
	read_all(p[0], buf, sizeof(buf));
	assert_string_equal(buf, "<4>oomguard: dry-run: would send SIGTERM to pid 412 (runaway) "
			    "cgroup / anon+swap 844800 KiB: MemAvailable 90 MiB (8.8%) <= "
			    "terminate threshold 98 MiB trigger: memory\n");

	/* Escalation of a whole cgroup; a hostile name cannot forge a line. */
	d = (struct decision){ .event = "escalate", .comm = "bad\nname", .cgroup = "/a.slice/x\n<0>y",
			       .pid = 77, .sig = SIGKILL, .trigger = "cgroup", .whole_cgroup = true,
			       .anon = 4096, .swap = 8192, .reason = "grace period over" };
	assert_int_equal(report_decision_kmsg(&r, &d), 0);
	read_all(p[0], buf, sizeof(buf));
	assert_string_equal(buf, "<4>oomguard: sent SIGKILL to the cgroup of pid 77 (bad\\x0aname) "
			    "cgroup /a.slice/x\\x0a<0>y anon+swap 12 KiB: grace period over "
			    "trigger: cgroup\n");

	/* A general kmsg line ends with a newline too, and carries no other. */
	assert_int_equal(report_kmsg(&r, "started%s", " (dry-run)\nforged"), 0);
	read_all(p[0], buf, sizeof(buf));
	assert_string_equal(buf, "<4>oomguard: started (dry-run) forged\n");
	close(p[0]);
	close(p[1]);
}

static void test_event_line(void **state)
{
	int p[2];
	struct reporter r = pipe_reporter(p);
	json_object *o;

	(void)state;
	assert_int_equal(report_event(&r, "daemon", "reload-refused", "x.yaml:3:5: unknown key"), 0);
	o = read_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "guard")), "daemon");
	assert_int_equal(key_index(o, "guard"), key_index(o, "event") - 1);
	assert_string_equal(json_object_get_string(get(o, "event")), "reload-refused");
	assert_string_equal(json_object_get_string(get(o, "message")), "x.yaml:3:5: unknown key");
	json_object_put(o);
	close(p[0]);
	close(p[1]);
}

/* A network finding: interface names are chosen by whoever has
 * CAP_NET_ADMIN in the namespace and may hold control characters: escaped
 * as everywhere, and the text mode is one line. */
static void test_network_record(void **state)
{
	int p[2];
	struct reporter r = pipe_reporter(p);
	struct netrec n = { .event = "dup-mac-local", .message = "e\x1b[31m0\n and eth1 have the same MAC",
			    .interface = "e\x1b[31m0\n", .mac = "52:54:00:00:00:01",
			    .other_interface = "eth1", .count = 3 };
	char buf[1024];
	json_object *o;
	ssize_t len;

	(void)state;
	assert_int_equal(report_network(&r, &n), 0);
	o = read_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "guard")), "network");
	assert_string_equal(json_object_get_string(get(o, "network.interface")), "e\\x1b[31m0\\x0a");
	assert_string_equal(json_object_get_string(get(o, "network.other_interface")), "eth1");
	assert_null(get(o, "network.address"));
	assert_int_equal(json_object_get_int64(get(o, "network.count")), 3);
	json_object_put(o);
	r.json = false;
	assert_int_equal(report_network(&r, &n), 0);
	len = read(p[0], buf, sizeof(buf) - 1);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_string_equal(buf, "network: dup-mac-local: e\\x1b[31m0\\x0a and eth1 have the same MAC\n");
	close(p[0]);
	close(p[1]);
}

/* The whole content of a file. */
static size_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

/* logging.record_path: appended to, created 0640, non-blocking, close-on-exec. */
static void test_open_record_path(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], err[256] = "", buf[4096];
	struct reporter r;
	struct stat st;
	mode_t old = umask(022);
	int fd, fl;

	(void)state;
	snprintf(path, sizeof(path), "%s/records.jsonl", f->dir);
	assert_int_equal(reporter_open(&r, path, false, true, err, sizeof(err)), 0);
	umask(old);
	assert_true(r.own_out);
	assert_int_equal(r.kmsg_fd, -1);
	fl = fcntl(r.out_fd, F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fl & O_APPEND);
	assert_true(fcntl(r.out_fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(report_event(&r, "daemon", "start", "active"), 0);
	fd = r.out_fd;
	reporter_close(&r);
	assert_int_equal(r.out_fd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);       /* closed */

	/* A second open appends. */
	assert_int_equal(reporter_open(&r, path, false, false, err, sizeof(err)), 0);
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), 0);
	reporter_close(&r);
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"event\":\"start\""));
	assert_non_null(strstr(buf, "}\ndaemon: stop: signal\n"));
	fixture_free(f);
}

/* A refused open says why and leaves the reporter in force untouched. */
static void test_open_refused(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], err[256] = "";
	struct reporter r = { .out_fd = 42, .kmsg_fd = 43, .dropped = 7 };

	(void)state;
	fixture_file(f, "real", "");
	assert_int_equal(symlink("real", (snprintf(path, sizeof(path), "%s/link", f->dir), path)), 0);
	assert_int_equal(reporter_open(&r, path, false, true, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(r.out_fd, 42);
	assert_int_equal(r.kmsg_fd, 43);
	assert_int_equal(r.dropped, 7);

	snprintf(path, sizeof(path), "%s/no/such/dir/r.jsonl", f->dir);
	assert_int_equal(reporter_open(&r, path, true, true, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(r.out_fd, 42);
	fixture_free(f);
}

/* NULL: records go to fd 1, made non-blocking, and never closed. */
static void test_open_stdout(void **state)
{
	int p[2], saved = dup(STDOUT_FILENO);
	char err[256] = "";
	struct reporter r;
	json_object *o;

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	assert_int_equal(reporter_open(&r, NULL, false, true, err, sizeof(err)), 0);
	assert_int_equal(r.out_fd, STDOUT_FILENO);
	assert_false(r.own_out);
	assert_true(fcntl(STDOUT_FILENO, F_GETFL) & O_NONBLOCK);
	assert_int_equal(report_event(&r, "daemon", "start", "dry-run"), 0);
	reporter_close(&r);
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);        /* still open */
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	o = read_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "message")), "dry-run");
	json_object_put(o);
	close(p[0]);
	close(p[1]);
}

/* /dev/kmsg that cannot be opened (not root) is not an error: no kmsg line,
 * and the reason for the caller to say. */
static void test_open_kmsg(void **state)
{
	char err[256] = "";
	struct reporter r;

	(void)state;
	assert_int_equal(reporter_open(&r, "/dev/null", true, true, err, sizeof(err)), 0);
	assert_true((r.kmsg_fd >= 0) != (r.kmsg_err < 0));
	reporter_close(&r);
	assert_int_equal(r.kmsg_fd, -1);
}

/* ENOSPC: the record is dropped and counted; nothing is retried. */
static void test_write_error_counted(void **state)
{
	char err[256] = "";
	struct reporter r;

	(void)state;
	if (access("/dev/full", W_OK) < 0)
		skip();
	assert_int_equal(reporter_open(&r, "/dev/full", false, true, err, sizeof(err)), 0);
	assert_int_equal(report_event(&r, "daemon", "start", "active"), -ENOSPC);
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), -ENOSPC);
	assert_int_equal(r.dropped, 2);
	assert_int_equal(r.unreported, 2);
	assert_true(r.dropped_bytes > 40);
	reporter_close(&r);
}

/* A loss is said in the log once when it starts (not for every record: a
 * full disk would flood the journal) and once when writing works again. */
static void test_write_error_logged(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], err[256] = "", buf[4096], *p;
	struct reporter r;
	int saved, fd;

	(void)state;
	if (access("/dev/full", W_OK) < 0)
		skip();
	snprintf(path, sizeof(path), "%s/stderr", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);

	assert_int_equal(reporter_open(&r, "/dev/full", false, true, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(report_event(&r, "daemon", "reload", "x"), -ENOSPC);
	close(r.out_fd);
	snprintf(path, sizeof(path), "%s/records.jsonl", f->dir);
	r.out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), 0);
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), 0);
	reporter_close(&r);

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	snprintf(path, sizeof(path), "%s/stderr", f->dir);
	slurp(path, buf, sizeof(buf));
	p = strstr(buf, "records: one could not be written (No space left on device)");
	assert_non_null(p);
	assert_null(strstr(p + 40, "could not be written"));   /* once, not three times */
	p = strstr(buf, "records: written again; 3 lost before this one");
	assert_non_null(p);
	assert_null(strstr(p + 40, "written again"));
	fixture_free(f);
}

/* A short write (here: the file size limit) loses the record, and the next
 * record starts on a line of its own. */
static void test_short_write(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], err[256] = "", buf[4096], *nl, *frag;
	struct rlimit old, lim;
	struct reporter r;
	struct stat st;
	json_object *o;

	(void)state;
	snprintf(path, sizeof(path), "%s/records.jsonl", f->dir);
	assert_int_equal(reporter_open(&r, path, false, true, err, sizeof(err)), 0);
	assert_int_equal(report_event(&r, "daemon", "start", "active"), 0);
	assert_int_equal(fstat(r.out_fd, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(report_event(&r, "daemon", "reload", "/etc/oomguard/oomguard.yaml"), -EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(r.dropped, 1);
	assert_true(r.torn);
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), 0);
	assert_false(r.torn);
	assert_int_equal(r.unreported, 0);
	reporter_close(&r);

	slurp(path, buf, sizeof(buf));
	frag = strchr(buf, '\n');               /* line 1: start */
	assert_non_null(frag);
	nl = strchr(++frag, '\n');              /* line 2: 10 bytes of the lost record */
	assert_non_null(nl);
	assert_int_equal(nl - frag, 10);
	assert_null(json_tokener_parse(frag));
	o = json_tokener_parse(nl + 1);        /* line 3: whole */
	assert_non_null(o);
	assert_string_equal(json_object_get_string(get(o, "event")), "stop");
	assert_int_equal(json_object_get_int64(get(o, "dropped")), 1);
	json_object_put(o);
	fixture_free(f);
}

static uint64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* The reader stalls (journald under memory pressure): records are dropped at
 * once, never waited on; once it reads again, the next record says how many
 * were lost. */
static void test_full_pipe_drops(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], err[256] = "", chunk[4096] = "";
	struct decision d = { .event = "kill", .trigger = "memory", .level = "kill",
			      .reason = "MemAvailable low", .pid = 42, .comm = "hog",
			      .cgroup = "/", .sig = SIGKILL, .freed_bytes = -1, .exit_ms = -1 };
	struct timespec t0;
	struct reporter r;
	json_object *o;
	int rd, wr;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	wr = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rd >= 0 && wr >= 0);
	assert_int_equal(reporter_open(&r, path, false, true, err, sizeof(err)), 0);
	while (write(wr, chunk, sizeof(chunk)) > 0)
		;
	while (write(wr, chunk, 1) > 0)
		;
	assert_int_equal(errno, EAGAIN);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(report_decision(&r, &d), -EAGAIN);
	assert_int_equal(report_event(&r, "memory", "skip", "system: no candidate to kill"), -EAGAIN);
	assert_int_equal(report_decision(&r, &d), -EAGAIN);
	assert_true(elapsed_ms(&t0) < 1000);
	assert_int_equal(r.dropped, 3);
	assert_int_equal(r.unreported, 3);
	assert_false(r.torn);

	while (read(rd, chunk, sizeof(chunk)) > 0)
		;
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), 0);
	o = read_record(rd);
	assert_string_equal(json_object_get_string(get(o, "event")), "stop");
	assert_int_equal(json_object_get_int64(get(o, "dropped")), 3);
	json_object_put(o);
	assert_int_equal(r.unreported, 0);
	assert_int_equal(r.dropped, 3);

	assert_int_equal(report_decision(&r, &d), 0);   /* reported once only */
	o = read_record(rd);
	assert_int_equal(json_object_get_int64(get(o, "dropped")), 0);
	json_object_put(o);

	/* In text mode too. */
	r.json = false;
	r.unreported = 2;
	assert_int_equal(report_event(&r, "daemon", "stop", "signal"), 0);
	assert_int_equal(read(rd, chunk, sizeof(chunk)), (ssize_t)strlen("daemon: stop: signal dropped=2\n"));
	assert_memory_equal(chunk, "daemon: stop: signal dropped=2\n", strlen("daemon: stop: signal dropped=2\n"));
	reporter_close(&r);
	close(rd);
	close(wr);
	fixture_free(f);
}

/* Reload: the new reporter takes over the old one's counts. */
static void test_replace(void **state)
{
	int p[2], q[2];
	struct reporter r = pipe_reporter(p), next = pipe_reporter(q);

	(void)state;
	r.dropped = 5;
	r.unreported = 2;
	r.dropped_bytes = 500;
	next.dropped = 1;
	reporter_replace(&r, &next);
	assert_int_equal(r.out_fd, q[1]);
	assert_int_equal(r.dropped, 6);
	assert_int_equal(r.unreported, 2);
	assert_int_equal(r.dropped_bytes, 500);
	close(p[0]);
	close(p[1]);            /* not own_out: replace left it open */
	close(q[0]);
	close(q[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_record_fields),
		cmocka_unit_test(test_hostile_comm_escaped),
		cmocka_unit_test(test_text_mode_escaped),
		cmocka_unit_test(test_kmsg_line),
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_network_record),
		cmocka_unit_test(test_open_record_path),
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_open_stdout),
		cmocka_unit_test(test_open_kmsg),
		cmocka_unit_test(test_write_error_counted),
		cmocka_unit_test(test_write_error_logged),
		cmocka_unit_test(test_short_write),
		cmocka_unit_test(test_full_pipe_drops),
		cmocka_unit_test(test_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
