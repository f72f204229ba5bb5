// SPDX-License-Identifier: GPL-2.0-or-later
/* The process scan's kernel side: a task iterator. One read() of its file
 * walks every task; for each thread group leader it writes one task_rec
 * (tasks-types.h) with what the victim ranking needs: ids, start time, CPU
 * time, comm, oom_score_adj and the sizes oom_badness() counts.
 *
 * One object for 6.1 and later kernels (CO-RE):
 *   - mm->rss_stat is `struct mm_rss_stat { atomic_long_t count[4]; }` up to
 *     6.1 (read as is: what /proc and oom_badness() read there) and `struct
 *     percpu_counter rss_stat[4]` from 6.2; the flavour structs below name
 *     both and bpf_core_field_exists() picks the one the running kernel
 *     has. A percpu counter is summed as percpu_counter_sum() does: its
 *     global count plus every CPU's delta (each under the batch, max(32, 2 x
 *     CPUs) pages). That is what /proc/PID/status and oom_badness() read
 *     since 6.16; 6.2-6.15 read the global count alone, so there the two
 *     scans may differ by up to batch x CPUs pages per counter. A CPU's
 *     per-CPU offset is found without kallsyms (this_cpu_off is a data
 *     symbol, absent without CONFIG_KALLSYMS_ALL): see cpu_offsets(). If
 *     that fails the global count alone is read (TASK_F_RSS_PERCPU).
 *   - mm->flags is an unsigned long up to 6.17 and an mm_flags_t bitmap
 *     from 6.18; MMF_OOM_SKIP is bit 21 of its first word in both.
 *
 * Fields are read with direct (BTF) loads where the verifier allows them,
 * the cheapest: the scan of 10,000 processes is bound by cache misses. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "observe/tasks-types.h"

#define PF_KTHREAD 0x00200000
#define MMF_OOM_SKIP 21
/* The kernel's NR_MM_COUNTERS order (MM_FILEPAGES, MM_ANONPAGES,
 * MM_SWAPENTS, MM_SHMEMPAGES), unchanged since 4.5. */
enum { RSS_FILE, RSS_ANON, RSS_SWAP, RSS_SHMEM, RSS_N };

struct mm_rss_stat___atomic {
	atomic_long_t count[RSS_N];
} __attribute__((preserve_access_index));

