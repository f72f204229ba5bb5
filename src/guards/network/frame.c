/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ARP and IPv6 neighbour discovery frames for the network guard: the
 * classic BPF filter that lets only them through to the packet socket,
 * and the parser of what comes out of it. Any station on the segment can
 * send anything: every field is checked against the bytes that are there. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guards/network/network.h"

#define ETH_HLEN_ 14
#define IP6_HLEN 40
#define ICMP6_OFF (ETH_HLEN_ + IP6_HLEN)        /* no extension headers: ND has none */
#define ARP_LEN 28

/* ethertype ARP; or IPv6, next header ICMPv6, type 133..137 */
const struct sock_filter net_bpf[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 6, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 6),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN_ + 6),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 4),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ICMP6_OFF),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 133, 0, 2),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 137, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, NET_SNAPLEN),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
const unsigned short net_bpf_len = sizeof(net_bpf) / sizeof(net_bpf[0]);

int net_packet_open(void)
{
	struct sock_fprog prog = { .len = net_bpf_len, .filter = (struct sock_filter *)net_bpf };
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd, e;

	/* Protocol 0 receives nothing until bound: no frame gets in before
	 * the filter is there. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int parse_arp(const uint8_t *b, size_t len, struct net_frame *f)
{
	const uint8_t *a = b + ETH_HLEN_;
	uint16_t op;

	if (len < ETH_HLEN_ + ARP_LEN)
		return -EINVAL;
	/* Ethernet hardware, IPv4 protocol, 6- and 4-byte addresses */
	if (be16(a) != 1 || be16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4)
		return -EINVAL;
	op = be16(a + 6);
	if (op != 1 && op != 2)
		return -EINVAL;
	f->type = op == 1 ? NET_ARP_REQUEST : NET_ARP_REPLY;
	f->len = ETH_HLEN_ + ARP_LEN;
	f->family = AF_INET;
	f->has_lladdr = true;
	memcpy(f->lladdr, a + 8, NET_MAC_LEN);
	memcpy(f->sender, a + 14, 4);
	memcpy(f->target, a + 24, 4);
	return 0;
}

/* The link-layer option of type want among the options [o, end). */
static int nd_options(const uint8_t *o, const uint8_t *end, unsigned want, struct net_frame *f)
{
	while (o < end) {
		size_t olen;

		if (end - o < 2)
			return -EINVAL;
		olen = (size_t)o[1] * 8;
		if (olen == 0 || olen > (size_t)(end - o))
			return -EINVAL;         /* RFC 4861 4.6: a zero length is invalid */
		if (o[0] == want && olen >= 2 + NET_MAC_LEN && !f->has_lladdr) {
			f->has_lladdr = true;
			memcpy(f->lladdr, o + 2, NET_MAC_LEN);
		}
		o += olen;
	}
	return 0;
}

static int parse_nd(const uint8_t *b, size_t len, struct net_frame *f)
{
	const uint8_t *ip = b + ETH_HLEN_, *icmp = b + ICMP6_OFF;
	size_t plen, fixed;
	unsigned lla = 1;       /* source link-layer address option */

	if (len < ICMP6_OFF + 4)
		return -EINVAL;
	plen = be16(ip + 4);
	/* IPv6, ICMPv6, hop limit 255 (RFC 4861: anything else did not come
	 * from the link), the payload all there */
	if (ip[0] >> 4 != 6 || ip[6] != 58 || ip[7] != 255 || plen < 4 || plen > len - ICMP6_OFF)
		return -EINVAL;
	if (icmp[1] != 0)
		return -EINVAL;
	switch (icmp[0]) {
	case 133: f->type = NET_ND_RS; fixed = 8; break;
	case 134: f->type = NET_ND_RA; fixed = 16; break;
	case 135: f->type = NET_ND_NS; fixed = 24; break;
	case 136: f->type = NET_ND_NA; fixed = 24; lla = 2; break;
	case 137: f->type = NET_ND_REDIRECT; fixed = 40; lla = 2; break;
	default: return -EINVAL;
	}
	if (plen < fixed)
		return -EINVAL;
	f->len = ICMP6_OFF + plen;
	f->family = AF_INET6;
	memcpy(f->sender, ip + 8, 16);
	if (fixed >= 24)
		memcpy(f->target, icmp + 8, 16);
	return nd_options(icmp + fixed, icmp + plen, lla, f);
}

int net_parse_frame(const void *buf, size_t len, struct net_frame *ret)
{
	const uint8_t *b = buf;
	struct net_frame f;
	int r;

	if (!b || len < ETH_HLEN_)
		return -EINVAL;
	memset(&f, 0, sizeof(f));
	memcpy(f.src, b + 6, NET_MAC_LEN);
	switch (be16(b + 12)) {
	case ETH_P_ARP:
		r = parse_arp(b, len, &f);
		break;
	case ETH_P_IPV6:
		r = parse_nd(b, len, &f);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r == 0)
		*ret = f;
	return r;
}
