// SPDX-License-Identifier: GPL-2.0-or-later
/* The task iterator's records (pure) and its loader: one read() of the
 * iterator's file per scan instead of a /proc walk (an openat, read and
 * close of PID/statm for every process, then four files for the largest). */
#include "observe/tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "core/util.h"
#include "og-config.h"

#if HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tasks.skel.h"
#endif

_Static_assert(sizeof(struct task_rec) == 104, "the record the program writes");

/* No kernel counts more pages than this (4 PiB of 4 KiB pages); a record
 * that says so is clamped, so the badness arithmetic cannot overflow. */
#define PAGES_MAX (1ull << 40)

int parse_task_records(const void *buf, size_t len, task_rec_fn fn, void *userdata)
{
	const char *p = buf;
	size_t n = len / sizeof(struct task_rec);

	if ((!buf && len) || n > INT_MAX)
		return -EINVAL;
	if (len % sizeof(struct task_rec))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		struct task_rec r;
		int ret;

		memcpy(&r, p + i * sizeof(r), sizeof(r));
		if (fn && (ret = fn(&r, i, userdata)) != 0)
			return ret;
	}
	return (int)n;
}

static bool has_memory(const struct task_rec *r)
{
	return !(r->flags & (TASK_F_KTHREAD | TASK_F_NO_MM));
}

static uint64_t pages(int64_t v)
{
	return v < 0 ? 0 : MIN((uint64_t)v, PAGES_MAX);
}

uint64_t task_record_resident(const struct task_rec *r)
{
	if (!has_memory(r))
		return 0;
	return pages(r->rss_file) + pages(r->rss_anon) + pages(r->rss_shmem);
}

/* Bounds no kernel exceeds, so that sizes in bytes cannot wrap. */
static bool params_ok(const struct task_params *tp)
{
	return tp && tp->totalpages > 0 && tp->totalpages <= (1ull << 48) && tp->page_size > 0 &&
	       tp->page_size <= (1u << 20) && tp->clk_tck > 0 && tp->clk_tck <= 1000000000ull;
}

/* oom_badness() (mm/oom_kill.c) and proc_oom_score() (fs/proc/base.c):
 * LONG_MIN (shown as 0) for init, kernel threads, a process without mm,
 * oom_score_adj -1000, an mm already reaped (MMF_OOM_SKIP) and a vfork
 * child; else rss + swap entries + page tables in pages, plus adj
 * thousandths of RAM + swap, scaled to 0..2000. */
int task_oom_score(const struct task_rec *r, const struct task_params *tp)
{
	int64_t total, adj = r->oom_score_adj, badness, points;

	if (!params_ok(tp) || r->pid == 1 || !has_memory(r) || adj <= -1000 || adj > 1000 ||
	    (r->flags & (TASK_F_OOM_SKIP | TASK_F_VFORK)))
		return 0;
	total = (int64_t)tp->totalpages;
	badness = (int64_t)(task_record_resident(r) + pages(r->swapents) +
			    MIN(r->pgtables_bytes, PAGES_MAX) / tp->page_size);
	badness += adj * (int64_t)(tp->totalpages / 1000);
	points = (1000 + badness * 1000 / total) * 2 / 3;
	return points < 0 ? 0 : (int)MIN(points, (int64_t)INT_MAX);
}

int task_record_info(const struct task_rec *r, const struct task_params *tp,
		     struct proc_info *ret)
{
	struct proc_info p = { 0 };
	uint64_t tick;

	if (!r || !ret || !params_ok(tp) || r->pid == 0 || r->pid > INT_MAX || r->ppid > INT_MAX ||
	    r->oom_score_adj < -1000 || r->oom_score_adj > 1000)
		return -EINVAL;
	tick = 1000000000ull / tp->clk_tck;
	p.pid = (int)r->pid;
	p.ppid = (int)r->ppid;
	memcpy(p.comm, r->comm, strnlen(r->comm, sizeof(r->comm)));
	p.starttime = r->start_ns / tick;
	p.cpu_ticks = r->runtime_ns / tick;
	p.kthread = r->flags & TASK_F_KTHREAD;
	if (!p.kthread) {       /* /proc's scan reads nothing more of a kernel thread */
		p.uid = r->uid;
		p.oom_score_adj = r->oom_score_adj;
		p.oom_score = task_oom_score(r, tp);
	}
	if (has_memory(r)) {
		p.file = pages(r->rss_file) * tp->page_size;
		p.anon = pages(r->rss_anon) * tp->page_size;
		p.shmem = pages(r->rss_shmem) * tp->page_size;
		p.swap = pages(r->swapents) * tp->page_size;
		p.rss = p.file + p.anon + p.shmem;
	}
	*ret = p;
	return 0;
}

