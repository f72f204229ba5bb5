/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ML dataset (report/dataset.h): CSV escaping and the exact bytes of
 * each kind of row, the header against docs/dataset.md, what python's csv
 * module reads back, the bounded queue and its note of dropped rows, the
 * file (header, append, rotation, keep, a symlink or a FIFO refused) and
 * the reporter's tap turning records into rows. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "fixture.h"
#include "report/dataset.h"
#include "report/record.h"

#define T0 1795970245132ull

static const char *field(const char *s, size_t max)
{
	static char buf[512];
	size_t n;

	assert_true(max < sizeof(buf));
	n = ds_field(s, buf, max);
	assert_int_equal(n, strlen(buf));
	assert_true(n <= max);
	return buf;
}

static void test_field(void **state)
{
	(void)state;
	assert_string_equal(field("firefox", 64), "firefox");
	assert_string_equal(field("", 64), "");
	assert_string_equal(field(NULL, 64), "");
	assert_string_equal(field("a,b", 64), "\"a,b\"");
	assert_string_equal(field("say \"hi\"", 64), "\"say \"\"hi\"\"\"");
	assert_string_equal(field("a\nb", 64), "\"a\nb\"");
	assert_string_equal(field("a\rb", 64), "\"a\rb\"");
	/* other control characters, DEL and C1 controls: spaces */
	assert_string_equal(field("a\tb\x01" "c\x7f" "d\xc2\x85" "e", 64), "a b c d e");
	/* well-formed UTF-8 stays; what is not becomes '?' */
	assert_string_equal(field("caf\xc3\xa9 \xe6\x97\xa5", 64), "caf\xc3\xa9 \xe6\x97\xa5");
	assert_string_equal(field("a\xff" "b\xc3" "c\xed\xa0\x80", 64), "a?b?c???");
	/* cut at max: never a character or a doubled quote split, quotes closed */
	assert_string_equal(field("abcdef", 4), "abcd");
	assert_string_equal(field("ab\xe6\x97\xa5", 4), "ab");
	assert_string_equal(field("a,\"bc", 5), "\"a,\"");
	assert_string_equal(field("a,\"bc", 6), "\"a,\"\"\"");
	assert_string_equal(field("a,b", 1), "");
}

/* A row of every column filled, then each kind's own. */
static void row(const struct ds_row *r, const char *want)
{
	char buf[DS_ROW_MAX];
	int n = ds_format(r, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_string_equal(buf, want);
}

static void test_rows(void **state)
{
	struct ds_row r;
	char small[64];

	(void)state;
	ds_row_init(&r, DS_SAMPLE, "calibration", T0);
	r.mem_total = 1 << 30;
	r.mem_available = 512 << 20;
	r.swap_total = 0;
	r.swap_free = 0;
	r.psi_some_avg10 = 1.5;
	r.psi_full_avg10 = 0.25;
	r.alloc_rate = 1048576.4;
	row(&r, "1795970245132,sample,calibration,1073741824,536870912,0,0,1.50,0.25,,,,,,,"
		"1048576,,\n");
	r.alloc_rate = -0.3;            /* never "-0" */
	r.psi_full_avg10 = NAN;         /* no full line */
	row(&r, "1795970245132,sample,calibration,1073741824,536870912,0,0,1.50,,,,,,,,0,,\n");

	ds_row_init(&r, DS_PROCESS, "calibration", T0);
	r.pid = 4242;
	r.comm = "a,b\"c\nd";   /* a process names itself */
	r.cgroup = "/user.slice/x.scope";
	r.rss = 800 << 20;
	r.anon = 790 << 20;
	r.swap = 0;
	r.oom_score_adj = 200;
	row(&r, "1795970245132,process,calibration,,,,,,,4242,\"a,b\"\"c\nd\",/user.slice/x.scope,"
		"838860800,828375040,0,,200,\n");
	r.alloc_rate = INFINITY;        /* nonsense: empty */
	r.oom_score_adj = -1000;
	r.comm = "x";
	row(&r, "1795970245132,process,calibration,,,,,,,4242,x,/user.slice/x.scope,"
		"838860800,828375040,0,,-1000,\n");

	ds_row_init(&r, DS_EVENT, NULL, T0);
	row(&r, "1795970245132,event,,,,,,,,,,,,,,,,\n");
	assert_int_equal(ds_format(&r, small, sizeof(small)), -ENOSPC);
}

/* Long strings are cut, the row stays one row under DS_ROW_MAX. */
static void test_long_row(void **state)
{
	static char big[3 * DS_ROW_MAX], buf[DS_ROW_MAX];
	struct ds_row r;
	int n;

	(void)state;
	memset(big, '"', sizeof(big) - 1);
	ds_row_init(&r, DS_PROCESS, big, T0);
	r.comm = r.cgroup = r.value = big;
	r.pid = 1;
	n = ds_format(&r, buf, sizeof(buf));
	assert_true(n > 0 && n < DS_ROW_MAX);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', (size_t)n - 1));
}

/* docs/dataset.md's table lists the header's columns, in its order. */
static void test_header_doc(void **state)
{
	const char *src = getenv("OG_SRCDIR");
	char path[4096], line[4096], cols[1024] = "", want[1024];
	bool table = false;
	FILE *f;

	(void)state;
	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/docs/dataset.md", src);
	assert_non_null(f = fopen(path, "re"));
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (!strncmp(line, "| column |", 10)) {
			table = true;
			continue;
		}
		if (table && line[0] != '|')
			break;
		if (table && sscanf(line, "| `%63[^`]` |", name) == 1)
			snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s%s",
				 *cols ? "," : "", name);
	}
	fclose(f);
	snprintf(want, sizeof(want), "%s", DS_HEADER);
	want[strcspn(want, "\n")] = '\0';
	assert_string_equal(cols, want);
}

