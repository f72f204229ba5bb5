// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: /proc/PID and cgroup file parsers (mountinfo's are in
 * fuzz_mountinfo). The same input is given to each parser: they must never
 * crash and must keep their output NUL-terminated within bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/cgroup.h"
#include "observe/proc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat st;
	struct proc_status ss;
	struct cg_events ev;
	struct cg_mem m = { 0 };
	char path[64], out[128];
	uint64_t lim;
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
	(void)parse_cg_events(buf, &ev);
	(void)parse_cg_limit(buf, &lim);
	(void)parse_cg_memstat(buf, &m);
	free(buf);
	return 0;
}
