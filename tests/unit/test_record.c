/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "report/record.h"

static json_object *decision_json(const struct decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct reporter r = { .out = f, .kmsg_fd = -1, .json = true };
	json_object *o;

	assert_int_equal(report_decision(&r, d), 0);
	fclose(f);
	assert_non_null(buf);
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));        /* one line */
	o = json_tokener_parse(buf);
	free(buf);
	assert_non_null(o);
	return o;
}

static json_object *get(json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	json_object *v = o;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		assert_true(json_object_object_get_ex(v, key, &v));
		path = dot + 1;
	}
	assert_true(json_object_object_get_ex(v, path, &v));
	return v;
}

static void test_kill_record_fields(void **state)
{
	struct decision d = {
		.event = "terminate", .trigger = "memory", .level = "terminate",
		.reason = "MemAvailable 90 MiB (8.8%) <= terminate threshold 102 MiB",
		.mem_total = 1 << 30, .mem_available = 90 << 20, .pid = 4242,
		.comm = "hog", .cgroup = "/app.slice/x.scope", .uid = 1000,
		.rss = 800 << 20, .anon = 790 << 20, .oom_score = 780, .badness = 780,
		.value = 1, .sig = SIGTERM, .freed_bytes = -1, .exit_ms = -1,
	};
	json_object *o;

	(void)state;
	o = decision_json(&d);
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
	struct reporter r = { .out = NULL, .json = true };
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
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct reporter r = { .out = f, .kmsg_fd = -1, .json = true };
	json_object *o;

	(void)state;
	assert_int_equal(report_event(&r, "reload-refused", "x.yaml:3:5: unknown key"), 0);
	fclose(f);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(get(o, "event")), "reload-refused");
	assert_string_equal(json_object_get_string(get(o, "message")), "x.yaml:3:5: unknown key");
	json_object_put(o);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_record_fields),
		cmocka_unit_test(test_hostile_comm_escaped),
		cmocka_unit_test(test_kmsg_line),
		cmocka_unit_test(test_event_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