static int add(struct ds_queue *q, uint64_t t, const char *comm)
{
	struct ds_row r;

	ds_row_init(&r, DS_PROCESS, "calibration", t);
	r.pid = 7;
	r.comm = comm;
	return ds_queue_add(q, &r);
}

static void test_queue(void **state)
{
	static char a[DS_ROW_MAX], b[DS_ROW_MAX];
	const char *one = "1795970245132,process,calibration,,,,,,,7,x,,,,,,,\n";
	struct ds_queue q;
	struct ds_batch batch;
	size_t rows = 0;
	int dropped = 0;

	(void)state;
	ds_queue_init(&q, a, sizeof(a), "calibration");
	while (add(&q, T0, "x") == 0)
		rows++;
	assert_int_equal(rows, sizeof(a) / strlen(one));
	assert_int_equal(q.len, rows * strlen(one));
	for (int i = 0; i < 4; i++)
		dropped += add(&q, T0 + 1 + (uint64_t)i, "x") == -ENOBUFS;
	assert_int_equal(dropped, 4);
	assert_int_equal(q.dropped, 5);         /* the one that ended the loop too */
	assert_int_equal(q.dropped_total, 5);

	ds_queue_take(&q, b, &batch);
	assert_ptr_equal(batch.buf, a);
	assert_int_equal(batch.rows, rows);
	assert_int_equal(batch.notes, 0);
	assert_int_equal(q.len, 0);
	/* room again: the note first, at the time of the last drop */
	assert_int_equal(add(&q, T0 + 9, "y"), 0);
	assert_int_equal(q.rows, 2);
	assert_int_equal(q.notes, 1);
	assert_int_equal(q.noted, 5);
	assert_int_equal(q.dropped, 0);
	b[q.len] = '\0';
	assert_string_equal(b, "1795970245136,event,calibration,,,,,,,,,,,,,,,dropped: 5 rows lost "
			    "(the queue was full or a write failed)\n"
			    "1795970245141,process,calibration,,,,,,,7,y,,,,,,,\n");

	/* a batch lost whole: its rows, and what its note stood for, not the note */
	ds_queue_take(&q, a, &batch);
	ds_queue_lost(&q, &batch, 0, T0 + 20);
	assert_int_equal(q.dropped, 1 + 5);
	assert_int_equal(q.dropped_total, 5 + 1);
	assert_int_equal(q.dropped_ms, T0 + 20);
	/* lost in part: the rows not written */
	batch.rows = 10;
	batch.notes = 0;
	ds_queue_lost(&q, &batch, 7, T0 + 21);
	assert_int_equal(q.dropped, 6 + 3);
	ds_queue_lost(&q, &batch, 10, T0 + 22);
	assert_int_equal(q.dropped, 9);
	/* without a buffer (never active): dropped, nothing written */
	ds_queue_init(&q, NULL, 0, "calibration");
	assert_int_equal(add(&q, T0, "x"), -ENOBUFS);
}

/* ---- the file ------------------------------------------------------------ */

