/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield on a systemd host (shieldsd.c): the protected cgroup is a real
 * slice that systemd creates and owns (StartTransientUnit, MemoryLow=,
 * MemoryMin=, CPUWeight=, IOWeight=), a managed process in a login
 * session's scope moves into a transient scope under it (PIDs=), and one in
 * a service or another unit is protected where it is (SetUnitProperties on
 * its unit, runtime; given back at exit). Every call runs in the shield's
 * worker lane, one at a time; systemd's tree is never written behind its
 * back. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shield_rt;
struct og_ctx;

/* Where a managed process lives, for the shield under systemd. */
enum sd_place {
	SDP_INSIDE,             /* in the protected slice already */
	SDP_SCOPE,              /* a login session's scope (or the root): moved, by a transient scope */
	SDP_UNIT,               /* in a unit of systemd's: protected in place (*unit) */
	SDP_ALONE,              /* under a user's own systemd (user@UID.service), below a unit
				 * (a delegated subtree), a slice: left alone */
};
/* where: the process's cgroup ("/user.slice/user-1000.slice/session-2.scope");
 * slice: the protected slice's ("/oom_protector.slice"). Pure. */
enum sd_place shield_sd_place(const char *where, const char *slice, const char **unit);
/* "oomguard-COMM-PID.scope", COMM cut to what a unit name may hold. Pure. */
int shield_sd_scope_name(const char *comm, int pid, char *buf, size_t size);

/* The shield's systemd mode is for this host and config (PID 1 is systemd,
 * cgroup v2, no delegated parent, a name that ends in .slice, a lane). */
bool shield_sd_wanted(const struct shield_rt *s, const struct og_ctx *c);
/* Ask systemd for the slice (again: settings changed, reload). */
void shield_sd_setup(struct shield_rt *s, struct og_ctx *c);
/* Each pass: the slice's settings as wanted, or asked again; it exists. */
void shield_sd_check(struct shield_rt *s, struct og_ctx *c);
/* A managed process that is not in the slice: moved or protected. */
void shield_sd_try(struct shield_rt *s, struct og_ctx *c, int pid, uint64_t start,
		   const char *comm, const char *how);
/* Every member of the slice's scopes (and the slice), sorted. */
int shield_sd_members(struct shield_rt *s, size_t *ret_n);
/* Leave systemd's way: the units protected in place get their own
 * settings back, the queue is forgotten. At exit it waits for that (at most
 * a few seconds); on a reload it never waits (the calls finish in the
 * lane, and what they need goes with them). */
void shield_sd_stop(struct shield_rt *s, struct og_ctx *c, bool at_exit);
