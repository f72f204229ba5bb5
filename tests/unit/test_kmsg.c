/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's /dev/kmsg rate limit, counted in oomguard (src/report/output.c),
 * with an injected clock: whole lines, windows, the summary line and record. */
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

/* A reporter writing into a pipe; p[0] is the end to read. */
static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }
static uint64_t due_in;
static int due_calls;
static void fake_due(void *userdata, uint64_t in_ms)
{
	due_calls++;
	due_in = in_ms;
}

/* Everything waiting in a non-blocking pipe ("" when nothing). */
static const char *drain(int fd)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	assert_true(n == 0 || errno == EAGAIN);
	buf[len] = '\0';
	return buf;
}

struct kmsg_world {
	int k[2], o[2];
	struct reporter r;
};

static void kmsg_world(struct kmsg_world *w)
{
	assert_int_equal(pipe2(w->k, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(w->o, O_CLOEXEC | O_NONBLOCK), 0);
	w->r = (struct reporter){ .out_fd = w->o[1], .kmsg_fd = w->k[1], .json = true };
	w->r.kmsg.clock = fake_clock;
	w->r.kmsg.due = fake_due;
	fake_now = 100000;
	due_calls = 0;
	due_in = 0;
}

static void kmsg_world_close(struct kmsg_world *w)
{
	for (int i = 0; i < 2; i++) {
		close(w->k[i]);
		close(w->o[i]);
	}
}

/* n lines "line FIRST" .. "line FIRST+n-1", as the kernel would see them. */
static const char *lines(int first, int n)
{
	static char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = first; i < first + n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "<4>oomguard: line %d\n", i);
	return buf;
}

/* The kernel takes 10 lines per 5 s per open /dev/kmsg and drops the rest
 * while write() succeeds. Defect: oomguard wrote on and lost lines silently.
 * Now the 11th line of a window is held back and counted, and after the
 * window one summary line and one record say how many. */
static void test_kmsg_rate_limit(void **state)
{
	struct kmsg_world w;
	json_object *o;
	char want[8192];

	(void)state;
	kmsg_world(&w);
	for (int i = 1; i <= 10; i++, fake_now++)
		assert_int_equal(report_kmsg(&w.r, "line %d", i), 0);
	assert_string_equal(drain(w.k[0]), lines(1, 10));
	assert_int_equal(due_calls, 0);
	/* 11..14: held back; the daemon is asked to come back when the window
	 * (from the first line, at 100000) ends. */
	for (int i = 11; i <= 14; i++)
		assert_int_equal(report_kmsg(&w.r, "line %d", i), 0);
	assert_string_equal(drain(w.k[0]), "");
	assert_int_equal(due_calls, 1);
	assert_int_equal(due_in, 100000 + KMSG_WINDOW_MS - fake_now);
	assert_int_equal(w.r.kmsg.suppressed, 4);
	/* Too early: nothing, and how long to wait. */
	fake_now = 100000 + KMSG_WINDOW_MS - 1;
	assert_int_equal(report_kmsg_flush(&w.r, false), 1);
	assert_string_equal(drain(w.k[0]), "");
	assert_string_equal(drain(w.o[0]), "");
	/* The window is over: one summary line, one record. */
	fake_now = 100000 + KMSG_WINDOW_MS;
	assert_int_equal(report_kmsg_flush(&w.r, false), 0);
	assert_string_equal(drain(w.k[0]),
			    "<4>oomguard: 4 kmsg lines suppressed (rate limit); see the records\n");
	o = read_record(w.o[0]);
	assert_string_equal(json_object_get_string(get(o, "guard")), "daemon");
	assert_string_equal(json_object_get_string(get(o, "event")), "kmsg-suppressed");
	assert_string_equal(json_object_get_string(get(o, "message")), "4 kmsg lines suppressed (rate limit)");
	json_object_put(o);
	assert_int_equal(report_kmsg_flush(&w.r, false), 0);  /* nothing pending */
	assert_string_equal(drain(w.k[0]), "");

	/* The summary opened the next window: 9 more lines fit, not 10. */
	for (int i = 15; i <= 24; i++)
		report_kmsg(&w.r, "line %d", i);
	assert_string_equal(drain(w.k[0]), lines(15, 9));
	assert_int_equal(due_calls, 2);
	/* The next line after that window: the summary first, then the line. */
	fake_now += KMSG_WINDOW_MS;
	assert_int_equal(report_kmsg(&w.r, "line %d", 25), 0);
	snprintf(want, sizeof(want), "<4>oomguard: 1 kmsg line suppressed (rate limit); see the records\n%s",
		 lines(25, 1));
	assert_string_equal(drain(w.k[0]), want);
	o = read_record(w.o[0]);
	assert_string_equal(json_object_get_string(get(o, "message")), "1 kmsg line suppressed (rate limit)");
	json_object_put(o);
	kmsg_world_close(&w);
}