static char *slurp(const char *path)
{
	static char buf[65536];
	ssize_t n = read_file_at(AT_FDCWD, path, buf, sizeof(buf));

	assert_true(n >= 0);
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* A batch of n process rows (a comm with a newline in every third). */
static void batch_of(struct ds_batch *b, char *buf, size_t cap, size_t n, uint64_t t)
{
	struct ds_queue q;

	ds_queue_init(&q, buf, cap, "calibration");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(add(&q, t + i, i % 3 == 2 ? "two\nlines" : "worker"), 0);
	ds_queue_take(&q, NULL, b);
}

static void test_flush(void **state)
{
	static char buf[DS_QUEUE_CAP];
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64];
	struct ds_target t = { path, 64 * KiB, 4 };
	struct ds_flush_result res;
	struct ds_batch b;
	struct stat st;
	const char *s;

	(void)state;
	snprintf(path, sizeof(path), "%s/ds.csv", f->dir);
	batch_of(&b, buf, sizeof(buf), 3, T0);
	assert_int_equal(ds_flush(&t, &b, &res), 0);
	assert_int_equal(res.rows, 3);
	assert_int_equal(res.rotations, 0);
	assert_null(res.op);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(res.size, (uint64_t)st.st_size);
	s = slurp(path);
	assert_int_equal(strncmp(s, DS_HEADER, strlen(DS_HEADER)), 0);
	assert_int_equal(strlen(s), strlen(DS_HEADER) + b.len);
	/* appended, no second header */
	assert_int_equal(ds_flush(&t, &b, &res), 0);
	s = slurp(path);
	assert_int_equal(count(s, "time_ms,kind"), 1);
	assert_int_equal(strlen(s), strlen(DS_HEADER) + 2 * b.len);
	/* an empty batch writes nothing, creates nothing */
	b.len = 0;
	snprintf(path, sizeof(path), "%s/none.csv", f->dir);
	assert_int_equal(ds_flush(&t, &b, &res), 0);
	assert_int_equal(access(path, F_OK), -1);
	fixture_free(f);
}

/* Every file starts with the header and stays within max_size; the rows
 * are all there, oldest in the highest number, until keep drops some. */
static void test_rotation(void **state)
{
	static char buf[DS_QUEUE_CAP];
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], name[PATH_MAX + 128];
	struct ds_target t = { path, 600, 2 };
	struct ds_flush_result res;
	struct ds_batch b;
	size_t rows = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/ds.csv", f->dir);
	batch_of(&b, buf, sizeof(buf), 30, T0);         /* ~60 bytes a row: 7 a file */
	assert_int_equal(ds_flush(&t, &b, &res), 0);
	assert_int_equal(res.rows, 30);
	assert_int_equal(res.rotations, 4);
	for (unsigned i = 0; i <= 3; i++) {
		const char *s;

		snprintf(name, sizeof(name), i ? "%s.%u" : "%s", path, i);
		if (i == 3) {                   /* keep 2: no path.3 */
			assert_int_equal(access(name, F_OK), -1);
			break;
		}
		s = slurp(name);
		assert_int_equal(strncmp(s, DS_HEADER, strlen(DS_HEADER)), 0);
		assert_int_equal(count(s, "time_ms,kind"), 1);
		assert_true(strlen(s) <= 600);
		rows += count(s, ",process,");
	}
	assert_int_equal(rows, 2 + 7 + 7);      /* the oldest files were dropped */
	/* the newest rows are in path, the older in path.1 */
	assert_non_null(strstr(slurp(path), "1795970245161,process"));
	snprintf(name, sizeof(name), "%s.1", path);
	assert_null(strstr(slurp(name), "1795970245161,process"));
	assert_non_null(strstr(slurp(name), "1795970245159,process"));

	/* keep 0: truncated, never a path.1 */
	fixture_free(f);
	f = fixture_new();
	snprintf(path, sizeof(path), "%s/ds.csv", f->dir);
	t.keep = 0;
	assert_int_equal(ds_flush(&t, &b, &res), 0);
	assert_int_equal(res.rotations, 4);
	snprintf(name, sizeof(name), "%s.1", path);
	assert_int_equal(access(name, F_OK), -1);
	assert_int_equal(strncmp(slurp(path), DS_HEADER, strlen(DS_HEADER)), 0);
	assert_true(strlen(slurp(path)) <= 600);
	assert_non_null(strstr(slurp(path), "1795970245161,process"));
	assert_int_equal(count(slurp(path), ",process,"), 2);
	fixture_free(f);
}

