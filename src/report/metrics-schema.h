/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics section of the config (metrics-schema.c): metrics.textfile,
 * metrics.interval; their defaults, freeing and line of config_describe. */
#pragma once
#include <stdio.h>

#include "core/config-schema.h"
#include "core/config.h"

#define METRICS_DEFAULT_INTERVAL_MS 15000
/* node_exporter's textfile collector directory on Debian (the
 * prometheus-node-exporter package's --collector.textfile.directory) */
#define METRICS_NODE_EXPORTER_DIR "/var/lib/prometheus/node-exporter"
/* The status socket when --status-socket does not say (root-only dir). */
#define STATUS_SOCKET_DEFAULT "/run/oomguard/status.sock"

extern const struct key metrics_schema[];
void metrics_config_default(struct og_config *cfg);
void metrics_config_free(struct og_config *cfg);
void metrics_config_describe(const struct og_config *cfg, FILE *f);
