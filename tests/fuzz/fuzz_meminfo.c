// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: /proc/meminfo parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meminfo m;
	char *buf;

	if (size > 1 << 20)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	(void)parse_meminfo(buf, &m);
	free(buf);
	return 0;
}
