// SPDX-License-Identifier: GPL-2.0-or-later
/* The network guard with rtnetlink: link and address messages built here
 * (attributes, nesting, a bridge's AF_BRIDGE notices, another namespace's
 * link, truncated and hostile datagrams), a real dump of this machine's
 * links (no privilege needed), and the guard's handlers fed with messages
 * and frames, its records read back from a pipe: local duplicates, another
 * station with our MAC, our own frame looped back, ARP flip-flops, a DAD
 * failure, the rate limit. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "guards/network/network.h"
#include "unit/net-util.h"
#include "unit/record-util.h"

/* ---- building rtnetlink datagrams ------------------------------------------ */

struct nlb {
	uint8_t b[8192];
	size_t len, start;
};

static void msg_begin(struct nlb *m, uint16_t type, uint32_t seq, const void *hdr, size_t hlen)
{
	struct nlmsghdr nh = { .nlmsg_type = type, .nlmsg_seq = seq };

	m->start = m->len;
	memcpy(m->b + m->len, &nh, sizeof(nh));
	m->len += NLMSG_HDRLEN;
	memcpy(m->b + m->len, hdr, hlen);
	m->len += NLMSG_ALIGN(hlen);
}

static void msg_end(struct nlb *m)
{
	uint32_t l = (uint32_t)(m->len - m->start);

	memcpy(m->b + m->start, &l, sizeof(l));
}

static void attr(struct nlb *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };

	memcpy(m->b + m->len, &rta, sizeof(rta));
	memset(m->b + m->len + RTA_LENGTH(0), 0, RTA_SPACE(len) - RTA_LENGTH(0));
	if (len)
		memcpy(m->b + m->len + RTA_LENGTH(0), data, len);
	m->len += RTA_SPACE(len);
}

static void attr_u32(struct nlb *m, uint16_t type, uint32_t v)
{
	attr(m, type, &v, sizeof(v));
}

static void attr_str(struct nlb *m, uint16_t type, const char *s)
{
	attr(m, type, s, strlen(s) + 1);
}

static size_t nest_begin(struct nlb *m, uint16_t type)
{
	size_t off = m->len;

	attr(m, type, NULL, 0);
	return off;
}

static void nest_end(struct nlb *m, size_t off)
{
	unsigned short l = (unsigned short)(m->len - off);

	memcpy(m->b + off, &l, sizeof(l));
}

static void link_msg(struct nlb *m, uint16_t type, int ifindex, const char *name, const char *mac,
		     const char *kind, const char *slave_kind, int master, int link)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_type = ARPHRD_ETHER,
				 .ifi_index = ifindex, .ifi_flags = IFF_UP | IFF_BROADCAST };
	uint8_t a[6];

	msg_begin(m, type, 0, &ifi, sizeof(ifi));
	attr_str(m, IFLA_IFNAME, name);
	mac_of(mac, a);
	attr(m, IFLA_ADDRESS, a, 6);
	if (master)
		attr_u32(m, IFLA_MASTER, (uint32_t)master);
	if (link)
		attr_u32(m, IFLA_LINK, (uint32_t)link);
	if (kind || slave_kind) {
		size_t info = nest_begin(m, IFLA_LINKINFO);

		if (kind)
			attr_str(m, IFLA_INFO_KIND, kind);
		if (slave_kind)
			attr_str(m, IFLA_INFO_SLAVE_KIND, slave_kind);
		nest_end(m, info);
	}
	msg_end(m);
}

static void addr_msg(struct nlb *m, uint16_t type, int family, int ifindex, const char *addr,
		     const char *peer, uint32_t flags)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)family, .ifa_index = (uint32_t)ifindex,
				 .ifa_prefixlen = family == AF_INET ? 16 : 64,
				 .ifa_flags = (uint8_t)flags };
	uint8_t a[16];
	size_t len = family == AF_INET ? 4 : 16;

	msg_begin(m, type, 0, &ifa, sizeof(ifa));
	assert_int_equal(inet_pton(family, peer ? peer : addr, a), 1);
	attr(m, IFA_ADDRESS, a, len);
	if (peer) {
		assert_int_equal(inet_pton(family, addr, a), 1);
		attr(m, IFA_LOCAL, a, len);
	}
	attr_u32(m, IFA_FLAGS, flags);
	msg_end(m);
}

struct got {
	struct net_msg m[16];
	int n;
};

