/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard (network.h says what it finds): an rtnetlink socket
 * (links and addresses: a dump at start, then the kernel's notices) and a
 * packet socket (ARP and neighbour discovery through a BPF filter), both
 * in the loop; no polling. Each finding is a record and a kmsg line, at
 * most one a minute per (event, interface, MAC), then a count. Without
 * CAP_NET_RAW the packet part is off and says so; the rtnetlink part
 * (local duplicates, DAD failures) needs no privilege. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/guard.h"
#include "core/log.h"
#include "core/util.h"
#include "guards/network/network.h"
#include "report/record.h"

#define SYNC_MS 2000            /* explain, status: the longest wait for the dump */

static struct net_guard *N(struct guard *g) { return g->state; }

static uint64_t clock_ms(const struct net_guard *n)
{
	return n->clock ? n->clock() : now_ms();
}

void net_init(struct net_guard *n)
{
	n->nl.fd = n->pk.fd = -1;
	n->settle.src.fd = n->flush.src.fd = -1;
}

static bool zero(const uint8_t *a, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i])
			return false;
	return true;
}

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void copy_name(char dst[IFNAMSIZ], const struct net_guard *n, int ifindex)
{
	const struct net_link *l = net_links_find(n->links, n->nlinks, ifindex);

	if (l)
		snprintf(dst, IFNAMSIZ, "%s", l->name);
	else
		snprintf(dst, IFNAMSIZ, "if%d", ifindex);
}

/* ---- findings --------------------------------------------------------- */

static void emit(const struct net_finding *f, uint64_t count, void *userdata)
{
	struct guard *g = userdata;
	char msg[512], esc[1024], mac[18], other[18], addr[INET6_ADDRSTRLEN];
	struct netrec rec = {
		.event = net_event_names[f->ev], .message = msg, .interface = f->ifname,
		.mac = mac, .seen_on = *f->seen_on ? f->seen_on : NULL,
		.other_interface = *f->other_if ? f->other_if : NULL, .count = count,
	};

	net_finding_message(f, count, msg, sizeof(msg));
	net_mac_str(f->mac, mac);
	if (f->has_other_mac) {
		net_mac_str(f->other_mac, other);
		rec.other_mac = other;
	}
	if (f->family && inet_ntop(f->family, f->addr, addr, sizeof(addr)))
		rec.address = addr;
	report_network(g->env->rep, &rec);
	escape_untrusted(msg, esc, sizeof(esc));
	report_kmsg(g->env->rep, "network: %s", esc);
}

static void arm_flush(struct guard *g, uint64_t now)
{
	struct net_guard *n = N(g);
	uint64_t next = net_limit_flush(&n->limit, now, emit, g);

	if (next && n->flush.src.fd >= 0)
		loop_timer_arm(&n->flush, next);
}

static void finding(struct guard *g, const struct net_finding *f, uint64_t now)
{
	struct net_guard *n = N(g);

	n->found[f->ev]++;
	n->recent[n->nrecent++ % NET_RECENT] = *f;
	if (n->quiet)
		return;
	net_limit_hit(&n->limit, f, now, emit, g);
	arm_flush(g, now);
}

void net_compare_macs(struct guard *g, uint64_t now)
{
	struct net_guard *n = N(g);
	struct net_pair now_pairs[NET_PAIRS_MAX];
	int total = net_dup_pairs(n->links, n->nlinks, now_pairs, NET_PAIRS_MAX);
	size_t np;

	if (total < 0)
		return;
	np = MIN((size_t)total, (size_t)NET_PAIRS_MAX);
	for (size_t i = 0; i < np; i++) {
		const struct net_link *a = net_links_find(n->links, n->nlinks, now_pairs[i].a);
		struct net_finding f = { .ev = NET_DUP_LOCAL };
		bool known = false;

		for (size_t j = 0; j < n->npairs && !known; j++)
			known = n->pairs[j].a == now_pairs[i].a && n->pairs[j].b == now_pairs[i].b;
		if (known || !a)
			continue;
		copy_name(f.ifname, n, now_pairs[i].a);
		copy_name(f.other_if, n, now_pairs[i].b);
		memcpy(f.mac, a->mac, NET_MAC_LEN);
		finding(g, &f, now);
	}
	memcpy(n->pairs, now_pairs, np * sizeof(now_pairs[0]));
	n->npairs = np;
}

