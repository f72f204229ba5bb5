// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the proc connector's datagram parser over arbitrary
 * bytes. The input is copied into a buffer of exactly its size (malloc's
 * alignment is the netlink alignment), so that ASan sees any read past the
 * datagram. The return value is -EINVAL or the number of events delivered,
 * and every event is one of the kinds the header promises. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/connector.h"
#include "fuzz.h"

static void count(const struct conn_event *ev, void *userdata)
{
	int *n = userdata;

	switch (ev->what) {
	case CONN_FORK:
	case CONN_EXEC:
	case CONN_COMM:
	case CONN_EXIT:
		if (ev->err != 0)
			abort();
		break;
	case CONN_ACK:
		if (ev->pid != 0 || ev->ppid != 0)
			abort();
		break;
	default:
		abort();        /* CONN_OTHER is never delivered */
	}
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	int n = 0, r;

	if (size > 1 << 16)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = connector_parse(buf, size, count, &n);
	if (r != -EINVAL && (r < 0 || r != n))
		abort();
	free(buf);
	return 0;
}
