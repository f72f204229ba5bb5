/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `oomguard calibrate`: the seed's phase 1 output (min, max, median and
 * p95 of each cgroup's memory over a period) from the daemon's store, or
 * from a one-off collection (`--collect 10min`) into an in-memory store
 * by the same sampler. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/context.h"
#include "core/sdbus.h"
#include "core/util.h"
#include "guards/calibration/cgsample.h"
#include "guards/calibration/store.h"
#include "observe/mountinfo.h"

int calibrate_cmd(const struct og_opts *o, int argc, char **argv);

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: oomguard [-c CONFIG] calibrate [--from T] [--to T] [--cgroup GLOB] "
		"[--json] [--store FILE]\n"
		"       oomguard [-c CONFIG] calibrate --collect DURATION [--interval D] "
		"[--cgroup GLOB] [--json]\n"
		"       oomguard [-c CONFIG] calibrate --restore [--store FILE]\n"
		"  --restore: every memory.max rebalancing changed, back to its first value\n"
		"  T: now, -1h (back from now), @UNIX, or ISO 8601 (2026-11-29T12:00:00Z)\n"
		"  GLOB: cgroup paths from the root, * within one level (\"/system.slice/*\")\n");
}

struct out {
	bool json;
	json_object *root;
	size_t rows;
	struct calib_entry *v;          /* gathered during the query, printed after it: a
					 * reader that waits on a full pipe must not hold the
					 * store's read transaction (the WAL would grow) */
	size_t n, cap;
};

static int gather(const char *path, const struct calib_stats *st, void *u)
{
	struct out *o = u;

	return calib_entries_add(&o->v, &o->n, &o->cap, path, st);
}

static void print_one(struct out *o, const char *path, const struct calib_stats *st)
{
	char from[40], to[40];

	format_when(st->from_ms, from, sizeof(from));
	format_when(st->to_ms, to, sizeof(to));
	o->rows++;
	if (o->json) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "min_consumption", json_object_new_uint64(st->min));
		json_object_object_add(c, "max_consumption", json_object_new_uint64(st->max));
		json_object_object_add(c, "median_consumption", json_object_new_uint64(st->median));
		json_object_object_add(c, "p95_consumption", json_object_new_uint64(st->p95));
		json_object_object_add(c, "samples", json_object_new_uint64(st->samples));
		if (st->downsampled) {  /* the truth lies between *_low and the figure */
			json_object_object_add(c, "median_consumption_low",
					       json_object_new_uint64(st->median_low));
			json_object_object_add(c, "p95_consumption_low",
					       json_object_new_uint64(st->p95_low));
		}
		json_object_object_add(c, "from", json_object_new_string(from));
		json_object_object_add(c, "to", json_object_new_string(to));
		json_object_object_add(o->root, path, c);
		return;
	}
	if (o->rows == 1)
		printf("%-48s %10s %10s %10s %10s %8s  %s\n", "cgroup", "min MiB", "median MiB",
		       "p95 MiB", "max MiB", "samples", "from .. to");
	printf("%-48s %10.1f %10.1f %10.1f %10.1f %8" PRIu64 "  %s .. %s\n", path,
	       st->min / 1048576.0, st->median / 1048576.0, st->p95 / 1048576.0,
	       st->max / 1048576.0, st->samples, from, to);
}

/* The cgroup v2 root: --cgroup-root, else from mountinfo; "" none. */
static void cgroup2_root(const struct og_opts *o, int proc_fd, char *root, size_t size)
{
	*root = '\0';
	if (o->cgroup_root)
		snprintf(root, size, "%s", o->cgroup_root);
	else if (proc_fd >= 0)
		mountinfo_cgroup2_root(proc_fd, root, size);
}

/* The hierarchy the daemon samples: v2 with the memory controller, else
 * the v1 memory hierarchy. 0 or -errno (said). */
static int open_tree(const struct og_opts *o, struct cg_tree *t)
{
	char root[256] = "", why[512];
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), cg_fd = -1, r;

	cgroup2_root(o, proc_fd, root, sizeof(root));
	if (*root)
		cg_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = cg_tree_open(cg_fd, root, proc_fd, t, why, sizeof(why));
	if (cg_fd >= 0)
		close(cg_fd);
	if (proc_fd >= 0)
		close(proc_fd);
	if (r < 0)
		fprintf(stderr, "oomguard calibrate: %s\n", why);
	return r;
}