/* ---- addresses -------------------------------------------------------------- */

static struct net_addr *addr_find(struct net_guard *n, int family, const uint8_t *addr, int ifindex)
{
	for (size_t i = 0; i < n->naddrs; i++) {
		struct net_addr *a = &n->addrs[i];

		if (a->family == family && (!ifindex || a->ifindex == ifindex) &&
		    !memcmp(a->addr, addr, alen(family)))
			return a;
	}
	return NULL;
}

static void addr_drop(struct net_guard *n, size_t i)
{
	n->addrs[i] = n->addrs[--n->naddrs];
}

static void dad_failed(struct guard *g, const struct net_addr *a, uint64_t now)
{
	struct net_guard *n = N(g);
	const struct net_link *l = net_links_find(n->links, n->nlinks, a->ifindex);
	const uint8_t *other = net_neigh_find(&n->neigh, AF_INET6, a->addr, now, NET_FLIPFLOP_MS);
	struct net_finding f = { .ev = NET_DAD_FAILED, .family = AF_INET6 };

	copy_name(f.ifname, n, a->ifindex);
	if (l && l->has_mac)
		memcpy(f.mac, l->mac, NET_MAC_LEN);
	memcpy(f.addr, a->addr, 16);
	if (other) {
		f.has_other_mac = true;
		memcpy(f.other_mac, other, NET_MAC_LEN);
	}
	finding(g, &f, now);
}

static void addr_new(struct guard *g, const struct net_addr *a, uint64_t now)
{
	struct net_guard *n = N(g);
	struct net_addr *old = addr_find(n, a->family, a->addr, a->ifindex);
	bool was_failed = old && (old->flags & IFA_F_DADFAILED);

	if (!old && n->naddrs == n->capaddrs) {
		size_t nc = n->capaddrs ? n->capaddrs * 2 : 16;
		struct net_addr *p = realloc(n->addrs, nc * sizeof(*p));

		if (p) {
			n->addrs = p;
			n->capaddrs = nc;
		}
	}
	if (!old && n->naddrs < n->capaddrs)
		old = &n->addrs[n->naddrs++];
	if (old) {
		*old = *a;
		old->gen = n->gen;
	}
	if (a->family == AF_INET6 && (a->flags & IFA_F_DADFAILED) && !was_failed)
		dad_failed(g, a, now);
}

static void addr_del(struct net_guard *n, const struct net_addr *a)
{
	struct net_addr *old = addr_find(n, a->family, a->addr, a->ifindex);

	if (old)
		addr_drop(n, (size_t)(old - n->addrs));
}

static void addrs_drop_if(struct net_guard *n, int ifindex)
{
	for (size_t i = 0; i < n->naddrs;)
		if (n->addrs[i].ifindex == ifindex)
			addr_drop(n, i);
		else
			i++;
}

/* ---- rtnetlink ----------------------------------------------------------------- */

static void start_dump(struct guard *g)
{
	struct net_guard *n = N(g);
	int r;

	if (n->nl.fd < 0)
		return;
	if (n->dump != NET_DUMP_NONE) {
		n->dump_again = true;
		return;
	}
	n->gen++;
	n->dump_again = false;
	n->dump_seq = ++n->seq;
	if ((r = net_rtnl_dump(n->nl.fd, true, n->dump_seq)) < 0) {
		log_warn("network: cannot ask rtnetlink for the links: %s", strerror(-r));
		return;
	}
	n->dump = NET_DUMP_LINKS;
}

static void links_changed(struct guard *g)
{
	struct net_guard *n = N(g);

	/* a bond sets a new slave's MAC before it links the slave to itself:
	 * compare once the changes have settled, not at each one */
	if (n->dump == NET_DUMP_NONE && n->settle.src.fd >= 0)
		loop_timer_arm(&n->settle, NET_SETTLE_MS);
}

static void dump_done(struct guard *g)
{
	struct net_guard *n = N(g);
	int r;

	if (n->dump == NET_DUMP_LINKS) {
		for (size_t i = 0; i < n->nlinks;) {
			if (n->links[i].gen == n->gen) {
				i++;
				continue;
			}
			addrs_drop_if(n, n->links[i].ifindex);
			net_links_del(n->links, &n->nlinks, n->links[i].ifindex);
		}
		n->dump_seq = ++n->seq;
		n->dump = NET_DUMP_ADDRS;
		if ((r = net_rtnl_dump(n->nl.fd, false, n->dump_seq)) < 0) {
			log_warn("network: cannot ask rtnetlink for the addresses: %s", strerror(-r));
			n->dump = NET_DUMP_NONE;
		}
		return;
	}
	for (size_t i = 0; i < n->naddrs;)
		if (n->addrs[i].gen != n->gen)
			addr_drop(n, i);
		else
			i++;
	n->dump = NET_DUMP_NONE;
	n->synced = true;
	if (n->dump_again)
		start_dump(g);
	else
		links_changed(g);
}

