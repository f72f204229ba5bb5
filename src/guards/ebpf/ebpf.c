/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard (the OOM Protector seed's ebpf_monitor: "monitor memory
 * allocation patterns in real time, detect and alert on processes
 * exhibiting abnormal allocation rates"). alloc.bpf.c counts what each
 * process charges to its resident memory (kmem:rss_stat) in 1 s windows and
 * wakes this side through its ring buffer when a window passes the lower
 * of the two thresholds; nothing polls while nothing allocates fast. A
 * managed process over allocation_threshold_mb_per_sec is CRITICAL (the
 * seed's rule), any process over anomaly_mb_per_sec a WARNING (off by
 * default); one alert per process per episode (rates.c). The memory guard
 * asks for the fastest allocator (ebpf_fastest) and hands it a budget to
 * be woken by (ebpf_watch). Without BTF, libbpf or the capabilities the
 * guard says why and everything else works without it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "guards/ebpf/ebpf.h"
#include "guards/ebpf/rates.h"
#include "guards/shield/shieldd.h"
#include "observe/cgroup.h"
#include "og-config.h"

#if HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guards/ebpf/alloc-types.h"
#include "alloc.skel.h"
#endif

struct ebpf_guard {
	struct loop_source ring;
	struct episodes critical_on, warning_on;        /* episodes of each alert */
	struct proc_list procs;
	uint64_t critical, warning, wakes[5], events;
	char last_alert[256];
	void (*wake)(void *data, int kind);
	void *wake_data;
#if HAVE_BPF
	struct alloc_bpf *skel;
	struct ring_buffer *rb;
#endif
};

#define WAKE_RATE_KIND 4
#define E(g) ((struct ebpf_guard *)(g)->state)

static const struct og_config *CFG(const struct guard *g) { return &g->env->c->cfg; }

#if HAVE_BPF
__attribute__((format(printf, 2, 0)))
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

/* Why the program did not load, in words. */
static void load_failed(struct guard *g, const char *step, int err)
{
	char lockdown[128] = "";

	if (read_file_at(AT_FDCWD, "/sys/kernel/security/lockdown", lockdown,
			 sizeof(lockdown)) > 0 && strstr(lockdown, "[confidentiality]"))
		snprintf(g->why, sizeof(g->why), "%s: the kernel is locked down (confidentiality): "
			 "no eBPF tracing", step);
	else if (err == -EPERM || err == -EACCES)
		snprintf(g->why, sizeof(g->why), "%s: %s: needs CAP_BPF and CAP_PERFMON (or "
			 "CAP_SYS_ADMIN)", step, strerror(-err));
	else
		snprintf(g->why, sizeof(g->why), "%s: %s", step, strerror(-err));
}

static void rate_wake(struct guard *g, uint32_t pid, uint64_t win_bytes, uint64_t win_start);

static int on_wake(void *ctx, void *data, size_t size)
{
	struct guard *g = ctx;
	const struct wake *w = data;

	if (size < sizeof(*w) || w->kind < WAKE_BUDGET || w->kind > WAKE_RATE)
		return 0;
	E(g)->wakes[w->kind]++;
	if (w->kind == WAKE_RATE)
		rate_wake(g, w->pid, w->grown, w->win_start);
	else if (E(g)->wake)
		E(g)->wake(E(g)->wake_data, (int)w->kind);
	return 0;
}

static void on_ring(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	ring_buffer__consume(E(g)->rb);
}

static int load(struct guard *g)
{
	struct ebpf_guard *e = E(g);
	int r;

	libbpf_set_print(libbpf_log);
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		snprintf(g->why, sizeof(g->why), "the kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "its CO-RE program cannot load");
		return -ENOTSUP;
	}
	if (!(e->skel = alloc_bpf__open())) {
		load_failed(g, "open", -errno);
		return -ENOTSUP;
	}
	if ((r = alloc_bpf__load(e->skel)) < 0) {
		load_failed(g, "load", r);
		return -ENOTSUP;
	}
	if ((r = alloc_bpf__attach(e->skel)) < 0) {
		load_failed(g, "attach (kmem:rss_stat, vmscan tracepoints)", r);
		return -ENOTSUP;
	}
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.wakes), on_wake, g, NULL);
	if (!e->rb) {
		load_failed(g, "ring buffer", -errno);
		return -ENOTSUP;
	}
	return 0;
}

