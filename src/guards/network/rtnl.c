/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink for the network guard: links (their MAC, master, lower device
 * and kind) and addresses (IFA_F_DADFAILED), from a dump at start and from
 * the change notices after it. The parser takes any bytes: every header
 * and attribute is copied out (no alignment assumed) after its length was
 * checked against what is left. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "guards/network/network.h"

#define NET_RCVBUF (1 << 20)

int net_rtnl_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	int fd, rcvbuf = NET_RCVBUF, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int net_rtnl_dump(int fd, bool links, uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct ifinfomsg ifi;
			struct ifaddrmsg ifa;
		};
	} req;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t body = links ? sizeof(req.ifi) : sizeof(req.ifa);

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	req.nh.nlmsg_type = links ? RTM_GETLINK : RTM_GETADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = seq;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* One attribute at a time, copied out: *type, its payload and length. */
struct attrs {
	const uint8_t *p;
	size_t left;
};

static bool next_attr(struct attrs *a, unsigned *type, const uint8_t **data, size_t *len)
{
	struct rtattr rta;
	size_t step;

	if (a->left < sizeof(rta))
		return false;
	memcpy(&rta, a->p, sizeof(rta));
	if (rta.rta_len < sizeof(rta) || rta.rta_len > a->left)
		return false;
	*type = rta.rta_type & NLA_TYPE_MASK;
	*data = a->p + RTA_LENGTH(0);
	*len = rta.rta_len - RTA_LENGTH(0);
	step = RTA_ALIGN(rta.rta_len);
	if (step >= a->left) {
		a->left = 0;
	} else {
		a->left -= step;
		a->p += step;
	}
	return true;
}

static uint32_t get_u32(const uint8_t *data, size_t len)
{
	uint32_t v = 0;

	if (len >= sizeof(v))
		memcpy(&v, data, sizeof(v));
	return v;
}

/* A string attribute into dst (NUL-terminated, cut to size). */
static void get_str(char *dst, size_t size, const uint8_t *data, size_t len)
{
	size_t n = strnlen((const char *)data, len);

	n = MIN(n, size - 1);
	memcpy(dst, data, n);
	dst[n] = '\0';
}

static void parse_linkinfo(struct net_link *l, const uint8_t *data, size_t len)
{
	struct attrs a = { data, len };
	const uint8_t *d;
	unsigned type;
	size_t n;

	while (next_attr(&a, &type, &d, &n)) {
		if (type == IFLA_INFO_KIND)
			get_str(l->kind, sizeof(l->kind), d, n);
		else if (type == IFLA_INFO_SLAVE_KIND)
			get_str(l->slave_kind, sizeof(l->slave_kind), d, n);
	}
}

static int parse_link(const uint8_t *body, size_t len, struct net_link *l)
{
	struct ifinfomsg ifi;
	struct attrs a;
	const uint8_t *d;
	unsigned type;
	size_t n;
	bool elsewhere = false;

	if (len < sizeof(ifi))
		return -EINVAL;
	memcpy(&ifi, body, sizeof(ifi));
	if (ifi.ifi_family != AF_UNSPEC || ifi.ifi_index <= 0)
		return 0;       /* a bridge's port notice (AF_BRIDGE), or nonsense */
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi.ifi_index;
	l->type = ifi.ifi_type;
	l->flags = ifi.ifi_flags;
	a = (struct attrs){ body + NLMSG_ALIGN(sizeof(ifi)),
			    len > NLMSG_ALIGN(sizeof(ifi)) ? len - NLMSG_ALIGN(sizeof(ifi)) : 0 };
	while (next_attr(&a, &type, &d, &n)) {
		switch (type) {
		case IFLA_IFNAME:
			get_str(l->name, sizeof(l->name), d, n);
			break;
		case IFLA_ADDRESS:
			l->has_mac = n == NET_MAC_LEN;
			if (l->has_mac)
				memcpy(l->mac, d, NET_MAC_LEN);
			break;
		case IFLA_MASTER:
			l->master = (int)get_u32(d, n);
			break;
		case IFLA_LINK:
			l->link = (int)get_u32(d, n);
			break;
		case IFLA_LINK_NETNSID:
			elsewhere = true;       /* IFLA_LINK is an ifindex of another namespace */
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(l, d, n);
			break;
		}
	}
	if (elsewhere || l->link < 0)
		l->link = 0;
	if (l->master < 0)
		l->master = 0;
	if (!*l->name)
		snprintf(l->name, sizeof(l->name), "if%d", l->ifindex);
	return 1;
}