void net_handle_msg(struct guard *g, const struct net_msg *m)
{
	struct net_guard *n = N(g);
	struct net_link l;

	if (m->intr && n->dump != NET_DUMP_NONE)
		n->dump_again = true;
	switch (m->type) {
	case NET_MSG_NEWLINK:
		l = m->link;
		l.gen = n->gen;
		if (net_links_put(&n->links, &n->nlinks, &n->caplinks, &l) == 0)
			links_changed(g);
		break;
	case NET_MSG_DELLINK:
		addrs_drop_if(n, m->link.ifindex);
		net_links_del(n->links, &n->nlinks, m->link.ifindex);
		links_changed(g);
		break;
	case NET_MSG_NEWADDR:
		addr_new(g, &m->addr, clock_ms(n));
		break;
	case NET_MSG_DELADDR:
		addr_del(n, &m->addr);
		break;
	case NET_MSG_DONE:
		if (n->dump != NET_DUMP_NONE && m->seq == n->dump_seq)
			dump_done(g);
		break;
	case NET_MSG_ERROR:
		if (m->err && n->dump != NET_DUMP_NONE && m->seq == n->dump_seq) {
			log_warn("network: rtnetlink refused a dump: %s", strerror(-m->err));
			n->dump = NET_DUMP_NONE;
		}
		break;
	}
}

static void on_msg(const struct net_msg *m, void *userdata)
{
	net_handle_msg(userdata, m);
}

static void on_packet(void *userdata, uint32_t events);

static void on_rtnl(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct net_guard *n = N(g);
	int r;

	/* The frames first: a neighbour advertisement that failed our DAD was
	 * queued on the packet socket before the kernel's notice of it here
	 * (the tap comes before the stack), and names who answered. */
	if (n->pk.fd >= 0)
		on_packet(g, EPOLLIN);
	r = net_rtnl_drain(n->nl.fd, on_msg, g);

	if (r == -ENOBUFS) {
		/* notices were lost: read every link and address again */
		n->resyncs++;
		log_notice("network: rtnetlink notices lost (socket buffer full); reading the links again");
		start_dump(g);
	} else if (r < 0) {
		log_warn("network: reading rtnetlink: %s", strerror(-r));
	}
}

/* explain, status: the dump, waited for (the kernel answers at once) */
static void sync_now(struct guard *g)
{
	struct net_guard *n = N(g);
	uint64_t deadline = now_ms() + SYNC_MS;

	start_dump(g);
	while (n->dump != NET_DUMP_NONE && now_ms() < deadline) {
		struct pollfd p = { .fd = n->nl.fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && net_rtnl_drain(n->nl.fd, on_msg, g) == -ENOBUFS)
			n->dump_again = true;
	}
	net_compare_macs(g, now_ms());
}

/* ---- frames -------------------------------------------------------------------------- */

static void remote(struct guard *g, const struct net_frame *f, const struct net_link *owner,
		   const struct net_link *seen, uint64_t now)
{
	struct net_guard *n = N(g);
	struct net_finding nf = { .ev = NET_DUP_REMOTE, .frame = f->type };

	snprintf(nf.ifname, sizeof(nf.ifname), "%s", owner->name);
	snprintf(nf.seen_on, sizeof(nf.seen_on), "%s", seen->name);
	memcpy(nf.mac, f->src, NET_MAC_LEN);
	if (!zero(f->sender, alen(f->family))) {
		nf.family = f->family;
		memcpy(nf.addr, f->sender, alen(f->family));
		nf.ours = addr_find(n, f->family, f->sender, 0) != NULL;
	}
	finding(g, &nf, now);
}

