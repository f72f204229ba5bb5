/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The victim pipeline: the one service every guard that kills asks ("free
 * this much in this scope, for this reason"). It ranks (rules, values, the
 * knapsack), kills through a pidfd with a grace period and escalation,
 * waits for the exit, keeps the cooldown and writes the records. It
 * serialises kills per scope (a system-wide episode and any cgroup one
 * overlap; two sibling cgroups do not), never picks a protected or managed
 * process whoever asks, and remembers victims it gave up on as stuck.
 *
 * Every kernel operation goes through struct vp_kernel, which tests
 * replace with a fake. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/context.h"
#include "guards/memory/policy.h"
#include "report/record.h"

struct loop;

struct vp_kernel {
	/* pidfd_open + check that it is still the ranked process. */
	int (*open)(int proc_fd, pid_t pid, uint64_t starttime, int *ret_pidfd);
	int (*send)(int pidfd, int sig);
	int (*mrelease)(int pidfd);
	int (*cgroup_kill)(int cg_root_fd, const char *relpath);
};
extern const struct vp_kernel vp_kernel_real;
/* vp_kernel_real, or with OOMGUARD_TEST_DELAY_SIGNAL_MS=DURATION in the
 * environment (a test fixture) the same with a pause between the choice
 * and pidfd_open. */
const struct vp_kernel *vp_kernel_from_env(void);

/* A guard's request. */
struct vp_request {
	const char *guard;              /* "memory", "cgroups", ... (records) */
	const char *scope;              /* cgroup path below the root, NULL = the system */
	const struct verdict *v;        /* level, trigger, reason, bytes needed */
	const struct meminfo *mi;       /* for ranking and records */
	const struct psi *psi;          /* NULL if none */
	/* Called (on the loop) when the episode may go on: a victim exited
	 * or was given up. The guard looks again soon and asks again. */
	void (*wake)(void *userdata, uint64_t in_ms);
	/* Optional: is the danger still there? Asked when choosing took longer
	 * than VP_STALE_MS (thousands of members ranked), so that a situation
	 * that resolved itself meanwhile (the hog died by other hands) costs
	 * no innocent process. */
	bool (*still)(void *userdata);
	void *userdata;
	/* Optional: rank by another resource than memory (the CPU and I/O
	 * guards; see rank_input.usage): what each process used over the
	 * guard's window, in usage_unit ("cpu_ms", "io_bytes"), over window_ms.
	 * Then one victim at a time, the top of that ranking: no values, no
	 * knapsack, no ranking kept for the memory guard to reuse. */
	int (*usage)(const struct proc_info *p, void *userdata, uint64_t *ret_amount);
	void *usage_data;
	const char *usage_unit;
	uint64_t window_ms;
	/* Optional, with usage: rank exactly these processes (the disk
	 * guard's writers), not the 256 largest by memory (or the scope's). */
	const int *pids;
	size_t npids;
	/* Optional: the guard's own kill_unit (NULL: memory.kill_unit). */
	const enum og_kill_unit *kill_unit;
	/* Optional, with usage: the amount is what the victim's death frees
	 * (GPU memory): the badness is the amount alone (the largest first,
	 * no CPU-time weighing), values and the knapsack apply as for memory
	 * (need_bytes in the same unit), and a set's progress counts it. */
	bool usage_frees;
	/* Optional: another resource than the host's (a GPU: "gpu0"). Its
	 * episodes never overlap the host's scopes: a GPU victim in flight
	 * neither holds back nor gets escalated by a memory episode. NULL =
	 * the host. */
	const char *domain;
	/* Optional: the device the request is about, for the records. */
	const struct decision_device *device;
	/* Optional, with scope: the scope is the victim (a ruleset's kill
	 * action chose that cgroup): the whole of it goes by cgroup.kill when
	 * every process in and below it may die (no protected, managed or
	 * avoided one), else its largest killable process, as without. */
	bool whole_scope;
	/* Optional: filled when the result is VP_ACTED: who was chosen. */
	struct vp_chosen *chosen;
};

struct vp_chosen {
	int pid;
	uint64_t starttime;
	char comm[64];
	uint64_t amount;                /* usage: its amount; else the memory its death frees */
};

#define VP_STALE_MS 100

enum vp_result {
	VP_IDLE,                /* level OK: nothing to do (a queued set was dropped) */
	VP_ACTED,               /* a victim was signalled (or would be, in dry-run) */
	VP_BUSY,                /* a victim of an overlapping scope is in flight */
	VP_COOLDOWN,            /* a victim of this scope just exited */
	VP_NOBODY,              /* no candidate to kill */
	VP_FAILED,              /* the signal failed; the next request ranks afresh */
};

struct vpipe;

/* loop may be NULL (explain): nothing is waited on then. */
int vp_new(struct og_ctx *c, struct loop *l, struct reporter *rep, const struct vp_kernel *k,
	   struct vpipe **ret);
void vp_free(struct vpipe *p);
/* Run hooks.pre_kill and hooks.post_kill through h (src/hooks/hooks.h);
 * NULL: none. */
struct hooks;
void vp_set_hooks(struct vpipe *p, struct hooks *h);
/* Where records go (after a reload re-opened them). */
void vp_set_reporter(struct vpipe *p, struct reporter *rep);

/* Ask. *ret_next_ms (if non-NULL) gets how soon the guard should ask again
 * when it matters (cooldown left). */
enum vp_result vp_request(struct vpipe *p, const struct vp_request *rq, uint64_t now,
			  uint64_t *ret_next_ms);
/* An episode is on: a victim in flight or a chosen set not finished. */
bool vp_busy(const struct vpipe *p);
/* The ranking kept for the next victim at the kill level was made under
 * the old rules: forget it (config reload). */
void vp_forget_ranking(struct vpipe *p);
/* When the last signal was sent (now_ms()), 0 if none yet: the records and
 * process_mrelease come after it. */
uint64_t vp_signal_ms(const struct vpipe *p);
/* Rank ahead: a system-wide ranking made now, while memory is still there,
 * so that the decision the fill is about to ask for signals its first
 * victim without a /proc scan (VP_PREPARED_MS). At most one every
 * VP_PREPARE_EVERY_MS; none while a victim is in flight or for a scoped,
 * usage or value-based request. */
#define VP_PREPARED_MS 300
#define VP_PREPARE_EVERY_MS 200
void vp_prepare(struct vpipe *p, const struct vp_request *rq, uint64_t now);
/* Test hooks: when a choice counts as slow (default VP_STALE_MS); the
 * victim of the slot in flight exited / its timer fired. */
void vp_set_stale_ms(struct vpipe *p, uint64_t ms);
void vp_on_exit_fd(struct vpipe *p, int pidfd);
void vp_on_timer_all(struct vpipe *p);
const char *vp_result_name(enum vp_result r);
