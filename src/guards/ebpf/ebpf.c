/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard (the OOM Protector seed's ebpf_monitor: "monitor memory
 * allocation patterns in real time, detect and alert on processes
 * exhibiting abnormal allocation rates"). alloc.bpf.c counts what each
 * process charges to its resident memory (kmem:rss_stat); once a second
 * this side reads the counts, computes rates (rates.c) and alerts: a
 * managed process over allocation_threshold_mb_per_sec is CRITICAL (the
 * seed's rule), any process over anomaly_mb_per_sec a WARNING (off by
 * default); one alert per process per episode. The memory guard asks it
 * for the fastest allocator (ebpf_fastest) and may hand it a budget to be
 * woken by (ebpf_watch). Without BTF, libbpf or the capabilities the guard
 * says why and everything else works without it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "guards/ebpf/ebpf.h"
#include "guards/ebpf/rates.h"
#include "guards/shield/shieldd.h"
#include "og-config.h"

#if HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guards/ebpf/alloc-types.h"
#include "alloc.skel.h"
#endif

#define LOOK_MS 1000            /* the seed's 1-second window */
#define COUNT_MAX 32768         /* the program's map */

struct ebpf_guard {
	struct loop_timer timer;
	struct loop_source ring;
	struct rates rates;
	struct alloc_count *counts;
	struct proc_list procs;
	uint64_t looks, critical, warning, wakes[4], events;
	uint32_t fastest_pid;
	double fastest_rate;
	char fastest_comm[64];
	char last_alert[256];
	void (*wake)(void *data, int kind);
	void *wake_data;
#if HAVE_BPF
	struct alloc_bpf *skel;
	struct ring_buffer *rb;
#endif
};

#define E(g) ((struct ebpf_guard *)(g)->state)

static const struct og_config *CFG(const struct guard *g) { return &g->env->c->cfg; }

#if HAVE_BPF
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

static int on_wake(void *ctx, void *data, size_t size)
{
	struct guard *g = ctx;
	const struct wake *w = data;

	if (size < sizeof(*w) || w->kind > 3)
		return 0;
	E(g)->wakes[w->kind]++;
	if (E(g)->wake)
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

/* The program's counts: every thread group it has seen. */
static ssize_t read_counts(struct ebpf_guard *e)
{
	int fd = bpf_map__fd(e->skel->maps.procs);
	__u32 key, next;
	struct proc_mem v;
	size_t n = 0;
	int r = bpf_map_get_next_key(fd, NULL, &next);

	while (r == 0 && n < COUNT_MAX) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &v) == 0) {
			e->counts[n].pid = key;
			e->counts[n].grown = v.grown;
			n++;
		}
		r = bpf_map_get_next_key(fd, &key, &next);
	}
	return (ssize_t)n;
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
#else
static int load(struct guard *g)
{
	snprintf(g->why, sizeof(g->why), "not in this build (built without libbpf, clang or "
		 "bpftool: ./dev.sh installs them)");
	return -ENOTSUP;
}

static void unload(struct ebpf_guard *e) { }
static ssize_t read_counts(struct ebpf_guard *e) { return 0; }
static void read_watch(struct ebpf_guard *e) { }
static void on_ring(void *userdata, uint32_t events) { }

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
	if (!g || !g->active || !g->state || !E(g)->fastest_pid)
		return -ENOENT;
	*ret_pid = E(g)->fastest_pid;
	*ret_bytes_s = E(g)->fastest_rate;
	return 0;
}

double ebpf_rate_of(struct guard *g, uint32_t pid)
{
	struct rate *r;

	if (!g || !g->active || !g->state || !(r = rates_find(&E(g)->rates, pid)))
		return -1;
	return r->bytes_s;
}

/* ---- alerts ---------------------------------------------------------------- */