static void arp_seen(struct guard *g, const struct net_frame *f, const struct net_link *seen,
		     uint64_t now)
{
	struct net_guard *n = N(g);
	struct net_finding nf = { .ev = NET_FLIPFLOP, .family = AF_INET };
	const struct net_addr *mine;

	if (zero(f->sender, 4) || net_mac_owner(n->links, n->nlinks, f->lladdr, seen->ifindex))
		return;         /* a probe (RFC 5227), or a claim to be at one of our MACs */
	memcpy(nf.addr, f->sender, 4);
	memcpy(nf.mac, f->lladdr, NET_MAC_LEN);
	if ((mine = addr_find(n, AF_INET, f->sender, 0)) &&
	    net_same_group(n->links, n->nlinks, mine->ifindex, seen->ifindex)) {
		const struct net_link *l = net_links_find(n->links, n->nlinks, mine->ifindex);

		/* one of our addresses on this segment, answered by another MAC */
		copy_name(nf.ifname, n, mine->ifindex);
		nf.ours = true;
		nf.has_other_mac = l && l->has_mac;
		if (nf.has_other_mac)
			memcpy(nf.other_mac, l->mac, NET_MAC_LEN);
		finding(g, &nf, now);
		return;
	}
	if (net_neigh_learn(&n->neigh, AF_INET, f->sender, f->lladdr, now, NET_FLIPFLOP_MS,
			    nf.other_mac, &nf.ago_ms)) {
		snprintf(nf.ifname, sizeof(nf.ifname), "%s", seen->name);
		nf.has_other_mac = true;
		finding(g, &nf, now);
	}
}

/* Who answered for an IPv6 address, for a DAD failure that follows. */
static void nd_seen(struct net_guard *n, const struct net_frame *f, uint64_t now)
{
	uint8_t old[NET_MAC_LEN];
	uint64_t ago;

	if (zero(f->target, 16))
		return;
	if (f->type == NET_ND_NA)
		net_neigh_learn(&n->neigh, AF_INET6, f->target, f->has_lladdr ? f->lladdr : f->src,
				now, 0, old, &ago);
	else if (f->type == NET_ND_NS && zero(f->sender, 16))  /* another's DAD probe */
		net_neigh_learn(&n->neigh, AF_INET6, f->target, f->src, now, 0, old, &ago);
}

void net_handle_frame(struct guard *g, const void *buf, size_t len, int ifindex,
		      unsigned char pkttype, uint64_t now)
{
	struct net_guard *n = N(g);
	const struct net_link *seen, *owner;
	struct net_frame f;
	uint64_t h;

	if (pkttype > PACKET_OUTGOING || net_parse_frame(buf, len, &f) < 0)
		return;         /* PACKET_LOOPBACK: the stack's own multicast, no Ethernet header */
	n->frames++;
	h = net_frame_hash(buf, f.len);
	if (pkttype == PACKET_OUTGOING) {
		net_sent_add(&n->sent, h, now);
		return;
	}
	seen = net_links_find(n->links, n->nlinks, ifindex);
	if (!seen || seen->type != ARPHRD_ETHER)
		return;
	if ((owner = net_mac_owner(n->links, n->nlinks, f.src, ifindex))) {
		/* our own frame back (a loop, a veth pair or two NICs on one
		 * segment, a bond on a switch that floods): not another station */
		if (net_sent_recent(&n->sent, h, now))
			n->looped++;
		else
			remote(g, &f, owner, seen, now);
		return;
	}
	if (f.family == AF_INET)
		arp_seen(g, &f, seen, now);
	else
		nd_seen(n, &f, now);
}

static void on_packet(void *userdata, uint32_t events)
{
	struct guard *g = userdata;
	struct net_guard *n = N(g);
	static uint8_t buf[NET_SNAPLEN];

	for (int k = 0; k < NET_DRAIN_MAX; k++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t len = recvfrom(n->pk.fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll, &sl);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			break;  /* EAGAIN; an error the socket held is read (and cleared) */
		if (sl >= sizeof(sll) - sizeof(sll.sll_addr))
			net_handle_frame(g, buf, (size_t)len, sll.sll_ifindex, sll.sll_pkttype,
					 clock_ms(n));
	}
}

/* ---- the guard -------------------------------------------------------------------------- */

static void on_settle(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	net_compare_macs(g, clock_ms(N(g)));
}

static void on_flush(void *userdata, uint32_t events)
{
	struct guard *g = userdata;

	arm_flush(g, clock_ms(N(g)));
}

