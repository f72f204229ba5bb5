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

/* Bind libsystemd and make a connection object that connects nothing yet
 * (the agent, and signals only). 0, or -errno with err filled. */
int sdbus_new(struct sdbus **ret, char *err, size_t size);

/* ---- protection through systemd (sdbus-unit.c) ---- */

/* What a protected slice or unit gets; a 0 memory or a -1 weight is left as
 * it is (not sent), unless all: then every one is sent, a -1 weight as
 * systemd's "unset" (to give a unit back what it had). */
struct sd_protect {
	uint64_t memory_low, memory_min;
	int64_t cpu_weight, io_weight;
	bool all;
};

/* The protected slice: StartTransientUnit(slice) with MemoryLow=,
 * MemoryMin=, CPUWeight=, IOWeight=; a slice that exists already (ours from
 * before, or one with a unit file) gets them with SetUnitProperties
 * (runtime). 0, or -errno with err filled. */
int sdbus_protect_slice(struct sdbus *b, const char *slice, const struct sd_protect *p,
			uint64_t timeout_ms, char *err, size_t size);
/* SetUnitProperties(unit, runtime, the settings): a service's processes
 * stay where they are, protected where they are. */
int sdbus_protect_unit(struct sdbus *b, const char *unit, const struct sd_protect *p,
		       uint64_t timeout_ms, char *err, size_t size);
/* A unit's own MemoryLow, MemoryMin, CPUWeight, IOWeight (to give back at
 * exit; CPUWeight/IOWeight UINT64_MAX = unset, as systemd says). */
int sdbus_unit_protection(struct sdbus *b, const char *unit, struct sd_protect *ret,
			  uint64_t timeout_ms, char *err, size_t size);
/* StartTransientUnit(scope) with PIDs=[pid] and Slice=slice: systemd moves
 * the process into slice/scope and keeps it accounted. */
int sdbus_scope_pid(struct sdbus *b, const char *scope, const char *slice, int pid,
		    const char *description, uint64_t timeout_ms, char *err, size_t size);

/* ---- oomguard's own signal (sdbus-notify.c) ---- */

#define OG_BUS_NAME "org.oomguard"
#define OG_BUS_PATH "/org/oomguard"
#define OG_BUS_IFACE "org.oomguard.Manager1"

/* Killed(u pid, u uid, s comm, s guard, s trigger, s reason, s cgroup) */
struct sd_killed {
	uint32_t pid, uid;
	char comm[64], guard[32], trigger[32], reason[512], cgroup[512];
};

/* Emit Killed on the system bus (connected, and OG_BUS_NAME asked for, on
 * first use; a connection that broke is made again once). 0, or -errno with
 * err filled. */
int sdbus_emit_killed(struct sdbus *b, const struct sd_killed *k, char *err, size_t size);

/* The agent: connect to the system bus and listen for Killed from
 * OG_BUS_NAME (only its owner, root by the bus policy, can send it), and to
 * the session bus. 0, or -errno with err filled. */
int sdbus_agent_open(struct sdbus *b, char *err, size_t size);
/* Wait at most timeout_ms for the next Killed: 1 with *ret filled, 0 on
 * timeout, -errno (the system bus went away). */
int sdbus_agent_next(struct sdbus *b, struct sd_killed *ret, uint64_t timeout_ms);
/* org.freedesktop.Notifications.Notify on the session bus; urgency 0-2. */
int sdbus_desktop_notify(struct sdbus *b, const char *summary, const char *body,
			 unsigned urgency, char *err, size_t size);
