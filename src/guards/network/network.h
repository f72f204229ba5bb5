/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard: duplicate MAC addresses (the OOR Killer seed's
 * "network: check for duplicated MAC addresses"). It reports, never kills:
 *
 *   dup-mac-local   two local interfaces share a MAC and no rule lets them
 *                   (rtnetlink: links, their MACs, masters, lower devices);
 *   dup-mac-remote  another station sends with the MAC of one of ours
 *                   (an AF_PACKET socket, a classic BPF filter for ARP and
 *                   IPv6 neighbour discovery);
 *   arp-flip-flop   an IPv4 address answered by two MACs within
 *                   NET_FLIPFLOP_MS, or one of our addresses claimed by a
 *                   MAC that is not ours;
 *   dad-failed      IPv6 duplicate address detection failed on one of our
 *                   addresses (IFA_F_DADFAILED over rtnetlink).
 *
 * Everything that decides is pure and here: the rtnetlink and frame
 * parsers (rtnl.c, frame.c: hostile input safe), the MAC rules, the
 * neighbour table, the loop detector and the rate limit (rules.c).
 * network.c is the guard: the sockets in the loop, records, describe. */
#pragma once
#include <linux/filter.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guard.h"

#define NET_MAC_LEN 6
#define NET_KIND_LEN 16
#define NET_FLIPFLOP_MS 10000           /* two MACs for one IPv4 address within this */
#define NET_LOOP_MS 2000                /* a copy of our own frame within this is a loop */
#define NET_LIMIT_MS 60000              /* one record per (event, interface, MAC) a minute */
#define NET_SETTLE_MS 1000              /* link changes settle before local duplicates count */
#define NET_SNAPLEN 2048                /* bytes of a frame the filter passes */

/* ---- interfaces and addresses (rtnetlink) ---------------------------- */

struct net_link {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[NET_KIND_LEN];        /* IFLA_INFO_KIND: "bond", "bridge", "vlan", ...; "" none */
	char slave_kind[NET_KIND_LEN];  /* IFLA_INFO_SLAVE_KIND: the kind of its master */
	unsigned short type;            /* ARPHRD_* */
	unsigned flags;                 /* IFF_* */
	int master;                     /* IFLA_MASTER, 0 = none */
	int link;                       /* IFLA_LINK in this namespace, 0 = none or elsewhere */
	bool has_mac;                   /* IFLA_ADDRESS of NET_MAC_LEN bytes */
	uint8_t mac[NET_MAC_LEN];
	unsigned gen;                   /* the dump that saw it last (the guard's) */
};

struct net_addr {
	int ifindex;
	int family;                     /* AF_INET or AF_INET6 */
	uint8_t addr[16];               /* 4 bytes for AF_INET */
	unsigned char prefixlen;
	uint32_t flags;                 /* IFA_F_*: IFA_FLAGS where present */
	unsigned gen;
};

enum net_msg_type {
	NET_MSG_NEWLINK = 1, NET_MSG_DELLINK, NET_MSG_NEWADDR, NET_MSG_DELADDR,
	NET_MSG_DONE,                   /* the end of a dump */
	NET_MSG_ERROR,                  /* an error or ack: err */
};

struct net_msg {
	enum net_msg_type type;
	uint32_t seq;
	bool intr;                      /* NLM_F_DUMP_INTR: the dump changed under way */
	int err;                        /* NET_MSG_ERROR: -errno, 0 = an ack */
	struct net_link link;           /* NEWLINK, DELLINK */
	struct net_addr addr;           /* NEWADDR, DELADDR */
};

/* Parse one rtnetlink datagram of len bytes (any alignment) and call fn for
 * each message: links of family AF_UNSPEC (a bridge's AF_BRIDGE port
 * notices are skipped), IPv4 and IPv6 addresses, the end of a dump, errors.
 * Attributes past the end of their message, short headers and unknown
 * types are skipped or refused, never read beyond len. Returns the number
 * of messages delivered, or -EINVAL when the datagram is malformed (what
 * came before was delivered). */
typedef void (*net_msg_fn)(const struct net_msg *m, void *userdata);
int net_rtnl_parse(const void *buf, size_t len, net_msg_fn fn, void *userdata);

/* The rtnetlink socket: subscribed to link and address changes,
 * non-blocking, close-on-exec. The fd or -errno. */
int net_rtnl_open(void);
/* Ask for a dump of every link (links) or address; seq numbers it. */
int net_rtnl_dump(int fd, bool links, uint32_t seq);
/* Read pending datagrams (at most NET_DRAIN_MAX) and parse them. The
 * number of messages, -ENOBUFS when the kernel dropped some (resync), or
 * another -errno. */
#define NET_DRAIN_MAX 64
int net_rtnl_drain(int fd, net_msg_fn fn, void *userdata);

/* ---- frames (AF_PACKET) ----------------------------------------------- */

