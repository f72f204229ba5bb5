/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's snapshot (report/snapshot.h): counters from records (the
 * reporter's tap, chained after another tap) and from the guards' asks
 * (episodes, latency), the decision ring and its sequence numbers, the
 * exact Prometheus exposition (families, label escaping, units), the
 * status socket's JSON there and back, watch's line, and the textfile
 * replaced whole. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <json-c/json.h>
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
#include "report/record.h"
#include "report/snapshot.h"
#include "report/textfile.h"

static struct og_snapshot S;

static void decision(struct og_snapshot *s, const char *guard, const char *event,
		     const char *trigger, int pid, const char *comm)
{
	struct decision d = { .guard = guard, .event = event, .trigger = trigger, .pid = pid,
			      .comm = comm, .reason = "MemAvailable 3% < 10%", .dry_run = false };
	struct report_tap t = { .guard = guard, .event = event, .d = &d };

	snap_count_tap(s, &t, 1000);
}

static void event(struct og_snapshot *s, const char *guard, const char *ev, const char *msg)
{
	struct report_tap t = { .guard = guard, .event = ev, .message = msg };

	snap_count_tap(s, &t, 2000);
}

static uint64_t kills(struct og_snapshot *s, const char *guard, const char *trigger)
{
	struct snap_guard *g = snap_guard(s, guard);

	for (size_t i = 0; i < g->n_kills; i++)
		if (!strcmp(g->kills[i].trigger, trigger))
			return g->kills[i].n;
	return 0;
}

static void test_counts(void **state)
{
	memset(&S, 0, sizeof(S));
	decision(&S, "memory", "terminate", "memory", 10, "hog");
	decision(&S, "memory", "escalate", "memory", 10, "hog");     /* the same victim */
	decision(&S, "memory", "exit", "memory", 10, "hog");
	decision(&S, "memory", "kill", "psi", 11, "hog2");
	decision(&S, "cgroups", "kill", "cgroup", 12, "x");
	event(&S, "calibration", "rebalance", "raised /a");
	event(&S, "calibration", "rebalance-refused", "nothing to give");
	event(&S, "daemon", "start", "dry-run");                       /* not an action */
	event(&S, "disk", "low", "free space 3%");                     /* nor this */
	assert_int_equal(kills(&S, "memory", "memory"), 1);
	assert_int_equal(kills(&S, "memory", "psi"), 1);
	assert_int_equal(kills(&S, "cgroups", "cgroup"), 1);
	assert_int_equal(snap_guard(&S, "calibration")->rebalances, 1);
	assert_int_equal(snap_guard(&S, "calibration")->rebalances_refused, 1);
	/* the ring: every action once, oldest first, numbered */
	assert_int_equal(S.n_dec, 6);
	assert_int_equal(S.seq, 6);
	assert_string_equal(snap_decision_at(&S, 0)->event, "terminate");
	assert_int_equal(snap_decision_at(&S, 0)->seq, 1);
	assert_int_equal(snap_decision_at(&S, 0)->pid, 10);
	assert_string_equal(snap_decision_at(&S, 0)->comm, "hog");
	assert_string_equal(snap_decision_at(&S, 5)->event, "rebalance");
	assert_string_equal(snap_decision_at(&S, 5)->reason, "raised /a");
	/* past its size the ring keeps the last SNAP_DECISIONS */
	for (int i = 0; i < SNAP_DECISIONS + 5; i++)
		decision(&S, "memory", "exit", "memory", 100 + i, "p");
	assert_int_equal(S.n_dec, SNAP_DECISIONS);
	assert_int_equal(S.seq, 6 + SNAP_DECISIONS + 5);
	assert_int_equal(snap_decision_at(&S, 0)->seq, S.seq - SNAP_DECISIONS + 1);
	assert_int_equal(snap_decision_at(&S, SNAP_DECISIONS - 1)->pid, 100 + SNAP_DECISIONS + 4);
	/* a name a process chose reaches root's terminal (status, watch)
	 * escaped, as in the records */
	decision(&S, "memory", "terminate", "memory", 7, "x\x1b]0;pwn\x07");
	event(&S, "calibration", "rebalance", "raised /\x1b[2J");
	assert_string_equal(snap_decision_at(&S, SNAP_DECISIONS - 2)->comm, "x\\x1b]0;pwn\\x07");
	assert_string_equal(snap_decision_at(&S, SNAP_DECISIONS - 1)->reason, "raised /\\x1b[2J");
}

