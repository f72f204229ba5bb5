/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the fuzz targets. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (kernel files are text); NULL for
 * inputs over 1 MiB, which no parser is ever given. Caller frees. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *buf;

	if (size > 1 << 20 || !(buf = malloc(size + 1)))
		return NULL;
	memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}
