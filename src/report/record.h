/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reports: one JSON line per decision (stdout, a file, or the journal via
 * stdout), one "oomguard: ..." line in /dev/kmsg per action. Untrusted
 * strings (process names, cgroup paths) are escaped before they go out. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct reporter {
	FILE *out;              /* JSON lines; NULL = none */
	int kmsg_fd;            /* -1 = none */
	bool json;              /* false: a plain text line instead of JSON */
};

struct decision {
	const char *event;      /* "terminate", "kill", "escalate", "exit", "skip", "error" */
	const char *trigger;    /* "memory", "predicted", "psi", "thrash", "cgroup" */
	const char *level;      /* "terminate", "kill" */
	const char *reason;
	bool dry_run;
	/* state at the decision */
	uint64_t mem_total, mem_available, swap_total, swap_free;
	double psi_some_avg10, psi_full_avg10;
	const char *scope;      /* cgroup being relieved, NULL = system */
	/* victim */
	pid_t pid;
	const char *comm;
	const char *cgroup;
	uid_t uid;
	uint64_t rss, anon, swap;
	int oom_score, oom_score_adj;
	int64_t badness, value;
	int rule_line;
	bool whole_cgroup;
	int sig;
	/* the chosen set (priority mode): 0 = single victim */
	unsigned set_size;
	uint64_t set_freed;
	int64_t set_value;
	/* outcome, -1 = unknown */
	int64_t freed_bytes;
	int64_t exit_ms;
	int err;                /* -errno of a failed action, 0 ok */
};

/* Write one JSON line for d (all fields; unknowns as null). 0 or -errno. */
int report_decision(const struct reporter *r, const struct decision *d);
/* A general event: {"time":..,"event":event,"message":msg}. */
int report_event(const struct reporter *r, const char *event, const char *msg);
/* "<4>oomguard: " + message + "\n" to the kmsg fd, one write; control
 * characters in the message become spaces. 0 or -errno. */
int report_kmsg(const struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The kmsg line for a decision, e.g. "oomguard: sent SIGTERM to pid 412
 * (runaway) cgroup / anon+swap 844800 KiB: REASON trigger: memory". */
int report_decision_kmsg(const struct reporter *r, const struct decision *d);
