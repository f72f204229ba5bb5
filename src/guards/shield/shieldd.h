/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield in the daemon: keeps managed processes in the protected cgroup
 * (proc connector events + periodic rescans), keeps its settings applied,
 * and runs the dynamic oom_score_adj. Also the ranking hook that makes
 * managed processes never victims, and the `status`/`explain` output. */
#pragma once
#include <stdio.h>

#include "guards/shield/oomadj.h"
#include "guards/shield/shield.h"
#include "guards/shield/trust.h"
#include "core/context.h"
#include "core/loop.h"

struct worker;
struct sd_shield;

/* What the ranking needs (one per og_ctx, rebuilt after each config load). */
struct shield_ctx {
	struct shield_matcher m;
	struct shield_trust trust;      /* whom an entry may manage (trust.h) */
	char path[PATH_MAX];    /* the protected cgroup, "/parent/name"; "" if none */
};

void shield_ctx_update(struct og_ctx *c);
void shield_ctx_free(struct og_ctx *c);
/* rank_input.is_managed: matches managed_processes and is trusted
 * (trust.h), or lives in the protected cgroup. userdata is the og_ctx. */
bool shield_is_managed(const struct proc_info *p, void *userdata);

#define SHIELD_REFUSED 64
#define SHIELD_UNTRUSTED 16

struct shield_rt {
	struct shield_cg cg;
	struct oa_state adj;
	struct og_ctx *c;
	struct loop *loop;
	struct loop_timer timer;        /* the next pass */
	struct loop_source conn;        /* the proc connector, fd -1 = none */
	bool (*episode)(void *userdata);        /* while true, passes are put off */
	void *episode_data;
	unsigned deferred;              /* passes put off during episodes */
	bool systemd;           /* PID 1 is systemd */
	uint64_t period_ms;
	int *members;
	size_t members_cap;
	struct { int pid; uint64_t start; } refused[SHIELD_REFUSED];   /* logged once */
	size_t refused_next;
	uid_t untrusted[SHIELD_UNTRUSTED];      /* uids whose matches were refused, logged once */
	size_t n_untrusted;
	unsigned moved;         /* processes moved in since start */
	bool state_warned;
	char boot_id[OA_BOOT_ID_SIZE];  /* this boot's, for the state file; "" if unknown */
	/* systemd's way (shieldsd.h): its calls in the guard's lane */
	struct worker *w;               /* NULL: no lane (explain, status, tests) */
	unsigned lane;
	struct sd_shield *sd;           /* while the slice is systemd's */
};

/* Daemon side: registers its timer (and the connector) with the loop. A
 * pass (a /proc walk) is put off while episode(episode_data) says an
 * episode is on (NULL: never). */
void shield_rt_start(struct shield_rt *s, struct og_ctx *c, struct loop *loop,
		     bool (*episode)(void *), void *episode_data);
/* The guard's worker lane, for systemd's D-Bus API (before start). */
static inline void shield_rt_lane(struct shield_rt *s, struct worker *w, unsigned lane)
{
	s->w = w;
	s->lane = lane;
}
/* A pass as soon as the loop gets to it. */
void shield_rt_pass_soon(struct shield_rt *s);
/* pid (of that start time) was refused before: true (say it once); else
 * remembered now, false. */
bool shield_refused_before(struct shield_rt *s, int pid, uint64_t start);
/* The same question, remembering nothing. */
bool shield_refused_earlier(const struct shield_rt *s, int pid, uint64_t start);
/* One pass now: moves, settings, dynamic oom_score_adj (tests). */
void shield_rt_pass(struct shield_rt *s);
/* One proc connector event, as the connector fd delivers them (tests). */
struct conn_event;
void shield_rt_event(struct shield_rt *s, const struct conn_event *ev);
/* After a config reload: restores every oom_score_adj, sets up again. */
void shield_rt_reload(struct shield_rt *s, struct og_ctx *c);
/* On exit: restores every oom_score_adj it changed, closes its fds. */
void shield_rt_stop(struct shield_rt *s, struct og_ctx *c);

/* The shield's state as the kernel has it now (never creates anything). */
void shield_print(FILE *f, struct og_ctx *c);
