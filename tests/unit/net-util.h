/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frames and MACs for the network guard's tests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define M1 "52:54:00:00:00:01"
#define M2 "52:54:00:00:00:02"

/* "52:54:00:00:00:01" -> 6 bytes (fails the test otherwise). */
void mac_of(const char *s, uint8_t mac[6]);
/* An ARP frame (op 1 request, 2 reply) into b (60 bytes: padded as on the
 * wire); returns 60. */
size_t arp_frame(uint8_t *b, int op, const char *src, const char *sha, const char *spa,
		 const char *tpa);
/* An ND message (ICMPv6 type) from Ethernet src and IPv6 ip6src to
 * ff02::1, target for NS, NA and redirect (NULL: none), one link-layer
 * option of type opt (0: none) holding lla. Returns its length. */
size_t nd_frame(uint8_t *b, int type, const char *src, const char *ip6src, const char *target,
		int opt, const char *lla);