enum net_frame_type {
	NET_ARP_REQUEST = 1, NET_ARP_REPLY,
	NET_ND_RS, NET_ND_RA, NET_ND_NS, NET_ND_NA, NET_ND_REDIRECT,    /* ICMPv6 133..137 */
};

struct net_frame {
	enum net_frame_type type;
	size_t len;                     /* the bytes that make the frame (no padding) */
	uint8_t src[NET_MAC_LEN];       /* Ethernet source */
	int family;                     /* AF_INET (ARP) or AF_INET6 (ND) */
	uint8_t sender[16];             /* ARP sender address; IPv6 source */
	uint8_t target[16];             /* ARP target address; ND target (NS, NA, redirect) */
	bool has_lladdr;
	uint8_t lladdr[NET_MAC_LEN];    /* ARP sender hardware address; ND link-layer option */
};

/* Parse an Ethernet frame: ARP over IPv4 (request, reply) or an IPv6
 * neighbour discovery message (hop limit 255, ICMPv6 133..137, code 0,
 * its source or target link-layer option). 0 with *ret filled, or -EINVAL
 * (anything else, truncated, malformed; *ret untouched). */
int net_parse_frame(const void *buf, size_t len, struct net_frame *ret);

/* The classic BPF program: ARP, and ICMPv6 types 133..137 in an IPv6
 * packet without extension headers; NET_SNAPLEN bytes of each. */
extern const struct sock_filter net_bpf[];
extern const unsigned short net_bpf_len;
/* The packet socket (needs CAP_NET_RAW: -EPERM), filtered before it is
 * bound to every interface, non-blocking. The fd or -errno. */
int net_packet_open(void);

/* ---- the rules (pure) ------------------------------------------------- */

/* Does an interface take part in the local comparison? Ethernet, up,
 * not loopback, a MAC that is not all zeroes. */
bool net_link_watched(const struct net_link *l);
bool net_mac_zero(const uint8_t *mac);
/* "52:54:00:12:34:56" */
void net_mac_str(const uint8_t *mac, char buf[18]);

/* The table of links, sorted by ifindex: insert or replace, remove, find. */
int net_links_put(struct net_link **links, size_t *n, size_t *cap, const struct net_link *l);
void net_links_del(struct net_link *links, size_t *n, int ifindex);
const struct net_link *net_links_find(const struct net_link *links, size_t n, int ifindex);

/* Two interfaces with one MAC that no rule allows (ifindexes, a < b). */
struct net_pair {
	int a, b;
};
/* Groups: a bond, team, bridge or Open vSwitch port with its master (and
 * so with the other ports), a VLAN, macvlan, macvtap, ipvlan, ipvtap or
 * macsec device with its lower device; transitively (a VLAN on a bond is
 * in the bond's group). Two watched interfaces with one MAC in different
 * groups are a duplicate. Writes at most cap pairs to out and returns how
 * many there are (sorted by MAC, then a, then b), or -ENOMEM. links must
 * be sorted by ifindex (net_links_put keeps them so). */
int net_dup_pairs(const struct net_link *links, size_t n, struct net_pair *out, size_t cap);
/* The local interface whose MAC mac is (Ethernet, not loopback, not all
 * zeroes): seen (the interface a frame came in on) when it has that MAC,
 * else a bond, team, bridge or OVS device with it (the one its ports and
 * VLANs took it from), else the lowest ifindex; NULL when none has it. */
const struct net_link *net_mac_owner(const struct net_link *links, size_t n, const uint8_t *mac,
				     int seen);
/* Are a and b (ifindexes) in one group? */
bool net_same_group(const struct net_link *links, size_t n, int a, int b);

/* Recently seen IPv4 (ARP) and IPv6 (ND) address -> MAC bindings. */
#define NET_NEIGH_MAX 512
struct net_neigh {
	int family;                     /* 0 = free */
	uint8_t addr[16];
	uint8_t mac[NET_MAC_LEN];
	uint64_t seen_ms;
};
struct net_neighs {
	struct net_neigh e[NET_NEIGH_MAX];
};
/* addr (family) is at mac now. true when it was at another MAC less than
 * window_ms ago (a flip-flop; that MAC in ret_old and the time since in
 * ret_ago_ms). A full table forgets its oldest entry. */
bool net_neigh_learn(struct net_neighs *t, int family, const uint8_t *addr, const uint8_t *mac,
		     uint64_t now_ms, uint64_t window_ms, uint8_t ret_old[NET_MAC_LEN],
		     uint64_t *ret_ago_ms);
/* The MAC addr was at, if seen within window_ms; NULL otherwise. */
const uint8_t *net_neigh_find(const struct net_neighs *t, int family, const uint8_t *addr,
			      uint64_t now_ms, uint64_t window_ms);

/* Frames we sent lately, to tell a loop from another station. */
#define NET_SENT_MAX 64
struct net_sent {
	uint64_t hash[NET_SENT_MAX], t_ms[NET_SENT_MAX];
	unsigned next;
};
uint64_t net_frame_hash(const void *buf, size_t len);
void net_sent_add(struct net_sent *s, uint64_t hash, uint64_t now_ms);
/* Was a frame with this hash sent in the last NET_LOOP_MS? */
bool net_sent_recent(const struct net_sent *s, uint64_t hash, uint64_t now_ms);