static void close_sockets(struct guard *g)
{
	struct net_guard *n = N(g);

	loop_close(g->env->loop, &n->nl);
	loop_close(g->env->loop, &n->pk);
	n->dump = NET_DUMP_NONE;
	n->synced = false;
}

static int open_sockets(struct guard *g)
{
	struct net_guard *n = N(g);
	const struct og_config *cfg = &g->env->c->cfg;
	struct loop *loop = g->env->loop;
	int fd;

	n->on = cfg->net_enabled && cfg->net_duplicate_mac;
	n->nl_err = n->pk_err = 0;
	if (!n->on) {
		snprintf(g->why, sizeof(g->why), "%s", !cfg->net_enabled ?
			 "disabled (network.enabled: false)" :
			 "nothing to check (network.duplicate_mac: false)");
		return -ENOTSUP;
	}
	if ((fd = net_rtnl_open()) < 0) {
		n->nl_err = fd;
		snprintf(g->why, sizeof(g->why), "no rtnetlink socket (%s): the interfaces and their "
			 "MACs cannot be learnt", strerror(-fd));
		return fd;
	}
	if (loop && loop_add(loop, &n->nl, fd, EPOLLIN, on_rtnl, g) < 0) {
		close(fd);
		snprintf(g->why, sizeof(g->why), "cannot watch the rtnetlink socket");
		return -EIO;
	}
	n->nl.fd = fd;
	if ((fd = net_packet_open()) < 0) {
		n->pk_err = fd;
		if (loop)
			log_notice("network: no packet socket (%s%s): another station using one of our "
				   "MACs and ARP flip-flops are not seen; duplicates between local "
				   "interfaces and IPv6 DAD failures still are", strerror(-fd),
				   fd == -EPERM || fd == -EACCES ? ": CAP_NET_RAW is needed" : "");
	} else if (!loop) {
		close(fd);      /* explain, status: it opens; nothing to read in one look */
	} else if (loop_add(loop, &n->pk, fd, EPOLLIN, on_packet, g) < 0) {
		close(fd);
		n->pk_err = -EIO;
	}
	if (loop)
		start_dump(g);
	else
		sync_now(g);
	return 0;
}

static int network_start(struct guard *g)
{
	struct net_guard *n = N(g);
	int r;

	net_init(n);
	n->quiet = !g->env->loop;       /* explain and status write no records */
	if (g->env->loop) {
		if ((r = loop_timer_init(g->env->loop, &n->settle, on_settle, g)) < 0 ||
		    (r = loop_timer_init(g->env->loop, &n->flush, on_flush, g)) < 0)
			return r;
	}
	return open_sockets(g);
}

static void network_reload(struct guard *g)
{
	struct net_guard *n = N(g);
	const struct og_config *cfg = &g->env->c->cfg;

	if (cfg->net_enabled && cfg->net_duplicate_mac && n->on && n->nl.fd >= 0)
		return;         /* on before and after: nothing of it changed */
	close_sockets(g);
	g->active = open_sockets(g) == 0;
}

static void network_stop(struct guard *g)
{
	struct net_guard *n = N(g);

	close_sockets(g);
	loop_timer_close(g->env->loop, &n->settle);
	loop_timer_close(g->env->loop, &n->flush);
	free(n->links);
	free(n->addrs);
	n->links = NULL;
	n->addrs = NULL;
	n->nlinks = n->caplinks = n->naddrs = n->capaddrs = 0;
}

/* ---- describe ------------------------------------------------------------------------------ */

static void describe_mode(struct net_guard *n, struct describe *d)
{
	const char *mode = n->pk_err ? "rtnetlink only" : "rtnetlink and a packet socket";

	desc_str(d, "mode", mode);
	desc_bool(d, "packet_socket", !n->pk_err);
	desc_str(d, "packet_socket_why", n->pk_err ? strerror(-n->pk_err) : NULL);
	if (!n->pk_err)
		desc_line(d, "Mode: %s (ARP and IPv6 neighbour discovery through a BPF filter): all "
			  "four checks", mode);
	else
		desc_line(d, "Mode: %s: no packet socket (%s%s): another station using one of our MACs "
			  "and ARP flip-flops are not seen; duplicates between local interfaces and "
			  "IPv6 DAD failures still are", mode, strerror(-n->pk_err),
			  n->pk_err == -EPERM || n->pk_err == -EACCES ? ": CAP_NET_RAW is needed" : "");
}

