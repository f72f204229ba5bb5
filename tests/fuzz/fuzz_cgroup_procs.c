// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the cgroup.procs parser, over the raw bytes (NULs
 * included). Every pid it keeps is in 1..INT_MAX, there are no more of them
 * than lines, and a second parse appends the same pids again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	int *pids = NULL, r, r2;
	size_t n = 0, cap = 0, lines = 1;

	if (size > 1 << 20)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += buf[i] == '\n';
	r = parse_cgroup_procs(buf, size, &pids, &n, &cap);
	if (r < 0) {
		free(pids);
		return 0;
	}
	if ((size_t)r != n || n > lines || n > cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (pids[i] < 1)
			abort();
	r2 = parse_cgroup_procs(buf, size, &pids, &n, &cap);
	if (r2 >= 0 && (r2 != r || n != 2 * (size_t)r ||
			(r && memcmp(pids, pids + r, (size_t)r * sizeof(*pids)))))
		abort();
	free(pids);
	return 0;
}