/* The metrics' tap beside the calibration guard's: both see each record. */
static int seen_a, seen_b;
static void tap_a(void *u, const struct report_tap *t) { seen_a++; }
static void tap_b(void *u, const struct report_tap *t) { seen_b += !strcmp(t->event, "kill"); }

static void test_chained_tap(void **state)
{
	struct reporter r = { .out_fd = -1, .kmsg_fd = -1 };
	struct decision d = { .guard = "memory", .event = "kill", .trigger = "memory" };
	int b;

	seen_a = seen_b = 0;
	assert_int_equal(reporter_tap_add(&r, tap_a, &r), 0);
	assert_int_equal(reporter_tap_add(&r, tap_b, &b), 0);
	assert_int_equal(report_decision(&r, &d), 0);
	assert_int_equal(report_event(&r, "daemon", "start", "x"), 0);
	assert_int_equal(seen_a, 2);
	assert_int_equal(seen_b, 1);
	reporter_tap_remove(&r, &b);
	assert_int_equal(report_decision(&r, &d), 0);
	assert_int_equal(seen_a, 3);
	assert_int_equal(seen_b, 1);
	assert_null(r.taps[1].fn);
}

static uint64_t episodes(struct og_snapshot *s, const char *guard, const char *trigger)
{
	struct snap_guard *g = snap_guard(s, guard);

	for (size_t i = 0; i < g->n_episodes; i++)
		if (!strcmp(g->episodes[i].trigger, trigger))
			return g->episodes[i].n;
	return 0;
}

static void test_episodes(void **state)
{
	memset(&S, 0, sizeof(S));
	snap_count_ask(&S, "memory", false, "none", false, 0, 1000);
	assert_int_equal(episodes(&S, "memory", "memory"), 0);
	snap_count_ask(&S, "memory", true, "memory", true, 0.0042, 1100);
	snap_count_ask(&S, "memory", true, "memory", false, 0, 1120);  /* the same one */
	snap_count_ask(&S, "memory", true, "psi", false, 0, 1140);     /* still the same */
	assert_int_equal(episodes(&S, "memory", "memory"), 1);
	assert_int_equal(episodes(&S, "memory", "psi"), 0);
	assert_true(snap_guard(&S, "memory")->has_latency);
	assert_true(snap_guard(&S, "memory")->last_latency_s == 0.0042);
	snap_count_ask(&S, "memory", false, "none", false, 0, 1200);   /* over */
	snap_count_ask(&S, "memory", true, "psi", true, 0.5, 1300);
	assert_int_equal(episodes(&S, "memory", "psi"), 1);
	assert_true(snap_guard(&S, "memory")->last_latency_s == 0.5);
	/* a guard that never asks at OK: a gap ends its episode */
	snap_count_ask(&S, "cpu", true, "cpu", true, 0.1, 10000);
	snap_count_ask(&S, "cpu", true, "cpu", false, 0, 10000 + SNAP_EPISODE_GAP_MS);
	assert_int_equal(episodes(&S, "cpu", "cpu"), 1);
	snap_count_ask(&S, "cpu", true, "cpu", false, 0, 10001 + 2 * SNAP_EPISODE_GAP_MS);
	assert_int_equal(episodes(&S, "cpu", "cpu"), 2);
	assert_false(snap_guard(&S, "disk")->has_latency);
}