static void unload(struct ebpf_guard *e)
{
	ring_buffer__free(e->rb);
	e->rb = NULL;
	alloc_bpf__destroy(e->skel);
	e->skel = NULL;
}

/* The process with the fastest window now, from the program's map. */
static int scan_fastest(struct ebpf_guard *e, uint32_t *ret_pid, double *ret_rate)
{
	int fd = bpf_map__fd(e->skel->maps.procs), r;
	uint64_t now = now_ms() * 1000000ull;
	double best = 0;
	__u32 key, next, pid = 0;
	struct proc_mem v;

	for (r = bpf_map_get_next_key(fd, NULL, &next); r == 0;
	     r = bpf_map_get_next_key(fd, &key, &next)) {
		double rate;

		key = next;
		if (bpf_map_lookup_elem(fd, &key, &v) < 0)
			continue;
		rate = window_rate(v.win_bytes, v.win_start, now);
		if (rate > best) {
			best = rate;
			pid = key;
		}
	}
	if (!pid)
		return -ENOENT;
	*ret_pid = pid;
	*ret_rate = best;
	return 0;
}

/* The cgroups charging fastest now: up to n, fastest first. */
struct cg_rate {
	uint64_t id;
	double rate;
	char path[256];
};

static size_t top_cgroups(struct ebpf_guard *e, struct cg_rate *out, size_t n)
{
	int fd = bpf_map__fd(e->skel->maps.cgroups), r;
	uint64_t now = now_ms() * 1000000ull;
	__u64 key, next;
	struct cg_charge v;
	size_t k = 0;

	for (r = bpf_map_get_next_key(fd, NULL, &next); r == 0;
	     r = bpf_map_get_next_key(fd, &key, &next)) {
		double rate;
		size_t i;

		key = next;
		if (bpf_map_lookup_elem(fd, &key, &v) < 0 ||
		    (rate = window_rate(v.win_bytes, v.win_start, now)) <= 0)
			continue;
		for (i = k; i > 0 && out[i - 1].rate < rate; i--)
			if (i < n)
				out[i] = out[i - 1];
		if (i < n) {
			out[i] = (struct cg_rate){ .id = key, .rate = rate };
			k = MIN(k + 1, n);
		}
	}
	return k;
}

struct cg_find {
	struct cg_rate *v;
	size_t n, left;
};

/* A cgroup's id is the inode of its directory. */
static int name_cgroup(int cg_fd, const char *relpath, void *userdata)
{
	struct cg_find *f = userdata;
	struct stat st;

	if (fstat(cg_fd, &st) < 0)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (!*f->v[i].path && f->v[i].id == (uint64_t)st.st_ino) {
			snprintf(f->v[i].path, sizeof(f->v[i].path), "/%s", relpath);
			f->left--;
		}
	return f->left == 0;
}

/* What a cgroup (a path below the root) charges now, bytes/s; -1 unknown. */
static double cgroup_rate(struct guard *g, const char *path)
{
	struct cg_charge v;
	struct stat st;
	__u64 id;

	if (!path || g->env->c->cg_root_fd < 0 ||
	    fstatat(g->env->c->cg_root_fd, *path == '/' && path[1] ? path + 1 : ".", &st, 0) < 0)
		return -1;
	id = st.st_ino;
	if (bpf_map_lookup_elem(bpf_map__fd(E(g)->skel->maps.cgroups), &id, &v) < 0)
		return 0;
	return window_rate(v.win_bytes, v.win_start, now_ms() * 1000000ull);
}

