/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory guard: MemAvailable and swap against the thresholds, the fill
 * rate, sustained PSI and page-cache thrash, system-wide. A timerfd with an
 * adaptive interval, and a PSI trigger fd where the kernel allows one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "guards/ebpf/ebpf.h"
#include "guards/memory/memory.h"

struct memory_guard {
	struct policy_state pol;
	struct loop_timer timer;
	struct loop_source psi_src;     /* the PSI trigger, fd -1 = polling */
	int psi_fd;                     /* /proc/pressure/memory for reading, -1 if none */
	int vmstat_fd;                  /* /proc/vmstat, -1 if none */
	struct vmstat vm;               /* its last reading, taken when memory stalled */
	bool has_vm;
	uint64_t vm_full_us;            /* PSI full total at that reading */
	uint64_t page_size;
	const char *psi_mode;
	/* the last sample and verdict, for describe */
	struct meminfo mi;
	struct psi psi;
	bool have_psi;
	struct verdict v;
	struct guard *ebpf;             /* its wake-ups, when it is active */
	bool ebpf_hooked;
};

static struct memory_guard *M(struct guard *g) { return g->state; }

int memory_sample(struct guard *g, struct meminfo *mi, struct psi *psi, bool *have_psi)
{
	struct memory_guard *m = M(g);
	int r = meminfo_read_fd(g->env->c->meminfo_fd, mi);

	if (r < 0)
		return r;
	*have_psi = m->psi_fd >= 0 && psi_read_fd(m->psi_fd, psi) == 0;
	/* The refault counters matter only while tasks stall on memory: read
	 * them when the full stall total grew, else keep the last reading (an
	 * idle machine never pays for /proc/vmstat). */
	if (*have_psi && psi->has_full && m->vmstat_fd >= 0 &&
	    (!m->has_vm || psi->full.total_us != m->vm_full_us)) {
		m->has_vm = vmstat_read_fd(m->vmstat_fd, &m->vm) == 0;
		m->vm_full_us = psi->full.total_us;
	}
	mi->has_vmstat = m->has_vm;
	mi->refault_file = m->vm.refault_file * m->page_size;
	mi->file_lru = m->vm.file_lru * m->page_size;
	mi->has_reclaim = m->has_vm && m->vm.has_reclaim;
	mi->reclaim = m->vm.reclaim;
	return 0;
}

/* Asked by the pipeline after a slow choice: did memory come back by what
 * the verdict needed meanwhile (the hog died by other hands)? */
static bool still(void *userdata)
{
	struct guard *g = userdata;
	struct memory_guard *m = M(g);
	struct meminfo now;

	if (meminfo_read_fd(g->env->c->meminfo_fd, &now) < 0)
		return true;
	return now.mem_available < m->mi.mem_available + m->v.need_bytes;
}

static void on_ebpf_wake(void *data, int kind)
{
	struct guard *g = data;

	loop_timer_arm(&M(g)->timer, 1);        /* charges or reclaim: look now */
}

/* With the eBPF guard on, sleep without the worst-case fill cap: it wakes
 * us once half the way to the terminate threshold has been charged. */
static bool watch(struct guard *g, const struct meminfo *mi)
{
	struct memory_guard *m = M(g);
	uint64_t term = m->v.term_mem ? m->v.term_mem :
		threshold_bytes(&g->env->c->cfg.term_mem, mi->mem_total);

	if (!m->ebpf && g->env->guards)
		m->ebpf = guard_find(g->env->guards, "ebpf");
	m->pol.charges = m->ebpf && m->ebpf->active;
	if (!m->ebpf || !m->ebpf->active || mi->mem_available <= term)
		return false;
	if (!m->ebpf_hooked) {
		ebpf_on_wake(m->ebpf, on_ebpf_wake, g);
		m->ebpf_hooked = true;
	}
	return ebpf_watch(m->ebpf, (mi->mem_available - term) / 2) == 0;
}

