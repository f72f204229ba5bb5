// SPDX-License-Identifier: GPL-2.0-or-later
/* The network guard's pure parts: the MAC rules, the frame parser (ARP,
 * neighbour discovery, truncated and hostile frames), the BPF filter (run
 * by the kernel on a UNIX socket: no privilege needed), the flip-flop
 * window, the loop detector, the rate limit, the messages.
 * test_network_guard.c: rtnetlink messages and the guard's handlers. */
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

/* An Ethernet interface that is up. */
static struct net_link L(int ifindex, const char *name, const char *mac, const char *kind,
			 const char *slave_kind, int master, int link)
{
	struct net_link l = { .ifindex = ifindex, .type = ARPHRD_ETHER, .flags = IFF_UP,
			      .master = master, .link = link, .has_mac = true };

	snprintf(l.name, sizeof(l.name), "%s", name);
	snprintf(l.kind, sizeof(l.kind), "%s", kind ? kind : "");
	snprintf(l.slave_kind, sizeof(l.slave_kind), "%s", slave_kind ? slave_kind : "");
	mac_of(mac, l.mac);
	return l;
}

struct table {
	struct net_link *l;
	size_t n, cap;
};

static void put(struct table *t, struct net_link l)
{
	assert_int_equal(net_links_put(&t->l, &t->n, &t->cap, &l), 0);
}

static int pairs(struct table *t, struct net_pair *out, size_t cap)
{
	int r = net_dup_pairs(t->l, t->n, out, cap);

	assert_true(r >= 0);
	return r;
}

/* ---- the MAC rules ------------------------------------------------------------ */

static void test_rules_plain_duplicate(void **state)
{
	struct table t = { 0 };
	struct net_pair p[4];

	(void)state;
	put(&t, L(3, "eth1", M1, NULL, NULL, 0, 0));
	put(&t, L(2, "eth0", M1, NULL, NULL, 0, 0));
	put(&t, L(4, "eth2", M2, NULL, NULL, 0, 0));
	assert_int_equal(t.l[0].ifindex, 2);    /* kept sorted */
	assert_int_equal(pairs(&t, p, 4), 1);
	assert_int_equal(p[0].a, 2);
	assert_int_equal(p[0].b, 3);
	/* a third one: three pairs, only as many written as there is room */
	put(&t, L(5, "eth3", M1, NULL, NULL, 0, 0));
	assert_int_equal(pairs(&t, p, 1), 3);
	assert_int_equal(p[0].a, 2);
	/* gone: none */
	net_links_del(t.l, &t.n, 3);
	net_links_del(t.l, &t.n, 5);
	net_links_del(t.l, &t.n, 99);
	assert_int_equal(pairs(&t, p, 4), 0);
	free(t.l);
}

/* Not compared: loopback, all-zero MACs, interfaces that are down, not
 * Ethernet, or have no 6-byte address. */
static void test_rules_ignored(void **state)
{
	struct table t = { 0 };
	struct net_link l;
	struct net_pair p[4];

	(void)state;
	l = L(1, "lo", "00:00:00:00:00:00", NULL, NULL, 0, 0);
	l.type = ARPHRD_LOOPBACK;
	l.flags |= IFF_LOOPBACK;
	put(&t, l);
	put(&t, L(2, "dummy0", "00:00:00:00:00:00", "dummy", NULL, 0, 0));
	put(&t, L(3, "dummy1", "00:00:00:00:00:00", "dummy", NULL, 0, 0));
	assert_int_equal(pairs(&t, p, 4), 0);
	put(&t, L(4, "eth0", M1, NULL, NULL, 0, 0));
	l = L(5, "eth1", M1, NULL, NULL, 0, 0);
	l.flags = 0;                            /* down */
	put(&t, l);
	l = L(6, "ib0", M1, NULL, NULL, 0, 0);
	l.type = ARPHRD_INFINIBAND;
	put(&t, l);
	l = L(7, "x0", M1, NULL, NULL, 0, 0);
	l.has_mac = false;
	put(&t, l);
	assert_int_equal(pairs(&t, p, 4), 0);
	assert_false(net_link_watched(&t.l[0]));
	/* up it comes: a duplicate */
	l = L(5, "eth1", M1, NULL, NULL, 0, 0);
	put(&t, l);
	assert_int_equal(pairs(&t, p, 4), 1);
	free(t.l);
}

/* Bond slaves share the bond's MAC, a VLAN its parent's (also on a bond),
 * a bridge a port's, macvlan (passthru) and ipvlan their lower device's. */