static void describe_links(struct net_guard *n, struct describe *d)
{
	struct json_object *arr = d->json ? json_object_new_array() : NULL;
	char line[1024];
	size_t o = 0, watched = 0;

	line[0] = '\0';
	for (size_t i = 0; i < n->nlinks; i++) {
		const struct net_link *l = &n->links[i];
		char mac[18], master[IFNAMSIZ] = "";

		if (!net_link_watched(l))
			continue;
		watched++;
		net_mac_str(l->mac, mac);
		if (l->master)
			copy_name(master, n, l->master);
		if (o < sizeof(line))
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %s%s%s%s%s%s", o ? ", " : "",
					      l->name, mac, *l->kind || *master ? " (" : "", l->kind,
					      *l->kind && *master ? ", " : "", *master ? "port of " : "",
					      *master ? master : "");
		if (o < sizeof(line) && (*l->kind || *master))
			o += (size_t)snprintf(line + o, sizeof(line) - o, ")");
		if (arr) {
			struct json_object *e = json_object_new_object();
			struct describe sd = { .json = e };

			desc_str(&sd, "name", l->name);
			desc_str(&sd, "mac", mac);
			desc_str(&sd, "kind", *l->kind ? l->kind : NULL);
			desc_str(&sd, "master", *master ? master : NULL);
			json_object_array_add(arr, e);
		}
	}
	desc_line(d, "Interfaces watched: %zu of %zu (Ethernet, up, not loopback)%s%s", watched,
		  n->nlinks, watched ? ": " : "", line);
	if (arr)
		json_object_object_add(d->json, "interfaces", arr);
}

static void describe_findings(struct net_guard *n, struct describe *d)
{
	struct describe counts = { .json = desc_obj(d, "findings") };
	struct json_object *dups = d->json ? json_object_new_array() : NULL;
	size_t first = n->nrecent > NET_RECENT ? (size_t)(n->nrecent - NET_RECENT) : 0;

	for (size_t i = 0; i < n->npairs; i++) {
		char a[IFNAMSIZ], b[IFNAMSIZ], mac[18] = "";
		const struct net_link *l = net_links_find(n->links, n->nlinks, n->pairs[i].a);

		copy_name(a, n, n->pairs[i].a);
		copy_name(b, n, n->pairs[i].b);
		if (l)
			net_mac_str(l->mac, mac);
		desc_line(d, "Local duplicate now: %s and %s share %s", a, b, mac);
		if (dups) {
			struct json_object *e = json_object_new_object();
			struct describe sd = { .json = e };

			desc_str(&sd, "interface", a);
			desc_str(&sd, "other_interface", b);
			desc_str(&sd, "mac", mac);
			json_object_array_add(dups, e);
		}
	}
	if (!n->npairs)
		desc_line(d, "Local duplicates now: none");
	if (dups)
		json_object_object_add(d->json, "local_duplicates", dups);
	for (size_t e = 0; e < NET_EV_COUNT; e++)
		desc_int(&counts, net_event_names[e], (int64_t)n->found[e]);
	desc_int(d, "frames", (int64_t)n->frames);
	desc_int(d, "own_frames_back", (int64_t)n->looped);
	desc_line(d, "Findings so far: %s %llu, %s %llu, %s %llu, %s %llu; frames looked at %llu, "
		  "our own seen coming back %llu", net_event_names[0], (unsigned long long)n->found[0],
		  net_event_names[1], (unsigned long long)n->found[1], net_event_names[2],
		  (unsigned long long)n->found[2], net_event_names[3], (unsigned long long)n->found[3],
		  (unsigned long long)n->frames, (unsigned long long)n->looped);
	for (uint64_t i = first; i < n->nrecent; i++) {
		char msg[512];

		net_finding_message(&n->recent[i % NET_RECENT], 1, msg, sizeof(msg));
		desc_line(d, "  %s: %s", net_event_names[n->recent[i % NET_RECENT].ev], msg);
	}
}

static void network_describe(struct guard *g, struct describe *d)
{
	struct net_guard *n = N(g);

	if (!g->active)
		return;
	describe_mode(n, d);
	describe_links(n, d);
	describe_findings(n, d);
}

const struct guard_ops network_guard_ops = {
	.name = "network",
	.state_size = sizeof(struct net_guard),
	.start = network_start,
	.reload = network_reload,
	.describe = network_describe,
	.stop = network_stop,
};