/* In an episode the eBPF guard knows who allocates fastest: the likely
 * cause, said in the reason (and so in the records). */
static void say_fastest(struct guard *g, struct verdict *v)
{
	struct memory_guard *m = M(g);
	size_t n = strlen(v->reason);
	uint32_t pid;
	double rate;

	if (!m->ebpf || ebpf_fastest(m->ebpf, &pid, &rate) < 0 || rate < 1e6)
		return;
	snprintf(v->reason + n, sizeof(v->reason) - n, "; fastest allocator pid %u at %.0f MB/s",
		 pid, rate / 1e6);
}

static void tick(struct guard *g)
{
	struct memory_guard *m = M(g);
	const struct og_config *cfg = &g->env->c->cfg;
	uint64_t now = now_ms(), next, sent;
	struct vp_request rq = { .v = &m->v, .mi = &m->mi, .still = still };

	if (memory_sample(g, &m->mi, &m->psi, &m->have_psi) < 0) {
		log_err("cannot read meminfo");
		loop_timer_arm(&m->timer, cfg->interval_max_ms);
		return;
	}
	rq.psi = m->have_psi ? &m->psi : NULL;
	m->pol.watched = watch(g, &m->mi);
	policy_eval(cfg, &m->pol, &m->mi, rq.psi, now, &m->v);
	next = m->v.next_ms;
	if (m->v.level != LEVEL_OK)
		say_fastest(g, &m->v);
	else if (cfg->mem_policy == MEM_POLICY_ADAPTIVE && m->v.eta_ms >= 0 &&
		 m->v.eta_ms < PREPARE_AHEAD_MS)
		guard_prepare(g, &rq, now);     /* the decision is near: rank now */
	switch (guard_ask(g, &rq, now, &next)) {
	case VP_ACTED:
		/* From the sample to the signal, not to the records written
		 * after it (1-19 ms under pressure in the 1 GiB guest): what
		 * the adaptive level must look ahead by. */
		sent = vp_signal_ms(g->env->vp);
		if (sent >= now) {
			policy_note_act(&m->pol, sent - now);
			log_info("memory: %llu ms from the sample to the signal (look-ahead now %.0f ms)",
				 (unsigned long long)(sent - now), m->pol.act_ms);
		}
		policy_reset_psi(&m->pol);
		break;
	default:
		break;
	}
	loop_timer_arm(&m->timer, MAX(MIN(next, m->v.next_ms), cfg->interval_min_ms));
}

static void on_timer(void *userdata, uint32_t events) { tick(userdata); }

static void close_trigger(struct guard *g)
{
	loop_close(g->env->loop, &M(g)->psi_src);
}

static void on_psi(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct memory_guard *m = M(g);

	if (events & EPOLLERR) {
		log_warn("PSI trigger fd failed; polling from now on");
		close_trigger(g);
		m->psi_mode = "poll (trigger failed)";
		return;
	}
	policy_note_psi_event(&m->pol, now_ms());
	tick(g);
}

