/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's decisions, pure: which interfaces may share a MAC,
 * the table of links, recent address -> MAC bindings (flip-flops), frames
 * we sent (loops), the rate limit of findings and their messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "guards/network/network.h"

const char *const net_event_names[NET_EV_COUNT] = {
	"dup-mac-local", "dup-mac-remote", "arp-flip-flop", "dad-failed",
};

bool net_mac_zero(const uint8_t *mac)
{
	static const uint8_t zero[NET_MAC_LEN];

	return !memcmp(mac, zero, NET_MAC_LEN);
}

void net_mac_str(const uint8_t *mac, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

bool net_link_watched(const struct net_link *l)
{
	return l->has_mac && l->type == ARPHRD_ETHER && (l->flags & IFF_UP) &&
	       !(l->flags & IFF_LOOPBACK) && !net_mac_zero(l->mac);
}

/* ---- the table of links ------------------------------------------------ */

static size_t lower_bound(const struct net_link *links, size_t n, int ifindex)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (links[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct net_link *net_links_find(const struct net_link *links, size_t n, int ifindex)
{
	size_t i = lower_bound(links, n, ifindex);

	return i < n && links[i].ifindex == ifindex ? &links[i] : NULL;
}

int net_links_put(struct net_link **links, size_t *n, size_t *cap, const struct net_link *l)
{
	size_t i = lower_bound(*links, *n, l->ifindex);

	if (i < *n && (*links)[i].ifindex == l->ifindex) {
		(*links)[i] = *l;
		return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct net_link *p = realloc(*links, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*links = p;
		*cap = nc;
	}
	memmove(&(*links)[i + 1], &(*links)[i], (*n - i) * sizeof(**links));
	(*links)[i] = *l;
	(*n)++;
	return 0;
}

void net_links_del(struct net_link *links, size_t *n, int ifindex)
{
	size_t i = lower_bound(links, *n, ifindex);

	if (i < *n && links[i].ifindex == ifindex) {
		memmove(&links[i], &links[i + 1], (*n - i - 1) * sizeof(*links));
		(*n)--;
	}
}

/* ---- which interfaces may share a MAC ------------------------------------ */

/* Masters whose ports share (or lend) the MAC: a bond's slaves take the
 * bond's; a bridge takes a port's; an OVS bridge copies its uplink's (both
 * are ports of the ovs-system datapath). */
static bool master_kind(const char *k)
{
	return !strcmp(k, "bond") || !strcmp(k, "team") || !strcmp(k, "bridge") ||
	       !strcmp(k, "openvswitch");
}

/* Devices stacked on a lower device whose MAC they take (VLAN, ipvlan,
 * macsec) or may take (macvlan and macvtap in passthru mode). */
static bool lower_kind(const char *k)
{
	return !strcmp(k, "vlan") || !strcmp(k, "macvlan") || !strcmp(k, "macvtap") ||
	       !strcmp(k, "ipvlan") || !strcmp(k, "ipvtap") || !strcmp(k, "macsec");
}

static size_t root(size_t *p, size_t i)
{
	while (p[i] != i) {
		p[i] = p[p[i]];
		i = p[i];
	}
	return i;
}

static void join(size_t *p, size_t a, size_t b)
{
	a = root(p, a);
	b = root(p, b);
	if (a != b)
		p[MAX(a, b)] = MIN(a, b);
}

/* Union-find over the table: p[i] leads to the root of i's group. */
static size_t *groups(const struct net_link *links, size_t n)
{
	size_t *p = malloc((n ? n : 1) * sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = i;
	for (size_t i = 0; i < n; i++) {
		const struct net_link *l = &links[i], *m;

		if (l->master && l->master != l->ifindex &&
		    (m = net_links_find(links, n, l->master)) &&
		    (master_kind(l->slave_kind) || master_kind(m->kind)))
			join(p, i, (size_t)(m - links));
		if (lower_kind(l->kind) && l->link && l->link != l->ifindex &&
		    (m = net_links_find(links, n, l->link)))
			join(p, i, (size_t)(m - links));
	}
	return p;
}

bool net_same_group(const struct net_link *links, size_t n, int a, int b)
{
	const struct net_link *la = net_links_find(links, n, a), *lb = net_links_find(links, n, b);
	size_t *p;
	bool same;

	if (!la || !lb)
		return false;
	if (la == lb)
		return true;
	if (!(p = groups(links, n)))
		return false;
	same = root(p, (size_t)(la - links)) == root(p, (size_t)(lb - links));
	free(p);
	return same;
}

static int owner_rank(const struct net_link *l, int seen)
{
	return master_kind(l->kind) ? 2 : l->ifindex == seen ? 1 : 0;
}

const struct net_link *net_mac_owner(const struct net_link *links, size_t n, const uint8_t *mac,
				     int seen)
{
	const struct net_link *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct net_link *l = &links[i];

		if (!l->has_mac || l->type != ARPHRD_ETHER || (l->flags & IFF_LOOPBACK) ||
		    net_mac_zero(l->mac) || memcmp(l->mac, mac, NET_MAC_LEN))
			continue;
		/* a bridge or bond before its port (a bridge takes a port's MAC),
		 * then the interface the frame came in on, then the first */
		if (!best || owner_rank(l, seen) > owner_rank(best, seen))
			best = l;
	}
	return best;
}

struct by_mac {
	uint8_t mac[NET_MAC_LEN];
	size_t i;
};

static int cmp_mac(const void *a, const void *b)
{
	const struct by_mac *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, NET_MAC_LEN);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

int net_dup_pairs(const struct net_link *links, size_t n, struct net_pair *out, size_t cap)
{
	struct by_mac *w = malloc((n ? n : 1) * sizeof(*w));
	size_t *p = groups(links, n), nw = 0, found = 0;

	if (!w || !p) {
		free(w);
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!net_link_watched(&links[i]))
			continue;
		memcpy(w[nw].mac, links[i].mac, NET_MAC_LEN);
		w[nw++].i = i;
	}
	qsort(w, nw, sizeof(*w), cmp_mac);
	for (size_t s = 0, e; s < nw; s = e) {
		for (e = s + 1; e < nw && !memcmp(w[e].mac, w[s].mac, NET_MAC_LEN); e++)
			;
		for (size_t x = s; x < e; x++)
			for (size_t y = x + 1; y < e; y++) {
				if (root(p, w[x].i) == root(p, w[y].i))
					continue;
				if (found < cap)
					out[found] = (struct net_pair){ links[w[x].i].ifindex,
									links[w[y].i].ifindex };
				found++;
			}
	}
	free(w);
	free(p);
	return (int)MIN(found, (size_t)INT32_MAX);
}

/* ---- address -> MAC bindings ---------------------------------------------- */

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static struct net_neigh *neigh_slot(struct net_neighs *t, int family, const uint8_t *addr,
				    bool *found)
{
	struct net_neigh *oldest = &t->e[0];

	for (size_t i = 0; i < NET_NEIGH_MAX; i++) {
		struct net_neigh *e = &t->e[i];

		if (e->family == family && !memcmp(e->addr, addr, alen(family))) {
			*found = true;
			return e;
		}
		if (!e->family && oldest->family)
			oldest = e;
		else if (e->family && oldest->family && e->seen_ms < oldest->seen_ms)
			oldest = e;
	}
	*found = false;
	return oldest;
}

bool net_neigh_learn(struct net_neighs *t, int family, const uint8_t *addr, const uint8_t *mac,
		     uint64_t now_ms, uint64_t window_ms, uint8_t ret_old[NET_MAC_LEN],
		     uint64_t *ret_ago_ms)
{
	bool found, flip = false;
	struct net_neigh *e = neigh_slot(t, family, addr, &found);

	if (found && memcmp(e->mac, mac, NET_MAC_LEN) && now_ms >= e->seen_ms &&
	    now_ms - e->seen_ms < window_ms) {
		memcpy(ret_old, e->mac, NET_MAC_LEN);
		*ret_ago_ms = now_ms - e->seen_ms;
		flip = true;
	}
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->addr, addr, alen(family));
	memcpy(e->mac, mac, NET_MAC_LEN);
	e->seen_ms = now_ms;
	return flip;
}

const uint8_t *net_neigh_find(const struct net_neighs *t, int family, const uint8_t *addr,
			      uint64_t now_ms, uint64_t window_ms)
{
	for (size_t i = 0; i < NET_NEIGH_MAX; i++) {
		const struct net_neigh *e = &t->e[i];

		if (e->family == family && !memcmp(e->addr, addr, alen(family)))
			return now_ms >= e->seen_ms && now_ms - e->seen_ms < window_ms ? e->mac : NULL;
	}
	return NULL;
}

/* ---- frames we sent ---------------------------------------------------------- */

uint64_t net_frame_hash(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;       /* 0 marks a free slot */
}

void net_sent_add(struct net_sent *s, uint64_t hash, uint64_t now_ms)
{
	s->hash[s->next] = hash;
	s->t_ms[s->next] = now_ms;
	s->next = (s->next + 1) % NET_SENT_MAX;
}

bool net_sent_recent(const struct net_sent *s, uint64_t hash, uint64_t now_ms)
{
	for (size_t i = 0; i < NET_SENT_MAX; i++)
		if (s->hash[i] == hash && now_ms >= s->t_ms[i] && now_ms - s->t_ms[i] < NET_LOOP_MS)
			return true;
	return false;
}

/* ---- findings ------------------------------------------------------------------ */

static const char *frame_name(enum net_frame_type t)
{
	switch (t) {
	case NET_ARP_REQUEST: return "an ARP request";
	case NET_ARP_REPLY: return "an ARP reply";
	case NET_ND_RS: return "a router solicitation";
	case NET_ND_RA: return "a router advertisement";
	case NET_ND_NS: return "a neighbour solicitation";
	case NET_ND_NA: return "a neighbour advertisement";
	case NET_ND_REDIRECT: return "a redirect";
	}
	return "a frame";
}

static const char *addr_str(const struct net_finding *f, char *buf, size_t size)
{
	if (!f->family || !inet_ntop(f->family, f->addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

void net_finding_message(const struct net_finding *f, uint64_t count, char *buf, size_t size)
{
	char mac[18], other[18] = "", a[INET6_ADDRSTRLEN];
	int o = 0;

	net_mac_str(f->mac, mac);
	if (f->has_other_mac)
		net_mac_str(f->other_mac, other);
	switch (f->ev) {
	case NET_DUP_LOCAL:
		o = snprintf(buf, size, "%s and %s have the same MAC %s (neither is a bond, bridge or "
			     "Open vSwitch port of the other, nor a VLAN, macvlan or ipvlan on it)",
			     f->ifname, f->other_if, mac);
		break;
	case NET_DUP_REMOTE:
		o = snprintf(buf, size, "another station uses the MAC %s of %s: %s from it came in on %s "
			     "(sender %s%s)", mac, f->ifname, frame_name(f->frame), f->seen_on,
			     f->family ? addr_str(f, a, sizeof(a)) : "address unspecified",
			     f->ours ? ", an address of ours: a clone of this machine, or a loop "
			     "that changed our frame" : "");
		break;
	case NET_FLIPFLOP:
		if (f->ours)
			o = snprintf(buf, size, "%s, an address of %s (MAC %s), is claimed by %s",
				     addr_str(f, a, sizeof(a)), f->ifname, other, mac);
		else
			o = snprintf(buf, size, "%s answered by %s on %s, and %llu ms before by %s",
				     addr_str(f, a, sizeof(a)), mac, f->ifname,
				     (unsigned long long)f->ago_ms, other);
		break;
	case NET_DAD_FAILED:
		o = snprintf(buf, size, "duplicate address detection failed for %s on %s (MAC %s): "
			     "another station uses it%s%s", addr_str(f, a, sizeof(a)), f->ifname, mac,
			     f->has_other_mac ? ", at " : "", other);
		break;
	default:
		o = snprintf(buf, size, "?");
		break;
	}
	if (count > 1 && o >= 0 && (size_t)o < size)
		snprintf(buf + o, size - (size_t)o, "; %llu times in the last %d s",
			 (unsigned long long)count, NET_LIMIT_MS / 1000);
}

/* ---- the rate limit --------------------------------------------------------------- */

static bool same_key(const struct net_finding *a, const struct net_finding *b)
{
	if (a->ev != b->ev || strcmp(a->ifname, b->ifname) || memcmp(a->mac, b->mac, NET_MAC_LEN))
		return false;
	if (a->ev == NET_FLIPFLOP || a->ev == NET_DAD_FAILED)
		return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
	return true;
}

static void emit_pending(struct net_limit_slot *s, uint64_t now_ms, net_emit_fn fn, void *userdata)
{
	if (s->pending)
		fn(&s->f, s->pending, userdata);
	s->pending = 0;
	s->start_ms = now_ms;
}

void net_limit_hit(struct net_limit *l, const struct net_finding *f, uint64_t now_ms,
		   net_emit_fn fn, void *userdata)
{
	struct net_limit_slot *s, *victim = NULL;

	for (size_t i = 0; i < NET_LIMIT_SLOTS; i++) {
		s = &l->s[i];
		if (s->used && same_key(&s->f, f)) {
			if (now_ms - s->start_ms < NET_LIMIT_MS && now_ms >= s->start_ms) {
				s->f = *f;
				s->pending++;
				return;
			}
			emit_pending(s, now_ms, fn, userdata);
			s->f = *f;
			fn(f, 1, userdata);
			return;
		}
	}
	/* a free slot, else one whose window is over and holds nothing, else
	 * the oldest (its summary goes out early) */
	for (size_t i = 0; i < NET_LIMIT_SLOTS; i++) {
		s = &l->s[i];
		if (!s->used) {
			victim = s;
			break;
		}
		if (!victim || (!s->pending && victim->pending) ||
		    (!s->pending == !victim->pending && s->start_ms < victim->start_ms))
			victim = s;
	}
	if (victim->used)
		emit_pending(victim, now_ms, fn, userdata);
	victim->used = true;
	victim->f = *f;
	victim->start_ms = now_ms;
	victim->pending = 0;
	fn(f, 1, userdata);
}

uint64_t net_limit_flush(struct net_limit *l, uint64_t now_ms, net_emit_fn fn, void *userdata)
{
	uint64_t next = 0;

	for (size_t i = 0; i < NET_LIMIT_SLOTS; i++) {
		struct net_limit_slot *s = &l->s[i];
		uint64_t due;

		if (!s->used || !s->pending)
			continue;
		due = s->start_ms + NET_LIMIT_MS;
		if (now_ms >= due) {
			emit_pending(s, now_ms, fn, userdata);
			continue;
		}
		if (!next || due - now_ms < next)
			next = due - now_ms;
	}
	return next;
}
