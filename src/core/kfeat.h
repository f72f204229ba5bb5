/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel features oomguard uses, probed once at start: what is there,
 * what is not, and what each missing one costs. kfeat_probe() does the I/O
 * (harmless calls: an invalid fd, our own pid, a file's existence) and
 * records one -errno per feature; kfeat_decide() is pure and turns that
 * into states and the one line the daemon logs.
 *
 * OOMGUARD_TEST_HIDE (a test hook, like OOMGUARD_TEST_HANG_MS: inert unless
 * set in the daemon's environment by whoever starts it) names features to
 * treat as missing, so that tests exercise the fallbacks on a kernel that
 * has them: e.g. OOMGUARD_TEST_HIDE=cgroup.kill,process_mrelease,psi_trigger. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct describe;

enum kfeat_id {
	KF_PIDFD_SEND_SIGNAL,   /* 5.1 */
	KF_PIDFD_OPEN,          /* 5.3 */
	KF_CGROUP_KILL,         /* 5.14: cgroup.kill in every non-root cgroup */
	KF_PROCESS_MRELEASE,    /* 5.15 */
	KF_PSI,                 /* 4.20: /proc/pressure/memory readable */
	KF_PSI_TRIGGER,         /* 5.2: a trigger on it (CAP_SYS_RESOURCE for windows < 2 s) */
	KF_CGROUP2,             /* 4.5: a cgroup v2 mount */
	KF_COUNT
};
#define KF_BIT(id) (1u << (id))

enum kfeat_state {
	KF_PRESENT,             /* zero: a struct kfeat of zeroes has everything */
	KF_UNKNOWN,             /* the probe could not tell: used, a failure handled then */
	KF_ABSENT,              /* the kernel lacks it */
	KF_REFUSED,             /* there, but refused to us (a seccomp filter, a capability) */
	KF_HIDDEN,              /* OOMGUARD_TEST_HIDE */
};

/* What the probe saw: per feature 0 (worked) or -errno. */
struct kfeat_probe {
	int err[KF_COUNT];
	unsigned hide;                  /* KF_BIT()s */
	char release[65];               /* uname -r */
};

struct kfeat {
	enum kfeat_state state[KF_COUNT];
	int err[KF_COUNT];
	unsigned missing;               /* KF_BIT()s of what is absent, refused or hidden */
	bool can_kill;                  /* pidfd_open and pidfd_send_signal: kills are safe */
	char release[65];
};

/* Parse a comma-separated list of feature names ("cgroup.kill" or
 * "cgroup_kill", ...) into KF_BIT()s. NULL or "" is none. An unknown name
 * is skipped and -EINVAL returned with it in bad (the rest still count). */
int kfeat_parse_hide(const char *list, unsigned *ret, char *bad, size_t badsize);

/* Probe the running kernel: syscalls with harmless arguments, files below
 * proc_fd ("pressure/memory") and cg_root_fd (-1: no cgroup v2). */
void kfeat_probe(int proc_fd, int cg_root_fd, unsigned hide, struct kfeat_probe *ret);

/* Pure: states, what is missing, whether kills are possible. */
void kfeat_decide(const struct kfeat_probe *p, struct kfeat *ret);

static inline bool kfeat_has(const struct kfeat *k, enum kfeat_id id)
{
	return !(k->missing & KF_BIT(id));
}

/* A feature found missing while running (an ENOSYS where the probe said
 * unknown): mark it, so that it is not tried again. */
void kfeat_lost(struct kfeat *k, enum kfeat_id id, int err);

const char *kfeat_name(enum kfeat_id id);        /* "cgroup.kill" */
const char *kfeat_key(enum kfeat_id id);         /* "cgroup_kill" (JSON) */
const char *kfeat_state_name(enum kfeat_state s); /* "present", "missing", ... */

/* One feature that is missing, as a person reads it: "cgroup.kill missing
 * (kernel < 5.14): whole-cgroup kills fall back to ...". */
void kfeat_explain(const struct kfeat *k, enum kfeat_id id, char *buf, size_t size);

/* The line logged at start: "kernel 6.1.0: degraded: A; B" or "kernel
 * 6.1.0: every feature oomguard uses is there". Returns true if degraded. */
bool kfeat_summary(const struct kfeat *k, char *buf, size_t size);

/* explain/status: a "Kernel:" section, and "kernel": {...} in JSON. */
void kfeat_describe(const struct kfeat *k, struct describe *d);
