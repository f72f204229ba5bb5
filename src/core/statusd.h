/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's snapshot (report/snapshot.h) and its two outlets: the
 * Prometheus textfile (metrics.textfile, written every metrics.interval in
 * a worker lane) and the root-only status socket (one JSON object per
 * connection, for `oomguard status` and `oomguard watch`). Counters come
 * from the reporter's tap (chained) and the guards' asks; readings from
 * what the guards already sampled, their describes, and three PSI files
 * kept open and re-read with pread. No loop of its own: a timer and a
 * listening socket on the daemon's loop. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "report/record.h"
#include "report/snapshot.h"

struct guard;
struct guard_env;

struct statusd;
struct tf_job {                         /* the textfile write in the lane */
	struct statusd *s;
	char *path, *text;
	size_t len;
};

struct statusd {
	struct guard_env *env;
	struct og_snapshot live;        /* the counters, kept up to date on the loop */
	struct og_snapshot snap;        /* scratch: the last snapshot taken */
	int psi_fd[SNAP_PSI_N];
	unsigned lane;                  /* the textfile's worker lane */
	struct tf_job job;
	struct loop_timer timer;
	struct loop_source listen;
	char sock_path[108];            /* sun_path; "" = no socket */
	int last_err;                   /* the textfile's last write: logged on change */
	bool started;
};

/* Open the PSI files, chain the tap, set env->asked, create the socket at
 * sock_path (its dir 0700 when missing; the socket 0600; a socket another
 * daemon answers on is left alone) and arm the textfile's timer. A socket
 * that cannot be made is logged, not fatal. 0 or -errno. */
int statusd_start(struct statusd *s, struct guard_env *env, const char *sock_path, unsigned lane);
/* The config changed: the textfile and its interval. */
void statusd_reload(struct statusd *s);
/* Unchain, close and unlink the socket. */
void statusd_stop(struct statusd *s);
/* Take a snapshot into s->snap (on the loop; reads three PSI files). */
const struct og_snapshot *statusd_take(struct statusd *s);