/* A window runs from its first line, not on a fixed grid: lines spread out
 * over time are never held back. */
static void test_kmsg_windows_slide(void **state)
{
	struct kmsg_world w;

	(void)state;
	kmsg_world(&w);
	for (int i = 1; i <= 30; i++, fake_now += 600)  /* 1 every 600 ms: 9 a window */
		report_kmsg(&w.r, "line %d", i);
	assert_string_equal(drain(w.k[0]), lines(1, 30));
	assert_int_equal(due_calls, 0);
	/* A burst right at the end of a window and one at the start of the
	 * next: 10 each. */
	fake_now += KMSG_WINDOW_MS;
	for (int i = 1; i <= 10; i++)
		report_kmsg(&w.r, "line %d", i);
	fake_now += KMSG_WINDOW_MS;
	for (int i = 11; i <= 20; i++)
		report_kmsg(&w.r, "line %d", i);
	assert_string_equal(drain(w.k[0]), lines(1, 20));
	assert_int_equal(w.r.kmsg.suppressed, 0);
	kmsg_world_close(&w);
}

/* printk_devkmsg=on: no limit. At exit, what was held back in a window
 * not yet over goes to the record alone (the kernel would drop the line). */
static void test_kmsg_unlimited_and_final(void **state)
{
	struct kmsg_world w;
	json_object *o;

	(void)state;
	kmsg_world(&w);
	w.r.kmsg.unlimited = true;
	for (int i = 1; i <= 25; i++)
		report_kmsg(&w.r, "line %d", i);
	assert_string_equal(drain(w.k[0]), lines(1, 25));
	kmsg_world_close(&w);

	kmsg_world(&w);
	for (int i = 1; i <= 12; i++)
		report_kmsg(&w.r, "line %d", i);
	assert_string_equal(drain(w.k[0]), lines(1, 10));
	fake_now += 100;
	assert_int_equal(report_kmsg_flush(&w.r, true), 0);
	assert_string_equal(drain(w.k[0]), "");
	o = read_record(w.o[0]);
	assert_string_equal(json_object_get_string(get(o, "message")), "2 kmsg lines suppressed (rate limit)");
	json_object_put(o);

	/* A reload's new reporter (a new kmsg fd) keeps the count and the hooks. */
	struct reporter next = { .out_fd = w.o[1], .kmsg_fd = dup(w.k[1]), .json = true };

	for (int i = 13; i <= 15; i++)
		report_kmsg(&w.r, "line %d", i);
	assert_int_equal(w.r.kmsg.suppressed, 3);
	reporter_replace(&w.r, &next);         /* closed the old kmsg fd */
	w.k[1] = w.r.kmsg_fd;
	assert_int_equal(w.r.kmsg.suppressed, 3);
	assert_ptr_equal(w.r.kmsg.clock, fake_clock);
	assert_ptr_equal(w.r.kmsg.due, fake_due);
	/* its fd is new to the kernel: the summary goes out at once */
	assert_int_equal(report_kmsg_flush(&w.r, false), 0);
	assert_string_equal(drain(w.k[0]),
			    "<4>oomguard: 3 kmsg lines suppressed (rate limit); see the records\n");
	kmsg_world_close(&w);
}

/* ---- docs/records.md against the records themselves ---- */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmsg_rate_limit),
		cmocka_unit_test(test_kmsg_windows_slide),
		cmocka_unit_test(test_kmsg_unlimited_and_final),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
