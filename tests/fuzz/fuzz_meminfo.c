// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the /proc/meminfo and /proc/vmstat parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/meminfo.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meminfo m;
	struct vmstat v;
	char *buf;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	(void)parse_meminfo(buf, &m);
	(void)parse_vmstat(buf, &v);
	free(buf);
	return 0;
}