static void keep(const struct net_msg *m, void *userdata)
{
	struct got *g = userdata;

	assert_true(g->n < 16);
	g->m[g->n++] = *m;
}

/* ---- the parser ---------------------------------------------------------------- */

static void test_rtnl_link(void **state)
{
	struct nlb m = { 0 };
	struct ifinfomsg br = { .ifi_family = AF_BRIDGE, .ifi_index = 9 };
	struct got g = { 0 };
	uint8_t a[6];
	int32_t err = -EBUSY;
	struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE,
				 .nlmsg_seq = 77 };

	(void)state;
	link_msg(&m, RTM_NEWLINK, 12, "bond0.100", M1, "vlan", "bridge", 20, 10);
	msg_begin(&m, RTM_NEWLINK, 0, &br, sizeof(br));        /* a bridge port notice */
	attr_u32(&m, IFLA_MASTER, 20);
	msg_end(&m);
	link_msg(&m, RTM_DELLINK, 13, "veth9", M2, "veth", NULL, 0, 5);
	attr_u32(&m, IFLA_LINK_NETNSID, 1);    /* its peer lives in another namespace */
	msg_end(&m);
	memcpy(m.b + m.len, &done, sizeof(done));
	m.len += NLMSG_LENGTH(4);
	msg_begin(&m, NLMSG_ERROR, 78, &err, sizeof(err));
	msg_end(&m);
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), 4);
	assert_int_equal(g.m[0].type, NET_MSG_NEWLINK);
	assert_int_equal(g.m[0].link.ifindex, 12);
	assert_string_equal(g.m[0].link.name, "bond0.100");
	assert_string_equal(g.m[0].link.kind, "vlan");
	assert_string_equal(g.m[0].link.slave_kind, "bridge");
	assert_int_equal(g.m[0].link.master, 20);
	assert_int_equal(g.m[0].link.link, 10);
	assert_int_equal(g.m[0].link.type, ARPHRD_ETHER);
	assert_true(g.m[0].link.flags & IFF_UP);
	mac_of(M1, a);
	assert_true(g.m[0].link.has_mac);
	assert_memory_equal(g.m[0].link.mac, a, 6);
	assert_int_equal(g.m[1].type, NET_MSG_DELLINK);
	assert_int_equal(g.m[1].link.ifindex, 13);
	assert_int_equal(g.m[1].link.link, 0);
	assert_int_equal(g.m[2].type, NET_MSG_DONE);
	assert_int_equal(g.m[2].seq, 77);
	assert_int_equal(g.m[3].type, NET_MSG_ERROR);
	assert_int_equal(g.m[3].err, -EBUSY);
	assert_int_equal(g.m[3].seq, 78);
}

static void test_rtnl_addr(void **state)
{
	struct nlb m = { 0 };
	struct got g = { 0 };
	uint8_t a[16];

	(void)state;
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 3, "fe80::1", NULL, IFA_F_PERMANENT | IFA_F_DADFAILED |
		 IFA_F_TENTATIVE);
	addr_msg(&m, RTM_DELADDR, AF_INET, 4, "10.0.0.1", "10.0.0.2", 0);     /* point-to-point */
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), 2);
	assert_int_equal(g.m[0].type, NET_MSG_NEWADDR);
	assert_int_equal(g.m[0].addr.family, AF_INET6);
	assert_int_equal(g.m[0].addr.ifindex, 3);
	assert_true(g.m[0].addr.flags & IFA_F_DADFAILED);
	inet_pton(AF_INET6, "fe80::1", a);
	assert_memory_equal(g.m[0].addr.addr, a, 16);
	assert_int_equal(g.m[1].type, NET_MSG_DELADDR);
	inet_pton(AF_INET, "10.0.0.1", a);     /* IFA_LOCAL, not the peer */
	assert_memory_equal(g.m[1].addr.addr, a, 4);
	/* IFA_FLAGS wins over the 8-bit field; no address: nothing */
	m.len = 0;
	g.n = 0;
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 3, "fe80::2", NULL, 0x200 | IFA_F_DADFAILED);
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), 1);
	assert_int_equal(g.m[0].addr.flags, 0x200 | IFA_F_DADFAILED);
	m.len = 0;
	msg_begin(&m, RTM_NEWADDR, 0, &(struct ifaddrmsg){ .ifa_family = AF_INET6, .ifa_index = 3 },
		  sizeof(struct ifaddrmsg));
	attr(&m, IFA_ADDRESS, a, 4);            /* the wrong size for IPv6 */
	msg_end(&m);
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), 0);
}

