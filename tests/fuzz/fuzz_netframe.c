// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the network guard's frame parser (ARP and IPv6
 * neighbour discovery, as any station on the segment may send them). The
 * input is copied into a buffer of exactly its size, so that ASan sees any
 * read past the frame. A refused frame leaves the result untouched; an
 * accepted one has a type that matches its family, a length within the
 * input and at least its headers, and the input's Ethernet source. Its
 * hash (what the loop detector keeps) reads only that length. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "guards/network/network.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_frame f, poison;
	uint8_t *buf;
	int r;

	if (size > 1 << 16)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&f, 0xa5, sizeof(f));
	poison = f;
	r = net_parse_frame(size ? buf : NULL, size, &f);
	if (r == -EINVAL) {
		if (memcmp(&f, &poison, sizeof(f)))
			abort();
	} else if (r == 0) {
		bool arp = f.type == NET_ARP_REQUEST || f.type == NET_ARP_REPLY;

		if (f.len > size || memcmp(f.src, buf + 6, NET_MAC_LEN))
			abort();
		if (arp ? f.family != AF_INET || f.len != 42 || !f.has_lladdr :
			  f.family != AF_INET6 || f.len < 58 || f.type < NET_ND_RS ||
			  f.type > NET_ND_REDIRECT)
			abort();
		(void)net_frame_hash(buf, f.len);
	} else {
		abort();
	}
	free(buf);
	return 0;
}