/* Sample the tree every interval for duration into s (Ctrl-C ends early). */
static int collect(struct cstore *s, const struct og_opts *o, uint64_t duration_ms,
		   uint64_t interval_ms)
{
	struct cg_tree t;
	struct cg_sample *v = NULL;
	size_t n = 0, cap = 0, skipped = 0, rounds = 0;
	uint64_t end = now_ms() + duration_ms;
	int r;

	if ((r = open_tree(o, &t)) < 0)
		return r;
	fprintf(stderr, "oomguard calibrate: sampling every cgroup of %s (cgroup %s) every %"
		PRIu64 " ms for %" PRIu64 " s\n", t.root, t.v1 ? "v1" : "v2", interval_ms,
		duration_ms / 1000);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		uint64_t t0 = now_ms();

		if ((r = cg_tree_sample(&t, &v, &n, &cap, &skipped)) < 0 ||
		    (r = cstore_put(s, realtime_ms(), v, n)) < 0) {
			fprintf(stderr, "oomguard calibrate: sample: %s\n", strerror(-r));
			break;
		}
		rounds++;
		if (stop || t0 + interval_ms >= end)
			break;
		while (!stop && now_ms() < t0 + interval_ms)
			usleep((useconds_t)MIN((t0 + interval_ms - now_ms()) * 1000, 100000));
		if (stop)
			break;
	}
	fprintf(stderr, "oomguard calibrate: %zu samples of %zu cgroups%s\n", rounds, n,
		skipped ? " (some not sampled: gone, or without the memory controller)" : "");
	free(v);
	cg_tree_close(&t);
	return r < 0 ? r : 0;
}

struct restore {
	int root_fd;
	bool v1;                        /* v1's memory.limit_in_bytes, systemd's MemoryLimit= */
	struct cstore *s;
	int failed, restored;
	bool systemd;                   /* systemd is PID 1: its units through it */
	struct sdbus *bus;
};

/* A unit's MemoryMax= back to original ("max" or bytes), through systemd
 * as the daemon set it. 0 or -errno with err filled. */
static int restore_unit(struct restore *r, const char *unit, const char *original, char *err,
			size_t size)
{
	uint64_t bytes = UINT64_MAX;
	int e;

	if (strcmp(original, "max") && parse_u64(original, &bytes) < 0) {
		snprintf(err, size, "the stored value '%s' is not a limit", original);
		return -EINVAL;
	}
	if (bytes >= 1ull << 62)        /* v1's unlimited, a page-rounded LLONG_MAX */
		bytes = UINT64_MAX;
	if (!r->bus && (e = sdbus_open(&r->bus, err, size)) < 0)
		return e;
	return sdbus_set_memory_limit(r->bus, unit, r->v1 ? "MemoryLimit" : "MemoryMax", bytes, 5000,
				      err, size);
}

