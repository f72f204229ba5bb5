/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's config section, machine_learning (the seed's
 * data_collection and log_path, and how the dataset is kept). */
#include "guards/calibration/schema.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/config-schema.h"
#include "core/util.h"

const struct key calibration_schema[] = {
	K("data_collection", T_BOOL, OFF(ml_enabled)),
	K("log_path", T_PATH, OFF(ml_log_path)),
	K("max_size", T_SIZE, OFF(ml_max_size), .lo = 64 * KiB),
	K("keep", T_INT, OFF(ml_keep), .lo = 0, .hi = 100),
	K("top", T_INT, OFF(ml_top), .lo = 1, .hi = 1000),
	K("interval", T_MS, OFF(ml_interval_ms), .lo = 100, .hi = MS(3600)),
	{ 0 }
};

void calibration_config_default(struct og_config *cfg)
{
	cfg->ml_log_path = strdup(CALIBRATION_DEFAULT_PATH);
	cfg->ml_max_size = 64 * MiB;
	cfg->ml_keep = 4;
	cfg->ml_top = 10;
	cfg->ml_interval_ms = 1000;
}

void calibration_config_describe(const struct og_config *cfg, FILE *f)
{
	if (!cfg->ml_enabled) {
		if (cfg->sections_seen & SEC_ML)
			fprintf(f, "machine_learning: data collection off\n");
		return;
	}
	fprintf(f, "machine_learning: dataset %s: memory and the %" PRId64 " largest processes "
		"every %" PRIu64 " ms, kills, anomalies and events; rotated at %" PRIu64 " KiB, "
		"%" PRId64 " kept\n", cfg->ml_log_path ? cfg->ml_log_path : "(none)", cfg->ml_top,
		cfg->ml_interval_ms, cfg->ml_max_size >> 10, cfg->ml_keep);
}
