// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the parsers of who has a file open, /proc/PID/maps
 * lines (each line of the input, and the whole input as one line) and
 * /proc/PID/fdinfo's flags. A failed parse writes nothing; a parse never
 * reads past the line it is given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/openfiles.h"
#include "fuzz.h"

static void check_line(const char *line, size_t len)
{
	struct maps_entry m, m0;
	char *copy = malloc(len ? len : 1);

	/* an exact-size copy: reading past len is ASan's to catch */
	if (!copy)
		return;
	memcpy(copy, line, len);
	memset(&m, 0x5a, sizeof(m));
	m0 = m;
	if (parse_maps_line(copy, len, &m) < 0 && memcmp(&m, &m0, sizeof(m)) != 0)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstring(data, size);
	unsigned flags = 0xa5a5a5a5u;

	if (!buf)
		return 0;
	size = strlen(buf);
	for (const char *p = buf; *p;) {
		const char *eol = strchrnul(p, '\n');

		check_line(p, (size_t)(eol - p));
		p = *eol ? eol + 1 : eol;
	}
	check_line(buf, size);
	if (parse_fdinfo_flags(buf, &flags) < 0 && flags != 0xa5a5a5a5u)
		abort();
	free(buf);
	return 0;
}
