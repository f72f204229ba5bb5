// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the /proc/PID file parsers (stat, status, cgroup,
 * cmdline, smaps_rollup; mountinfo's are in fuzz_mountinfo, the cgroup
 * memory files in fuzz_cgroup). The same input is given to each parser: they
 * must never crash and must keep their output NUL-terminated within bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/proc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat st;
	struct proc_status ss;
	char path[64], out[128];
	uint64_t priv = 7;
	size_t n;
	char *buf;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;

	if (parse_proc_stat(buf, &st) == 0 && (st.pid <= 0 || strlen(st.comm) >= sizeof(st.comm)))
		abort();
	(void)parse_proc_status(buf, &ss);
	if (parse_proc_cgroup(buf, path, sizeof(path)) == 0 && strlen(path) >= sizeof(path))
		abort();
	n = parse_cmdline(buf, size, out, sizeof(out));
	if (n >= sizeof(out) || strlen(out) > n)
		abort();
	if (parse_smaps_rollup(buf, &priv) < 0 && priv != 7)
		abort();        /* written only on success */
	free(buf);
	return 0;
}
