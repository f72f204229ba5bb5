/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the configuration loader: any input is either a config or an error
 * "NAME:LINE:COL: message"; a failed load leaves the config as it was, and
 * nothing leaks (ASan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct og_config cfg, before;
	char err[OG_ERR_SIZE];
	int r;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	config_default(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	r = config_load_buffer("fuzz", (const char *)data, size, &cfg, err);
	if (r < 0) {
		/* the message names the input and a position; cfg untouched */
		if (strncmp(err, "fuzz:", 5) != 0 || memchr(err, '\0', OG_ERR_SIZE) == NULL)
			abort();
		if (memcmp(&before, &cfg, sizeof(cfg)) != 0)
			abort();
	} else if (r > 0 || !cfg.path || strcmp(cfg.path, "fuzz") != 0) {
		abort();
	}
	config_describe(&cfg, devnull);
	config_free(&cfg);
	return 0;
}
