/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's sample over a fixture /proc: the `sample` row,
 * the `top` largest processes as `process` rows (largest first, kernel
 * threads left out), and their alloc_rate once they were in the sample
 * before (the same pid and start time). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/guard.h"
#include "core/util.h"
#include "fixture.h"
#include "guards/calibration/calibration.h"

#define MEMINFO "MemTotal:        1048576 kB\nMemFree:          100000 kB\n" \
	"MemAvailable:     524288 kB\nSwapTotal:        0 kB\nSwapFree:        0 kB\n"

static void add(struct fixture *f, int pid, const char *comm, unsigned long anon_kb,
		unsigned long long start)
{
	struct fixture_proc p = {
		.pid = pid, .ppid = 1, .comm = comm, .cmdline = comm, .exe = "/usr/bin/x",
		.cgroup = "/user.slice/a,b.scope", .uid = 1000, .rss_anon_kb = anon_kb,
		.rss_file_kb = 1024, .oom_score = 10, .oom_score_adj = 100, .starttime = start,
		.kthread = anon_kb == 0,
	};
	char exe[64];

	snprintf(exe, sizeof(exe), "proc/%d/exe", pid);
	unlinkat(f->dirfd, exe, 0);     /* written again: a new symlink */
	fixture_proc(f, "proc", &p);
}

/* Rows of the queue (NUL-terminated), emptied. */
static char *rows(struct calib *c)
{
	static char out[DS_QUEUE_CAP + 1];

	memcpy(out, c->q.buf, c->q.len);
	out[c->q.len] = '\0';
	c->q.len = c->q.rows = 0;
	return out;
}

/* The column n (0-based) of the line at s, as written (quotes and all). */
static const char *column(const char *s, int n, char *buf, size_t size)
{
	bool quoted = false;
	size_t len;

	for (; n > 0; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == ',' && !quoted)
			n--;
	}
	for (len = 0; s[len] && (quoted || (s[len] != ',' && s[len] != '\n')); len++)
		if (s[len] == '"')
			quoted = !quoted;
	snprintf(buf, size, "%.*s", (int)len, s);
	return buf;
}

static void test_sample(void **state)
{
	struct fixture *f = fixture_new();
	static struct calib c;
	struct og_ctx ctx = { 0 };
	struct guard_env env = { .c = &ctx };
	struct guard g = { .env = &env, .state = &c };
	char col[64], *s, *line;
	struct timespec ms20 = { 0, 20 * 1000 * 1000 };

	(void)state;
	fixture_file(f, "proc/meminfo", MEMINFO);
	add(f, 1, "init", 100, 1);
	add(f, 2, "kthreadd", 0, 5);
	add(f, 300, "big", 400000, 300);
	add(f, 200, "mid", 200000, 200);
	add(f, 100, "small", 1000, 100);
	config_default(&ctx.cfg);
	ctx.cfg.ml_top = 2;
	ctx.proc_fd = fixture_open_dir(f, "proc");
	ctx.meminfo_fd = openat(ctx.proc_fd, "meminfo", O_RDONLY | O_CLOEXEC);
	assert_true(ctx.meminfo_fd >= 0);
	c.psi_fd = -1;
	ds_queue_init(&c.q, malloc(DS_QUEUE_CAP), DS_QUEUE_CAP, "calibration");
	assert_int_equal(calibration_seen_size(&g), 0);

	calibration_sample(&g);
	s = rows(&c);
	line = s;
	assert_string_equal(column(line, 1, col, sizeof(col)), "sample");
	assert_string_equal(column(line, 3, col, sizeof(col)), "1073741824");
	assert_string_equal(column(line, 4, col, sizeof(col)), "536870912");
	assert_string_equal(column(line, 15, col, sizeof(col)), "");    /* no rate yet */
	line = strchr(line, '\n') + 1;
	assert_non_null(strstr(line, ",process,calibration,,,,,,,300,big,\"/user.slice/a,b.scope\","));
	line = strchr(line, '\n') + 1;
	assert_non_null(strstr(line, ",process,calibration,,,,,,,200,mid,"));
	assert_non_null(strstr(line, ",100,\n"));                          /* oom_score_adj */
	line = strchr(line, '\n') + 1;
	assert_string_equal(line, "");                                  /* top 2 */
	assert_int_equal(c.nprev, 2);

	/* mid grows by 100 MiB; big is another process of the same pid now */
	nanosleep(&ms20, NULL);
	add(f, 200, "mid", 302400, 200);
	add(f, 300, "big", 400000, 999);
	calibration_sample(&g);
	s = rows(&c);
	assert_string_equal(column(s, 15, col, sizeof(col)), "0");     /* MemAvailable held */
	line = strchr(s, '\n') + 1;
	assert_non_null(strstr(line, ",300,big,"));
	assert_string_equal(column(line, 15, col, sizeof(col)), "");    /* not the same one */
	line = strchr(line, '\n') + 1;
	assert_non_null(strstr(line, ",200,mid,"));
	assert_true(atof(column(line, 15, col, sizeof(col))) > 1e6);   /* 100 MiB in > 20 ms */

	free(c.q.buf);
	calibration_seen_free(&g);
	close(ctx.meminfo_fd);
	close(ctx.proc_fd);
	config_free(&ctx.cfg);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