static void alert(struct guard *g, const struct proc_info *p, double bytes_s, bool critical,
		  double threshold, bool managed)
{
	struct ebpf_guard *e = E(g);
	char comm[64], msg[256];
	struct anomaly_rec a = {
		.event = critical ? "allocation-critical" : "allocation-warning", .message = msg,
		.pid = p->pid, .comm = p->comm, .cgroup = p->cgroup, .rate_bytes_s = bytes_s,
		.threshold_bytes_s = threshold, .managed = managed, .rss = p->rss,
	};

	escape_untrusted(p->comm, comm, sizeof(comm));
	snprintf(msg, sizeof(msg), "%s process pid %d (%s) allocates %.0f MB/s, over %.0f MB/s in "
		 "a 1 s window (resident memory charged, not reserved)",
		 managed ? "managed" : "a", p->pid, comm, bytes_s / 1e6, threshold / 1e6);
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

static void judge(struct guard *g)
{
	struct ebpf_guard *e = E(g);
	const struct og_config *cfg = CFG(g);
	double crit = (double)cfg->ebpf_alloc_mb_per_sec * 1e6;
	double anom = (double)cfg->ebpf_anomaly_mb_per_sec * 1e6;
	double low = anom > 0 && anom < crit ? anom : crit;
	int pids[64];
	size_t n = 0;

	e->fastest_pid = 0;
	e->fastest_rate = 0;
	for (size_t i = 0; i < e->rates.n; i++) {
		struct rate *r = &e->rates.v[i];

		if (r->bytes_s > e->fastest_rate) {
			e->fastest_rate = r->bytes_s;
			e->fastest_pid = r->pid;
		}
		if (r->bytes_s < crit)
			r->in_critical = false;
		if (anom <= 0 || r->bytes_s < anom)
			r->in_warning = false;
		if (r->bytes_s >= low && n < ARRAY_SIZE(pids))
			pids[n++] = (int)r->pid;
	}
	if (!n || proc_scan_pids(g->env->c->proc_fd, &e->procs, pids, n) < 0)
		return;
	for (size_t i = 0; i < e->procs.n; i++) {
		struct proc_info *p = &e->procs.v[i];
		struct rate *r = rates_find(&e->rates, (uint32_t)p->pid);
		bool managed;

		if (!r || p->kthread)
			continue;
		if (!p->cgroup)
			proc_load_cgroup(g->env->c->proc_fd, &e->procs, p);
		managed = shield_is_managed(p, g->env->c);
		if (managed && rates_alert(r->bytes_s, crit, &r->in_critical))
			alert(g, p, r->bytes_s, true, crit, true);
		else if (anom > 0 && !r->in_critical && rates_alert(r->bytes_s, anom, &r->in_warning))
			alert(g, p, r->bytes_s, false, anom, managed);
		if (r->pid == e->fastest_pid)
			snprintf(e->fastest_comm, sizeof(e->fastest_comm), "%s", p->comm);
	}
}

static void look(struct guard *g)
{
	struct ebpf_guard *e = E(g);
	ssize_t n = read_counts(e);

	if (n < 0 || rates_update(&e->rates, e->counts, (size_t)n, now_ms()) < 0)
		return;
	read_watch(e);
	e->looks++;
	judge(g);
}

static void on_timer(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	look(g);
	loop_timer_arm(&E(g)->timer, LOOK_MS);
}

/* ---- the guard ---------------------------------------------------------- */

static int ebpf_start(struct guard *g)
{
	struct ebpf_guard *e = E(g);
	int r;

	e->timer.src.fd = e->ring.fd = -1;
	if (!CFG(g)->ebpf_enabled) {
		snprintf(g->why, sizeof(g->why), "off (ebpf_monitor.enabled: false)");
		return -ENOTSUP;
	}
	if (!(e->counts = calloc(COUNT_MAX, sizeof(*e->counts))))
		return -ENOMEM;
	if ((r = load(g)) < 0)
		return r;
	if (!g->env->loop)
		return 0;               /* explain: it loads and attaches; that is all */
#if HAVE_BPF
	if ((r = loop_add(g->env->loop, &e->ring, ring_buffer__epoll_fd(e->rb), EPOLLIN, on_ring,
			  g)) < 0)
		return r;
#endif
	if ((r = loop_timer_init(g->env->loop, &e->timer, on_timer, g)) < 0)
		return r;
	loop_timer_arm(&e->timer, LOOK_MS);
	return 0;
}

static void ebpf_reload(struct guard *g)
{
	/* thresholds are read at each look; on/off takes a restart */
	if (CFG(g)->ebpf_enabled != g->active)
		log_notice("ebpf: ebpf_monitor.enabled changed: takes effect at the next start");
}

static void ebpf_describe(struct guard *g, struct describe *d)
{
	struct ebpf_guard *e = E(g);
	const struct og_config *cfg = CFG(g);

	desc_int(d, "allocation_threshold_mb_per_sec", (int64_t)cfg->ebpf_alloc_mb_per_sec);
	desc_int(d, "anomaly_mb_per_sec", (int64_t)cfg->ebpf_anomaly_mb_per_sec);
	if (!g->active)
		return;
	desc_line(d, "kmem:rss_stat counts resident memory charged per process (vmscan wake-ups "
		  "too); every 1 s: a managed process over %" PRIu64 " MB/s is CRITICAL, %s",
		  cfg->ebpf_alloc_mb_per_sec, cfg->ebpf_anomaly_mb_per_sec ? "" :
		  "other processes are not alerted on (anomaly_mb_per_sec: 0)");
	if (cfg->ebpf_anomaly_mb_per_sec)
		desc_line(d, "  any process over %" PRIu64 " MB/s is a WARNING",
			  cfg->ebpf_anomaly_mb_per_sec);
	desc_line(d, "  %zu processes counted, %" PRIu64 " looks, %" PRIu64 " critical and %" PRIu64
		  " warning alerts; rss_stat events %" PRIu64 "; wake-ups: budget %" PRIu64
		  ", kswapd %" PRIu64 ", direct reclaim %" PRIu64, e->rates.n, e->looks, e->critical,
		  e->warning, e->events, e->wakes[1], e->wakes[2], e->wakes[3]);
	if (e->fastest_pid)
		desc_line(d, "  fastest allocator: pid %u (%s) at %.1f MB/s", e->fastest_pid,
			  e->fastest_comm, e->fastest_rate / 1e6);
	if (*e->last_alert)
		desc_line(d, "  last alert: %s", e->last_alert);
	desc_int(d, "processes", (int64_t)e->rates.n);
	desc_int(d, "critical", (int64_t)e->critical);
	desc_int(d, "warning", (int64_t)e->warning);
	desc_int(d, "events", (int64_t)e->events);
	desc_int(d, "fastest_pid", e->fastest_pid);
	desc_num(d, "fastest_bytes_s", e->fastest_rate);
}

static void ebpf_stop(struct guard *g)
{
	struct ebpf_guard *e = E(g);

	if (g->env->loop) {
		if (e->ring.fd >= 0)
			loop_del(g->env->loop, &e->ring);
		loop_timer_close(g->env->loop, &e->timer);
	}
	unload(e);
	rates_free(&e->rates);
	proc_list_free(&e->procs);
	free(e->counts);
}

const struct guard_ops ebpf_guard_ops = {
	.name = "ebpf",
	.state_size = sizeof(struct ebpf_guard),
	.start = ebpf_start,
	.reload = ebpf_reload,
	.describe = ebpf_describe,
	.stop = ebpf_stop,
};