static void fill(struct og_snapshot *s)
{
	struct snap_guard *g;

	memset(s, 0, sizeof(*s));
	s->time_ms = 1796000480118;
	s->start_ms = 1796000477000;
	s->have_mem = true;
	s->mem_total = 1024ull << 20;
	s->mem_available = 100ull << 20;
	s->swap_total = 512ull << 20;
	s->swap_free = 256ull << 20;
	s->psi[SNAP_PSI_MEMORY] = (struct snap_psi){ .have = true, .has_full = true,
		.some_avg10 = 12.5, .full_avg10 = 3.25, .some_total_us = 1500000, .full_total_us = 250000 };
	s->psi[SNAP_PSI_CPU] = (struct snap_psi){ .have = true, .some_avg10 = 50 };
	g = snap_guard(s, "memory");
	g->active = true;
	snap_count_add(g->kills, &g->n_kills, "memory", 3);
	snap_count_add(g->episodes, &g->n_episodes, "memory", 2);
	g->has_latency = true;
	g->last_latency_s = 0.25;
	g = snap_guard(s, "disk");
	g->active = true;
	g->has_cleanups = true;
	g->cleanups = 4;
	g = snap_guard(s, "gpu");
	snprintf(g->why, sizeof(g->why), "off (gpu_protection.enabled: false)");
	s->n_fs = 1;
	snprintf(s->fs[0].path, sizeof(s->fs[0].path), "/mnt/a \"b\"\\c");
	s->fs[0].size = 1000;
	s->fs[0].avail = 250;
	s->n_gpus = 1;
	s->gpus[0] = (struct snap_gpu){ .index = 0, .name = "Fake GPU", .total = 8ull << 30,
					.used = 2ull << 30 };
	decision(s, "memory", "kill", "memory", 42, "hog");
}

static char *metrics_text(const struct og_snapshot *s)
{
	static char *text;
	static size_t size;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	assert_int_equal(snap_metrics(s, f), 0);
	fclose(f);
	return text;
}

static void test_exposition(void **state)
{
	static const char *const want[] = {
		"# HELP oomguard_kills_total ",
		"# TYPE oomguard_kills_total counter\n",
		"\noomguard_kills_total{guard=\"memory\",trigger=\"memory\"} 4\n",
		"\noomguard_episodes_total{guard=\"memory\",trigger=\"memory\"} 2\n",
		"\noomguard_cleanups_total{guard=\"disk\"} 4\n",
		"\noomguard_last_decision_latency_seconds{guard=\"memory\"} 0.25\n",
		"\noomguard_guard_active{guard=\"memory\"} 1\n",
		"\noomguard_guard_active{guard=\"gpu\"} 0\n",
		"\noomguard_memory_available_bytes 104857600\n",
		"\noomguard_swap_free_bytes 268435456\n",
		"\noomguard_pressure_avg10_ratio{resource=\"memory\",kind=\"some\"} 0.125\n",
		"\noomguard_pressure_avg10_ratio{resource=\"memory\",kind=\"full\"} 0.032500000000000001\n",
		"\noomguard_pressure_stalled_seconds_total{resource=\"memory\",kind=\"some\"} 1.5\n",
		"\noomguard_pressure_avg10_ratio{resource=\"cpu\",kind=\"some\"} 0.5\n",
		"\noomguard_filesystem_avail_bytes{mountpoint=\"/mnt/a \\\"b\\\"\\\\c\"} 250\n",
		"\noomguard_gpu_memory_used_bytes{gpu=\"0\",name=\"Fake GPU\"} 2147483648\n",
		"\noomguard_last_update_timestamp_seconds 1796000480.118\n",
		"\noomguard_dry_run 0\n",
		"\noomguard_records_dropped_total 0\n",
	};
	char *text;

	fill(&S);
	text = metrics_text(&S);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(text, want[i]))
			fail_msg("missing %s", want[i]);
	/* no full line for a resource without one; no io (not read) */
	assert_null(strstr(text, "resource=\"cpu\",kind=\"full\""));
	assert_null(strstr(text, "resource=\"io\""));
	/* every sample's family has HELP and TYPE before it */
	for (char *l = text; *l; l = strchr(l, '\n') + 1) {
		char help[160], type[160];
		int n = (int)strcspn(l, "{ ");

		if (*l != '#') {
			snprintf(help, sizeof(help), "# HELP %.*s ", n, l);
			snprintf(type, sizeof(type), "# TYPE %.*s ", n, l);
			if (!strstr(text, help) || strstr(text, help) > l || !strstr(text, type) ||
			    strstr(text, type) > l)
				fail_msg("no HELP or TYPE before %.*s", n, l);
		}
		if (!strchr(l, '\n'))
			break;
	}
	free(text);
}

