// SPDX-License-Identifier: GPL-2.0-or-later
/* The eBPF guard's kernel side: resident memory charged per process, and a
 * wake-up for userspace when much was charged since its last look or the
 * kernel starts to reclaim.
 *
 * kmem:rss_stat fires when a process's resident counters (file, anon, swap
 * entries, shmem) change; with curr set it is the current task's own mm, so
 * the thread group is known. The tracepoint gives the counter's new value:
 * the difference from the value seen last is what was charged (or freed).
 * Virtual reservations never show here: an mmap of 10 GB that nobody
 * touches charges nothing. On 6.1 the counters are synced in batches (the
 * per-task split counting); from 6.2 every change is seen.
 *
 * Each thread group counts what it charges in 1 s windows: the first time a
 * window passes `watch.rate_bytes`, a WAKE_RATE goes to `wakes` (the
 * guard's alerts: nobody polls while nothing allocates fast).
 * `watch.budget` (bytes; 0 = off) is the memory guard's allowance until its
 * next look: the first event past it, and the first reclaim event, wake it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "guards/ebpf/alloc-types.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct proc_mem);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct cg_charge);
} cgroups SEC(".maps");

/* What the current task's cgroup (v2) charged, in its own 1 s windows. */
static void charge_cgroup(__s64 delta, __u64 now)
{
	__u64 id = bpf_get_current_cgroup_id();
	struct cg_charge *c = bpf_map_lookup_elem(&cgroups, &id), fresh = {};

	if (!c) {
		fresh.grown = fresh.win_bytes = delta;
		fresh.win_start = now;
		bpf_map_update_elem(&cgroups, &id, &fresh, BPF_NOEXIST);
		return;
	}
	__sync_fetch_and_add(&c->grown, delta);
	if (now - c->win_start >= WINDOW_NS) {
		c->win_start = now;
		c->win_bytes = 0;
	}
	__sync_fetch_and_add(&c->win_bytes, delta);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch);
} watch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} wakes SEC(".maps");

static void wake(__u32 kind, __u32 pid, __u64 grown, __u64 win_start)
{
	struct wake *w = bpf_ringbuf_reserve(&wakes, sizeof(*w), 0);

	if (!w)
		return;
	w->kind = kind;
	w->pid = pid;
	w->grown = grown;
	w->win_start = win_start;
	bpf_ringbuf_submit(w, 0);
}

/* The first event of a window past limit (bit of win_said) wakes userspace. */
static void past(struct proc_mem *p, __u32 tgid, __u64 limit, __u32 bit)
{
	__u32 said = p->win_said;

	if (!limit || p->win_bytes < limit || (said & bit))
		return;
	if (__sync_val_compare_and_swap(&p->win_said, said, said | bit) == said)
		wake(WAKE_RATE, tgid, p->win_bytes, p->win_start);
}

SEC("tp/kmem/rss_stat")
int on_rss_stat(struct trace_event_raw_rss_stat *ctx)
{
	__u32 key = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	int member = ctx->member;
	__s64 size = ctx->size, old, delta;
	__u64 now;
	struct proc_mem *p, fresh = {};
	struct watch *w;

	if (!ctx->curr || member < 0 || member > 3 || !tgid)
		return 0;
	w = bpf_map_lookup_elem(&watch, &key);
	if (w)
		__sync_fetch_and_add(&w->events, 1);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p) {
		fresh.size[member] = size;      /* the baseline: nothing charged yet */
		bpf_map_update_elem(&procs, &tgid, &fresh, BPF_NOEXIST);
		return 0;
	}
	old = __sync_lock_test_and_set(&p->size[member], size);
	delta = size - old;
	if (delta <= 0 || (member != MM_ANON && member != MM_SHMEM))
		return 0;
	__sync_fetch_and_add(&p->grown, delta);
	if (!w)
		return 0;
	now = bpf_ktime_get_ns();
	if (now - p->win_start >= WINDOW_NS) {
		p->win_start = now;     /* racing threads may lose a few pages here */
		p->win_bytes = 0;
		p->win_said = 0;
	}
	__sync_fetch_and_add(&p->win_bytes, delta);
	charge_cgroup(delta, now);
	past(p, tgid, w->rate_bytes, 1);
	past(p, tgid, w->high_bytes, 2);
	__sync_fetch_and_add(&w->grown, delta);
	if (w->budget && w->grown >= w->budget && !w->fired &&
	    __sync_val_compare_and_swap(&w->fired, 0, 1) == 0)
		wake(WAKE_BUDGET, tgid, w->grown, 0);
	return 0;
}

static int reclaim(__u32 kind)
{
	__u32 key = 0;
	struct watch *w = bpf_map_lookup_elem(&watch, &key);

	if (w && w->budget && !w->reclaim_fired &&
	    __sync_val_compare_and_swap(&w->reclaim_fired, 0, 1) == 0)
		wake(kind, bpf_get_current_pid_tgid() >> 32, w->grown, 0);
	return 0;
}

SEC("tp/vmscan/mm_vmscan_wakeup_kswapd")
int on_kswapd(void *ctx) { return reclaim(WAKE_KSWAPD); }

SEC("tp/vmscan/mm_vmscan_direct_reclaim_begin")
int on_direct_reclaim(void *ctx) { return reclaim(WAKE_DIRECT_RECLAIM); }

char LICENSE[] SEC("license") = "GPL";
