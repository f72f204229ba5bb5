// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the network guard's rtnetlink parser over arbitrary
 * bytes (any alignment: the input sits one byte into its buffer), and what
 * the guard does with what it delivers: the tables of links and addresses,
 * the DAD transitions, the MAC comparison (findings counted, not written).
 * The parser returns -EINVAL or the messages delivered; names and kinds
 * are NUL-terminated within their arrays; links have a positive ifindex
 * and no negative master or link; addresses are IPv4 or IPv6; errors are
 * an errno or 0. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "guards/network/network.h"
#include "fuzz.h"

struct ctx {
	struct guard g;
	int n;
};

static void check(const struct net_msg *m, void *userdata)
{
	struct ctx *c = userdata;

	switch (m->type) {
	case NET_MSG_NEWLINK:
	case NET_MSG_DELLINK:
		if (m->link.ifindex <= 0 || m->link.master < 0 || m->link.link < 0 ||
		    !memchr(m->link.name, 0, sizeof(m->link.name)) || !m->link.name[0] ||
		    !memchr(m->link.kind, 0, sizeof(m->link.kind)) ||
		    !memchr(m->link.slave_kind, 0, sizeof(m->link.slave_kind)))
			abort();
		break;
	case NET_MSG_NEWADDR:
	case NET_MSG_DELADDR:
		if ((m->addr.family != AF_INET && m->addr.family != AF_INET6) || m->addr.ifindex <= 0)
			abort();
		break;
	case NET_MSG_DONE:
		break;
	case NET_MSG_ERROR:
		if (m->err > 0 || m->err < -4095)
			abort();
		break;
	default:
		abort();
	}
	c->n++;
	net_handle_msg(&c->g, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_guard *n = calloc(1, sizeof(*n));
	struct ctx c = { .g.state = n };
	uint8_t *buf;
	int r;

	if (!n || size > 1 << 16 || !(buf = malloc(size + 1))) {
		free(n);
		return 0;
	}
	net_init(n);
	n->quiet = true;        /* count findings; no reporter here */
	memcpy(buf + 1, data, size);
	r = net_rtnl_parse(buf + 1, size, check, &c);
	if (r != -EINVAL && (r < 0 || r != c.n))
		abort();
	net_compare_macs(&c.g, 1000);
	if (n->nlinks > (size_t)c.n)
		abort();
	free(n->links);
	free(n->addrs);
	free(n);
	free(buf);
	return 0;
}