static void test_rules_allowed(void **state)
{
	struct table t = { 0 };
	struct net_pair p[4];

	(void)state;
	put(&t, L(2, "eth0", M1, NULL, "bond", 10, 0));
	put(&t, L(3, "eth1", M1, NULL, "bond", 10, 0));
	put(&t, L(10, "bond0", M1, "bond", NULL, 0, 0));
	put(&t, L(11, "bond0.100", M1, "vlan", NULL, 0, 10));
	put(&t, L(12, "br0", M2, "bridge", NULL, 0, 0));
	put(&t, L(13, "veth0", M2, "veth", "bridge", 12, 0));
	put(&t, L(14, "mv0", M2, "macvlan", NULL, 0, 13));
	put(&t, L(15, "ipv0", M1, "ipvlan", NULL, 0, 11));
	put(&t, L(16, "team0", "52:54:00:00:00:03", "team", NULL, 0, 0));
	put(&t, L(17, "eth4", "52:54:00:00:00:03", NULL, NULL, 16, 0));  /* the master's kind says */
	assert_int_equal(pairs(&t, p, 4), 0);
	assert_true(net_same_group(t.l, t.n, 2, 15));
	assert_false(net_same_group(t.l, t.n, 2, 13));
	/* a VLAN whose lower device is in another namespace has no parent here */
	put(&t, L(18, "vlan9", M2, "vlan", NULL, 0, 0));
	assert_int_equal(pairs(&t, p, 4), 3);   /* with br0, veth0 and mv0 */
	free(t.l);
}

/* Open vSwitch: the bridge's internal port copies its uplink's MAC; both
 * are ports of the ovs-system datapath. */
static void test_rules_ovs(void **state)
{
	struct table t = { 0 };
	struct net_pair p[4];

	(void)state;
	put(&t, L(2, "eth0", M1, NULL, "openvswitch", 5, 0));
	put(&t, L(5, "ovs-system", "aa:bb:cc:00:00:01", "openvswitch", NULL, 0, 0));
	put(&t, L(6, "br-ex", M1, "openvswitch", "openvswitch", 5, 0));
	assert_int_equal(pairs(&t, p, 4), 0);
	/* a veth pair in one namespace with one MAC is a duplicate: its link
	 * is its peer, not a lower device */
	put(&t, L(7, "va", M2, "veth", NULL, 0, 8));
	put(&t, L(8, "vb", M2, "veth", NULL, 0, 7));
	assert_int_equal(pairs(&t, p, 4), 1);
	assert_int_equal(p[0].a, 7);
	free(t.l);
}

static void test_mac_owner(void **state)
{
	struct table t = { 0 };
	uint8_t m[6];

	(void)state;
	put(&t, L(3, "veth0", M1, "veth", "bridge", 4, 0));
	put(&t, L(4, "br0", M1, "bridge", NULL, 0, 0));
	put(&t, L(5, "veth1", M2, "veth", "bridge", 4, 0));
	mac_of(M1, m);
	assert_int_equal(net_mac_owner(t.l, t.n, m, 5)->ifindex, 4);    /* the bridge */
	/* seen on the port that shares the bridge's MAC: still the bridge (VM 37) */
	assert_int_equal(net_mac_owner(t.l, t.n, m, 3)->ifindex, 4);
	mac_of("52:54:00:00:00:09", m);
	assert_null(net_mac_owner(t.l, t.n, m, 5));
	free(t.l);
}

/* ---- frames ------------------------------------------------------------------ */

static void test_frame_arp(void **state)
{
	uint8_t b[64], m[6], ip[4];
	struct net_frame f;
	size_t len = arp_frame(b, 2, M1, M2, "169.254.1.1", "169.254.1.2");

	(void)state;
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_int_equal(f.type, NET_ARP_REPLY);
	assert_int_equal(f.family, AF_INET);
	assert_int_equal(f.len, 42);            /* the padding is not the frame */
	mac_of(M1, m);
	assert_memory_equal(f.src, m, 6);
	mac_of(M2, m);
	assert_true(f.has_lladdr);
	assert_memory_equal(f.lladdr, m, 6);
	inet_pton(AF_INET, "169.254.1.1", ip);
	assert_memory_equal(f.sender, ip, 4);
	inet_pton(AF_INET, "169.254.1.2", ip);
	assert_memory_equal(f.target, ip, 4);
	arp_frame(b, 1, M1, M1, "0.0.0.0", "169.254.1.2");
	assert_int_equal(net_parse_frame(b, 42, &f), 0);
	assert_int_equal(f.type, NET_ARP_REQUEST);
	/* every shorter frame is refused, and ret stays untouched */
	for (size_t n = 0; n < 42; n++) {
		memset(&f, 0x5a, sizeof(f));
		assert_int_equal(net_parse_frame(b, n, &f), -EINVAL);
		assert_int_equal(f.len, (size_t)0x5a5a5a5a5a5a5a5aull);
	}
	/* not Ethernet/IPv4 ARP, an unknown operation, another ethertype */
	b[18] = 8;
	assert_int_equal(net_parse_frame(b, 42, &f), -EINVAL);
	b[18] = 6;
	b[21] = 3;
	assert_int_equal(net_parse_frame(b, 42, &f), -EINVAL);
	b[21] = 1;
	b[13] = 0x00;
	assert_int_equal(net_parse_frame(b, 42, &f), -EINVAL);
	assert_int_equal(net_parse_frame(NULL, 0, &f), -EINVAL);
}

