/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The calibration guard's config (schema.c): the machine_learning section
 * (the dataset), its defaults, and its line of config_describe. */
#pragma once
#include <stdio.h>

#include "core/config.h"

#define CALIBRATION_DEFAULT_PATH "/var/log/oomguard/dataset.csv"
#define CALIBRATION_STORE_PATH "/var/lib/oomguard/calibration.db"
#define CALIBRATION_AUDIT_PATH "/var/log/oomguard/rebalance.jsonl"

void calibration_config_default(struct og_config *cfg);
void calibration_config_free(struct og_config *cfg);
void calibration_config_describe(const struct og_config *cfg, FILE *f);