static void test_refused(void **state)
{
	static char buf[DS_QUEUE_CAP];
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], target[PATH_MAX + 64];
	struct ds_target t = { path, 64 * KiB, 4 };
	struct ds_flush_result res;
	struct ds_batch b;

	(void)state;
	batch_of(&b, buf, sizeof(buf), 2, T0);
	fixture_file(f, "victim", "untouched");
	fixture_symlink(f, "ds.csv", "victim");
	snprintf(path, sizeof(path), "%s/ds.csv", f->dir);
	snprintf(target, sizeof(target), "%s/victim", f->dir);
	assert_int_equal(ds_flush(&t, &b, &res), -ELOOP);
	assert_string_equal(res.op, "open");
	assert_int_equal(res.rows, 0);
	assert_string_equal(slurp(target), "untouched");
	/* a FIFO (no reader): at once, never blocking */
	snprintf(path, sizeof(path), "%s/fifo.csv", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ds_flush(&t, &b, &res), -ENXIO);
	/* a directory, a missing one */
	snprintf(path, sizeof(path), "%s", f->dir);
	assert_int_equal(ds_flush(&t, &b, &res), -EISDIR);
	snprintf(path, sizeof(path), "%s/no/ds.csv", f->dir);
	assert_int_equal(ds_flush(&t, &b, &res), -ENOENT);
	fixture_free(f);
}

/* What python's csv module reads back: every row 18 fields, the hostile
 * names intact. */
static void test_python_reads_it(void **state)
{
	static char buf[DS_QUEUE_CAP];
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 64], cmd[PATH_MAX + 1024];
	struct ds_target t = { path, 64 * KiB, 4 };
	struct ds_flush_result res;
	struct ds_queue q;
	struct ds_batch b;
	const char *comms[] = { "a,b\"c\nd", "\"", ",", "\r\n", "x\xff\x01y", "caf\xc3\xa9" };
	struct ds_row r;

	(void)state;
	if (system("python3 -c '' 2>/dev/null") != 0) {
		fixture_free(f);
		skip();
	}
	ds_queue_init(&q, buf, sizeof(buf), "calibration");
	for (size_t i = 0; i < ARRAY_SIZE(comms); i++) {
		ds_row_init(&r, DS_PROCESS, "calibration", T0);
		r.pid = (int)i + 1;
		r.comm = comms[i];
		r.cgroup = comms[i];
		r.value = comms[i];
		assert_int_equal(ds_queue_add(&q, &r), 0);
	}
	ds_queue_take(&q, NULL, &b);
	snprintf(path, sizeof(path), "%s/ds.csv", f->dir);
	assert_int_equal(ds_flush(&t, &b, &res), 0);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import csv, sys\n"
		 "rows = list(csv.reader(open(sys.argv[1], newline=\"\", encoding=\"utf-8\")))\n"
		 "want = [\"a,b\\\"c\\nd\", \"\\\"\", \",\", \"\\r\\n\", \"x? y\", \"caf\\u00e9\"]\n"
		 "assert all(len(r) == 18 for r in rows), rows\n"
		 "assert [r[10] for r in rows[1:]] == want, rows\n"
		 "assert [r[11] for r in rows[1:]] == want and [r[17] for r in rows[1:]] == want\n"
		 "' %s", path);
	assert_int_equal(system(cmd), 0);
	fixture_free(f);
}

/* ---- the tap ------------------------------------------------------------- */

static void tap_to_queue(void *userdata, const struct report_tap *t)
{
	char value[1024];
	struct ds_row r;

	ds_row_of_tap(t, T0, &r, value, sizeof(value));
	assert_int_equal(ds_queue_add(userdata, &r), 0);
}

static const char *take(struct ds_queue *q)
{
	static char out[DS_ROW_MAX * 4];

	memcpy(out, q->buf, q->len);
	out[q->len] = '\0';
	q->len = q->rows = 0;
	return out;
}

