/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "observe/connector.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_RCVBUF (1 << 20)

int connector_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	/* nlmsghdr, then cn_msg (whose data[] is flexible), then the op: laid
	 * out by hand in an aligned buffer. */
	char req[NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nl = (struct nlmsghdr *)req;
	struct cn_msg *cn = (struct cn_msg *)NLMSG_DATA(nl);
	enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
	int fd, rcvbuf = CONN_RCVBUF, e;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	/* A burst of forks must not overflow the queue between two wakeups;
	 * SO_RCVBUFFORCE works as root, SO_RCVBUF is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	memset(req, 0, sizeof(req));
	nl->nlmsg_len = sizeof(req);
	nl->nlmsg_type = NLMSG_DONE;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (send(fd, req, sizeof(req), 0) != (ssize_t)sizeof(req))
		goto fail;
	return fd;
fail:
	e = -errno;
	close(fd);
	return e;
}

static int parse_event(const struct cn_msg *cn, size_t len, struct conn_event *ev)
{
	/* The event sits at offset 36 of the datagram: copy it to align it. */
	struct proc_event copy = { 0 };
	const struct proc_event *pe = &copy;

	if (len < sizeof(*cn) || cn->len > len - sizeof(*cn))
		return -EINVAL;
	memcpy(&copy, cn->data, cn->len < sizeof(copy) ? cn->len : sizeof(copy));
	if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
		return 0;
	/* what, cpu, timestamp_ns come first; the union after. */
	if (cn->len < offsetof(struct proc_event, event_data))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	switch (pe->what) {
	case PROC_EVENT_NONE:
		if (cn->len < offsetof(struct proc_event, event_data) + sizeof(pe->event_data.ack))
			return -EINVAL;
		ev->what = CONN_ACK;
		ev->err = (int)pe->event_data.ack.err;
		return 1;
	case PROC_EVENT_FORK:
		if (cn->len < offsetof(struct proc_event, event_data) + sizeof(pe->event_data.fork))
			return -EINVAL;
		if (pe->event_data.fork.child_pid != pe->event_data.fork.child_tgid)
			return 0;       /* a new thread */
		ev->what = CONN_FORK;
		ev->pid = pe->event_data.fork.child_tgid;
		ev->ppid = pe->event_data.fork.parent_tgid;
		return 1;
	case PROC_EVENT_EXEC:
		if (cn->len < offsetof(struct proc_event, event_data) + sizeof(pe->event_data.exec))
			return -EINVAL;
		ev->what = CONN_EXEC;
		ev->pid = pe->event_data.exec.process_tgid;
		return 1;
	case PROC_EVENT_COMM:
		if (cn->len < offsetof(struct proc_event, event_data) + sizeof(pe->event_data.comm))
			return -EINVAL;
		if (pe->event_data.comm.process_pid != pe->event_data.comm.process_tgid)
			return 0;       /* a thread renamed itself: the process name is unchanged */
		ev->what = CONN_COMM;
		ev->pid = pe->event_data.comm.process_tgid;
		return 1;
	case PROC_EVENT_EXIT:
		if (cn->len < offsetof(struct proc_event, event_data) + sizeof(pe->event_data.exit))
			return -EINVAL;
		if (pe->event_data.exit.process_pid != pe->event_data.exit.process_tgid)
			return 0;
		ev->what = CONN_EXIT;
		ev->pid = pe->event_data.exit.process_tgid;
		return 1;
	default:
		return 0;
	}
}

int connector_parse(const void *buf, size_t len, conn_fn fn, void *userdata)
{
	const struct nlmsghdr *nl = buf;
	int n = 0;

	while (NLMSG_OK(nl, len)) {
		size_t step = NLMSG_ALIGN(nl->nlmsg_len);
		struct conn_event ev;
		int r = 0;

		if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_OVERRUN)
			return -EINVAL;
		if (nl->nlmsg_type != NLMSG_NOOP)
			r = parse_event(NLMSG_DATA(nl), nl->nlmsg_len - NLMSG_HDRLEN, &ev);
		if (r < 0)
			return r;
		if (r > 0) {
			fn(&ev, userdata);
			n++;
		}
		/* Not NLMSG_NEXT: on a last message whose length is not aligned it
		 * steps past the end and wraps len (a size_t), and NLMSG_OK then
		 * reads beyond the buffer (found by fuzz_connector). */
		if (step >= len) {
			len = 0;
			break;
		}
		len -= step;
		nl = (const struct nlmsghdr *)((const char *)nl + step);
	}
	return len == 0 ? n : (n ? n : -EINVAL);
}

int connector_drain(int fd, conn_fn fn, void *userdata)
{
	/* Aligned for the netlink headers; one datagram is one event. */
	union {
		struct nlmsghdr nl;
		char b[4096];
	} buf;
	int n = 0, overflow = 0;

	/* At most CONN_DRAIN_MAX datagrams per call: an exec storm must not
	 * hold the event loop (the socket stays readable for the next wake-up). */
	for (int k = 0; k < CONN_DRAIN_MAX; k++) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(fd, buf.b, sizeof(buf.b), 0, (struct sockaddr *)&from, &fl);
		int r;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overflow = 1;   /* events were lost; keep draining */
				continue;
			}
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		if (from.nl_pid != 0)
			continue;       /* only the kernel speaks here */
		r = connector_parse(buf.b, (size_t)len, fn, userdata);
		if (r > 0)
			n += r;
	}
	return overflow ? -ENOBUFS : n;
}
