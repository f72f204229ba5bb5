/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reports: one JSON line per decision (stdout, a file, or the journal via
 * stdout), one "oomguard: ..." line in /dev/kmsg per action. Untrusted
 * strings (process names, cgroup paths) are escaped before they go out.
 * Writing never blocks: a record the output cannot take at once is dropped,
 * counted, and the next record written carries the count ("dropped").
 * docs/records.md lists every record and its fields. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct decision;
struct anomaly_rec;

/* What a reporter's tap sees of each record, as it is written (also when
 * records go nowhere): one of d (report_decision), message (report_event)
 * or a (report_anomaly) is set. */
struct report_tap {
	const char *guard, *event;
	const struct decision *d;
	const char *message;
	const struct anomaly_rec *a;
};

#define REPORT_TAPS 8

struct reporter {
	/* Each is called for every decision, event and anomaly, before it is
	 * written (the calibration guard's dataset, the kill notifications).
	 * They run on the loop: they must not block or write through the
	 * reporter. fn NULL = a free place. reporter_tap_add/remove. */
	struct {
		void (*fn)(void *userdata, const struct report_tap *t);
		void *data;
	} taps[REPORT_TAPS];
	int out_fd;             /* records, O_NONBLOCK; -1 = none */
	bool own_out;           /* opened by reporter_open (closed by reporter_close) */
	int kmsg_fd;            /* /dev/kmsg; -1 = none */
	int kmsg_err;           /* -errno of a failed /dev/kmsg open (for the caller to warn), 0 = none */
	bool json;              /* false: a plain text line instead of JSON */
	bool torn;              /* a short write left a line open: the next write ends it first */
	uint64_t dropped;       /* records lost since open (EAGAIN, short write, ENOSPC, EIO) */
	uint64_t dropped_bytes; /* their size */
	uint64_t unreported;    /* lost since the last record written: the next one's "dropped" */
	/* /dev/kmsg's rate limit. With printk_devkmsg=ratelimit (the default)
	 * the kernel takes 10 lines per 5 s per open file and silently drops
	 * the rest: write() still succeeds. So oomguard counts its own lines
	 * in the same windows, writes none the kernel would drop, and after
	 * the window writes one summary line (and a kmsg-suppressed record). */
	struct {
		bool unlimited;         /* printk_devkmsg=on: no limit */
		bool window;            /* a window is open, since begin_ms */
		uint64_t begin_ms;
		unsigned printed;       /* lines written in it */
		uint64_t suppressed;    /* lines not written since the last summary */
		uint64_t (*clock)(void);        /* NULL = now_ms (tests inject one) */
		/* Called when a line is first suppressed in a window: call
		 * report_kmsg_flush() in_ms from now (the daemon arms a timer). */
		void (*due)(void *userdata, uint64_t in_ms);
		void *userdata;
	} kmsg;
};

/* Open the outputs: record_path (O_APPEND, created 0640, never through a
 * symlink) or stdout (NULL: fd 1 is set O_NONBLOCK and never closed), and
 * /dev/kmsg when kmsg (a failed open leaves kmsg_fd -1 and kmsg_err set: not
 * an error). Fills *r and returns 0, or returns -errno with a message in err
 * and leaves *r alone. On reload: open a new one, then reporter_replace. */
int reporter_open(struct reporter *r, const char *record_path, bool kmsg, bool json,
		  char *err, size_t errsize);
/* Add a tap (once: the same fn and data again is a no-op); -ENOSPC when
 * every place is taken. Remove the one with this data (none: a no-op). */
int reporter_tap_add(struct reporter *r, void (*fn)(void *, const struct report_tap *),
		     void *data);
void reporter_tap_remove(struct reporter *r, void *data);
/* Close what reporter_open opened (never fd 1); r's fds become -1. */
void reporter_close(struct reporter *r);
/* Reload: close r and take next in its place, keeping r's drop counts. */
void reporter_replace(struct reporter *r, struct reporter *next);
/* One record line (no newline in it): a single write of line + "\n",
 * never retried. 0, or -errno (-EIO for a short write) with the record
 * counted as dropped. */