static void test_label_escape(void **state)
{
	char out[64];

	snap_label_escape("a\"b\\c\nd", out, sizeof(out));
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	snap_label_escape("\\\\\\\\", out, 5);  /* never half an escape */
	assert_string_equal(out, "\\\\");
}

static void test_json_round_trip(void **state)
{
	static struct og_snapshot back;
	json_object *o;
	char line[1024];

	fill(&S);
	assert_non_null(o = snap_to_json(&S));
	/* through text, as the socket carries it */
	json_object *parsed = json_tokener_parse(json_object_to_json_string(o));
	assert_int_equal(snap_from_json(parsed, &back), 0);
	assert_int_equal(back.mem_available, S.mem_available);
	assert_true(back.psi[SNAP_PSI_MEMORY].has_full);
	assert_false(back.psi[SNAP_PSI_CPU].has_full);
	assert_false(back.psi[SNAP_PSI_IO].have);
	assert_true(back.psi[SNAP_PSI_MEMORY].full_avg10 == 3.25);
	assert_int_equal(back.n_guards, 3);
	assert_int_equal(kills(&back, "memory", "memory"), 4);  /* 3 + the decision */
	assert_true(snap_guard(&back, "memory")->last_latency_s == 0.25);
	assert_int_equal(snap_guard(&back, "disk")->cleanups, 4);
	assert_false(snap_guard(&back, "gpu")->active);
	assert_string_equal(snap_guard(&back, "gpu")->why, "off (gpu_protection.enabled: false)");
	assert_int_equal(back.n_fs, 1);
	assert_int_equal(back.n_gpus, 1);
	assert_int_equal(back.gpus[0].used, 2ull << 30);
	assert_int_equal(back.n_dec, 1);
	assert_int_equal(snap_decision_at(&back, 0)->pid, 42);
	assert_int_equal(snap_decision_at(&back, 0)->seq, 1);
	snap_watch_line(&back, line, sizeof(line));
	assert_non_null(strstr(line, " avail 100 MiB (10%) swap free 256 MiB"));
	assert_non_null(strstr(line, "mem 12.50/3.25 cpu 50.00/- io -"));
	assert_non_null(strstr(line, "| gpu 0: 2048/8192 MiB"));
	assert_non_null(strstr(line, "25.0%"));
	snap_decision_line(snap_decision_at(&back, 0), line, sizeof(line));
	assert_non_null(strstr(line, "#1 "));
	assert_non_null(strstr(line, "memory kill pid 42 (hog) trigger memory: MemAvailable 3% < 10%"));
	json_object_put(parsed);
	json_object_put(o);
	assert_int_equal(snap_from_json(NULL, &back), -EINVAL);
	o = json_tokener_parse("{\"version\": 99}");
	assert_int_equal(snap_from_json(o, &back), -EINVAL);
	json_object_put(o);
}

static void test_textfile(void **state)
{
	struct fixture *fx = fixture_new();
	const char *dir = fx->dir;
	char path[PATH_MAX + 32], buf[64];
	struct stat st;
	DIR *d;
	struct dirent *e;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/oomguard.prom", dir);
	assert_int_equal(textfile_replace(path, "a 1\n", 4), 0);
	assert_int_equal(textfile_replace(path, "b 2\n", 4), 0);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "b 2\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 1);         /* no temp file left */
	snprintf(path, sizeof(path), "%s/no/such/dir.prom", dir);
	assert_int_equal(textfile_replace(path, "x", 1), -ENOENT);
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_chained_tap),
		cmocka_unit_test(test_episodes),
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_textfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