#if HAVE_BPF
#define BUF_FIRST (256u << 10)
#define READ_MIN (64u << 10)

struct tasks_iter {
	struct tasks_bpf *skel;
	struct bpf_link *link;
	char *buf;
	size_t cap, len;
	struct task_params tp;
	uint64_t *mark;         /* a bit per pid: the members of a pids scan */
	size_t mark_words;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* Why the program did not load, in words. */
static int load_failed(const char *step, int err, char *why, size_t size)
{
	char lockdown[128] = "";

	if (read_file_at(AT_FDCWD, "/sys/kernel/security/lockdown", lockdown,
			 sizeof(lockdown)) > 0 && strstr(lockdown, "[confidentiality]"))
		snprintf(why, size, "%s: the kernel is locked down (confidentiality): no BPF "
			 "tracing programs", step);
	else if (err == -EPERM || err == -EACCES)
		snprintf(why, size, "%s: %s: needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)", step,
			 strerror(-err));
	else
		snprintf(why, size, "%s: %s", step, strerror(-err));
	return err < 0 ? err : -ENOTSUP;
}

static int read_params(struct task_params *tp)
{
	struct sysinfo si;
	uint64_t unit;

	if (sysinfo(&si) < 0)
		return -errno;
	unit = si.mem_unit ? si.mem_unit : 1;
	tp->totalpages = ((uint64_t)si.totalram + si.totalswap) * unit / tp->page_size;
	return tp->totalpages ? 0 : -EIO;
}

static int grow(struct tasks_iter *t)
{
	size_t cap = t->cap ? t->cap * 2 : BUF_FIRST;
	char *buf = realloc(t->buf, cap);

	if (!buf)
		return -ENOMEM;
	t->buf = buf;
	t->cap = cap;
	return 0;
}

int tasks_read(struct tasks_iter *t, const void **ret_buf, size_t *ret_len)
{
	ssize_t n;
	int fd, r;

	if ((r = read_params(&t->tp)) < 0)
		return r;
	fd = bpf_iter_create(bpf_link__fd(t->link));
	if (fd < 0)
		return fd;
	t->len = 0;
	for (;;) {
		if (t->cap - t->len < READ_MIN && (r = grow(t)) < 0)
			break;
		n = read(fd, t->buf + t->len, t->cap - t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		t->len += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	*ret_buf = t->buf;
	*ret_len = t->len;
	return 0;
}

const struct task_params *tasks_params(const struct tasks_iter *t)
{
	return &t->tp;
}

struct self_find {
	int pid;
	struct task_rec rec;
	bool found;
};

static int find_self(const struct task_rec *r, size_t i, void *u)
{
	struct self_find *s = u;

	if ((int)r->pid != s->pid)
		return 0;
	s->rec = *r;
	s->found = true;
	return 1;
}

/* Does the iterator see us as /proc does? Not inside a pid namespace of
 * our own (it gives the kernel's pids) or a time namespace (start times
 * then differ): the kill path checks start times against /proc. */
static int check_self(struct tasks_iter *t, int proc_fd, char *why, size_t size)
{
	struct self_find s = { .pid = getpid() };
	struct proc_stat st;
	struct proc_info p;
	const void *buf;
	size_t len;
	int r = tasks_read(t, &buf, &len);

	if (r < 0)
		return load_failed("read", r, why, size);
	if ((r = parse_task_records(buf, len, find_self, &s)) < 0)
		return load_failed("records", r, why, size);
	if ((r = proc_read_stat(proc_fd, s.pid, &st)) < 0)
		return load_failed("/proc/self/stat", r, why, size);
	if (!s.found || task_record_info(&s.rec, &t->tp, &p) < 0 || p.starttime != st.starttime) {
		snprintf(why, size, "it does not see this process as /proc does (pid %d%s): "
			 "a pid or time namespace of its own?", s.pid, s.found ? ", start time" : "");
		return -ENOTSUP;
	}
	return 0;
}

static int load(struct tasks_iter *t, char *why, size_t size)
{
	int r;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		snprintf(why, size, "the kernel has no BTF (/sys/kernel/btf/vmlinux): the "
			 "iterator's CO-RE program cannot load");
		return -ENOTSUP;
	}
	if (!(t->skel = tasks_bpf__open()))
		return load_failed("open", -errno, why, size);
	r = libbpf_num_possible_cpus();
	t->skel->rodata->nr_cpus = r > 0 ? (uint32_t)MIN(r, TASK_CPUS_MAX) : 0;
	if ((r = tasks_bpf__load(t->skel)) < 0)
		return load_failed("load", r, why, size);
	if (!(t->link = bpf_program__attach_iter(t->skel->progs.dump_tasks, NULL)))
		return load_failed("attach", -errno, why, size);
	return 0;
}

int tasks_open(int proc_fd, struct tasks_iter **ret, char *why, size_t size)
{
	struct tasks_iter *t = calloc(1, sizeof(*t));
	libbpf_print_fn_t old;
	int r;

	if (!t)
		return -ENOMEM;
	t->tp.page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	t->tp.clk_tck = (uint64_t)sysconf(_SC_CLK_TCK);
	old = libbpf_set_print(quiet);
	r = load(t, why, size);
	libbpf_set_print(old);
	if (r == 0)
		r = check_self(t, proc_fd, why, size);
	if (r < 0) {
		tasks_close(t);
		return r;
	}
	*ret = t;
	return 0;
}

void tasks_close(struct tasks_iter *t)
{
	if (!t)
		return;
	bpf_link__destroy(t->link);
	tasks_bpf__destroy(t->skel);
	free(t->buf);
	free(t->mark);
	free(t);
}

struct top_walk {
	struct proc_top top;
	bool only;              /* only the pids marked in mark */
	const uint64_t *mark;
	size_t mark_words;
};

static int offer(const struct task_rec *r, size_t i, void *u)
{
	struct top_walk *w = u;

	if (w->only && (r->pid / 64 >= w->mark_words ||
			!(w->mark[r->pid / 64] & (1ull << (r->pid % 64)))))
		return 0;
	proc_top_offer(&w->top, task_record_resident(r), (int)i);
	return 0;
}

static int scan(struct tasks_iter *t, struct proc_list *l, struct top_walk *w)
{
	const void *buf;
	size_t len;
	int r;

	l->n = 0;
	l->arena_used = 0;
	if ((r = tasks_read(t, &buf, &len)) < 0 || (r = parse_task_records(buf, len, offer, w)) < 0)
		return r;
	l->seen = w->top.seen;
	if ((r = proc_list_reserve(l, w->top.n)) < 0)
		return r;
	for (size_t i = 0; i < w->top.n; i++) {
		struct task_rec rec;

		memcpy(&rec, (const char *)buf + (size_t)w->top.heap[i].id * sizeof(rec), sizeof(rec));
		if (task_record_info(&rec, &t->tp, &l->v[l->n]) == 0)
			l->n++;
	}
	return (int)l->n;
}

int tasks_scan_top(struct tasks_iter *t, struct proc_list *l, size_t top)
{
	static struct proc_top_item heap[PROC_SCAN_TOP];
	struct top_walk w = { { heap, 0, MIN(top, (size_t)PROC_SCAN_TOP), 0 }, false, NULL, 0 };

	if (!t || !l || top == 0)
		return -EINVAL;
	return scan(t, l, &w);
}

/* A bit per member pid, in storage kept for the next scan. */
static int mark_pids(struct tasks_iter *t, const int *pids, size_t n)
{
	size_t words = 0;

	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0)
			words = MAX(words, (size_t)pids[i] / 64 + 1);
	if (words > t->mark_words) {
		uint64_t *m = realloc(t->mark, words * sizeof(*m));

		if (!m)
			return -ENOMEM;
		t->mark = m;
		t->mark_words = words;
	}
	memset(t->mark, 0, t->mark_words * sizeof(*t->mark));
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0)
			t->mark[pids[i] / 64] |= 1ull << (pids[i] % 64);
	return 0;
}