static void test_tap(void **state)
{
	static char buf[DS_ROW_MAX * 4];
	struct ds_queue q;
	struct reporter r = { .out_fd = -1, .kmsg_fd = -1, .json = true };
	struct reporter next = { .out_fd = -1, .kmsg_fd = -1 };
	struct decision d = {
		.guard = "memory", .event = "terminate", .trigger = "memory", .level = "terminate",
		.reason = "MemAvailable 90 MiB (8.8%) <= terminate threshold 102 MiB",
		.mem_total = 1 << 30, .mem_available = 90 << 20, .swap_total = 0, .swap_free = 0,
		.psi_some_avg10 = 12.5, .psi_full_avg10 = 3, .pid = 4242, .comm = "hog,1",
		.cgroup = "/app.slice/x.scope", .rss = 800 << 20, .anon = 790 << 20,
		.oom_score_adj = 0, .sig = 15, .freed_bytes = -1, .exit_ms = -1,
	};
	struct anomaly_rec a = {
		.event = "allocation-critical", .message = "pid 77 (leak) allocates 512 MiB/s",
		.pid = 77, .comm = "leak", .cgroup = "/user.slice", .rate_bytes_s = 536870912,
		.threshold_bytes_s = 104857600, .managed = true, .rss = 1 << 30,
	};

	(void)state;
	ds_queue_init(&q, buf, sizeof(buf), "calibration");
	assert_int_equal(reporter_tap_add(&r, tap_to_queue, &q), 0);
	/* records go nowhere (out_fd -1): the tap sees them all the same */
	assert_int_equal(report_decision(&r, &d), 0);
	assert_string_equal(take(&q), "1795970245132,kill,memory,1073741824,94371840,0,0,12.50,3.00,"
			    "4242,\"hog,1\",/app.slice/x.scope,838860800,828375040,0,,0,"
			    "terminate: MemAvailable 90 MiB (8.8%) <= terminate threshold 102 MiB\n");
	d.guard = "cgroups";
	d.event = "exit";
	d.dry_run = true;
	d.freed_bytes = 780 << 20;
	d.exit_ms = 12;
	assert_int_equal(report_decision(&r, &d), 0);
	assert_string_equal(take(&q), "1795970245132,exit,cgroups,1073741824,94371840,0,0,,,"
			    "4242,\"hog,1\",/app.slice/x.scope,838860800,828375040,0,,0,"
			    "exit: freed_bytes=817889280 exit_ms=12\n");
	d.event = "escalate";
	assert_int_equal(report_decision(&r, &d), 0);
	assert_non_null(strstr(take(&q), ",kill,cgroups,"));
	d.event = "error";
	d.err = -ESRCH;
	assert_int_equal(report_decision(&r, &d), 0);
	assert_non_null(strstr(take(&q), ",event,cgroups,1073741824,94371840,0,0,,,4242,"
			       "\"hog,1\",/app.slice/x.scope,838860800,828375040,0,,0,"
			       "error (dry-run): No such process: MemAvailable"));
	assert_int_equal(report_anomaly(&r, &a), 0);
	assert_string_equal(take(&q), "1795970245132,anomaly,ebpf,,,,,,,77,leak,/user.slice,"
			    "1073741824,,,536870912,,allocation-critical: pid 77 (leak) allocates "
			    "512 MiB/s (managed)\n");
	assert_int_equal(report_event(&r, "daemon", "reload", "/etc/oomguard/oomguard.yaml"), 0);
	assert_string_equal(take(&q), "1795970245132,event,daemon,,,,,,,,,,,,,,,"
			    "reload: /etc/oomguard/oomguard.yaml\n");
	/* a reload's new reporter keeps the tap */
	reporter_replace(&r, &next);
	assert_ptr_equal(r.taps[0].fn, tap_to_queue);
	assert_ptr_equal(r.taps[0].data, &q);
	assert_int_equal(report_event(&r, "memory", "skip", NULL), 0);
	assert_string_equal(take(&q), "1795970245132,event,memory,,,,,,,,,,,,,,,skip: \n");
	/* taps: each once, every one called, removed by their data, a limit */
	assert_int_equal(reporter_tap_add(&r, tap_to_queue, &q), 0);
	assert_ptr_equal(r.taps[1].fn, NULL);
	for (int i = 1; i < REPORT_TAPS; i++)
		assert_int_equal(reporter_tap_add(&r, tap_to_queue, &buf[i]), 0);
	assert_int_equal(reporter_tap_add(&r, tap_to_queue, &buf[REPORT_TAPS]), -ENOSPC);
	for (int i = 1; i < REPORT_TAPS; i++)
		reporter_tap_remove(&r, &buf[i]);
	assert_int_equal(reporter_tap_add(&r, tap_to_queue, &buf[1]), 0);
	reporter_tap_remove(&r, &buf[1]);
	reporter_tap_remove(&r, &q);
	assert_int_equal(report_event(&r, "memory", "skip", NULL), 0);
	assert_string_equal(take(&q), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_long_row),
		cmocka_unit_test(test_header_doc),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_python_reads_it),
		cmocka_unit_test(test_tap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