static int restore_one(const char *path, const char *original, uint64_t t_ms, void *u)
{
	struct restore *r = u;
	const char *unit = r->systemd ? sd_unit_of_cgroup(path) : NULL;
	const char *file = r->v1 ? "memory.limit_in_bytes" : "memory.max";
	char when[40], err[480] = "";
	int fd, e = 0;

	format_when(t_ms, when, sizeof(when));
	if (path[0] != '/' || strstr(path, "/../") || strstr(path, "/./")) {
		fprintf(stderr, "  %s: not a cgroup path: left in the store\n", path);
		r->failed++;
		return 0;
	}
	fd = openat(r->root_fd, path[1] ? path + 1 : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		e = -errno;
	else if (unit)
		e = restore_unit(r, unit, original, err, sizeof(err));
	else
		e = write_file_at(fd, file, original);
	if (fd >= 0)
		close(fd);
	if (e == -ENOENT && !*err) {
		printf("  %s: gone (its %s was %s before %s)\n", path, file, original, when);
	} else if (e < 0) {
		fprintf(stderr, "  %s: %s back to %s: %s\n", path, file, original,
			*err ? err : strerror(-e));
		r->failed++;
		return 0;
	} else {
		printf("  %s: %s back to %s (as before %s)%s\n", path, file, original, when,
		       unit ? " through systemd" : "");
		r->restored++;
	}
	cstore_forget_limit(r->s, path);
	return 0;
}

/* Every limit rebalancing changed, back to what it was before the first
 * change (the store keeps each cgroup's first original). */
static int restore(struct cstore *s, const struct og_opts *o)
{
	struct restore r = { .root_fd = -1, .s = s, .systemd = sd_booted_here() };
	struct cg_tree t;
	int rc;

	if (open_tree(o, &t) < 0)
		return 1;
	r.root_fd = t.fd;
	r.v1 = t.v1;
	printf("oomguard calibrate --restore: limits under %s (cgroup %s)\n", t.root,
	       t.v1 ? "v1" : "v2");
	rc = cstore_limits(s, restore_one, &r);
	cg_tree_close(&t);
	sdbus_close(r.bus);
	if (rc < 0)
		fprintf(stderr, "oomguard calibrate --restore: the store: %s\n", cstore_error(s));
	printf("%d restored, %d failed\n", r.restored, r.failed);
	return rc < 0 || r.failed ? 1 : 0;
}

int calibrate_cmd(const struct og_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' },
		{ "collect", required_argument, NULL, 'C' },
		{ "interval", required_argument, NULL, 'i' },
		{ "restore", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *from = NULL, *to = NULL, *glob = NULL, *store = NULL;
	uint64_t now = realtime_ms(), from_ms = 0, to_ms = now, collect_ms = 0, interval_ms = 0;
	struct out out = { .json = o->json };
	struct og_config cfg;
	char err[OG_ERR_SIZE] = "", why[512] = "";
	struct cstore *s = NULL;
	int ch, r;
	int64_t found;
	bool do_restore = false;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'g': glob = optarg; break;
		case 'j': out.json = true; break;
		case 's': store = optarg; break;
		case 'C':
			if (parse_duration_ms(optarg, &collect_ms) < 0 || !collect_ms) {
				fprintf(stderr, "oomguard calibrate: --collect: a duration (10min, "
					"1h), got \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_duration_ms(optarg, &interval_ms) < 0 || interval_ms < 100) {
				fprintf(stderr, "oomguard calibrate: --interval: a duration of at "
					"least 100ms, got \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'r': do_restore = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (do_restore && (collect_ms || from || to || glob))) {
		usage(stderr);
		return 2;
	}
	if ((from && parse_when(from, now, &from_ms) < 0) || (to && parse_when(to, now, &to_ms) < 0)) {
		fprintf(stderr, "oomguard calibrate: %s: not a time (now, -1h, @UNIX, "
			"2026-11-29T12:00:00Z)\n", from && parse_when(from, now, &from_ms) < 0 ?
			from : to);
		return 2;
	}
	if (glob && glob[0] != '/') {
		fprintf(stderr, "oomguard calibrate: --cgroup: a glob from the root, \"/...\"\n");
		return 2;
	}
	config_default(&cfg);
	if (o->config_path && config_load(o->config_path, &cfg, err) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (!interval_ms)
		interval_ms = cfg.calib_interval_ms;
	r = cstore_open(collect_ms ? ":memory:" : store ? store : cfg.calib_store, collect_ms, &s, why,
			sizeof(why));
	if (r < 0) {
		fprintf(stderr, "oomguard calibrate: the store: %s%s\n", why,
			r == -ENOENT && !collect_ms ? " (the daemon writes it with calibration."
			"enabled: true; or sample now with --collect 10min)" : "");
		config_free(&cfg);
		return 1;
	}
	if (do_restore) {
		r = restore(s, o);
		cstore_close(s);
		config_free(&cfg);
		return r;
	}
	if (collect_ms && (r = collect(s, o, collect_ms, interval_ms)) < 0) {
		cstore_close(s);
		config_free(&cfg);
		return 1;
	}
	if (collect_ms)
		to_ms = realtime_ms();
	if (out.json)
		out.root = json_object_new_object();
	found = cstore_query(s, from_ms, to_ms, glob, gather, &out);
	for (size_t i = 0; found >= 0 && i < out.n; i++)
		print_one(&out, out.v[i].path, &out.v[i].st);
	free(out.v);
	if (found < 0)
		fprintf(stderr, "oomguard calibrate: the store: %s\n", cstore_error(s));
	else if (out.json)
		printf("%s\n", json_object_to_json_string_ext(out.root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (!found)
		fprintf(stderr, "oomguard calibrate: no samples in that period%s\n",
			glob ? " for that glob" : "");
	json_object_put(out.root);
	cstore_close(s);
	config_free(&cfg);
	return found < 0 ? 1 : 0;
}