static void test_frame_nd(void **state)
{
	uint8_t b[128], m[6], ip[16];
	struct net_frame f;
	size_t len;

	(void)state;
	/* NS with the source link-layer option */
	len = nd_frame(b, 135, M1, "fe80::1", "fe80::2", 1, M2);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_int_equal(f.type, NET_ND_NS);
	assert_int_equal(f.family, AF_INET6);
	assert_int_equal(f.len, len);
	mac_of(M2, m);
	assert_true(f.has_lladdr);
	assert_memory_equal(f.lladdr, m, 6);
	inet_pton(AF_INET6, "fe80::2", ip);
	assert_memory_equal(f.target, ip, 16);
	inet_pton(AF_INET6, "fe80::1", ip);
	assert_memory_equal(f.sender, ip, 16);
	/* NA with the target link-layer option; a source option is not it */
	len = nd_frame(b, 136, M1, "fe80::2", "fe80::2", 2, M2);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_int_equal(f.type, NET_ND_NA);
	assert_true(f.has_lladdr);
	len = nd_frame(b, 136, M1, "fe80::2", "fe80::2", 1, M2);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_false(f.has_lladdr);
	/* a DAD probe: unspecified source, no option */
	len = nd_frame(b, 135, M1, "::", "fe80::2", 0, NULL);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_false(f.has_lladdr);
	/* RS, RA, redirect */
	len = nd_frame(b, 133, M1, "fe80::1", NULL, 1, M1);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_int_equal(f.type, NET_ND_RS);
	len = nd_frame(b, 134, M1, "fe80::1", NULL, 1, M1);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_int_equal(f.type, NET_ND_RA);
	len = nd_frame(b, 137, M1, "fe80::1", "fe80::9", 2, M1);
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	assert_int_equal(f.type, NET_ND_REDIRECT);
}

static void test_frame_nd_hostile(void **state)
{
	uint8_t b[128];
	struct net_frame f;
	size_t len = nd_frame(b, 135, M1, "fe80::1", "fe80::2", 1, M2);

	(void)state;
	for (size_t n = 0; n < len; n++)        /* truncated anywhere */
		assert_int_equal(net_parse_frame(b, n, &f), -EINVAL);
	b[21] = 64;                             /* hop limit: routed, not from the link */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[21] = 255;
	b[55] = 1;                              /* code */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[55] = 0;
	b[54 + 24 + 1] = 0;                     /* an option of length 0 */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[54 + 24 + 1] = 2;                     /* an option past the end */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[54 + 24 + 1] = 1;
	b[19] += 8;                             /* a payload longer than the frame */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[19] -= 8;
	b[20] = 6;                              /* TCP */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[20] = 58;
	b[54] = 128;                            /* echo request */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[54] = 135;
	b[19] = 20;                             /* shorter than an NS */
	assert_int_equal(net_parse_frame(b, len, &f), -EINVAL);
	b[19] = 32;
	assert_int_equal(net_parse_frame(b, len, &f), 0);
	/* random bytes never crash it */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)rand() % sizeof(b);

		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)rand();
		if (i & 1) {
			b[12] = 0x86;
			b[13] = 0xdd;
		}
		net_parse_frame(b, n, &f);
	}
}

/* The BPF program, run by the kernel on a UNIX datagram socket: only ARP
 * and ND get through, cut to NET_SNAPLEN. */
