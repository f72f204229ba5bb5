/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process scan without a /proc walk: a BPF task iterator
 * (tasks.bpf.c) that gives, in one read, a record for every thread group
 * (tasks-types.h). Its records become the same struct proc_info the /proc
 * scan fills (proc.h): every field of the fast scan; the lazy strings
 * (cmdline, exe, cgroup path) are still read from /proc on demand.
 *
 * The pure part (parse_task_records, task_record_info) is always built;
 * without libbpf (HAVE_BPF 0) tasks_open() says so and the /proc scan
 * stays the only one. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "observe/proc.h"
#include "observe/tasks-types.h"

/* What turns a record into a proc_info: the kernel's scale for oom_score
 * (RAM + swap, in pages), its page size, and the clock ticks of /proc's
 * start times (USER_HZ). */
struct task_params {
	uint64_t totalpages;
	uint64_t page_size;
	uint64_t clk_tck;
};

/* Walk buf (len bytes: whole records, as the iterator writes them); fn
 * gets each record (an aligned copy) and its index; a non-zero return
 * stops the walk and is returned. -EBADMSG, before any fn, when len is not
 * a whole number of records. Otherwise the number of records. */
typedef int (*task_rec_fn)(const struct task_rec *r, size_t index, void *userdata);
int parse_task_records(const void *buf, size_t len, task_rec_fn fn, void *userdata);

/* One record as the /proc scan would have read it: pid, ppid, uid, comm,
 * start time and CPU time in ticks, sizes in bytes (counters the kernel
 * reads < 0 count 0, as get_mm_counter() does), oom_score_adj, kthread,
 * and oom_score computed as proc_oom_score() does from oom_badness(). A
 * kernel thread or a process without memory reads as /proc shows it:
 * sizes 0, oom_score 0 (and a kernel thread uid 0, adj 0). -EINVAL for a
 * record no kernel writes (pid <= 0, oom_score_adj outside -1000..1000)
 * or bad params; ret untouched then. */
int task_record_info(const struct task_rec *r, const struct task_params *tp,
		     struct proc_info *ret);
/* Resident pages (file + anon + shmem) as /proc/PID/statm counts them: 0
 * for a kernel thread or a process without mm. */
uint64_t task_record_resident(const struct task_rec *r);
/* proc_oom_score(): the badness scaled to 0..2000 (0 for whoever
 * oom_badness() skips). */
int task_oom_score(const struct task_rec *r, const struct task_params *tp);

struct tasks_iter;

/* Load and attach the iterator once. 0, or -errno with why (a sentence
 * for a person: no BTF, no CAP_BPF, not built with libbpf, the iterator's
 * pids or start times are not /proc's) filled. proc_fd: the /proc the
 * records are checked against (our own process must read the same). */
int tasks_open(int proc_fd, struct tasks_iter **ret, char *why, size_t size);
void tasks_close(struct tasks_iter *t);

/* The same as proc_scan_top() and proc_scan_pids_top(): the `top` largest
 * processes by resident memory (of pids, when given: n of them), l->seen
 * the number with memory. l->n or -errno. */
int tasks_scan_top(struct tasks_iter *t, struct proc_list *l, size_t top);
int tasks_scan_pids_top(struct tasks_iter *t, struct proc_list *l, const int *pids, size_t n,
			size_t top);
/* One read of the iterator: the records' buffer (valid until the next
 * call) and its length. 0 or -errno. */
int tasks_read(struct tasks_iter *t, const void **ret_buf, size_t *ret_len);
/* The params the last read used (the test and the bench compare). */
const struct task_params *tasks_params(const struct tasks_iter *t);
