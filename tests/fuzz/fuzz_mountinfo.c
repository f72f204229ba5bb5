// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the mountinfo line parser, the octal unescaper and the
 * cgroup mount finders. Every span must lie inside the input; every path
 * must fit its buffer, NUL-terminated. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/mountinfo.h"
#include "fuzz.h"

static void check_span(const char *buf, size_t size, const char *s, size_t len)
{
	if (len && (s < buf || s + len > buf + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctrls[] = { "memory", "cpu", "blkio", "" };
	struct mountinfo_line l;
	const char *pos;
	char path[32];
	char *buf;
	int r;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	size = strlen(buf);     /* the parsers stop at a NUL */
	pos = buf;
	while ((r = mountinfo_next(&pos, &l)) != -ENOENT) {
		if (pos < buf || pos > buf + size)
			abort();
		if (r < 0)
			continue;
		check_span(buf, size, l.mnt, l.mnt_len);
		check_span(buf, size, l.fstype, l.fstype_len);
		check_span(buf, size, l.super_opts, l.super_opts_len);
		check_span(buf, size, l.root, l.root_len);
		check_span(buf, size, l.opts, l.opts_len);
		check_span(buf, size, l.source, l.source_len);
		if (!l.root_len)
			abort();
		if (!l.mnt_len || !l.fstype_len)
			abort();
		if (mountinfo_unescape(l.mnt, l.mnt_len, path, sizeof(path)) == 0 &&
		    memchr(path, '\0', sizeof(path)) == NULL)
			abort();
	}
	if (parse_mountinfo_cgroup2(buf, path, sizeof(path)) == 0 && !memchr(path, '\0', sizeof(path)))
		abort();
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++)
		if (parse_mountinfo_cgroup1(buf, ctrls[i], path, sizeof(path)) == 0 &&
		    !memchr(path, '\0', sizeof(path)))
			abort();
	free(buf);
	return 0;
}