static void test_bpf(void **state)
{
	struct sock_fprog prog = { .len = net_bpf_len, .filter = (struct sock_filter *)net_bpf };
	uint8_t b[NET_SNAPLEN + 200], r[sizeof(b)];
	int sv[2];
	size_t len;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
	len = arp_frame(b, 1, M1, M1, "169.254.1.1", "169.254.1.2");
	assert_int_equal(send(sv[0], b, len, 0), (ssize_t)len);
	assert_int_equal(recv(sv[1], r, sizeof(r), 0), (ssize_t)len);
	len = nd_frame(b, 136, M1, "fe80::2", "fe80::2", 2, M2);
	assert_int_equal(send(sv[0], b, len, 0), (ssize_t)len);
	assert_int_equal(recv(sv[1], r, sizeof(r), 0), (ssize_t)len);
	b[54] = 128;                            /* ICMPv6 echo: dropped */
	assert_int_equal(send(sv[0], b, len, 0), (ssize_t)len);
	b[54] = 138;
	assert_int_equal(send(sv[0], b, len, 0), (ssize_t)len);
	b[54] = 133;
	b[20] = 17;                             /* UDP */
	assert_int_equal(send(sv[0], b, len, 0), (ssize_t)len);
	b[12] = 0x08;                           /* IPv4 */
	b[13] = 0x00;
	assert_int_equal(send(sv[0], b, len, 0), (ssize_t)len);
	assert_int_equal(recv(sv[1], r, sizeof(r), 0), -1);
	assert_int_equal(errno, EAGAIN);
	/* a long one is cut */
	memset(b + 60, 0, sizeof(b) - 60);
	arp_frame(b, 1, M1, M1, "169.254.1.1", "169.254.1.2");
	assert_int_equal(send(sv[0], b, sizeof(b), 0), (ssize_t)sizeof(b));
	assert_int_equal(recv(sv[1], r, sizeof(r), 0), NET_SNAPLEN);
	close(sv[0]);
	close(sv[1]);
}

/* ---- the flip-flop window, loops, the rate limit -------------------------------- */

static void test_flipflop_window(void **state)
{
	struct net_neighs *t = calloc(1, sizeof(*t));
	uint8_t a[4] = { 169, 254, 0, 9 }, m1[6], m2[6], old[6];
	uint64_t ago;

	(void)state;
	mac_of(M1, m1);
	mac_of(M2, m2);
	assert_false(net_neigh_learn(t, AF_INET, a, m1, 1000, NET_FLIPFLOP_MS, old, &ago));
	assert_false(net_neigh_learn(t, AF_INET, a, m1, 2000, NET_FLIPFLOP_MS, old, &ago));
	assert_true(net_neigh_learn(t, AF_INET, a, m2, 5000, NET_FLIPFLOP_MS, old, &ago));
	assert_memory_equal(old, m1, 6);
	assert_int_equal(ago, 3000);
	assert_true(net_neigh_learn(t, AF_INET, a, m1, 5500, NET_FLIPFLOP_MS, old, &ago));
	assert_memory_equal(old, m2, 6);
	/* past the window: a move, not a flip-flop */
	assert_false(net_neigh_learn(t, AF_INET, a, m2, 5500 + NET_FLIPFLOP_MS, NET_FLIPFLOP_MS,
				     old, &ago));
	assert_non_null(net_neigh_find(t, AF_INET, a, 6000 + NET_FLIPFLOP_MS, NET_FLIPFLOP_MS));
	assert_null(net_neigh_find(t, AF_INET, a, 6000 + 3 * NET_FLIPFLOP_MS, NET_FLIPFLOP_MS));
	/* a full table forgets the oldest, never more */
	for (uint32_t i = 0; i < NET_NEIGH_MAX + 10; i++) {
		uint8_t x[4];

		memcpy(x, &i, 4);
		x[0] = 10;
		assert_false(net_neigh_learn(t, AF_INET, x, m1, 100000 + i, NET_FLIPFLOP_MS, old, &ago));
	}
	assert_null(net_neigh_find(t, AF_INET, a, 100000, NET_FLIPFLOP_MS));
	free(t);
}

static void test_sent_loop(void **state)
{
	struct net_sent s = { 0 };
	uint8_t b[64];
	size_t len = arp_frame(b, 1, M1, M1, "169.254.1.1", "169.254.1.2");
	uint64_t h = net_frame_hash(b, 42);

	(void)state;
	assert_false(net_sent_recent(&s, h, 1000));
	net_sent_add(&s, h, 1000);
	assert_true(net_sent_recent(&s, h, 1000 + NET_LOOP_MS - 1));
	assert_false(net_sent_recent(&s, h, 1000 + NET_LOOP_MS));
	b[41] ^= 1;
	assert_false(net_sent_recent(&s, net_frame_hash(b, 42), 1500));
	(void)len;
}

