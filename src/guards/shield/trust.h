/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whom a managed_processes entry may manage. An entry names a program (its
 * comm, exe or command line), and every one of those is chosen by the
 * process itself: prctl(PR_SET_NAME), exec -a, or running a root-owned
 * binary with LD_PRELOAD. So a match alone protects nobody; the process
 * must also be trusted, by what its user cannot choose:
 *
 *   - its real uid is 0, or one of cgroup_settings.managed_users; or
 *   - (cgroup_settings.trust_units, default on) it runs in a system unit:
 *     a cgroup other than the root whose directory and cgroup.procs, and
 *     those of every ancestor, are root's (nothing on the way is delegated
 *     to a user, as user@UID.service is), and it is not part of a login
 *     session (its audit loginuid is unset; pam_loginuid sets it at login
 *     and its user cannot unset it). Without audit (no PID/loginuid) this
 *     route is closed.
 *
 * Pure apart from the /proc and cgroup reads of shield_trusted(). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/config.h"

struct shield_trust {
	uid_t uid[OG_MAX_USERS];        /* managed_users, resolved (root is implicit) */
	size_t n;
	bool units;                     /* cgroup_settings.trust_units */
	uid_t owner;                    /* who owns what is delegated to nobody: 0 (tests: their uid) */
};

enum shield_trust_why {
	TRUST_NONE = 0,
	TRUST_ROOT,             /* real uid 0 */
	TRUST_USER,             /* real uid in managed_users */
	TRUST_UNIT,             /* a system unit's process */
};

/* Check a managed_users entry: a uid (0..4294967294) or a user name
 * ([A-Za-z_][A-Za-z0-9_.-]*, an optional final $, at most 32 bytes).
 * 0, or -EINVAL with the reason in err. */
int shield_user_check(const char *s, char *err, size_t errsize);
/* A checked entry's uid: a number as it is, a name from the passwd
 * database. 0, -ENOENT for an unknown name, other -errno. */
int shield_user_resolve(const char *s, uid_t *ret);
/* Fill t from cfg. Names that do not resolve are left out: returns how
 * many, and *ret_first (may be NULL) gets the index of the first one. */
size_t shield_trust_init(struct shield_trust *t, const struct og_config *cfg, size_t *ret_first);
/* Is a process of this real uid trusted by its uid alone? */
enum shield_trust_why shield_trust_uid(const struct shield_trust *t, uid_t uid);
/* Is the cgroup v2 path (as /proc/PID/cgroup gives it) below the root and
 * delegated to nobody: it and every ancestor below cg_root_fd a directory
 * owned by `owner` (0) whose cgroup.procs is owner's and writable by its
 * owner only? false when anything cannot be read. */
bool shield_cgroup_undelegated(int cg_root_fd, const char *path, uid_t owner);
/* The whole check for a process that matched an entry: its real uid, then
 * (with t->units) its cgroup (NULL: read PID/cgroup) and its loginuid. */
enum shield_trust_why shield_trusted(const struct shield_trust *t, int proc_fd, int cg_root_fd,
				     int pid, uid_t uid, const char *cgroup);
const char *shield_trust_name(enum shield_trust_why w);