static double rate_of(struct ebpf_guard *e, uint32_t pid)
{
	struct proc_mem v;

	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.procs), &pid, &v) < 0)
		return -1;
	return window_rate(v.win_bytes, v.win_start, now_ms() * 1000000ull);
}

/* The program's thresholds, bytes in 1 s: it wakes this side when a
 * window passes the lower one, and again past the higher one. */
static int set_thresholds(struct ebpf_guard *e, const struct og_config *cfg)
{
	int fd = bpf_map__fd(e->skel->maps.watch);
	uint64_t crit = cfg->ebpf_alloc_mb_per_sec * 1000000ull;
	uint64_t anom = cfg->ebpf_anomaly_mb_per_sec * 1000000ull;
	struct watch w;
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, &w) < 0)
		return -errno;
	w.rate_bytes = anom && anom < crit ? anom : crit;
	w.high_bytes = anom && anom != crit ? MAX(anom, crit) : 0;
	return bpf_map_update_elem(fd, &key, &w, BPF_ANY) < 0 ? -errno : 0;
}

static void read_watch(struct ebpf_guard *e)
{
	struct watch w;
	__u32 key = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.watch), &key, &w) == 0)
		e->events = w.events;
}

int ebpf_watch(struct guard *g, uint64_t budget)
{
	struct ebpf_guard *e;
	struct watch w = { 0 };
	__u32 key = 0;
	int fd;

	if (!g || !g->active || !(e = E(g)) || !e->skel)
		return -ENOTSUP;
	fd = bpf_map__fd(e->skel->maps.watch);
	if (bpf_map_lookup_elem(fd, &key, &w) < 0)
		return -errno;
	w.grown = 0;
	w.fired = w.reclaim_fired = 0;
	w.budget = budget;
	return bpf_map_update_elem(fd, &key, &w, BPF_ANY) < 0 ? -errno : 0;
}

static bool loaded(const struct ebpf_guard *e) { return e->skel != NULL; }
#else
static int load(struct guard *g)
{
	snprintf(g->why, sizeof(g->why), "not in this build (built without libbpf, clang or "
		 "bpftool: ./dev.sh installs them)");
	return -ENOTSUP;
}

static void unload(struct ebpf_guard *e) { }

static double cgroup_rate(struct guard *g, const char *path) { return -1; }
static void read_watch(struct ebpf_guard *e) { }

static int scan_fastest(struct ebpf_guard *e, uint32_t *ret_pid, double *ret_rate)
{
	return -ENOENT;
}
static double rate_of(struct ebpf_guard *e, uint32_t pid) { return -1; }
static int set_thresholds(struct ebpf_guard *e, const struct og_config *cfg)
{
	return -ENOTSUP;
}
static bool loaded(const struct ebpf_guard *e) { return false; }

int ebpf_watch(struct guard *g, uint64_t budget) { return -ENOTSUP; }
#endif

void ebpf_on_wake(struct guard *g, void (*wake)(void *data, int kind), void *data)
{
	if (!g || !g->state)
		return;
	E(g)->wake = wake;
	E(g)->wake_data = data;
}

int ebpf_fastest(struct guard *g, uint32_t *ret_pid, double *ret_bytes_s)
{
	if (!g || !g->active || !g->state || !loaded(E(g)))
		return -ENOENT;
	return scan_fastest(E(g), ret_pid, ret_bytes_s);
}

double ebpf_rate_of(struct guard *g, uint32_t pid)
{
	if (!g || !g->active || !g->state || !loaded(E(g)))
		return -1;
	return rate_of(E(g), pid);
}

/* ---- alerts ---------------------------------------------------------------- */