static int parse_addr(const uint8_t *body, size_t len, struct net_addr *ad)
{
	struct ifaddrmsg ifa;
	struct attrs a;
	const uint8_t *d, *local = NULL, *address = NULL;
	unsigned type;
	size_t n, want;

	if (len < sizeof(ifa))
		return -EINVAL;
	memcpy(&ifa, body, sizeof(ifa));
	if ((ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6) || ifa.ifa_index == 0 ||
	    ifa.ifa_index > INT32_MAX)
		return 0;
	want = ifa.ifa_family == AF_INET ? 4 : 16;
	memset(ad, 0, sizeof(*ad));
	ad->ifindex = (int)ifa.ifa_index;
	ad->family = ifa.ifa_family;
	ad->prefixlen = ifa.ifa_prefixlen;
	ad->flags = ifa.ifa_flags;
	a = (struct attrs){ body + NLMSG_ALIGN(sizeof(ifa)),
			    len > NLMSG_ALIGN(sizeof(ifa)) ? len - NLMSG_ALIGN(sizeof(ifa)) : 0 };
	while (next_attr(&a, &type, &d, &n)) {
		if (type == IFA_LOCAL && n == want)
			local = d;
		else if (type == IFA_ADDRESS && n == want)
			address = d;
		else if (type == IFA_FLAGS && n >= sizeof(uint32_t))
			ad->flags = get_u32(d, n);
	}
	/* IFA_LOCAL is ours where both are there (IFA_ADDRESS: the peer of a
	 * point-to-point link) */
	if (!local && !address)
		return 0;
	memcpy(ad->addr, local ? local : address, want);
	return 1;
}

int net_rtnl_parse(const void *buf, size_t len, net_msg_fn fn, void *userdata)
{
	const uint8_t *p = buf;
	int delivered = 0;

	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr nh;
		struct net_msg m;
		const uint8_t *body;
		size_t blen, step;
		int r = 0;

		memcpy(&nh, p, sizeof(nh));
		if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > len)
			return delivered ? delivered : -EINVAL;
		body = p + NLMSG_HDRLEN;
		blen = nh.nlmsg_len > NLMSG_HDRLEN ? nh.nlmsg_len - NLMSG_HDRLEN : 0;
		memset(&m, 0, sizeof(m));
		m.seq = nh.nlmsg_seq;
		m.intr = nh.nlmsg_flags & NLM_F_DUMP_INTR;
		switch (nh.nlmsg_type) {
		case RTM_NEWLINK:
		case RTM_DELLINK:
			m.type = nh.nlmsg_type == RTM_NEWLINK ? NET_MSG_NEWLINK : NET_MSG_DELLINK;
			r = parse_link(body, blen, &m.link);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			m.type = nh.nlmsg_type == RTM_NEWADDR ? NET_MSG_NEWADDR : NET_MSG_DELADDR;
			r = parse_addr(body, blen, &m.addr);
			break;
		case NLMSG_DONE:
			m.type = NET_MSG_DONE;
			r = 1;
			break;
		case NLMSG_ERROR: {
			int err;

			if (blen < sizeof(err))
				return delivered ? delivered : -EINVAL;
			memcpy(&err, body, sizeof(err));
			m.type = NET_MSG_ERROR;
			m.err = err > 0 || err < -4095 ? -EINVAL : err;
			r = 1;
			break;
		}
		default:
			break;  /* NLMSG_NOOP, NLMSG_OVERRUN, other families' types */
		}
		if (r < 0)
			return delivered ? delivered : r;
		if (r > 0) {
			fn(&m, userdata);
			delivered++;
		}
		step = NLMSG_ALIGN(nh.nlmsg_len);
		if (step >= len)
			break;
		len -= step;
		p += step;
	}
	return delivered;
}

int net_rtnl_drain(int fd, net_msg_fn fn, void *userdata)
{
	/* a dump's datagrams are at most 32 KiB (the kernel sizes them to
	 * the largest read it saw, up to that) */
	static uint8_t buf[32768];
	int n = 0, overflow = 0;

	for (int k = 0; k < NET_DRAIN_MAX; k++) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		int r;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overflow = 1;
				continue;
			}
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		if (fl < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;       /* only the kernel speaks here */
		r = net_rtnl_parse(buf, (size_t)len, fn, userdata);
		if (r > 0)
			n += r;
	}
	return overflow ? -ENOBUFS : n;
}