struct emitted {
	struct net_finding f[200];
	uint64_t count[200];
	size_t n;
};

static void collect(const struct net_finding *f, uint64_t count, void *userdata)
{
	struct emitted *e = userdata;

	assert_true(e->n < 200);
	e->f[e->n] = *f;
	e->count[e->n++] = count;
}

static void test_rate_limit(void **state)
{
	struct net_limit *l = calloc(1, sizeof(*l));
	struct emitted *e = calloc(1, sizeof(*e));
	struct net_finding f = { .ev = NET_DUP_REMOTE, .ifname = "br0", .seen_on = "veth1" };

	(void)state;
	mac_of(M1, f.mac);
	net_limit_hit(l, &f, 1000, collect, e);
	assert_int_equal(e->n, 1);
	assert_int_equal(e->count[0], 1);
	for (int i = 0; i < 100; i++)           /* a flood: held back */
		net_limit_hit(l, &f, 1000 + (uint64_t)i * 10, collect, e);
	assert_int_equal(e->n, 1);
	assert_int_equal(net_limit_flush(l, 30000, collect, e), 1000 + NET_LIMIT_MS - 30000);
	assert_int_equal(net_limit_flush(l, 1000 + NET_LIMIT_MS, collect, e), 0);
	assert_int_equal(e->n, 2);              /* one line a minute, with the count */
	assert_int_equal(e->count[1], 100);
	/* another MAC, or another interface, is another key */
	f.mac[5] = 9;
	net_limit_hit(l, &f, 70000, collect, e);
	snprintf(f.ifname, sizeof(f.ifname), "eth0");
	net_limit_hit(l, &f, 70000, collect, e);
	assert_int_equal(e->n, 4);
	/* the first key's new window: held back until it ends */
	mac_of(M1, f.mac);
	snprintf(f.ifname, sizeof(f.ifname), "br0");
	net_limit_hit(l, &f, 70000, collect, e);
	assert_int_equal(e->n, 4);
	assert_int_equal(net_limit_flush(l, 200000, collect, e), 0);
	assert_int_equal(e->n, 5);
	assert_int_equal(e->count[4], 1);
	/* after a quiet minute a finding goes out at once */
	net_limit_hit(l, &f, 300000, collect, e);
	assert_int_equal(e->n, 6);
	/* a full table makes room by emitting the oldest summary early */
	e->n = 0;
	for (int i = 0; i < NET_LIMIT_SLOTS + 5; i++) {
		snprintf(f.ifname, sizeof(f.ifname), "e%d", i);
		net_limit_hit(l, &f, 400000, collect, e);
		net_limit_hit(l, &f, 400001, collect, e);
	}
	assert_true(e->n >= (size_t)NET_LIMIT_SLOTS + 5);
	free(l);
	free(e);
}

static void test_messages(void **state)
{
	struct net_finding f = { .ev = NET_DUP_LOCAL, .ifname = "eth0", .other_if = "eth1" };
	char buf[512];

	(void)state;
	mac_of(M1, f.mac);
	net_finding_message(&f, 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "eth0 and eth1 have the same MAC 52:54:00:00:00:01"));
	net_finding_message(&f, 7, buf, sizeof(buf));
	assert_non_null(strstr(buf, "; 7 times in the last 60 s"));
	f = (struct net_finding){ .ev = NET_FLIPFLOP, .ifname = "br0", .family = AF_INET,
				  .has_other_mac = true, .ago_ms = 1200 };
	inet_pton(AF_INET, "169.254.0.5", f.addr);
	mac_of(M2, f.mac);
	mac_of(M1, f.other_mac);
	net_finding_message(&f, 1, buf, sizeof(buf));
	assert_string_equal(buf, "169.254.0.5 answered by 52:54:00:00:00:02 on br0, and 1200 ms "
			    "before by 52:54:00:00:00:01");
	net_finding_message(&f, 1, buf, 10);    /* cut, terminated */
	assert_int_equal(strlen(buf), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_plain_duplicate),
		cmocka_unit_test(test_rules_ignored),
		cmocka_unit_test(test_rules_allowed),
		cmocka_unit_test(test_rules_ovs),
		cmocka_unit_test(test_mac_owner),
		cmocka_unit_test(test_frame_arp),
		cmocka_unit_test(test_frame_nd),
		cmocka_unit_test(test_frame_nd_hostile),
		cmocka_unit_test(test_bpf),
		cmocka_unit_test(test_flipflop_window),
		cmocka_unit_test(test_sent_loop),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