static void alert(struct guard *g, const struct proc_info *p, double bytes_s, bool critical,
		  double threshold, bool managed)
{
	struct ebpf_guard *e = E(g);
	char comm[64], msg[384];
	struct anomaly_rec a = {
		.event = critical ? "allocation-critical" : "allocation-warning", .message = msg,
		.pid = p->pid, .comm = p->comm, .cgroup = p->cgroup, .rate_bytes_s = bytes_s,
		.threshold_bytes_s = threshold, .managed = managed, .rss = p->rss,
	};

	double cg = cgroup_rate(g, p->cgroup);
	char cgs[160] = "", path[96];

	escape_untrusted(p->comm, comm, sizeof(comm));
	if (cg >= 0 && p->cgroup) {
		escape_untrusted(p->cgroup, path, sizeof(path));
		snprintf(cgs, sizeof(cgs), "; its cgroup %s charges %.0f MB/s", path, cg / 1e6);
	}
	snprintf(msg, sizeof(msg), "%s process pid %d (%s) allocates %.0f MB/s, over %.0f MB/s in "
		 "a 1 s window (resident memory charged, not reserved)%s",
		 managed ? "managed" : "a", p->pid, comm, bytes_s / 1e6, threshold / 1e6, cgs);
	if (critical) {
		e->critical++;
		og_log(LOG_CRIT, "ebpf: CRITICAL: %s", msg);
	} else {
		e->warning++;
		log_warn("ebpf: %s", msg);
	}
	snprintf(e->last_alert, sizeof(e->last_alert), "%s: %.230s", critical ? "CRITICAL" :
		 "WARNING", msg);
	report_anomaly(g->env->rep, &a);
	report_kmsg(g->env->rep, "ebpf: %s%s", critical ? "CRITICAL: " : "", msg);
}

/* A process passed a threshold in its 1 s window (win_bytes since
 * win_start); the rate is what the window shows now. */
static __attribute__((unused)) void rate_wake(struct guard *g, uint32_t pid, uint64_t win_bytes,
					      uint64_t win_start)
{
	struct ebpf_guard *e = E(g);
	const struct og_config *cfg = CFG(g);
	double crit = (double)cfg->ebpf_alloc_mb_per_sec * 1e6;
	double anom = (double)cfg->ebpf_anomaly_mb_per_sec * 1e6;
	double bytes = (double)win_bytes, rate = window_rate(win_bytes, win_start,
							     now_ms() * 1000000ull);
	int one = (int)pid;
	struct proc_info *p;
	bool managed;

	if (proc_scan_pids(g->env->c->proc_fd, &e->procs, &one, 1) != 1)
		return;                 /* gone already */
	p = &e->procs.v[0];
	if (p->kthread)
		return;
	if (!p->cgroup)
		proc_load_cgroup(g->env->c->proc_fd, &e->procs, p);
	managed = shield_is_managed(p, g->env->c);
	rate = MAX(rate, bytes);        /* passed within 1 s: at least this per second */
	/* each alert once per episode of its own: a managed process past the
	 * anomaly threshold first and the critical one next is said twice */
	if (managed && bytes >= crit && episode_hit(&e->critical_on, pid, now_ms()))
		alert(g, p, rate, true, crit, true);
	else if (anom > 0 && bytes >= anom && !(managed && bytes >= crit) &&
		 episode_hit(&e->warning_on, pid, now_ms()))
		alert(g, p, rate, false, anom, managed);
}

/* ---- the guard ---------------------------------------------------------- */

static int ebpf_start(struct guard *g)
{
	struct ebpf_guard *e = E(g);
	int r;

	e->ring.fd = -1;
	if (!CFG(g)->ebpf_enabled) {
		snprintf(g->why, sizeof(g->why), "off (ebpf_monitor.enabled: false)");
		return -ENOTSUP;
	}
	if ((r = load(g)) < 0)
		return r;
	if (!g->env->loop)
		return 0;               /* explain: it loads and attaches; that is all */
#if HAVE_BPF
	if ((r = loop_add(g->env->loop, &e->ring, ring_buffer__epoll_fd(e->rb), EPOLLIN, on_ring,
			  g)) < 0)
		return r;
#endif
	return set_thresholds(e, CFG(g));
}