/* Cut anywhere, an attribute longer than its message, a message longer
 * than the datagram: refused or cut short, never a read past the end
 * (the buffer is exactly the datagram's size, for ASan). */
static void test_rtnl_hostile(void **state)
{
	struct nlb m = { 0 };
	struct got g;
	uint8_t *copy;
	unsigned short huge = 4000;

	(void)state;
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, "bond", NULL, 0, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 2, "fe80::1", NULL, IFA_F_DADFAILED);
	for (size_t n = 0; n <= m.len; n++) {
		int r;

		copy = malloc(n ? n : 1);
		memcpy(copy, m.b, n);
		g.n = 0;
		r = net_rtnl_parse(copy, n, keep, &g);
		assert_true(r == -EINVAL || (r >= 0 && r == g.n));
		free(copy);
	}
	/* the name attribute claims 4000 bytes: the attributes stop there */
	memcpy(m.b + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg)), &huge, sizeof(huge));
	g.n = 0;
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), 2);
	assert_string_equal(g.m[0].link.name, "if2");
	assert_false(g.m[0].link.has_mac);
	/* a message shorter than its header, or longer than the datagram */
	memset(m.b, 0, 4);
	m.b[0] = 8;
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), -EINVAL);
	m.b[0] = 0xff;
	m.b[1] = 0xff;
	assert_int_equal(net_rtnl_parse(m.b, m.len, keep, &g), -EINVAL);
	/* random bytes */
	srand(11);
	for (int i = 0; i < 5000; i++) {
		size_t n = (size_t)rand() % 256;

		copy = malloc(n ? n : 1);
		for (size_t k = 0; k < n; k++)
			copy[k] = (uint8_t)rand();
		if (n >= 16) {
			uint32_t l = (uint32_t)n;

			memcpy(copy, &l, 4);
			copy[4] = (uint8_t)(RTM_NEWLINK + rand() % 8);
			copy[5] = 0;
		}
		g.n = 0;
		net_rtnl_parse(copy, n, keep, &g);
		free(copy);
	}
}

/* This machine's own links through a real socket: lo is there. */
struct real {
	bool lo, done;
};

static void see(const struct net_msg *m, void *userdata)
{
	struct real *r = userdata;

	r->lo |= m->type == NET_MSG_NEWLINK && m->link.type == ARPHRD_LOOPBACK;
	r->done |= m->type == NET_MSG_DONE && m->seq == 42;
}

static void test_rtnl_real(void **state)
{
	struct real r = { 0 };
	int fd = net_rtnl_open();

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(net_rtnl_dump(fd, true, 42), 0);
	for (int k = 0; k < 100 && !r.done; k++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		assert_true(poll(&p, 1, 2000) > 0);
		assert_true(net_rtnl_drain(fd, see, &r) >= 0);
	}
	close(fd);
	assert_true(r.done);
	assert_true(r.lo);
}

/* ---- the guard's handlers ------------------------------------------------------------ */

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

struct gfix {
	struct guard g;
	struct guard_env env;
	struct reporter rep;
	int p[2];
	struct net_guard *n;
	json_object *rec[32];
	int nrec;
};

static struct gfix *gfix_new(void)
{
	struct gfix *x = calloc(1, sizeof(*x));

	x->rep = pipe_reporter(x->p);
	assert_int_equal(fcntl(x->p[0], F_SETFL, O_NONBLOCK), 0);
	x->env.rep = &x->rep;
	x->g.env = &x->env;
	x->g.state = x->n = calloc(1, sizeof(struct net_guard));
	net_init(x->n);
	x->n->clock = fake_clock;
	fake_now = 1000000;
	return x;
}

static void gfix_free(struct gfix *x)
{
	for (int i = 0; i < x->nrec; i++)
		json_object_put(x->rec[i]);
	free(x->n->links);
	free(x->n->addrs);
	free(x->n);
	close(x->p[0]);
	close(x->p[1]);
	free(x);
}

