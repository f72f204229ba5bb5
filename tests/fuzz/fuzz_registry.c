// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the value registry file (RUNTIME_DIR/values). A parsed
 * registry holds only valid entries, formats within the daemon's buffer, and
 * parses back to the same entries. Each accepted line has the exact number of
 * fields its kind takes ("pid PID START VALUE", "cgroup PATH VALUE"). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/registry.h"
#include "fuzz.h"

static struct registry reg, back;
static char text[REGISTRY_MAX * 300];

static size_t fields(const char *s, const char *end)
{
	size_t n = 0;

	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end)
			break;
		n++;
		while (s < end && !isspace((unsigned char)*s))
			s++;
	}
	return n;
}

/* Every non-blank, non-comment line of an accepted file: its field count
 * matches its kind. */
static void check_lines(const char *buf)
{
	for (const char *p = buf; *p;) {
		const char *eol = strchrnul(p, '\n');

		if (eol > p && *p != '#') {
			size_t n = fields(p, eol);

			if (!strncmp(p, "pid", 3) && n != 4)
				abort();
			if (!strncmp(p, "cgroup", 6) && n != 3)
				abort();
		}
		p = *eol ? eol + 1 : eol;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int line = -1, r, len;
	char *buf;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	r = parse_registry(buf, &reg, &line);
	if (r == -EINVAL && line < 1)
		abort();
	if (r < 0 && r != -EINVAL && r != -ENOSPC)
		abort();
	if (r == 0) {
		if (reg.n > REGISTRY_MAX)
			abort();
		check_lines(buf);
		for (size_t i = 0; i < reg.n; i++) {
			const struct registry_entry *e = &reg.e[i];

			if (e->value < 0 || e->value > VALUE_MAX)
				abort();
			if (e->is_pid ? e->pid <= 0 :
			    e->cgroup[0] != '/' || !memchr(e->cgroup, '\0', sizeof(e->cgroup)))
				abort();
		}
		/* what registry_update writes, registry_refresh reads back */
		len = format_registry(&reg, text, sizeof(text));
		if (len < 0 || (size_t)len != strlen(text))
			abort();
		if (parse_registry(text, &back, &line) != 0 || back.n != reg.n)
			abort();
		for (size_t i = 0; i < reg.n; i++) {
			const struct registry_entry *a = &reg.e[i], *b = &back.e[i];

			if (a->is_pid != b->is_pid || a->value != b->value ||
			    (a->is_pid ? a->pid != b->pid || a->starttime != b->starttime :
			     strcmp(a->cgroup, b->cgroup) != 0))
				abort();
		}
	}
	free(buf);
	return 0;
}