/* Register (or re-register) the PSI trigger as the config asks. */
static void setup_psi(struct guard *g)
{
	struct memory_guard *m = M(g);
	const struct og_config *cfg = &g->env->c->cfg;
	int fd;

	close_trigger(g);
	if (!cfg->psi_enabled || m->psi_fd < 0) {
		m->psi_mode = cfg->psi_enabled ? "off (not available on this kernel)" : "off (disabled)";
		log_notice("PSI: %s", m->psi_mode);
		return;
	}
	if (cfg->psi_mode == PSI_MODE_POLL) {
		m->psi_mode = "poll (forced)";
		log_notice("PSI: polling mode (forced by config or --psi-mode=poll)");
		return;
	}
	if (g->env->c->kf.state[KF_PSI_TRIGGER] == KF_HIDDEN) {
		m->psi_mode = "poll (triggers hidden by OOMGUARD_TEST_HIDE)";
		log_notice("PSI: triggers hidden (OOMGUARD_TEST_HIDE); polling the averages and total counters");
		return;
	}
	fd = psi_trigger_open(g->env->c->proc_fd, "pressure/memory", cfg->psi_full,
			      cfg->psi_stall_us, cfg->psi_window_us);
	if (fd < 0) {
		m->psi_mode = "poll (triggers refused)";
		log_warn("PSI: triggers refused (%s%s); polling the averages and total counters",
			 strerror(-fd), fd == -EINVAL || fd == -EPERM ?
			 ": a window under 2 s needs CAP_SYS_RESOURCE" : "");
		return;
	}
	if (loop_add(g->env->loop, &m->psi_src, fd, EPOLLPRI, on_psi, g) < 0) {
		close(fd);
		m->psi_mode = "poll (epoll failed)";
		return;
	}
	m->psi_mode = "trigger";
	log_notice("PSI: trigger mode (%s %llu us in %llu us)", cfg->psi_full ? "full" : "some",
		   (unsigned long long)cfg->psi_stall_us, (unsigned long long)cfg->psi_window_us);
}

static int memory_start(struct guard *g)
{
	struct memory_guard *m = M(g);
	struct og_ctx *c = g->env->c;

	m->psi_src.fd = m->timer.src.fd = -1;
	m->psi_fd = c->kf.state[KF_PSI] == KF_HIDDEN ? -1 :
		openat(c->proc_fd, "pressure/memory", O_RDONLY | O_CLOEXEC);
	m->vmstat_fd = openat(c->proc_fd, "vmstat", O_RDONLY | O_CLOEXEC);
	m->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	policy_init(&m->pol);
	m->psi_mode = m->psi_fd >= 0 ? "poll" : "off (not available on this kernel)";
	if (!g->env->loop) {
		/* explain/status: one sample. */
		if (memory_sample(g, &m->mi, &m->psi, &m->have_psi) < 0)
			return -EIO;
		policy_eval(&c->cfg, &m->pol, &m->mi, m->have_psi ? &m->psi : NULL, now_ms(), &m->v);
	} else {
		int r = loop_timer_init(g->env->loop, &m->timer, on_timer, g);

		if (r < 0)
			return r;
		g->tick = &m->timer;
		setup_psi(g);
		loop_timer_arm(&m->timer, 1);
	}
	if (!c->cfg.memory_enabled && !c->cfg.psi_enabled) {
		snprintf(g->why, sizeof(g->why), "disabled by config (memory.enabled, psi.enabled)");
		return -ENOTSUP;
	}
	return 0;
}

static void memory_reload(struct guard *g)
{
	const struct og_config *cfg = &g->env->c->cfg;

	setup_psi(g);
	g->active = cfg->memory_enabled || cfg->psi_enabled;
	if (!g->active)
		snprintf(g->why, sizeof(g->why), "disabled by config (memory.enabled, psi.enabled)");
	loop_timer_arm(&M(g)->timer, 1);
}

static void memory_stop(struct guard *g)
{
	struct memory_guard *m = M(g);

	close_trigger(g);
	loop_timer_close(g->env->loop, &m->timer);
	if (m->psi_fd >= 0)
		close(m->psi_fd);
	if (m->vmstat_fd >= 0)
		close(m->vmstat_fd);
	m->psi_fd = m->vmstat_fd = -1;
}

const struct verdict *memory_verdict(struct guard *g, const struct meminfo **mi)
{
	*mi = &M(g)->mi;
	return &M(g)->v;
}

const struct guard_ops memory_guard_ops = {
	.name = "memory",
	.state_size = sizeof(struct memory_guard),
	.start = memory_start,
	.reload = memory_reload,
	.describe = memory_describe,
	.stop = memory_stop,
};

/* For describe (memory-show.c). */
const struct psi *memory_psi(struct guard *g)
{
	return M(g)->have_psi ? &M(g)->psi : NULL;
}

const char *memory_psi_mode(struct guard *g)
{
	return M(g)->psi_mode;
}
