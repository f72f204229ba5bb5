/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unit/net-util.h"

void mac_of(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	assert_int_equal(sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]), 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

size_t arp_frame(uint8_t *b, int op, const char *src, const char *sha, const char *spa,
		 const char *tpa)
{
	static const uint8_t hdr[] = { 0, 1, 8, 0, 6, 4 };

	memset(b, 0, 60);
	memset(b, 0xff, 6);
	mac_of(src, b + 6);
	b[12] = 0x08;
	b[13] = 0x06;
	memcpy(b + 14, hdr, sizeof(hdr));
	b[21] = (uint8_t)op;
	mac_of(sha, b + 22);
	assert_int_equal(inet_pton(AF_INET, spa, b + 28), 1);
	assert_int_equal(inet_pton(AF_INET, tpa, b + 38), 1);
	return 60;
}

size_t nd_frame(uint8_t *b, int type, const char *src, const char *ip6src, const char *target,
		int opt, const char *lla)
{
	size_t fixed = type == 133 ? 8 : type == 134 ? 16 : type == 137 ? 40 : 24;
	size_t plen = fixed + (opt ? 8 : 0);

	memset(b, 0, 14 + 40 + plen);
	b[0] = 0x33;
	b[1] = 0x33;
	mac_of(src, b + 6);
	b[12] = 0x86;
	b[13] = 0xdd;
	b[14] = 0x60;
	b[18] = (uint8_t)(plen >> 8);
	b[19] = (uint8_t)plen;
	b[20] = 58;
	b[21] = 255;
	assert_int_equal(inet_pton(AF_INET6, ip6src, b + 22), 1);
	assert_int_equal(inet_pton(AF_INET6, "ff02::1", b + 38), 1);
	b[54] = (uint8_t)type;
	if (target)
		assert_int_equal(inet_pton(AF_INET6, target, b + 54 + 8), 1);
	if (opt) {
		b[54 + fixed] = (uint8_t)opt;
		b[54 + fixed + 1] = 1;
		mac_of(lla, b + 54 + fixed + 2);
	}
	return 14 + 40 + plen;
}
