// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the cgroup v2 memory files: memory.max and its kin
 * (parse_cg_limit), memory.events and memory.stat. The same input goes to
 * each. A limit that parses prints and parses back to itself; memory.stat
 * touches only anon, file and shmem; a failed parse writes nothing. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe/cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_events ev, ev0;
	struct cg_mem m, m0;
	uint64_t lim = 7, lim2;
	char tmp[32];
	char *buf;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;

	if (parse_cg_limit(buf, &lim) == 0) {
		if (lim != CG_MAX) {
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "\n", lim);
			if (parse_cg_limit(tmp, &lim2) != 0 || lim2 != lim)
				abort();
		}
	} else if (lim != 7) {
		abort();
	}

	memset(&ev, 0xa5, sizeof(ev));
	ev0 = ev;
	if (parse_cg_events(buf, &ev) < 0 && memcmp(&ev, &ev0, sizeof(ev)) != 0)
		abort();

	memset(&m, 0x5a, sizeof(m));
	m0 = m;
	if (parse_cg_memstat(buf, &m) == 0) {
		/* everything but the three memory.stat fields is untouched */
		m0.anon = m.anon;
		m0.file = m.file;
		m0.shmem = m.shmem;
	}
	if (memcmp(&m, &m0, sizeof(m)) != 0)
		abort();
	free(buf);
	return 0;
}
