/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What each process used of a resource over a guard's window (CPU time,
 * storage I/O), against a baseline taken when the window opened, and the
 * "least work lost" score the CPU and I/O guards rank by. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "observe/proc.h"

enum usage_kind { USAGE_CPU, USAGE_IO };

struct usage_entry {
	int pid;
	uint64_t start;                 /* start time: pid reuse is a new process */
	uint64_t value;                 /* CPU ms or storage bytes at the baseline */
};

struct usage_base {
	enum usage_kind kind;
	struct usage_entry *v;          /* sorted by pid */
	size_t n, cap;
	uint64_t t_ms;                  /* when it was taken; 0 = none */
	size_t unreadable;              /* processes whose counter could not be read */
};

/* The counter of one process now: CPU ms (utime + stime of all its threads,
 * from /proc/PID/stat) or storage bytes (/proc/PID/io: read_bytes +
 * write_bytes - cancelled_write_bytes). 0 or -errno (gone, no permission). */
int usage_read(enum usage_kind kind, int proc_fd, int pid, uint64_t *ret_value,
	       uint64_t *ret_start);
/* Clock ticks (USER_HZ, as in /proc/PID/stat) to milliseconds. */
uint64_t usage_ticks_to_ms(uint64_t ticks);
/* Take the baseline: every process's counter now. 0 or -errno. */
int usage_take(struct usage_base *b, int proc_fd, uint64_t now_ms);
void usage_drop(struct usage_base *b);
void usage_free(struct usage_base *b);
/* What the process with this pid and start time used since the baseline,
 * given its counter now. One not in the baseline started after it (or was
 * unreadable then): its whole counter counts. */
uint64_t usage_since(const struct usage_base *b, int pid, uint64_t start, uint64_t now_value);

/* Least work lost, as a badness (higher dies first):
 *
 *   score = 1000 * (amount / max_amount) / (1 + log2(1 + cpu_hours))
 *
 * amount: what the process used over the window (the resource killing it
 * recovers); max_amount: the most any candidate used; cpu_hours: the CPU
 * time it has consumed since it started (the work its death throws away).
 * A process with no CPU history weighs 1; one with 1 CPU-hour 1/2, with
 * 3 CPU-hours 1/3, with 7 CPU-hours 1/4: an old job must take 2, 3 or 4
 * times the resource of a fresh one to be chosen before it. Rule
 * adjustments are added to this score, on the same 0..1000 scale. */
int64_t usage_score(uint64_t amount, uint64_t max_amount, uint64_t cpu_ms_total);
