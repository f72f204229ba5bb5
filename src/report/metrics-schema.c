/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics section: where the Prometheus textfile goes and how often
 * it is written (docs/config.md, docs/metrics.md). */
#include "report/metrics-schema.h"

#include <inttypes.h>
#include <stdlib.h>

#include "core/config-schema.h"
#include "core/util.h"

const struct key metrics_schema[] = {
	K("textfile", T_PATH, OFF(metrics_textfile), .nullable = true),
	K("interval", T_MS, OFF(metrics_interval_ms), .lo = 1000, .hi = MS(3600)),
	{ 0 }
};

void metrics_config_default(struct og_config *cfg)
{
	cfg->metrics_textfile = NULL;
	cfg->metrics_interval_ms = METRICS_DEFAULT_INTERVAL_MS;
}

void metrics_config_free(struct og_config *cfg)
{
	free(cfg->metrics_textfile);
	cfg->metrics_textfile = NULL;
}

void metrics_config_describe(const struct og_config *cfg, FILE *f)
{
	if (cfg->metrics_textfile)
		fprintf(f, "metrics: Prometheus textfile %s every %" PRIu64 " ms\n",
			cfg->metrics_textfile, cfg->metrics_interval_ms);
	else if (cfg->sections_seen & SEC_METRICS)
		fprintf(f, "metrics: no textfile (metrics.textfile not set)\n");
}