/* The records written since the last call, parsed into x->rec. */
static int records(struct gfix *x)
{
	static char buf[65536];
	ssize_t n = read(x->p[0], buf, sizeof(buf) - 1);
	char *line, *save = NULL;

	for (int i = 0; i < x->nrec; i++)
		json_object_put(x->rec[i]);
	x->nrec = 0;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(x->nrec < 32);
		x->rec[x->nrec] = json_tokener_parse(line);
		assert_non_null(x->rec[x->nrec]);
		x->nrec++;
	}
	return x->nrec;
}

static const char *str(json_object *o, const char *path)
{
	return json_object_get_string(get(o, path));
}

static void feed(const struct net_msg *m, void *userdata)
{
	net_handle_msg(userdata, m);
}

static void feed_bytes(struct gfix *x, struct nlb *m)
{
	assert_true(net_rtnl_parse(m->b, m->len, feed, &x->g) > 0);
	m->len = 0;
}

static void test_guard_local(void **state)
{
	struct gfix *x = gfix_new();
	struct nlb m = { 0 };
	json_object *r;

	(void)state;
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, NULL, NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 3, "eth1", M1, NULL, NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 4, "br0", M2, "bridge", NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 5, "veth0", M2, "veth", "bridge", 4, 0);
	feed_bytes(x, &m);
	net_compare_macs(&x->g, fake_now);
	assert_int_equal(records(x), 1);
	r = x->rec[0];
	assert_string_equal(str(r, "guard"), "network");
	assert_string_equal(str(r, "event"), "dup-mac-local");
	assert_string_equal(str(r, "network.interface"), "eth0");
	assert_string_equal(str(r, "network.other_interface"), "eth1");
	assert_string_equal(str(r, "network.mac"), M1);
	assert_int_equal(json_object_get_int64(get(r, "network.count")), 1);
	assert_null(get(r, "network.address"));
	assert_null(get(r, "network.seen_on"));
	assert_non_null(strstr(str(r, "message"), "eth0 and eth1 have the same MAC"));
	/* in force, not news: no second record */
	net_compare_macs(&x->g, fake_now + 1000);
	assert_int_equal(records(x), 0);
	/* eth1 joins a bond with eth0: allowed; removed from it again, a
	 * minute later: reported again */
	link_msg(&m, RTM_NEWLINK, 3, "eth1", M1, NULL, "bond", 10, 0);
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, NULL, "bond", 10, 0);
	link_msg(&m, RTM_NEWLINK, 10, "bond0", M1, "bond", NULL, 0, 0);
	feed_bytes(x, &m);
	net_compare_macs(&x->g, fake_now + 2000);
	assert_int_equal(x->n->npairs, 0);
	link_msg(&m, RTM_DELLINK, 10, "bond0", M1, "bond", NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 3, "eth1", M1, NULL, NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, NULL, NULL, 0, 0);
	feed_bytes(x, &m);
	fake_now += NET_LIMIT_MS + 5000;
	net_compare_macs(&x->g, fake_now);
	assert_int_equal(records(x), 1);
	assert_int_equal(x->n->found[NET_DUP_LOCAL], 2);
	gfix_free(x);
}