int reporter_write(struct reporter *r, const char *line, size_t len);

/* The device a GPU guard's decision is about (records: "device"). */
struct decision_device {
	int index;
	char name[96], uuid[96];
	uint64_t total, used;           /* its memory at the decision, bytes */
	double threshold_percent;
};

struct decision {
	const char *guard;      /* who decided: "memory", or "cgroups" (scope set) */
	const char *event;      /* "terminate", "kill", "escalate", "exit", "stuck", "error" */
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
	/* ranked by another resource (the CPU and I/O guards): what the victim
	 * used over the window, in usage_unit; -1 / NULL = ranked by memory */
	int64_t usage;
	const char *usage_unit;
	int64_t window_ms;
	const struct decision_device *device;   /* guard gpu; NULL otherwise */
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

/* The disk guard's records (docs/records.md: low, recovered, filling,
 * cleanup, writer, deleted-open): the filesystem, and a cleanup's outcome
 * or a process that eats it. */
struct disk_record_cleanup {
	size_t deleted;                 /* files deleted (dry run: that would be) */
	uint64_t bytes, inodes;         /* freed */
	uint64_t avail_before, avail_after, favail_before, favail_after;
	size_t open, other, kept, younger;      /* skipped: open; not regular, linked, other fs,
						 * unchecked; could go but not needed; too young */
	size_t unchecked_processes;     /* whose open files could not be read */
	bool complete;                  /* not cut short by its deadline */
	char *const *deleted_names;     /* "dir/name", at most a few dozen */
	size_t n_deleted_names;
	char *const *skipped_names;     /* "dir/name (why)" */
	size_t n_skipped_names;
	const char *error;              /* what went wrong, NULL none */
};
struct disk_record_process {
	int pid;
	const char *comm;
	double write_rate;              /* bytes/s, NAN unknown */
	uint64_t bytes;                 /* its files' size there (deleted: the space they hold) */
	char *const *files;
	size_t nfiles;
};
struct disk_record {
	const char *event;
	const char *message;
	bool dry_run;
	const char *path, *type;        /* the filesystem: its mount point and type */
	uint64_t size, avail, files, favail;    /* files 0: no inode figures */
	double threshold_percent, inodes_threshold_percent;     /* <= 0: none */
	double fill_rate;               /* bytes/s used (< 0: freed), NAN not known yet */
	const struct disk_record_cleanup *cleanup;      /* event "cleanup" */
	const struct disk_record_process *process;      /* events "writer", "deleted-open" */
	const char *action;             /* with process: "report" or "kill" */
};
int report_disk(struct reporter *r, const struct disk_record *d);

/* The GPU guard's records (docs/records.md: over, under, freed,
 * unconfirmed, degraded, answering, driver, performance). */
struct gpu_record_proc {
	int pid;
	const char *comm;               /* NULL unknown */
	uint64_t used;                  /* its GPU memory (UINT64_MAX: NVML cannot say) */
	uint64_t used_before;           /* freed: the device's use before the victim, 0 = n/a */
};
struct gpu_record {
	const char *event, *message;
	bool dry_run;
	const struct decision_device *device;   /* NULL: not about one device */
	const struct gpu_record_proc *process;  /* freed, unconfirmed */
	/* driver: the finding and the versions seen ("" or NULL unknown) */
	const char *finding, *module, *library, *nvml_driver, *on_disk;
};
int report_gpu(struct reporter *r, const struct gpu_record *g);

/* A rebalance of the calibration guard (events rebalance and
 * rebalance-refused): the seed's audit fields. */
struct rebalance_donor {
	const char *name;
	uint64_t reduced, old_limit, new_limit;
};
struct rebalance_rec {
	const char *event, *message;
	bool dry_run;
	const char *cgroup;             /* the cgroup at its limit (the seed's oom_cgroup) */
	const char *source;             /* "parent", "siblings"; refused: "none" */
	const char *via;                /* "systemd" (SetUnitProperties), "cgroupfs"; NULL refused */
	uint64_t added, old_limit, new_limit;
	const struct rebalance_donor *donors;
	size_t n_donors;
};
/* The seed's audit object: oom_cgroup, added_memory, source,
 * adjusted_cgroups [{name, reduced_memory, old_limit, new_limit}],
 * old_limit, new_limit, via. NULL on ENOMEM; the caller puts it. */
json_object *rebalance_json(const struct rebalance_rec *b);
/* {"time","time_ms","guard":"calibration","event","message","dry_run",
 * "rebalance":{...},"dropped"}. 0 or -errno. */
int report_rebalance(struct reporter *r, const struct rebalance_rec *b);

/* Write one JSON line for d (all fields; unknowns as null). 0 or -errno. */
int report_decision(struct reporter *r, const struct decision *d);
/* A general event: {"time":..,"guard":guard,"event":event,"message":msg}.
 * guard: "memory", "cgroups", "shield", or "daemon" (start, stop, reload). */
int report_event(struct reporter *r, const char *guard, const char *event, const char *msg);
/* "<4>oomguard: " + message + "\n" to the kmsg fd, one write; control
 * characters in the message become spaces. 0 or -errno. Past the kernel's
 * burst (KMSG_BURST lines a KMSG_WINDOW_MS window) the line is not written
 * but counted (0 is returned), and a summary follows the window. */
int report_kmsg(struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An allocation anomaly the eBPF guard saw (events allocation-critical
 * and allocation-warning): a process allocating faster than the threshold.
 * comm and cgroup NULL: unknown (null). */
struct anomaly_rec {
	const char *event, *message;
	int pid;
	const char *comm, *cgroup;
	double rate_bytes_s, threshold_bytes_s;
	bool managed;                   /* a managed_processes entry matches it */
	uint64_t rss;                   /* bytes */
};
/* {"time","time_ms","guard":"ebpf","event","message","anomaly":{...},
 * "dropped"}; the tap sees it first. 0 or -errno. */
int report_anomaly(struct reporter *r, const struct anomaly_rec *a);
/* A finding of the network guard (it reports, never kills): its event,
 * the message, and the "network" object of docs/records.md. NULL strings
 * are written as null. 0 or -errno. */
struct netrec {
	const char *event, *message;
	const char *interface, *mac, *seen_on, *other_interface, *other_mac, *address;
	uint64_t count;
};
int report_network(struct reporter *r, const struct netrec *n);
/* The kmsg line for a decision, e.g. "oomguard: sent SIGTERM to pid 412
 * (runaway) cgroup / anon+swap 844800 KiB: REASON trigger: memory". */
int report_decision_kmsg(struct reporter *r, const struct decision *d);
/* When the window with suppressed lines is over (or final: at exit, when
 * the kernel would still drop it, the record alone): "oomguard: N kmsg
 * lines suppressed (rate limit); see the records" to kmsg and a
 * kmsg-suppressed record. Returns 0 when nothing is pending (any more),
 * else the ms until the window ends (call again then). */
uint64_t report_kmsg_flush(struct reporter *r, bool final);
#define KMSG_BURST 10           /* the kernel's DEFAULT_RATELIMIT_BURST */
#define KMSG_WINDOW_MS 5100     /* its 5 s interval, and two jiffies at HZ=100 to be safe */
/* "SIGTERM", "SIGKILL" or "signal". */
const char *report_signame(int sig);
/* A hook's outcome (event "hook", src/hooks/): which hook, about which
 * victim, how it ended. exit_code -1, signal 0, duration_ms -1, NULL
 * strings: not known / not applicable (null). */
struct hook_rec {
	const char *guard;              /* the victim's guard */
	const char *message;
	bool dry_run;
	const char *name;               /* "pre_kill", "post_kill" */
	const char *command;            /* argv[0] */
	const char *status;             /* ok, failed, signaled, timeout, exec-error, skipped */
	int pid;                        /* the victim's */
	int exit_code, signal;
	int64_t duration_ms;
	const char *error, *output;
};
/* {"time","time_ms","guard","event":"hook","message","dry_run","hook":{...},
 * "dropped"}. 0 or -errno. */
int report_hook(struct reporter *r, const struct hook_rec *h);
