/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's config sections: machine_learning (the seed's
 * data_collection and log_path, and how the dataset is kept), calibration
 * (the cgroup memory store) and rebalance (limits moved where needed). */
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

/* A rebalance glob: a cgroup path pattern that starts at the root. */
static const char *glob_check(const char *s)
{
	if (s[0] != '/')
		return "a cgroup glob starts with / (the cgroup root), e.g. \"/system.slice/*\"";
	if (strlen(s) >= 256)
		return "a cgroup glob is shorter than 256 bytes";
	return NULL;
}

const struct key store_schema[] = {
	K("enabled", T_BOOL, OFF(calib_enabled)),
	K("interval", T_MS, OFF(calib_interval_ms), .lo = 1000, .hi = MS(3600)),
	K("store", T_PATH, OFF(calib_store)),
	K("retention", T_MS, OFF(calib_retention_ms), .lo = MS(3600), .hi = MS(3650LL * 86400)),
	K("reserve", T_SIZE, OFF(calib_reserve)),
	{ 0 }
};

const struct key rebalance_schema[] = {
	K("enabled", T_BOOL, OFF(rb_enabled)),
	K("cgroups", T_STRLIST, OFF(rb_cgroups), .hi = OG_MAX_REBALANCE,
	  .count_off = OFF(n_rb_cgroups), .item_check = glob_check),
	K("margin", T_SIZE, OFF(rb_margin), .lo = 1 * MiB),
	K("cooldown", T_MS, OFF(rb_cooldown_ms), .lo = 1000, .hi = MS(86400)),
	K("audit_path", T_PATH, OFF(rb_audit_path), .nullable = true),
	{ 0 }
};

static const char *const default_globs[] = { "/system.slice/*", "/workload.slice/*" };

void calibration_config_default(struct og_config *cfg)
{
	cfg->calib_interval_ms = 10000;
	cfg->calib_store = strdup(CALIBRATION_STORE_PATH);
	cfg->calib_retention_ms = 30ull * 86400 * 1000;
	cfg->calib_reserve = 256 * MiB;
	for (size_t i = 0; i < sizeof(default_globs) / sizeof(default_globs[0]); i++)
		if ((cfg->rb_cgroups[cfg->n_rb_cgroups] = strdup(default_globs[i])))
			cfg->n_rb_cgroups++;
	cfg->rb_margin = 64 * MiB;
	cfg->rb_cooldown_ms = 30000;
	cfg->rb_audit_path = strdup(CALIBRATION_AUDIT_PATH);
	cfg->ml_log_path = strdup(CALIBRATION_DEFAULT_PATH);
	cfg->ml_max_size = 64 * MiB;
	cfg->ml_keep = 4;
	cfg->ml_top = 10;
	cfg->ml_interval_ms = 1000;
}

void calibration_config_free(struct og_config *cfg)
{
	free(cfg->calib_store);
	free(cfg->rb_audit_path);
	for (size_t i = 0; i < cfg->n_rb_cgroups; i++)
		free(cfg->rb_cgroups[i]);
}

void calibration_config_describe(const struct og_config *cfg, FILE *f)
{
	if (cfg->calib_enabled)
		fprintf(f, "calibration: every cgroup's memory every %" PRIu64 " ms into %s, kept %"
			PRIu64 " days\n", cfg->calib_interval_ms, cfg->calib_store,
			cfg->calib_retention_ms / 86400000);
	else if (cfg->sections_seen & SEC_CALIBRATION)
		fprintf(f, "calibration: off\n");
	if (cfg->rb_enabled) {
		fprintf(f, "rebalance: limits of");
		for (size_t i = 0; i < cfg->n_rb_cgroups; i++)
			fprintf(f, " %s", cfg->rb_cgroups[i]);
		fprintf(f, "%s, margin %" PRIu64 " MiB, cooldown %" PRIu64 " ms\n",
			cfg->n_rb_cgroups ? "" : " (no cgroup: rebalance.cgroups is empty)",
			cfg->rb_margin >> 20, cfg->rb_cooldown_ms);
	} else if (cfg->sections_seen & SEC_REBALANCE) {
		fprintf(f, "rebalance: off\n");
	}
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