static void ebpf_reload(struct guard *g)
{
	if (g->active && loaded(E(g)))
		set_thresholds(E(g), CFG(g));
	if (CFG(g)->ebpf_enabled != g->active)
		log_notice("ebpf: ebpf_monitor.enabled changed: takes effect at the next start");
}

/* The cgroups charging fastest, with their paths (a walk of the tree:
 * explain and status only). */
static void describe_cgroups(struct guard *g, struct describe *d)
{
#if HAVE_BPF
	struct cg_rate top[5] = { 0 };
	struct cg_find f = { .v = top };
	struct describe sub = { .text = d->text };

	if (!loaded(E(g)) || !(f.n = f.left = top_cgroups(E(g), top, ARRAY_SIZE(top))))
		return;
	if (g->env->c->cg_root_fd >= 0)
		cgroup_walk(g->env->c->cg_root_fd, 16, name_cgroup, &f);
	sub.json = desc_obj(d, "cgroups");
	for (size_t i = 0; i < f.n; i++) {
		if (!*top[i].path)
			snprintf(top[i].path, sizeof(top[i].path), "(cgroup id %llu)",
				 (unsigned long long)top[i].id);
		desc_line(d, "  cgroup %s charges %.1f MB/s", top[i].path, top[i].rate / 1e6);
		desc_num(&sub, top[i].path, top[i].rate);
	}
#endif
}

static void ebpf_describe(struct guard *g, struct describe *d)
{
	struct ebpf_guard *e = E(g);
	const struct og_config *cfg = CFG(g);
	uint32_t pid = 0;
	double rate = 0;

	desc_int(d, "allocation_threshold_mb_per_sec", (int64_t)cfg->ebpf_alloc_mb_per_sec);
	desc_int(d, "anomaly_mb_per_sec", (int64_t)cfg->ebpf_anomaly_mb_per_sec);
	if (!g->active)
		return;
	read_watch(e);
	desc_line(d, "kmem:rss_stat counts resident memory charged per process in 1 s windows; a "
		  "managed process over %" PRIu64 " MB/s is CRITICAL, %s", cfg->ebpf_alloc_mb_per_sec,
		  cfg->ebpf_anomaly_mb_per_sec ? "any process over the anomaly threshold a WARNING" :
		  "others are not alerted on (anomaly_mb_per_sec: 0)");
	desc_line(d, "  %" PRIu64 " critical and %" PRIu64 " warning alerts; rss_stat events %"
		  PRIu64 "; wake-ups: over a threshold %" PRIu64 ", memory budget %" PRIu64
		  ", kswapd %" PRIu64 ", direct reclaim %" PRIu64, e->critical, e->warning, e->events,
		  e->wakes[WAKE_RATE_KIND], e->wakes[1], e->wakes[2], e->wakes[3]);
	if (scan_fastest(e, &pid, &rate) == 0)
		desc_line(d, "  fastest allocator now: pid %u at %.1f MB/s", pid, rate / 1e6);
	describe_cgroups(g, d);
	if (*e->last_alert)
		desc_line(d, "  last alert: %s", e->last_alert);
	desc_int(d, "critical", (int64_t)e->critical);
	desc_int(d, "warning", (int64_t)e->warning);
	desc_int(d, "events", (int64_t)e->events);
	desc_int(d, "fastest_pid", pid);
	desc_num(d, "fastest_bytes_s", rate);
}

static void ebpf_stop(struct guard *g)
{
	struct ebpf_guard *e = E(g);

	if (g->env->loop && e->ring.fd >= 0)
		loop_del(g->env->loop, &e->ring);
	unload(e);
	proc_list_free(&e->procs);
}

const struct guard_ops ebpf_guard_ops = {
	.name = "ebpf",
	.state_size = sizeof(struct ebpf_guard),
	.start = ebpf_start,
	.reload = ebpf_reload,
	.describe = ebpf_describe,
	.stop = ebpf_stop,
};