int tasks_scan_pids_top(struct tasks_iter *t, struct proc_list *l, const int *pids, size_t n,
			size_t top)
{
	static struct proc_top_item heap[PROC_SCAN_TOP];
	struct top_walk w = { { heap, 0, MIN(top, (size_t)PROC_SCAN_TOP), 0 }, true, NULL, 0 };
	int r;

	if (!t || !l || top == 0 || (!pids && n))
		return -EINVAL;
	if ((r = mark_pids(t, pids, n)) < 0)
		return r;
	w.mark = t->mark;
	w.mark_words = t->mark ? t->mark_words : 0;
	return scan(t, l, &w);
}
#else
int tasks_open(int proc_fd, struct tasks_iter **ret, char *why, size_t size)
{
	snprintf(why, size, "this build has no libbpf (meson -Dbpf=disabled, or no BTF, clang or "
		 "bpftool where it was built)");
	return -ENOTSUP;
}

void tasks_close(struct tasks_iter *t) { }

int tasks_read(struct tasks_iter *t, const void **ret_buf, size_t *ret_len) { return -ENOTSUP; }

const struct task_params *tasks_params(const struct tasks_iter *t) { return NULL; }

int tasks_scan_top(struct tasks_iter *t, struct proc_list *l, size_t top) { return -ENOTSUP; }

int tasks_scan_pids_top(struct tasks_iter *t, struct proc_list *l, const int *pids, size_t n,
			size_t top)
{
	return -ENOTSUP;
}
#endif