struct mm_struct___atomic {
	struct mm_rss_stat___atomic rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___percpu {
	struct percpu_counter rss_stat[RSS_N];
} __attribute__((preserve_access_index));

struct mm_struct___flagword {
	unsigned long flags;
} __attribute__((preserve_access_index));

struct mm_flags___bitmap {
	unsigned long __mm_flags[1];
} __attribute__((preserve_access_index));

struct mm_struct___flagbitmap {
	struct mm_flags___bitmap flags;
} __attribute__((preserve_access_index));

/* Two maps that only serve to find each CPU's per-CPU offset (see
 * cpu_offsets()); nothing is kept in them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} scratch SEC(".maps");

const volatile __u32 nr_cpus = 0;       /* possible CPUs, set before load; 0 = no sums */
__u64 cpu_off[TASK_CPUS_MAX];           /* __per_cpu_offset[cpu], found once */
__u32 cpu_found;                        /* how many of them (0: not yet, or none) */

/* A pointer as a number: through a map value, where a pointer stored
 * (allowed to CAP_PERFMON) reads back as a scalar. 0 without the map. */
static __u64 addr_of(const void *ptr)
{
	__u32 zero = 0;
	__u64 *s = bpf_map_lookup_elem(&scratch, &zero);

	if (!s)
		return 0;
	*(volatile __u64 *)s = (__u64)ptr;
	return *(volatile __u64 *)s;
}

/* A CPU's per-CPU offset is where its copy of pcpu's element lies minus
 * the element's __percpu address (the array's pptrs[0]). */
static long find_offset(__u64 cpu, void *data)
{
	__u64 base = *(__u64 *)data, at;
	__u32 zero = 0;
	void *p;

	if (cpu >= TASK_CPUS_MAX)
		return 1;
	p = bpf_map_lookup_percpu_elem(&pcpu, &zero, (__u32)cpu);
	if (!p)
		return 1;
	at = addr_of(p);
	if (!at)
		return 1;
	cpu_off[cpu] = at - base;
	cpu_found = cpu + 1;
	return 0;
}

static void cpu_offsets(void)
{
	__u64 array = addr_of(&pcpu), base = 0;

	if (cpu_found || !nr_cpus || !array)
		return;
	bpf_probe_read_kernel(&base, sizeof(base),
			      (const void *)(array + bpf_core_field_offset(struct bpf_array, pptrs)));
	if (base)
		bpf_loop(nr_cpus, find_offset, &base, 0);
}

struct cpu_sum {
	__u64 counters[RSS_N];  /* the __percpu addresses of the counters */
	__s64 sum[RSS_N];
	bool packed;            /* one allocation: counters[i] = counters[0] + 4 i */
};

static long add_cpu(__u64 cpu, void *data)
{
	struct cpu_sum *s = data;
	__s32 v[RSS_N] = {};
	__u64 off;

	if (cpu >= TASK_CPUS_MAX || cpu >= cpu_found)
		return 1;
	off = cpu_off[cpu];
	if (s->packed) {
		bpf_probe_read_kernel(v, sizeof(v), (const void *)(s->counters[0] + off));
	} else {
		for (int i = 0; i < RSS_N; i++)
			bpf_probe_read_kernel(&v[i], sizeof(v[i]), (const void *)(s->counters[i] + off));
	}
	for (int i = 0; i < RSS_N; i++)
		s->sum[i] += v[i];
	return 0;
}

/* percpu_counter_sum() of the four counters: the global count plus every
 * CPU's delta not yet folded into it. Since 6.6 the four share one per-CPU
 * allocation (percpu_counter_init_many()): one read per CPU then. */
static void read_rss_percpu(struct mm_struct___percpu *m, struct task_rec *r)
{
	struct cpu_sum s = {};

	r->rss_file = m->rss_stat[RSS_FILE].count;
	r->rss_anon = m->rss_stat[RSS_ANON].count;
	r->swapents = m->rss_stat[RSS_SWAP].count;
	r->rss_shmem = m->rss_stat[RSS_SHMEM].count;
	cpu_offsets();
	if (!cpu_found) {
		r->flags |= TASK_F_RSS_PERCPU;
		return;
	}
	s.counters[RSS_FILE] = (__u64)m->rss_stat[RSS_FILE].counters;
	s.counters[RSS_ANON] = (__u64)m->rss_stat[RSS_ANON].counters;
	s.counters[RSS_SWAP] = (__u64)m->rss_stat[RSS_SWAP].counters;
	s.counters[RSS_SHMEM] = (__u64)m->rss_stat[RSS_SHMEM].counters;
	s.packed = s.counters[1] == s.counters[0] + 4 && s.counters[2] == s.counters[0] + 8 &&
		   s.counters[3] == s.counters[0] + 12;
	bpf_loop(cpu_found, add_cpu, &s, 0);
	r->rss_file += s.sum[RSS_FILE];
	r->rss_anon += s.sum[RSS_ANON];
	r->swapents += s.sum[RSS_SWAP];
	r->rss_shmem += s.sum[RSS_SHMEM];
	r->flags |= TASK_F_RSS_PERCPU_SUM;
}

static void read_rss(struct mm_struct *mm, struct task_rec *r)
{
	struct mm_struct___atomic *m = (void *)mm;
	struct mm_struct___percpu *p = (void *)mm;

	if (bpf_core_field_exists(m->rss_stat)) {
		long cnt[RSS_N] = {};

		/* 6.1's verifier does not walk the atomic_long_t typedef in a
		 * direct read ("Type 'atomic_long_t' is not a struct"): copy the
		 * array with a CO-RE relocated probe read instead */
		bpf_core_read(cnt, sizeof(cnt), &m->rss_stat.count);
		r->rss_file = cnt[RSS_FILE];
		r->rss_anon = cnt[RSS_ANON];
		r->swapents = cnt[RSS_SWAP];
		r->rss_shmem = cnt[RSS_SHMEM];
		r->flags |= TASK_F_RSS_ATOMIC;
	} else if (bpf_core_field_exists(p->rss_stat)) {
		read_rss_percpu(p, r);
	}
}

static unsigned long mm_flags(struct mm_struct *mm)
{
	struct mm_struct___flagword *w = (void *)mm;
	struct mm_struct___flagbitmap *b = (void *)mm;

	if (bpf_core_field_exists(w->flags))
		return w->flags;
	if (bpf_core_field_exists(b->flags))
		return b->flags.__mm_flags[0];
	return 0;
}

/* in_vfork(): a vfork child until it execs or exits (it shares its
 * parent's mm). Compared as numbers: pointers from two walks. */
static bool in_vfork(struct task_struct *task)
{
	if (!task->vfork_done)
		return false;
	return (__u64)BPF_CORE_READ(task, real_parent, mm) == (__u64)BPF_CORE_READ(task, mm);
}

static void read_mm(struct task_struct *task, struct mm_struct *mm, struct task_rec *r)
{
	read_rss(mm, r);
	if (bpf_core_field_exists(mm->pgtables_bytes))
		r->pgtables_bytes = mm->pgtables_bytes.counter;
	else
		r->flags |= TASK_F_NO_PGTABLES;
	if (mm_flags(mm) & (1ul << MMF_OOM_SKIP))
		r->flags |= TASK_F_OOM_SKIP;
	if (in_vfork(task))
		r->flags |= TASK_F_VFORK;
}

/* thread_group_cputime()'s sum: what dead threads ran (the signal's
 * sum_sched_runtime) plus every live thread's sum_exec_runtime, walking
 * signal->thread_head through task->thread_node. */
struct thread_walk {
	__u64 head, pos;
	__u64 off_node, off_runtime;
	__u64 sum;
};

static long add_thread(__u64 i, void *data)
{
	struct thread_walk *w = data;
	__u64 rt = 0, next = 0;

	if (!w->pos || w->pos == w->head)
		return 1;
	bpf_probe_read_kernel(&rt, sizeof(rt), (const void *)(w->pos - w->off_node + w->off_runtime));
	w->sum += rt;
	bpf_probe_read_kernel(&next, sizeof(next), (const void *)w->pos);
	w->pos = next;
	return 0;
}

static __u64 group_runtime(struct task_struct *task, __u32 nr_threads, __u32 *flags)
{
	struct signal_struct *signal = task->signal;
	struct thread_walk w = {
		.off_node = bpf_core_field_offset(struct task_struct, thread_node),
		.off_runtime = bpf_core_field_offset(struct task_struct, se.sum_exec_runtime),
	};
	__u64 sig;
	__u32 n = nr_threads < TASK_THREADS_MAX ? nr_threads + 1 : TASK_THREADS_MAX;

	if (!signal)
		return 0;
	if (nr_threads == 1)    /* the leader alone, as most are: no walk */
		return signal->sum_sched_runtime + task->se.sum_exec_runtime;
	sig = (__u64)BPF_CORE_READ(task, signal);
	w.head = sig + bpf_core_field_offset(struct signal_struct, thread_head);
	bpf_probe_read_kernel(&w.pos, sizeof(w.pos), (const void *)w.head);
	bpf_probe_read_kernel(&w.sum, sizeof(w.sum),
			      (const void *)(sig + bpf_core_field_offset(struct signal_struct,
									 sum_sched_runtime)));
	bpf_loop(n, add_thread, &w, 0);
	if (w.pos && w.pos != w.head)
		*flags |= TASK_F_THREADS_CUT;
	return w.sum;
}

SEC("iter/task")
int dump_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct task_rec r = {};
	struct mm_struct *mm;

	if (!task || task->pid != task->tgid)
		return 0;       /* the end, or a thread other than the leader */
	r.pid = task->tgid;
	r.ppid = task->real_parent->tgid;
	r.uid = task->real_cred->uid.val;
	r.start_ns = task->start_boottime;
	r.oom_score_adj = task->signal->oom_score_adj;
	r.nr_threads = task->signal->nr_threads;
	r.cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	__builtin_memcpy(r.comm, task->comm, sizeof(r.comm));
	r.runtime_ns = group_runtime(task, r.nr_threads, &r.flags);
	if (task->flags & PF_KTHREAD)
		r.flags |= TASK_F_KTHREAD | TASK_F_NO_MM;
	mm = task->mm;
	if (!mm)
		r.flags |= TASK_F_NO_MM;
	else if (!(r.flags & TASK_F_KTHREAD))
		read_mm(task, mm, &r);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
