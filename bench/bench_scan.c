/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scan-and-rank time over this machine's real processes, by both scans:
 * /proc's (proc_scan_top: statm of every process, a full read of the 256
 * largest) and the BPF task iterator's (tasks_scan_top: one read for every
 * process, the 256 largest kept; as root, where it loads), each followed
 * by rank_candidates (default rules) + plan_choose, with 0, 100, 1,000 and
 * 10,000 extra sleeping processes forked for the run (harmless: each
 * sleeps in pause() and is SIGKILLed after). Prints median and max over
 * RUNS timed runs after one untimed warm-up scan (every row alike), a row
 * per scan.
 *   build/bench/bench_scan [RUNS] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "observe/tasks.h"
#include "victim/choose.h"
#include "victim/rank.h"
#include <signal.h>
#include <sys/wait.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One scan of the 256 largest: the iterator's when t, else /proc's. */
static int scan(int proc_fd, struct tasks_iter *t, struct proc_list *l)
{
	return t ? tasks_scan_top(t, l, PROC_SCAN_TOP) : proc_scan_top(proc_fd, l, PROC_SCAN_TOP);
}

static void bench(const char *label, int proc_fd, struct tasks_iter *tasks, int runs,
		  const struct og_config *cfg)
{
	struct proc_list l = {0};
	struct candidate *c = NULL;
	struct ks_item *items = NULL;
	struct ks_scratch *ks = NULL;
	uint64_t *t = calloc((size_t)runs, sizeof(*t));
	size_t n = 0, eligible = 0;
	struct plan p;

	for (int i = -1; i < runs; i++) {    /* i == -1: one scan untimed, to warm caches */
		struct rank_input in = { .proc_fd = proc_fd, .self = getpid(),
					 .mem_total = 16ull << 30 };
		uint64_t t0 = now_us();
		int np = scan(proc_fd, tasks, &l);

		if (np < 0) {
			fprintf(stderr, "%s: %s\n", tasks ? "tasks_scan_top" : "proc_scan_top",
				strerror(-np));
			exit(1);
		}
		if (!c) {
			c = calloc(l.cap + 1, sizeof(*c));
			items = calloc(l.cap + 1, sizeof(*items));
			ks = ks_scratch_new(l.cap + 1);
		}
		eligible = rank_candidates(cfg, &in, &l, c, &n);
		plan_choose(c, eligible, 64ull << 20, false, ks, items, &p);
		if (i >= 0)
			t[i] = now_us() - t0;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_u64);
	printf("| %-40s | %6zu | %8zu | %9.2f | %9.2f |\n", label, l.seen, eligible,
	       (double)t[runs / 2] / 1000.0, (double)t[runs - 1] / 1000.0);
	free(t);
	free(c);
	free(items);
	ks_scratch_free(ks);
	proc_list_free(&l);
}

/* n sleepers, each forked and then waited for until it has run (a byte on
 * a pipe), so that no scan is timed while they still start. */
static pid_t *spawn(int n)
{
	pid_t *pids = calloc((size_t)n + 1, sizeof(*pids));
	int ready[2];
	char c;

	if (!pids || pipe(ready) < 0) {
		perror("spawn");
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		if (pids[i] < 0) {
			perror("fork");
			exit(1);
		}
	}
	for (int i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1) {
			perror("spawn: read");
			exit(1);
		}
	close(ready[0]);
	close(ready[1]);
	return pids;
}

static void reap(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 0, 100, 1000, 10000 };
	int runs = argc > 1 ? atoi(argv[1]) : 50;
	struct og_config cfg;
	struct tasks_iter *tasks = NULL;
	char why[256];
	int fd = open("/proc", O_RDONLY | O_DIRECTORY);

	config_default(&cfg);
	if (tasks_open(fd, &tasks, why, sizeof(why)) < 0)
		printf("(the BPF task iterator does not load here: %s; /proc rows only)\n\n", why);
	printf("| %-40s | %6s | %8s | %9s | %9s |\n", "processes, scan", "procs", "eligible",
	       "median ms", "max ms");
	printf("|------------------------------------------|--------|----------|-----------|-----------|\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		pid_t *pids = spawn(sizes[s]);
		char label[64];

		usleep(200000);
		snprintf(label, sizeof(label), "machine + %d sleepers, /proc", sizes[s]);
		bench(label, fd, NULL, runs, &cfg);
		if (tasks) {
			snprintf(label, sizeof(label), "machine + %d sleepers, task iterator", sizes[s]);
			bench(label, fd, tasks, runs, &cfg);
		}
		reap(pids, sizes[s]);
	}
	tasks_close(tasks);
	close(fd);
	config_free(&cfg);
	return 0;
}