static void test_guard_remote(void **state)
{
	struct gfix *x = gfix_new();
	struct nlb m = { 0 };
	uint8_t b[128];
	size_t len;
	json_object *r;

	(void)state;
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, NULL, NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 4, "br0", M2, "bridge", NULL, 0, 0);
	link_msg(&m, RTM_NEWLINK, 5, "veth1", "52:54:00:00:00:05", "veth", "bridge", 4, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET, 4, "169.254.1.1", NULL, IFA_F_PERMANENT);
	feed_bytes(x, &m);
	/* a station on the bridge took br0's MAC and asks for an address */
	len = arp_frame(b, 1, M2, M2, "169.254.1.9", "169.254.1.1");
	net_handle_frame(&x->g, b, len, 5, PACKET_BROADCAST, fake_now);
	assert_int_equal(records(x), 1);
	r = x->rec[0];
	assert_string_equal(str(r, "event"), "dup-mac-remote");
	assert_string_equal(str(r, "network.interface"), "br0");
	assert_string_equal(str(r, "network.seen_on"), "veth1");
	assert_string_equal(str(r, "network.mac"), M2);
	assert_string_equal(str(r, "network.address"), "169.254.1.9");
	assert_null(get(r, "network.other_mac"));
	assert_non_null(strstr(str(r, "message"), "another station uses the MAC"));
	/* the same frame up on br0, and a flood: held back */
	net_handle_frame(&x->g, b, len, 4, PACKET_BROADCAST, fake_now + 1);
	for (int i = 0; i < 50; i++)
		net_handle_frame(&x->g, b, len, 5, PACKET_BROADCAST, fake_now + 10 + (uint64_t)i);
	assert_int_equal(records(x), 0);
	assert_int_equal(x->n->found[NET_DUP_REMOTE], 52);
	/* a minute on: the summary with its count, then the new one */
	fake_now += NET_LIMIT_MS + 1;
	net_handle_frame(&x->g, b, len, 5, PACKET_BROADCAST, fake_now);
	assert_int_equal(records(x), 2);
	assert_int_equal(json_object_get_int64(get(x->rec[0], "network.count")), 51);
	assert_non_null(strstr(str(x->rec[0], "message"), "51 times in the last 60 s"));
	assert_int_equal(json_object_get_int64(get(x->rec[1], "network.count")), 1);
	/* our own frame, sent on eth0 and back in on it (a loop): not a station */
	len = arp_frame(b, 1, M1, M1, "169.254.2.1", "169.254.2.2");
	net_handle_frame(&x->g, b, len - 18, 2, PACKET_OUTGOING, fake_now);
	net_handle_frame(&x->g, b, len, 2, PACKET_BROADCAST, fake_now + 5);
	assert_int_equal(x->n->looped, 1);
	assert_int_equal(records(x), 0);
	/* ... but the same bytes long after are another station */
	net_handle_frame(&x->g, b, len, 2, PACKET_BROADCAST, fake_now + NET_LOOP_MS + 10);
	assert_int_equal(records(x), 1);
	/* the stack's own multicast, an unknown interface: ignored */
	net_handle_frame(&x->g, b, len, 2, PACKET_LOOPBACK, fake_now);
	net_handle_frame(&x->g, b, len, 99, PACKET_HOST, fake_now);
	assert_int_equal(x->n->found[NET_DUP_REMOTE], 54);
	gfix_free(x);
}

