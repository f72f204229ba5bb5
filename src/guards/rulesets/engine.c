/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rulesets engine: oomd 0.5's evaluation and core plugins (see
 * engine.h, and docs/rulesets.md for the semantics and oomd's sources).
 * Every detector of every group runs every tick (their timers must stay
 * true); groups are ORed, a group's detectors ANDed; the action chain runs
 * until an action returns STOP, which pauses the ruleset's actions for its
 * post_action_delay (or a kill plugin's own). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "guards/rulesets/engine.h"
#include "observe/cgroup.h"
#include "observe/meminfo.h"
#include "observe/psi.h"

#define CG_MAX_U64 UINT64_MAX
#define V(p, name) (&(p)->val[rs_arg_index((p)->type, name)])
#define IS(p, n) (!strcmp((p)->type->name, n))
/* a detector's line: once per oomd tick (oomd logs it at each of its ticks) */
#define SAY(...) do { \
		if (st->said_tick != e->tick) { \
			st->said_tick = e->tick; \
			env->say(env->u, false, quiet, __VA_ARGS__); \
		} \
	} while (0)

/* ---- reading the tree ---------------------------------------------------- */

static int cg_path(const char *rel, const char *file, char *buf, size_t size)
{
	int n = *rel ? snprintf(buf, size, "%s/%s", rel, file) : snprintf(buf, size, "%s", file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int cg_u64(int cg_fd, const char *rel, const char *file, uint64_t *ret)
{
	char p[RS_PATH_MAX + 64], buf[64];

	if (cg_path(rel, file, p, sizeof(p)) < 0 || read_file_at(cg_fd, p, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	buf[strcspn(buf, " \n")] = '\0';
	return parse_u64(buf, ret);
}

/* "key value" in a flat keyed file (memory.stat, cgroup.stat). */
static int cg_key(int cg_fd, const char *rel, const char *file, const char *key, uint64_t *ret)
{
	char p[RS_PATH_MAX + 64], buf[8192], *line, *save = NULL;
	size_t k = strlen(key);

	if (cg_path(rel, file, p, sizeof(p)) < 0 || read_file_at(cg_fd, p, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, k) && line[k] == ' ')
			return parse_u64(line + k + 1, ret);
	return -ENOENT;
}

/* The full line of memory.pressure or io.pressure (the root: /proc's). */
static struct psi_line full_psi(const struct rs_env *env, const char *rel, bool io)
{
	char p[RS_PATH_MAX + 64], buf[512];
	struct psi psi = { 0 };
	ssize_t n;

	if (*rel) {
		if (cg_path(rel, io ? "io.pressure" : "memory.pressure", p, sizeof(p)) < 0)
			return psi.full;
		n = read_file_at(env->cg_fd, p, buf, sizeof(buf));
	} else {
		n = read_file_at(env->proc_fd, io ? "pressure/io" : "pressure/memory", buf, sizeof(buf));
	}
	if (n > 0)
		parse_psi(buf, &psi);
	return psi.full;
}

static uint64_t mem_current(const struct rs_engine *e, const struct rs_env *env, const char *rel)
{
	uint64_t v = 0;

	if (!*rel)
		return e->mem_total > e->mem_free ? e->mem_total - e->mem_free : 0;
	cg_u64(env->cg_fd, rel, "memory.current", &v);
	return v;
}

/* A "." or ".." component (a glob like ".*" matches them): an alias of a
 * cgroup, or a way out of the tree. */
static bool dot_component(const char *rel)
{
	for (const char *c = rel; *c; c = strchrnul(c, '/'), c += *c == '/') {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return true;
	}
	return false;
}

size_t rs_resolve(const char *root, const char *list, char (*out)[RS_PATH_MAX], size_t max)
{
	char *copy = strdup(list), *save = NULL;
	size_t n = 0, rlen = strlen(root);

	if (!copy)
		return 0;
	for (char *item = strtok_r(copy, ",", &save); item && n < max;
	     item = strtok_r(NULL, ",", &save)) {
		char pat[PATH_MAX], clean[RS_PATH_MAX] = "";
		size_t len = 0;
		glob_t g;

		/* components, empty ones dropped ("/", "a//b/"); no ".." */
		for (char *s2 = NULL, *c = strtok_r(item, "/", &s2); c; c = strtok_r(NULL, "/", &s2)) {
			if (!strcmp(c, "..") || len + strlen(c) + 2 >= sizeof(clean)) {
				len = SIZE_MAX;
				break;
			}
			len += (size_t)snprintf(clean + len, sizeof(clean) - len, "%s%s", len ? "/" : "", c);
		}
		if (len == SIZE_MAX)
			continue;
		if (!*clean) {          /* the root itself */
			bool dup = false;

			for (size_t i = 0; i < n && !dup; i++)
				dup = !*out[i];
			if (!dup)
				out[n++][0] = '\0';
			continue;
		}
		if ((size_t)snprintf(pat, sizeof(pat), "%s/%s", root, clean) >= sizeof(pat))
			continue;
		if (glob(pat, GLOB_NOSORT | GLOB_BRACE | GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
			const char *p = g.gl_pathv[i], *rel;
			struct stat st;
			bool dup = false;

			if (strncmp(p, root, rlen) || p[rlen] != '/' || stat(p, &st) < 0 ||
			    !S_ISDIR(st.st_mode) || strlen(rel = p + rlen + 1) >= RS_PATH_MAX ||
			    dot_component(rel))
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = !strcmp(out[k], rel);
			if (!dup)
				snprintf(out[n++], RS_PATH_MAX, "%s", rel);
		}
		globfree(&g);
	}
	free(copy);
	return n;
}

static void senpai(struct rs_engine *e, const struct rs_env *env, const struct rs_plugin *p);

/* ---- detectors ----------------------------------------------------------- */

/* oomd's duration: the condition has held for duration whole seconds. */
static bool held(struct rs_pstate *st, bool cond, int64_t duration_s, uint64_t now)
{
	if (!cond) {
		st->hit_ms = 0;
		return false;
	}
	if (!st->hit_ms)
		st->hit_ms = now;
	return (int64_t)((now - st->hit_ms) / 1000) >= duration_s;
}

/* The resolved cgroup with the most pressure: 3 avg10 + 2 avg60 + avg300. */
static struct psi_line worst_psi(const struct rs_env *env, const struct rs_plugin *p, char *which)
{
	static char cg[RS_CG_MAX][RS_PATH_MAX];
	struct psi_line best = { 0 };
	size_t n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
	bool io = V(p, "resource")->i == 1;

	*which = '\0';
	for (size_t i = 0; i < n; i++) {
		struct psi_line l = full_psi(env, cg[i], io);

		if (3 * l.avg10 + 2 * l.avg60 + l.avg300 > 3 * best.avg10 + 2 * best.avg60 + best.avg300) {
			best = l;
			snprintf(which, RS_PATH_MAX, "%.*s", RS_PATH_MAX - 1, cg[i]);
		}
	}
	return best;
}

static enum rs_ret detect(struct rs_engine *e, const struct rs_env *env, const struct rs_ruleset *r,
			  const struct rs_plugin *p, struct rs_pstate *st)
{
	static char cg[RS_CG_MAX][RS_PATH_MAX];
	char which[RS_PATH_MAX];
	uint64_t now = env->now_ms;
	bool quiet = r->silence_plugins;
	size_t n;

	if (IS(p, "continue"))
		return RS_CONTINUE;
	if (IS(p, "senpai")) {          /* once per oomd tick; it never blocks its group */
		if (st->collected_tick != e->tick) {
			st->collected_tick = e->tick;
			senpai(e, env, p);
		}
		return RS_CONTINUE;
	}
	if (IS(p, "stop"))
		return RS_STOP;
	if (IS(p, "pressure_above")) {
		struct psi_line l = worst_psi(env, p, which);
		int64_t thr = V(p, "threshold")->i;

		if (!held(st, l.avg10 > (double)thr, V(p, "duration")->i, now))
			return RS_STOP;
		SAY("pressure_above: /%s 10s pressure %.2f is over the threshold "
			 "of %lld for %lld seconds", which, l.avg10, (long long)thr,
			 (long long)V(p, "duration")->i);
		return RS_CONTINUE;
	}
	if (IS(p, "pressure_rising_beyond")) {
		struct psi_line l = worst_psi(env, p, which);
		double thr = (double)V(p, "threshold")->i, last = st->last_avg10;
		bool ok = held(st, l.avg60 > thr, V(p, "duration")->i, now) && l.avg10 > thr &&
			  !(l.avg10 < last * V(p, "fast_fall_ratio")->d);

		if (st->collected_tick != e->tick) {    /* oomd's "last": the last oomd tick's */
			st->collected_tick = e->tick;
			st->last_avg10 = l.avg10;
		}
		if (!ok)
			return RS_STOP;
		SAY("pressure_rising_beyond: /%s 1m pressure %.2f over %g for %lld "
			 "seconds, 10s %.2f not falling fast", which, l.avg60, thr,
			 (long long)V(p, "duration")->i, l.avg10);
		return RS_CONTINUE;
	}
	if (IS(p, "memory_above")) {
		const struct rs_val *anon = V(p, "threshold_anon");
		uint64_t thr = 0, max = 0;

		rs_size_or_percent(anon->set ? anon->s : V(p, "threshold")->s, e->mem_total, &thr);
		n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
		for (size_t i = 0; i < n; i++) {
			uint64_t u = 0;

			if (anon->set)
				cg_key(env->cg_fd, cg[i], "memory.stat", "anon", &u);
			else
				u = mem_current(e, env, cg[i]);
			if (u > max) {
				max = u;
				snprintf(which, sizeof(which), "%.*s", RS_PATH_MAX - 1, cg[i]);
			}
		}
		if (!held(st, max > thr, V(p, "duration")->i, now))
			return RS_STOP;
		SAY("memory_above: /%s uses %llu MB, over %llu MB", which,
			 (unsigned long long)(max >> 20), (unsigned long long)(thr >> 20));
		return RS_CONTINUE;
	}
	if (IS(p, "memory_reclaim")) {
		uint64_t sum = 0, v;

		n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
		for (size_t i = 0; i < n; i++)
			if (cg_key(env->cg_fd, cg[i], "memory.stat", "pgscan", &v) == 0)
				sum += v;
		if (sum > st->prev_sum)
			st->last_reclaim_ms = now;
		st->prev_sum = sum;
		return st->last_reclaim_ms && V(p, "duration")->i >= 0 &&
		       now - st->last_reclaim_ms <= (uint64_t)V(p, "duration")->i * 1000 ?
			RS_CONTINUE : RS_STOP;
	}
	if (IS(p, "swap_free")) {
		uint64_t thr = e->swap_total * (uint64_t)V(p, "threshold_pct")->i / 100;

		if (!(e->swap_free < thr))
			return RS_STOP;
		SAY("swap_free: SwapFree %llu MB is smaller than the threshold of "
			 "%llu MB", (unsigned long long)(e->swap_free >> 20),
			 (unsigned long long)(thr >> 20));
		return RS_CONTINUE;
	}
	if (IS(p, "exists")) {
		n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
		return (n > 0) != (V(p, "negate")->i != 0) ? RS_CONTINUE : RS_STOP;
	}
	if (IS(p, "nr_dying_descendants")) {
		uint64_t count = (uint64_t)V(p, "count")->i;
		bool lte = V(p, "lte")->i;

		n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
		for (size_t i = 0; i < n; i++) {
			uint64_t nr = 0;

			cg_key(env->cg_fd, cg[i], "cgroup.stat", "nr_dying_descendants", &nr);
			if (lte ? nr <= count : nr > count)
				return RS_CONTINUE;
		}
		return RS_STOP;
	}
	if (IS(p, "dump_cgroup_overview")) {
		if (st->collected_tick == e->tick)      /* once per oomd tick, as oomd */
			return RS_CONTINUE;
		st->collected_tick = e->tick;
		n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
		for (size_t i = 0; i < n; i++) {
			struct psi_line l = full_psi(env, cg[i], false);

			if (V(p, "always")->i || (l.avg10 >= 1 && l.avg60 > 0))
				env->say(env->u, false, quiet, "cgroup=/%s total=%lluMB pressure=%.2f:%.2f:%.2f "
					 "swapfree=%lluMB/%lluMB", cg[i],
					 (unsigned long long)(mem_current(e, env, cg[i]) >> 20), l.avg10,
					 l.avg60, l.avg300, (unsigned long long)(e->swap_free >> 20),
					 (unsigned long long)(e->swap_total >> 20));
		}
		return RS_CONTINUE;
	}
	return RS_STOP;         /* a kill plugin as a detector: it would need a victim */
}

/* ---- history (prerun) ---------------------------------------------------- */

static struct rs_hist *hist(struct rs_engine *e, const char *rel)
{
	struct rs_hist *h = NULL;

	for (size_t i = 0; i < e->n_hist; i++)
		if (!strcmp(e->hist[i].path, rel))
			return &e->hist[i];
	if (e->n_hist < RS_HIST_MAX) {
		h = &e->hist[e->n_hist++];
	} else {                /* the one seen longest ago */
		h = &e->hist[0];
		for (size_t i = 1; i < e->n_hist; i++)
			if (e->hist[i].tick < h->tick)
				h = &e->hist[i];
	}
	*h = (struct rs_hist){ 0 };
	snprintf(h->path, sizeof(h->path), "%s", rel);
	return h;
}

/* io.stat: every device's read, write and discard bytes. */
static uint64_t io_bytes(int cg_fd, const char *rel)
{
	char p[RS_PATH_MAX + 16], buf[8192], *tok, *save = NULL;
	uint64_t sum = 0, v;

	if (cg_path(rel, "io.stat", p, sizeof(p)) < 0 || read_file_at(cg_fd, p, buf, sizeof(buf)) <= 0)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if ((!strncmp(tok, "rbytes=", 7) || !strncmp(tok, "wbytes=", 7) ||
		     !strncmp(tok, "dbytes=", 7)) && parse_u64(tok + 7, &v) == 0)
			sum += v;
	return sum;
}

static void update(struct rs_engine *e, const struct rs_env *env, const char *rel)
{
	struct rs_hist *h = hist(e, rel);
	uint64_t cur = mem_current(e, env, rel), pg = 0, io;
	bool fresh = h->tick && h->tick + 1 == e->tick;

	if (h->tick == e->tick)
		return;
	cg_key(env->cg_fd, rel, "memory.stat", "pgscan", &pg);
	io = io_bytes(env->cg_fd, rel);
	h->pgscan_rate = fresh && pg >= h->pgscan ? pg - h->pgscan : 0;
	h->io_rate = fresh && io >= h->io ? io - h->io : 0;
	h->avg = h->avg / 4 * 3 + cur / 4;
	h->pgscan = pg;
	h->io = io;
	h->tick = e->tick;
}

static size_t children(int cg_fd, const char *rel, char (*out)[RS_PATH_MAX], size_t max)
{
	int fd = openat(cg_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) && n < max)
		if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
		    (size_t)snprintf(out[n], RS_PATH_MAX, "%s%s%s", rel, *rel ? "/" : "", de->d_name) <
		    RS_PATH_MAX)
			n++;
	closedir(d);
	return n;
}

/* Below rel, as deep as a recursive kill goes (and while the history has
 * room): each level's peers are ranked by it. */
static void descendants(struct rs_engine *e, const struct rs_env *env, const char *rel, int depth)
{
	char (*kids)[RS_PATH_MAX];
	size_t k;

	if (depth > 16 || e->n_hist >= RS_HIST_MAX || !(kids = calloc(RS_CG_MAX, RS_PATH_MAX)))
		return;
	k = children(env->cg_fd, rel, kids, RS_CG_MAX);
	for (size_t j = 0; j < k; j++) {
		update(e, env, kids[j]);
		descendants(e, env, kids[j], depth + 1);
	}
	free(kids);
}

/* Every cgroup a kill plugin ranks by history, every tick: the size
 * average and the counters' rates need each tick's reading. */
static void prerun(struct rs_engine *e, const struct rs_env *env, const struct rs_plugin *p)
{
	static char cg[RS_CG_MAX][RS_PATH_MAX];
	size_t n;

	if (!IS(p, "kill_by_memory_size_or_growth") && !IS(p, "kill_by_pg_scan") &&
	    !IS(p, "kill_by_io_cost"))
		return;
	n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
	for (size_t i = 0; i < n; i++) {
		update(e, env, cg[i]);
		if (V(p, "recursive")->i)
			descendants(e, env, cg[i], 1);
	}
}

/* ---- senpai ---------------------------------------------------------------- */

static int write_u64(int cg_fd, const char *rel, const char *file, uint64_t v)
{
	char p[RS_PATH_MAX + 32], buf[32];

	if (cg_path(rel, file, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return write_file_at(cg_fd, p, buf);
}

/* oomd's Senpai in its default mode, once per oomd tick for each cgroup:
 * memory.high follows the cgroup's use so that it feels a little memory
 * pressure (pressure_ms of "some" stall per interval ticks): more stall,
 * the limit backs off (rises); a quiet interval, it probes (falls). */
static void senpai(struct rs_engine *e, const struct rs_env *env, const struct rs_plugin *p)
{
	static char cg[RS_CG_MAX][RS_PATH_MAX];
	size_t n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
	uint64_t pressure_us = (uint64_t)V(p, "pressure_ms")->i * 1000;

	for (size_t i = 0; i < n; i++) {
		struct rs_hist *h = hist(e, cg[i]);
		char pp[RS_PATH_MAX + 32], buf[512];
		struct psi psi = { 0 };
		uint64_t cur = 0, high = 0, mn = 0, max = CG_MAX_U64, lo, hi, limit;
		double f;

		if (!*cg[i] || cg_path(cg[i], "memory.pressure", pp, sizeof(pp)) < 0 ||
		    read_file_at(env->cg_fd, pp, buf, sizeof(buf)) <= 0 || parse_psi(buf, &psi) < 0 ||
		    cg_u64(env->cg_fd, cg[i], "memory.current", &cur) < 0)
			continue;
		if (cg_path(cg[i], "memory.high", pp, sizeof(pp)) == 0 &&
		    read_file_at(env->cg_fd, pp, buf, sizeof(buf)) > 0)
			parse_cg_limit(buf, &high);
		/* someone else set memory.high: start again from what it uses */
		if (!h->senpai_on || (h->senpai_written && high != h->senpai_written)) {
			h->senpai_on = true;
			h->senpai_limit = cur;
			h->senpai_cum_us = 0;
			h->senpai_total_us = psi.some.total_us;
			h->senpai_ticks = V(p, "interval")->i;
			h->senpai_written = 0;
		}
		h->senpai_cum_us += psi.some.total_us >= h->senpai_total_us ?
				    psi.some.total_us - h->senpai_total_us : 0;
		h->senpai_total_us = psi.some.total_us;
		if (h->senpai_cum_us >= pressure_us) {          /* back off */
			f = (double)h->senpai_cum_us / (double)pressure_us / V(p, "coeff_backoff")->d;
			f = MIN(f * f * V(p, "max_backoff")->d, V(p, "max_backoff")->d);
		} else if (--h->senpai_ticks <= 0) {             /* a quiet interval: probe */
			f = (double)pressure_us / (double)MAX(h->senpai_cum_us, 1) /
			    V(p, "coeff_probe")->d;
			f = -MIN(f * f * V(p, "max_probe")->d, V(p, "max_probe")->d);
		} else {
			continue;
		}
		limit = (uint64_t)((double)h->senpai_limit * (1 + f));
		cg_u64(env->cg_fd, cg[i], "memory.min", &mn);
		cg_u64(env->cg_fd, cg[i], "memory.max", &max);  /* "max": stays CG_MAX_U64 */
		lo = MAX((uint64_t)V(p, "limit_min_bytes")->i, mn);
		hi = MIN(MIN(e->mem_total, cur + (uint64_t)V(p, "limit_max_bytes")->i), max);
		limit = MIN(MAX(limit, lo), MAX(hi, lo)) & ~4095ull;
		h->senpai_limit = limit;
		h->senpai_cum_us = 0;
		h->senpai_ticks = V(p, "interval")->i;
		if (env->dry_run) {
			env->say(env->u, false, false, "senpai: /%s would set memory.high %llu MiB (uses "
				 "%llu MiB)", cg[i], (unsigned long long)(limit >> 20),
				 (unsigned long long)(cur >> 20));
			continue;
		}
		if (write_u64(env->cg_fd, cg[i], "memory.high", limit) == 0)
			h->senpai_written = limit;
	}
}

/* ---- kill plugins --------------------------------------------------------- */

struct cand {
	char path[RS_PATH_MAX];
	int pref;
	double k1, k2, k3;
	char why[160];
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->pref != y->pref)
		return y->pref - x->pref;
	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? 1 : -1;
	if (x->k2 != y->k2)
		return x->k2 < y->k2 ? 1 : -1;
	if (x->k3 != y->k3)
		return x->k3 < y->k3 ? 1 : -1;
	return strcmp(x->path, y->path);
}

static int cmp_desc_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Rank the peers in c[0..n) by the plugin's key (and drop those it
 * filters out or systemd-oomd's omit); how many remain, sorted. */
static size_t rank(struct rs_engine *e, const struct rs_env *env, const struct rs_plugin *p,
		   struct cand *c, size_t n)
{
	uint64_t cur[RS_CG_MAX], eff[RS_CG_MAX], sorted[RS_CG_MAX], total = 0, floor = 0, thr = 0;
	size_t k = 0;

	if (IS(p, "kill_by_memory_size_or_growth")) {
		for (size_t i = 0; i < n; i++) {
			uint64_t mn = 0, lo = 0, prot;

			cur[i] = mem_current(e, env, c[i].path);
			cg_u64(env->cg_fd, c[i].path, "memory.min", &mn);
			cg_u64(env->cg_fd, c[i].path, "memory.low", &lo);
			prot = MIN(cur[i], MAX(mn, lo));
			eff[i] = sorted[i] = cur[i] - prot;
			total += cur[i];
		}
		qsort(sorted, n, sizeof(*sorted), cmp_desc_u64);
		if (n) {
			int64_t nth = (int64_t)((n * (100 - (uint64_t)V(p, "growing_size_percentile")->i) +
						 99) / 100) - 1;

			floor = sorted[MAX(nth, 0)];
		}
	}
	if (IS(p, "kill_by_swap_usage")) {
		const struct rs_val *t = V(p, "threshold");

		thr = 1;
		if (t->set)
			rs_size_or_percent(t->s, e->swap_total, &thr);
	}
	for (size_t i = 0; i < n; i++) {
		struct cand x = c[i];
		bool omit;

		x.pref = cgroup_oomd_preference(env->cg_fd, x.path, false, &omit);
		if (omit)
			continue;
		x.k1 = x.k2 = x.k3 = 0;
		if (IS(p, "kill_by_memory_size_or_growth")) {
			const struct rs_val *mgr = V(p, "min_growth_ratio");
			struct rs_hist *h = hist(e, x.path);
			double growth = h->avg ? (double)cur[i] / (double)h->avg : 0;
			bool size_ok = total && cur[i] >= total / 100 * (uint64_t)V(p, "size_threshold")->i;
			bool grow_ok = growth >= (mgr->set ? (double)mgr->i : 1.25) && eff[i] >= floor;

			x.k1 = size_ok ? (double)eff[i] : 0;
			x.k2 = grow_ok ? growth : 0;
			x.k3 = (double)eff[i];
			snprintf(x.why, sizeof(x.why), "%s: %llu MiB of the peers' %llu, growth %.2f",
				 size_ok ? "size" : grow_ok ? "growth" : "largest",
				 (unsigned long long)(cur[i] >> 20), (unsigned long long)(total >> 20),
				 growth);
		} else if (IS(p, "kill_by_swap_usage")) {
			uint64_t sw = 0;

			cg_u64(env->cg_fd, x.path, "memory.swap.current", &sw);
			if (sw < thr)
				continue;
			x.k1 = (double)sw;
			snprintf(x.why, sizeof(x.why), "swap %llu MiB", (unsigned long long)(sw >> 20));
		} else if (IS(p, "kill_by_pressure")) {
			struct psi_line l = full_psi(env, x.path, V(p, "resource")->i == 1);

			x.k1 = (double)(int)(l.avg10 / 2 + l.avg60 / 2);
			snprintf(x.why, sizeof(x.why), "full pressure %.2f/%.2f", l.avg10, l.avg60);
		} else if (IS(p, "kill_by_pg_scan")) {
			x.k1 = (double)hist(e, x.path)->pgscan_rate;
			snprintf(x.why, sizeof(x.why), "pgscan %.0f pages in the last tick", x.k1);
		} else if (IS(p, "kill_by_io_cost")) {
			x.k1 = (double)hist(e, x.path)->io_rate;
			snprintf(x.why, sizeof(x.why), "io %.0f bytes in the last tick", x.k1);
		}
		if (x.pref)
			snprintf(x.why + strlen(x.why), sizeof(x.why) - strlen(x.why), ", %s",
				 x.pref > 0 ? "oomd_prefer" : "oomd_avoid");
		c[k++] = x;
	}
	qsort(c, k, sizeof(*c), cand_cmp);
	return k;
}

/* Try the peers best first, into children with recursive (unless the
 * cgroup is an oom group); 1 killed, 0 nothing, -1 busy. */
static int try_peers(struct rs_engine *e, const struct rs_env *env, const struct rs_plugin *p,
		     struct rs_kill *k, char (*peers)[RS_PATH_MAX], size_t n, int depth)
{
	struct cand *c = calloc(RS_CG_MAX, sizeof(*c));
	char (*kids)[RS_PATH_MAX] = NULL;
	int r = 0;

	if (!c)
		return 0;
	for (size_t i = 0; i < n; i++)
		snprintf(c[i].path, sizeof(c[i].path), "%s", peers[i]);
	n = rank(e, env, p, c, n);
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t group = 0, populated = 1;
		size_t nk;

		if (V(p, "recursive")->i && depth < 16 &&
		    (cg_u64(env->cg_fd, c[i].path, "memory.oom.group", &group) < 0 || !group) &&
		    (kids || (kids = calloc(RS_CG_MAX, RS_PATH_MAX))) &&
		    (nk = children(env->cg_fd, c[i].path, kids, RS_CG_MAX))) {
			char (*mine)[RS_PATH_MAX] = calloc(nk, RS_PATH_MAX);

			if (mine) {
				memcpy(mine, kids, nk * RS_PATH_MAX);
				r = try_peers(e, env, p, k, mine, nk, depth + 1);
				free(mine);
			}
			continue;
		}
		cg_key(env->cg_fd, c[i].path, "cgroup.events", "populated", &populated);
		if (!populated)
			continue;
		k->cgroup = c[i].path;
		snprintf(k->why, sizeof(k->why), "%s", c[i].why);
		r = env->kill(env->u, k);
	}
	free(kids);
	free(c);
	return r;
}

static enum rs_ret act(struct rs_engine *e, const struct rs_env *env, const struct rs_ruleset *r,
		       struct rs_rstate *rst, const struct rs_group *g, const struct rs_plugin *p,
		       struct rs_pstate *st)
{
	static char cg[RS_CG_MAX][RS_PATH_MAX];
	struct rs_kill k = { .ruleset = r->name, .group = g ? g->name : "", .plugin = p->type->name };
	const struct rs_val *delay;
	size_t n;
	int res;

	if (IS(p, "systemd_restart")) {
		int done;

		if (!env->restart)
			return RS_CONTINUE;
		done = env->restart(env->u, p, V(p, "service")->s, V(p, "dry")->i);
		if (done < 0)
			return RS_ASYNC;        /* systemd answers in the D-Bus lane */
		if (!done)
			return RS_CONTINUE;     /* as oomd: a failed restart goes on */
		/* oomd sleeps post_action_delay, then STOP pauses the ruleset's: the
		 * same quiet, without stopping everything else */
		rst->pause_s = (unsigned)V(p, "post_action_delay")->i + r->post_action_delay_s;
		rst->pause_set = true;
		return RS_STOP;
	}
	if (!IS(p, "kill_by_memory_size_or_growth") && !IS(p, "kill_by_swap_usage") &&
	    !IS(p, "kill_by_pressure") && !IS(p, "kill_by_pg_scan") && !IS(p, "kill_by_io_cost"))
		return detect(e, env, r, p, st);        /* continue, stop, a detector as an action */
	if (IS(p, "kill_by_pg_scan") && (!st->collected_tick || st->collected_tick + 1 != e->tick)) {
		st->collected_tick = e->tick;   /* rates need two ticks: go on at the next */
		return RS_ASYNC;
	}
	st->collected_tick = e->tick;
	k.dry = V(p, "dry")->i;
	n = rs_resolve(env->cg_root, V(p, "cgroup")->s, cg, RS_CG_MAX);
	res = try_peers(e, env, p, &k, cg, n, 0);
	if (res <= 0)
		return RS_CONTINUE;     /* nobody (or the pipeline busy): the chain goes on */
	e->kills++;
	e->dry_kills += k.dry;
	if (V(p, "always_continue")->i)
		return RS_CONTINUE;
	if ((delay = V(p, "post_action_delay"))->set) {
		rst->pause_s = (unsigned)delay->i;
		rst->pause_set = true;
	}
	return RS_STOP;
}

/* ---- the tick ------------------------------------------------------------- */

int rs_engine_init(struct rs_engine *e, const struct rs_ruleset *v, size_t nv)
{
	size_t n = 0;

	*e = (struct rs_engine){ .v = v, .n = nv };
	for (size_t i = 0; i < nv; i++) {
		for (size_t g = 0; g < v[i].n_groups; g++)
			n += v[i].groups[g].n_det;
		n += v[i].n_actions;
	}
	e->rs = calloc(nv ? nv : 1, sizeof(*e->rs));
	e->ps = calloc(n ? n : 1, sizeof(*e->ps));
	e->hist = calloc(RS_HIST_MAX, sizeof(*e->hist));
	if (!e->rs || !e->ps || !e->hist) {
		rs_engine_free(e);
		return -ENOMEM;
	}
	e->n_ps = n;
	for (size_t i = 0; i < n; i++)
		e->ps[i].last_avg10 = 100;      /* oomd's: so a first tick under 85 is "falling" */
	for (size_t i = 0; i < nv; i++)
		e->rs[i].resume = -1;
	return 0;
}

static size_t plugins_of(const struct rs_ruleset *r)
{
	size_t n = r->n_actions;

	for (size_t g = 0; g < r->n_groups; g++)
		n += r->groups[g].n_det;
	return n;
}

int rs_engine_rebuild(struct rs_engine *e, const struct rs_ruleset *v, size_t nv)
{
	struct rs_engine old = *e;
	size_t base_new = 0;
	int r;

	if (!old.rs) {
		rs_engine_free(e);
		return rs_engine_init(e, v, nv);
	}
	if ((r = rs_engine_init(e, v, nv)) < 0) {
		*e = old;
		return r;
	}
	/* the same ruleset (its groups and actions where they were: a base
	 * ruleset, a drop-in that stayed) keeps its pause, timers and chain */
	for (size_t i = 0; i < nv; i++) {
		size_t base_old = 0, k = plugins_of(&v[i]);

		for (size_t j = 0; j < old.n; j++) {
			if (old.v[j].groups == v[i].groups && old.v[j].actions == v[i].actions &&
			    old.v[j].n_groups == v[i].n_groups && old.v[j].n_actions == v[i].n_actions) {
				e->rs[i] = old.rs[j];
				memcpy(&e->ps[base_new], &old.ps[base_old], k * sizeof(*e->ps));
				break;
			}
			base_old += plugins_of(&old.v[j]);
		}
		base_new += k;
	}
	/* and the history goes on */
	free(e->hist);
	e->hist = old.hist;
	e->n_hist = old.n_hist;
	e->tick = old.tick;
	e->prerun_ms = old.prerun_ms;
	e->kills = old.kills;
	e->dry_kills = old.dry_kills;
	free(old.rs);
	free(old.ps);
	return 0;
}

void rs_engine_free(struct rs_engine *e)
{
	free(e->rs);
	free(e->ps);
	free(e->hist);
	e->rs = NULL;
	e->ps = NULL;
	e->hist = NULL;
}

static void system_figures(struct rs_engine *e, const struct rs_env *env)
{
	char buf[4096];
	struct meminfo mi = { 0 };

	if (read_file_at(env->proc_fd, "meminfo", buf, sizeof(buf)) > 0 && parse_meminfo(buf, &mi) == 0) {
		e->mem_total = mi.mem_total;
		e->mem_free = mi.mem_free;
		e->swap_total = mi.swap_total;
		e->swap_free = mi.swap_free;
	}
}

void rs_engine_tick(struct rs_engine *e, const struct rs_env *env)
{
	size_t base = 0;

	system_figures(e, env);
	/* the history (sizes' average, counters' rates) at oomd's 1 s ticks,
	 * whatever the caller's pace: its growth and rates mean what oomd's do */
	if (!e->prerun_ms || env->now_ms - e->prerun_ms >= RS_HIST_MS) {
		e->tick++;
		e->prerun_ms = env->now_ms;
		for (size_t i = 0; i < e->n; i++) {
			const struct rs_ruleset *r = &e->v[i];

			for (size_t a = 0; a < r->n_actions; a++)
				prerun(e, env, &r->actions[a]);
		}
	}
	for (size_t i = 0; i < e->n; i++) {
		const struct rs_ruleset *r = &e->v[i];
		struct rs_rstate *rst = &e->rs[i];
		struct rs_pstate *ps = &e->ps[base], *acts;
		int fired = -1;
		size_t k = 0, from;

		/* every detector, every tick: no short cut */
		for (size_t g = 0; g < r->n_groups; g++) {
			bool all = true;

			for (size_t d = 0; d < r->groups[g].n_det; d++)
				all &= detect(e, env, r, &r->groups[g].det[d], &ps[k++]) != RS_STOP;
			if (all && fired < 0)
				fired = (int)g;
		}
		acts = &ps[k];
		base += k + r->n_actions;
		if (fired >= 0)
			env->say(env->u, true, r->silence_engine, "ruleset %s: DetectorGroup=%s has fired",
				 r->name, r->groups[fired].name);
		if (env->now_ms < rst->pause_until_ms)
			continue;
		if (rst->resume >= 0) {
			from = (size_t)rst->resume;
			fired = rst->resume_group;
		} else if (fired >= 0) {
			from = 0;
		} else {
			continue;
		}
		rst->resume = -1;
		rst->pause_set = false;
		for (size_t a = from; a < r->n_actions; a++) {
			const struct rs_group *g = fired >= 0 ? &r->groups[fired] : NULL;
			enum rs_ret ret = act(e, env, r, rst, g, &r->actions[a], &acts[a]);

			env->say(env->u, true, r->silence_engine, "ruleset %s: Action=%s returned %s", r->name,
				 r->actions[a].type->name, ret == RS_STOP ? "STOP" :
				 ret == RS_ASYNC ? "ASYNC_PAUSED" : "CONTINUE");
			if (ret == RS_ASYNC) {
				rst->resume = (int)a;
				rst->resume_group = fired;
				break;
			}
			if (ret == RS_STOP) {
				rst->pause_until_ms = env->now_ms + 1000ull *
					(rst->pause_set ? rst->pause_s : r->post_action_delay_s);
				break;
			}
		}
	}
}

/* ---- drop-ins ------------------------------------------------------------ */

static const struct rs_ruleset *base_of(const struct rs_config *base, const char *name)
{
	for (size_t i = 0; i < base->n_rulesets; i++)
		if (!strcmp(base->rulesets[i].name, name))
			return &base->rulesets[i];
	return NULL;
}

int rs_dropin_check(const struct rs_config *base, const struct rs_config *d, const char *tag,
		    char *err, size_t size)
{
	for (size_t i = 0; i < d->n_rulesets; i++) {
		const struct rs_ruleset *r = &d->rulesets[i], *b = base_of(base, r->name);

		if (!b) {
			snprintf(err, size, "%s:%d:%d: Could not locate targeted ruleset=%s", tag,
				 r->line, r->col, r->name);
			return -EINVAL;
		}
		if ((r->n_groups && !b->dropin_detectors) || (r->n_actions && !b->dropin_actions)) {
			snprintf(err, size, "%s:%d:%d: Error: %s drop-in configs disabled (ruleset \"%s\" "
				 "has no \"drop-in\": {\"%s\": true})", tag, r->line, r->col,
				 r->n_groups && !b->dropin_detectors ? "DetectorGroup" : "Action",
				 b->name, r->n_groups && !b->dropin_detectors ? "detectors" : "actions");
			return -EINVAL;
		}
	}
	return 0;
}

int rs_views(const struct rs_config *base, const struct rs_dropin *d, size_t nd,
	     struct rs_ruleset **ret, size_t *n)
{
	size_t cap = base->n_rulesets, k = 0;
	struct rs_ruleset *v;

	for (size_t j = 0; j < nd; j++)
		cap += d[j].c.n_rulesets;
	if (!(v = calloc(cap ? cap : 1, sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < base->n_rulesets; i++) {
		const struct rs_ruleset *b = &base->rulesets[i];
		bool named = false;

		for (size_t j = 0; j < nd; j++)         /* d[0] is the newest */
			for (size_t r = 0; r < d[j].c.n_rulesets; r++) {
				const struct rs_ruleset *x = &d[j].c.rulesets[r];

				if (base_of(base, x->name) != b)
					continue;
				v[k] = *b;      /* oomd: a fresh copy of the base, merged */
				if (x->n_groups) {
					v[k].groups = x->groups;
					v[k].n_groups = x->n_groups;
				}
				if (x->n_actions) {
					v[k].actions = x->actions;
					v[k].n_actions = x->n_actions;
				}
				k++;
				named = true;
			}
		if (!(named && b->disable_on_dropin))
			v[k++] = *b;
	}
	*ret = v;
	*n = k;
	return 0;
}
