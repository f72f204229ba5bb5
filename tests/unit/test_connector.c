// SPDX-License-Identifier: GPL-2.0-or-later
/* The proc connector: the parser against hand-built netlink datagrams
 * (good, truncated, threads, foreign ids), and, where the kernel lets us
 * subscribe (CAP_NET_ADMIN), a real exec event of a child. */
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "observe/connector.h"

struct msg {
	struct nlmsghdr nl;
	struct cn_msg cn;
	struct proc_event ev;
} __attribute__((packed));

static size_t build(void *buf, unsigned what, int pid, int tgid, int ppid)
{
	struct msg *m = buf;

	memset(m, 0, sizeof(*m));
	m->nl.nlmsg_len = sizeof(*m);
	m->nl.nlmsg_type = NLMSG_DONE;
	m->cn.id.idx = CN_IDX_PROC;
	m->cn.id.val = CN_VAL_PROC;
	m->cn.len = sizeof(m->ev);
	m->ev.what = what;
	switch (what) {
	case PROC_EVENT_FORK:
		m->ev.event_data.fork.parent_pid = ppid;
		m->ev.event_data.fork.parent_tgid = ppid;
		m->ev.event_data.fork.child_pid = pid;
		m->ev.event_data.fork.child_tgid = tgid;
		break;
	case PROC_EVENT_EXEC:
		m->ev.event_data.exec.process_pid = pid;
		m->ev.event_data.exec.process_tgid = tgid;
		break;
	case PROC_EVENT_COMM:
		m->ev.event_data.comm.process_pid = pid;
		m->ev.event_data.comm.process_tgid = tgid;
		memcpy(m->ev.event_data.comm.comm, "x", 2);
		break;
	case PROC_EVENT_EXIT:
		m->ev.event_data.exit.process_pid = pid;
		m->ev.event_data.exit.process_tgid = tgid;
		break;
	case PROC_EVENT_NONE:
		m->ev.event_data.ack.err = (unsigned)pid;
		break;
	}
	return NLMSG_ALIGN(sizeof(*m));
}

struct got {
	struct conn_event ev[8];
	int n;
};

static void collect(const struct conn_event *ev, void *u)
{
	struct got *g = u;

	if (g->n < 8)
		g->ev[g->n] = *ev;
	g->n++;
}

