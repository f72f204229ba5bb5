/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dynamic oom_score_adj: the `count` largest non-managed processes get
 * oom_score_adj = score so that the kernel's own OOM killer takes them
 * first; managed processes may get a value <= 0. Originals are remembered
 * and written back when a process leaves the set, on reload and on exit.
 * The decisions are pure functions; the writes check the process's start
 * time through a /proc/PID directory fd (no PID-reuse race). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OOMADJ_MIN (-1000)
#define OOMADJ_MAX 1000

/* A process as the selection sees it. */
struct oa_proc {
	int pid;
	uint64_t starttime;
	uint64_t rss;           /* bytes */
	bool eligible;          /* a user process, not managed, not PID 1, not us */
};

/* Indices (into v) of the `count` largest eligible processes by rss,
 * largest first (ties: the lower pid). out has room for count. Returns how
 * many were written. */
size_t oomadj_top(const struct oa_proc *v, size_t n, size_t count, size_t *out);

enum oa_mode {
	OA_RAISE,               /* dynamic: only ever raise, never lower a higher value */
	OA_LOWER,               /* managed: only ever lower */
};

/* A value oomguard wrote and what was there before. */
struct oa_entry {
	int pid;
	uint64_t starttime;
	int original;
	int applied;
	enum oa_mode mode;
	bool hands_off;         /* someone else changed it: never touched again */
	char comm[16];
};

struct oa_state {
	struct oa_entry *v;
	size_t n, cap;
};

enum oa_decision {
	OA_SKIP,                /* leave it (someone set it beyond the target; or it is protected) */
	OA_KEEP,                /* ours and right */
	OA_WRITE,               /* write the target */
	OA_DISOWN,              /* ours, but someone changed it since: hands off from now on */
};

/* What to do with a process that should have `target` now, given its
 * current value and the entry if oomguard already adjusted it (e may be
 * NULL). RAISE skips processes someone protected (cur < 0) and those at or
 * above target; LOWER skips those at or below target. */
enum oa_decision oomadj_decide(const struct oa_entry *e, int cur, int target, enum oa_mode mode);
/* A tracked process is no longer wanted: restore its original only if the
 * value is still the one oomguard wrote. */
bool oomadj_should_restore(const struct oa_entry *e, int cur);

/* What is wanted this round. */
struct oa_want {
	int pid;
	uint64_t starttime;
	int target;
	enum oa_mode mode;
	const char *comm;
};

/* Read / write /proc/PID/oom_score_adj of the process with that start time:
 * -ESRCH when the pid is gone or belongs to another process now. */
int oomadj_read(int proc_fd, int pid, uint64_t starttime, int *ret);
int oomadj_write(int proc_fd, int pid, uint64_t starttime, int value);

struct oa_stats {
	unsigned written, restored, disowned, gone;
};

/* One round: restore the tracked processes not in want, then apply want.
 * Returns 0 or -ENOMEM; individual write errors are counted, not fatal. */
int oomadj_sync(struct oa_state *st, int proc_fd, const struct oa_want *want, size_t n,
		struct oa_stats *stats);
/* How many entries are in force (not hands-off). */
size_t oomadj_in_force(const struct oa_state *st);
/* Write every original back (reload, exit); the state is emptied. */
void oomadj_restore_all(struct oa_state *st, int proc_fd, struct oa_stats *stats);
void oomadj_free(struct oa_state *st);

/* The state as text, for the state file that `oomguard status` reads and
 * that a restarted daemon uses to restore what a crashed one left behind:
 * "boot BOOT_ID" (when boot_id is not NULL or ""), then one
 * "pid starttime original applied raise|lower comm" line per entry in force
 * (comm escaped, a space as \x20, "-" when empty; parsed back to the raw
 * name).
 * A pid and its start time name a process only within one boot: the boot id
 * says which. */
#define OA_BOOT_ID_SIZE 40
int oomadj_format(const struct oa_state *st, const char *boot_id, char *buf, size_t size);
/* Parse it back, strictly: any line that is not the first line's "boot ID"
 * or a well-formed entry, and an entry oomguard could not have written (a
 * raise from below 0 or not upwards, a lower not downwards), make it
 * -EINVAL with *ret_line (may be NULL) set and st empty. Otherwise the number
 * of entries; ret_boot_id (OA_BOOT_ID_SIZE, may be NULL) gets the boot id,
 * "" if none. */
int oomadj_parse(const char *buf, struct oa_state *st, char *ret_boot_id, int *ret_line);
/* This boot's id (proc_fd's sys/kernel/random/boot_id). 0 or -errno. */
int oomadj_boot_id(int proc_fd, char buf[OA_BOOT_ID_SIZE]);

/* Load the state file at path for restoring or showing, trusting it only
 * when it and its directory are owned by root (or by the daemon's own user)
 * and not writable by group or others, it is a regular file and not a
 * symlink, it parses, and it was written in this boot (proc_fd's boot id).
 * The number of entries; or -ENOENT (no file), -EPERM or -ELOOP (refused),
 * -EINVAL (malformed), -EFBIG (too big), -ESTALE (another boot, or none
 * named), other -errno, each with a reason in why. */
int oomadj_load(const char *path, int proc_fd, struct oa_state *st, char *why, size_t size);