static void test_guard_flipflop_dad(void **state)
{
	struct gfix *x = gfix_new();
	struct nlb m = { 0 };
	uint8_t b[128];
	size_t len;
	json_object *r;

	(void)state;
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, NULL, NULL, 0, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET, 2, "169.254.0.1", NULL, IFA_F_PERMANENT);
	feed_bytes(x, &m);
	/* 169.254.0.5 answered by two MACs 800 ms apart */
	len = arp_frame(b, 2, "52:54:00:00:00:03", "52:54:00:00:00:03", "169.254.0.5", "169.254.0.1");
	net_handle_frame(&x->g, b, len, 2, PACKET_HOST, fake_now);
	len = arp_frame(b, 2, "52:54:00:00:00:04", "52:54:00:00:00:04", "169.254.0.5", "169.254.0.1");
	net_handle_frame(&x->g, b, len, 2, PACKET_HOST, fake_now + 800);
	assert_int_equal(records(x), 1);
	r = x->rec[0];
	assert_string_equal(str(r, "event"), "arp-flip-flop");
	assert_string_equal(str(r, "network.interface"), "eth0");
	assert_string_equal(str(r, "network.address"), "169.254.0.5");
	assert_string_equal(str(r, "network.mac"), "52:54:00:00:00:04");
	assert_string_equal(str(r, "network.other_mac"), "52:54:00:00:00:03");
	assert_non_null(strstr(str(r, "message"), "and 800 ms before by"));
	/* our own address, claimed by another MAC */
	len = arp_frame(b, 1, "52:54:00:00:00:03", "52:54:00:00:00:03", "169.254.0.1", "169.254.0.7");
	net_handle_frame(&x->g, b, len, 2, PACKET_BROADCAST, fake_now + 900);
	assert_int_equal(records(x), 1);
	assert_string_equal(str(x->rec[0], "network.other_mac"), M1);
	assert_non_null(strstr(str(x->rec[0], "message"), "169.254.0.1, an address of eth0"));
	/* an address of eth1, another segment: a neighbour on eth0's, not ours */
	link_msg(&m, RTM_NEWLINK, 3, "eth1", M2, NULL, NULL, 0, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET, 3, "169.254.9.1", NULL, IFA_F_PERMANENT);
	feed_bytes(x, &m);
	len = arp_frame(b, 1, "52:54:00:00:00:03", "52:54:00:00:00:03", "169.254.9.1", "169.254.0.7");
	net_handle_frame(&x->g, b, len, 2, PACKET_BROADCAST, fake_now + 900);
	assert_int_equal(records(x), 0);
	/* a probe (sender 0.0.0.0) is no claim */
	len = arp_frame(b, 1, "52:54:00:00:00:08", "52:54:00:00:00:08", "0.0.0.0", "169.254.0.1");
	net_handle_frame(&x->g, b, len, 2, PACKET_BROADCAST, fake_now + 950);
	assert_int_equal(records(x), 0);

	/* DAD: another station answers for fe80::1; then the kernel says so */
	len = nd_frame(b, 136, "52:54:00:00:00:05", "fe80::1", "fe80::1", 2, "52:54:00:00:00:05");
	net_handle_frame(&x->g, b, len, 2, PACKET_MULTICAST, fake_now);
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 2, "fe80::1", NULL, IFA_F_PERMANENT | IFA_F_TENTATIVE);
	feed_bytes(x, &m);
	assert_int_equal(records(x), 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 2, "fe80::1", NULL,
		 IFA_F_PERMANENT | IFA_F_TENTATIVE | IFA_F_DADFAILED);
	feed_bytes(x, &m);
	assert_int_equal(records(x), 1);
	r = x->rec[0];
	assert_string_equal(str(r, "event"), "dad-failed");
	assert_string_equal(str(r, "network.interface"), "eth0");
	assert_string_equal(str(r, "network.address"), "fe80::1");
	assert_string_equal(str(r, "network.mac"), M1);
	assert_string_equal(str(r, "network.other_mac"), "52:54:00:00:00:05");
	/* the same state again (a resync): not news */
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 2, "fe80::1", NULL, IFA_F_PERMANENT | IFA_F_DADFAILED);
	feed_bytes(x, &m);
	assert_int_equal(x->n->found[NET_DAD_FAILED], 1);
	/* removed and added again: failed again (held back within the minute) */
	addr_msg(&m, RTM_DELADDR, AF_INET6, 2, "fe80::1", NULL, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET6, 2, "fe80::1", NULL, IFA_F_DADFAILED);
	feed_bytes(x, &m);
	assert_int_equal(x->n->found[NET_DAD_FAILED], 2);
	assert_int_equal(records(x), 0);
	/* the interface goes: so do its addresses */
	link_msg(&m, RTM_DELLINK, 2, "eth0", M1, NULL, NULL, 0, 0);
	feed_bytes(x, &m);
	assert_int_equal(x->n->naddrs, 1);
	assert_int_equal(x->n->nlinks, 1);
	gfix_free(x);
}

/* A dump of the addresses ends: those it did not list are forgotten. */
static void test_guard_resync(void **state)
{
	struct gfix *x = gfix_new();
	struct nlb m = { 0 };
	struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE,
				 .nlmsg_seq = 7 };

	(void)state;
	link_msg(&m, RTM_NEWLINK, 2, "eth0", M1, NULL, NULL, 0, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET, 2, "169.254.0.1", NULL, 0);
	addr_msg(&m, RTM_NEWADDR, AF_INET, 2, "169.254.0.2", NULL, 0);
	feed_bytes(x, &m);
	assert_int_equal(x->n->naddrs, 2);
	x->n->gen++;
	x->n->dump = NET_DUMP_ADDRS;
	x->n->dump_seq = 7;
	addr_msg(&m, RTM_NEWADDR, AF_INET, 2, "169.254.0.2", NULL, 0);
	memcpy(m.b + m.len, &done, sizeof(done));
	m.len += NLMSG_LENGTH(4);
	feed_bytes(x, &m);
	assert_int_equal(x->n->dump, NET_DUMP_NONE);
	assert_true(x->n->synced);
	assert_int_equal(x->n->naddrs, 1);
	assert_int_equal(x->n->addrs[0].addr[3], 2);
	gfix_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtnl_link),
		cmocka_unit_test(test_rtnl_addr),
		cmocka_unit_test(test_rtnl_hostile),
		cmocka_unit_test(test_rtnl_real),
		cmocka_unit_test(test_guard_local),
		cmocka_unit_test(test_guard_remote),
		cmocka_unit_test(test_guard_flipflop_dad),
		cmocka_unit_test(test_guard_resync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
