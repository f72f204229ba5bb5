// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: PSI parser and share computation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/psi.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psi p;
	char *buf;

	buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	if (parse_psi(buf, &p) == 0) {
		double s = psi_share(p.some.total_us, p.full.total_us,
				     p.some.total_us ^ p.full.total_us);

		if (!(s >= 0.0 && s <= 100.0))
			abort();
		if (!(p.some.avg10 >= 0 && p.some.avg10 <= 100) ||
		    !(p.full.avg300 >= 0 && p.full.avg300 <= 100))
			abort();
	}
	free(buf);
	return 0;
}