/* ---- findings and their rate limit (pure) ------------------------------ */

enum net_event { NET_DUP_LOCAL, NET_DUP_REMOTE, NET_FLIPFLOP, NET_DAD_FAILED, NET_EV_COUNT };
extern const char *const net_event_names[NET_EV_COUNT];        /* the record events */

struct net_finding {
	enum net_event ev;
	char ifname[IFNAMSIZ];          /* the interface it is about */
	char seen_on[IFNAMSIZ];         /* dup-mac-remote: where the frame came in */
	char other_if[IFNAMSIZ];        /* dup-mac-local: the other interface */
	uint8_t mac[NET_MAC_LEN];       /* ours (dup-*, dad-failed); the new one (flip-flop) */
	bool has_other_mac;
	uint8_t other_mac[NET_MAC_LEN]; /* flip-flop: the one before (ours: an address of ours);
					 * dad-failed: the station that answered, where seen */
	int family;                     /* of addr, 0 = none */
	uint8_t addr[16];
	enum net_frame_type frame;      /* dup-mac-remote: what it sent */
	bool ours;                      /* flip-flop: the address is one of ours; dup-mac-remote:
					 * the frame carries one of our addresses */
	uint64_t ago_ms;                /* flip-flop: since the other MAC was seen */
};

/* The message of a record and kmsg line; count > 1: a summary. */
void net_finding_message(const struct net_finding *f, uint64_t count, char *buf, size_t size);

#define NET_LIMIT_SLOTS 64
struct net_limit_slot {
	bool used;
	struct net_finding f;           /* the latest of its window */
	uint64_t start_ms;              /* its window */
	uint64_t pending;               /* findings held back in it */
};
struct net_limit {
	struct net_limit_slot s[NET_LIMIT_SLOTS];
};
typedef void (*net_emit_fn)(const struct net_finding *f, uint64_t count, void *userdata);
/* A finding: emitted at once (count 1) when its key (event, interface, MAC,
 * and for flip-flop and dad-failed the address) had none in the last
 * NET_LIMIT_MS, else held back and counted. A full table emits the
 * summary of its oldest slot early to make room. */
void net_limit_hit(struct net_limit *l, const struct net_finding *f, uint64_t now_ms,
		   net_emit_fn fn, void *userdata);
/* Emit the summaries whose window is over (count = held back; a new window
 * starts). Returns the ms until the next one is due, 0 when none waits. */
uint64_t net_limit_flush(struct net_limit *l, uint64_t now_ms, net_emit_fn fn, void *userdata);

/* ---- the guard ----------------------------------------------------------- */

enum net_dump { NET_DUMP_NONE, NET_DUMP_LINKS, NET_DUMP_ADDRS };

#define NET_PAIRS_MAX 64
#define NET_RECENT 8

struct net_guard {
	bool on;                        /* network.enabled and network.duplicate_mac */
	struct loop_source nl, pk;      /* rtnetlink, the packet socket; fd -1 = none */
	struct loop_timer settle;       /* link changes settled: compare MACs */
	struct loop_timer flush;        /* summaries of findings held back */
	int nl_err, pk_err;             /* why a socket is not open (-errno), 0 = open */
	struct net_link *links;
	size_t nlinks, caplinks;
	struct net_addr *addrs;
	size_t naddrs, capaddrs;
	unsigned gen;
	enum net_dump dump;
	uint32_t seq, dump_seq;
	bool dump_again;                /* NLM_F_DUMP_INTR or an overflow during a dump */
	bool synced;                    /* a whole dump is in */
	struct net_pair pairs[NET_PAIRS_MAX];   /* the local duplicates in force (reported) */
	size_t npairs;
	struct net_neighs neigh;
	struct net_sent sent;
	struct net_limit limit;
	uint64_t found[NET_EV_COUNT];   /* findings so far, held back ones included */
	struct net_finding recent[NET_RECENT];  /* the last findings, for describe */
	uint64_t nrecent;               /* ever kept (the ring's next slot: % NET_RECENT) */
	bool quiet;                     /* explain, status: count findings, write nothing */
	uint64_t frames, looped, resyncs;
	uint64_t (*clock)(void);        /* NULL = now_ms (tests inject one) */
};

/* A state with no socket or timer open (what start begins with). */
void net_init(struct net_guard *n);
/* The guard's handlers, for tests: one rtnetlink message; one frame read
 * from the packet socket (ifindex and sll_pkttype of its sockaddr_ll);
 * the MAC comparison the settle timer runs. */
void net_handle_msg(struct guard *g, const struct net_msg *m);
void net_handle_frame(struct guard *g, const void *buf, size_t len, int ifindex,
		      unsigned char pkttype, uint64_t now_ms);
void net_compare_macs(struct guard *g, uint64_t now_ms);
