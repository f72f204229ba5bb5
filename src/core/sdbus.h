/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's D-Bus API, through sd-bus from libsystemd (dlopened on first
 * use, like sd_notify in loop.c: a daemon on a host without systemd never
 * loads it). Every call blocks until systemd answers or its timeout: call
 * them from a worker lane (guard_env.bus_lane), never from the loop. One
 * connection, used by one thread at a time (the lane). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sdbus;

/* systemd is PID 1 here (/run/systemd/system exists). */
bool sd_booted_here(void);

/* The unit whose cgroup is path (from the v2 root: "/system.slice/db.service"),
 * or NULL: its last component is a .service, .scope, .slice, .socket, .mount
 * or .swap and every component above it a .slice, as in the tree systemd
 * writes (its escape undone: "_cpu.x.service" is cpu.x.service). A cgroup
 * below a unit (a delegated subtree) is not one. Points into path. */
const char *sd_unit_of_cgroup(const char *path);

/* Connect: systemd's private socket (/run/systemd/private, root only: works
 * before dbus.service and without it), else the system bus. 0, or -errno with
 * err filled (libsystemd missing, no systemd). */
int sdbus_open(struct sdbus **ret, char *err, size_t size);
void sdbus_close(struct sdbus *b);

/* SetUnitProperties(unit, runtime, [prop=bytes]): prop MemoryMax (cgroup
 * v2) or MemoryLimit (v1), runtime only (gone at reboot, as a rebalance
 * should be), UINT64_MAX for infinity. systemd writes memory.max (or
 * memory.limit_in_bytes). A broken connection is reopened once. 0, or
 * -errno with err filled (systemd's error name and message). */
int sdbus_set_memory_limit(struct sdbus *b, const char *unit, const char *prop, uint64_t bytes,
			   uint64_t timeout_ms, char *err, size_t size);

/* RestartUnit(unit, "replace"): the job is queued (systemd restarts it
 * after). 0, or -errno with err filled. */
int sdbus_restart_unit(struct sdbus *b, const char *unit, uint64_t timeout_ms, char *err,
		       size_t size);

/* A unit whose ManagedOOMMemoryPressure= or ManagedOOMSwap= says kill. */
struct sd_oom_unit {
	char unit[256];
	char cgroup[512];               /* its ControlGroup, from the v2 root */
	bool pressure_kill, swap_kill;
	uint32_t limit;                 /* ManagedOOMMemoryPressureLimit, UINT32_MAX = 100 %;
					 * 0 = oomd.conf's DefaultMemoryPressureLimit */
};
/* Every active service, slice and scope with such a setting (ListUnits,
 * then their properties; as systemd-oomd learns them from PID 1), at most
 * max. How many, or -errno with err filled. */
int sdbus_managed_oom_units(struct sdbus *b, struct sd_oom_unit *out, size_t max,
			    uint64_t timeout_ms, char *err, size_t size);
