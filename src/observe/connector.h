/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's process-event connector (netlink NETLINK_CONNECTOR,
 * CN_IDX_PROC): exec, fork and comm-change events of every process, so that
 * a managed process can be moved into the protected cgroup the moment it
 * starts. Needs CAP_NET_ADMIN; the socket is non-blocking. */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum conn_what {
	CONN_OTHER = 0,
	CONN_FORK,              /* pid = the child, ppid = the parent (processes only) */
	CONN_EXEC,
	CONN_COMM,              /* the comm of a thread group leader changed */
	CONN_EXIT,
	CONN_ACK,               /* the answer to the subscription: err */
};

struct conn_event {
	enum conn_what what;
	int pid;                /* thread group id (the process) */
	int ppid;               /* CONN_FORK: the parent process */
	int err;                /* CONN_ACK: errno of the subscription, 0 = fine */
};

/* Open, bind and subscribe (PROC_CN_MCAST_LISTEN). Returns a non-blocking
 * close-on-exec fd or -errno (-EPERM without CAP_NET_ADMIN, -EPROTONOSUPPORT
 * on kernels built without the connector). */
int connector_open(void);

/* Parse one datagram of len bytes (one or more netlink messages) and call fn
 * for each process event in it. Thread-level fork/exec/comm events (pid !=
 * tgid) are dropped. Returns the number of events passed to fn, or -EINVAL
 * when the buffer is malformed (what was parsed before still counted). */
typedef void (*conn_fn)(const struct conn_event *ev, void *userdata);
int connector_parse(const void *buf, size_t len, conn_fn fn, void *userdata);

/* Read pending datagrams (at most CONN_DRAIN_MAX) without blocking and parse them. Returns the
 * number of events, or -ENOBUFS when the kernel dropped events because the
 * socket buffer overflowed (the caller should rescan), or another -errno. */
#define CONN_DRAIN_MAX 64
int connector_drain(int fd, conn_fn fn, void *userdata);
