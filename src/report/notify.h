/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kill notifications: every kill oomguard makes (not a dry run's) becomes
 * oomguard's Killed signal on the system bus (sdbus.h), sent from a worker
 * lane of its own; `oomguard notify`, a user agent started with the desktop
 * session, turns the kills of its user's processes into desktop
 * notifications. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sdbus.h"

struct reporter;
struct report_tap;
struct worker;

#define KN_QUEUE 16

struct kill_notify {
	struct worker *w;
	unsigned lane;
	struct reporter *rep;
	struct sdbus *bus;              /* used in the lane only */
	struct sd_killed q[KN_QUEUE], job;
	size_t head, n;
	bool inflight, warned, on;
	uint64_t sent, failed, lost;
};

/* Fills a signal from a record the reporter's tap saw: true when it is a
 * kill to announce (a terminate or kill act, not a dry run's, not one that
 * failed). Pure. */
bool kill_notice(const struct report_tap *t, struct sd_killed *ret);
/* The desktop notification for k (the agent). Pure. */
void kill_notice_text(const struct sd_killed *k, char *summary, size_t ssize, char *body,
		      size_t bsize);

/* Taps rep, sends from lane of w. Off (0, nothing tapped) where there is no
 * system bus (/run/dbus/system_bus_socket). */
int kill_notify_start(struct kill_notify *k, struct reporter *rep, struct worker *w,
		      unsigned lane);
/* Untaps; a signal still in the lane is left to it (and the bus with it). */
void kill_notify_stop(struct kill_notify *k);

/* `oomguard notify [--all]`: the user agent. Exit status. */
int notify_agent(int argc, char **argv);
