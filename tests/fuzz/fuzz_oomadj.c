// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the oom_score_adj state file that a restarted daemon
 * reads to restore what a crashed one changed (a "boot ID" line, then "pid
 * starttime original applied mode comm" lines). A refused file keeps
 * nothing; parsed entries are in range, format within a buffer and parse
 * back to the same boot id, pids, values and modes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guards/shield/oomadj.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oa_state st = { 0 }, back = { 0 };
	static char text[1 << 20];
	char boot[OA_BOOT_ID_SIZE], boot2[OA_BOOT_ID_SIZE], *buf;
	int n, len;

	if (size > 1 << 16)
		return 0;
	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	n = oomadj_parse(buf, &st, boot, NULL);
	if (n < 0) {
		if (st.n)               /* refused whole: nothing kept */
			abort();
		oomadj_free(&st);
		free(buf);
		return 0;
	}
	if ((size_t)n != st.n || st.n > st.cap)
		abort();
	for (size_t i = 0; i < st.n; i++) {
		const struct oa_entry *e = &st.v[i];

		if (e->pid <= 0 || e->original < OOMADJ_MIN || e->original > OOMADJ_MAX ||
		    e->applied < OOMADJ_MIN || e->applied > OOMADJ_MAX || e->hands_off ||
		    (e->mode != OA_RAISE && e->mode != OA_LOWER) ||
		    !memchr(e->comm, '\0', sizeof(e->comm)))
			abort();
	}
	len = oomadj_format(&st, *boot ? boot : "0f", text, sizeof(text));
	if (len < 0 || (size_t)len != strlen(text))
		abort();
	if (oomadj_parse(text, &back, boot2, NULL) != n || strcmp(boot2, *boot ? boot : "0f"))
		abort();
	for (size_t i = 0; i < st.n; i++) {
		const struct oa_entry *a = &st.v[i], *b = &back.v[i];

		if (a->pid != b->pid || a->starttime != b->starttime || a->original != b->original ||
		    a->applied != b->applied || a->mode != b->mode)
			abort();
	}
	oomadj_free(&back);
	oomadj_free(&st);
	free(buf);
	return 0;
}