static void test_parse(void **state)
{
	_Alignas(struct nlmsghdr) char buf[1024];
	struct got g = { 0 };
	size_t len;

	len = build(buf, PROC_EVENT_EXEC, 42, 42, 0);
	assert_int_equal(connector_parse(buf, len, collect, &g), 1);
	assert_int_equal(g.ev[0].what, CONN_EXEC);
	assert_int_equal(g.ev[0].pid, 42);

	/* a thread's exec is reported as its process (tgid) */
	g.n = 0;
	len = build(buf, PROC_EVENT_EXEC, 43, 42, 0);
	assert_int_equal(connector_parse(buf, len, collect, &g), 1);
	assert_int_equal(g.ev[0].pid, 42);

	/* a new thread is not a new process; a new process is */
	g.n = 0;
	len = build(buf, PROC_EVENT_FORK, 51, 50, 7);
	assert_int_equal(connector_parse(buf, len, collect, &g), 0);
	len = build(buf, PROC_EVENT_FORK, 50, 50, 7);
	assert_int_equal(connector_parse(buf, len, collect, &g), 1);
	assert_int_equal(g.ev[0].what, CONN_FORK);
	assert_true(g.ev[0].pid == 50 && g.ev[0].ppid == 7);

	/* comm: only the process's own name counts */
	g.n = 0;
	len = build(buf, PROC_EVENT_COMM, 61, 60, 0);
	assert_int_equal(connector_parse(buf, len, collect, &g), 0);
	len = build(buf, PROC_EVENT_COMM, 60, 60, 0);
	assert_int_equal(connector_parse(buf, len, collect, &g), 1);
	assert_int_equal(g.ev[0].what, CONN_COMM);

	/* the subscription's answer */
	g.n = 0;
	len = build(buf, PROC_EVENT_NONE, EPERM, 0, 0);
	assert_int_equal(connector_parse(buf, len, collect, &g), 1);
	assert_int_equal(g.ev[0].what, CONN_ACK);
	assert_int_equal(g.ev[0].err, EPERM);

	/* two messages in one datagram */
	g.n = 0;
	len = build(buf, PROC_EVENT_EXEC, 70, 70, 0);
	len += build(buf + len, PROC_EVENT_EXIT, 71, 71, 0);
	assert_int_equal(connector_parse(buf, len, collect, &g), 2);
	assert_int_equal(g.ev[1].what, CONN_EXIT);

	/* another connector id: ignored */
	g.n = 0;
	len = build(buf, PROC_EVENT_EXEC, 80, 80, 0);
	((struct msg *)buf)->cn.id.idx = CN_IDX_PROC + 1;
	assert_int_equal(connector_parse(buf, len, collect, &g), 0);

	/* truncated: the cn_msg claims more than there is */
	g.n = 0;
	len = build(buf, PROC_EVENT_EXEC, 90, 90, 0);
	((struct msg *)buf)->cn.len = 4000;
	assert_int_equal(connector_parse(buf, len, collect, &g), -EINVAL);
	len = build(buf, PROC_EVENT_EXEC, 90, 90, 0);
	((struct msg *)buf)->cn.len = 8;
	assert_int_equal(connector_parse(buf, len, collect, &g), -EINVAL);
	/* a netlink length beyond the buffer, and garbage */
	len = build(buf, PROC_EVENT_EXEC, 90, 90, 0);
	assert_int_equal(connector_parse(buf, len - 4, collect, &g), -EINVAL);
	memset(buf, 0xff, 64);
	assert_int_equal(connector_parse(buf, 64, collect, &g), -EINVAL);
	assert_int_equal(connector_parse(buf, 0, collect, &g), 0);
	assert_int_equal(g.n, 0);
}

/* Found by fuzz_connector: a last message whose length is not a multiple of
 * 4 made NLMSG_NEXT step past the datagram and wrap the remaining length
 * (a size_t), and NLMSG_OK then read the next header's length beyond the
 * end. The datagram here ends 2 bytes before an unmapped page. */
static void test_unaligned_tail(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct got g = { 0 };
	struct nlmsghdr *noop;
	size_t len;
	char *buf;

	(void)state;
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	len = sizeof(struct msg) + 18;          /* an exec event, then 18 bytes */
	buf = map + page - 2 - len;             /* 4-aligned: the end is not */
	assert_int_equal((uintptr_t)buf % NLMSG_ALIGNTO, 0);
	assert_int_equal(build(buf, PROC_EVENT_EXEC, 42, 42, 0), sizeof(struct msg));
	noop = (struct nlmsghdr *)(buf + sizeof(struct msg));
	memset(noop, 0, 18);
	noop->nlmsg_len = 17;
	noop->nlmsg_type = NLMSG_NOOP;
	assert_int_equal(connector_parse(buf, len, collect, &g), 1);
	assert_int_equal(g.ev[0].what, CONN_EXEC);
	/* the same tail alone */
	g.n = 0;
	assert_int_equal(connector_parse(noop, 18, collect, &g), 0);
	munmap(map, (size_t)page * 2);
}

static void test_live(void **state)
{
	struct got g = { 0 };
	int fd = connector_open(), status;
	pid_t child;
	bool seen = false;

	if (fd == -EPERM || fd == -EPROTONOSUPPORT || fd == -EACCES) {
		printf("SKIP: proc connector not available here (%s)\n", strerror(-fd));
		skip();
	}
	assert_true(fd >= 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		usleep(50000);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !seen; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 50) <= 0)
			continue;
		g.n = 0;
		while (connector_drain(fd, collect, &g) > 0 || g.n) {
			for (int k = 0; k < g.n && k < 8; k++)
				if (g.ev[k].what == CONN_EXEC && g.ev[k].pid == child)
					seen = true;
			g.n = 0;
		}
	}
	waitpid(child, &status, 0);
	close(fd);
	assert_true(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_unaligned_tail),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
