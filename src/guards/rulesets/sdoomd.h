/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd-oomd's settings as oomd rulesets (sdoomd.c). */
#pragma once
#include <stddef.h>

#include "core/sdbus.h"
#include "guards/rulesets/rules.h"

/* /etc/systemd/oomd.conf's [OOM] section, systemd 252's defaults. */
struct sd_oomd_conf {
	unsigned swap_used_limit;       /* SwapUsedLimit=, percent (90) */
	unsigned pressure_limit;        /* DefaultMemoryPressureLimit=, percent (60) */
	unsigned duration_s;            /* DefaultMemoryPressureDurationSec= (30) */
};

void rs_sdoomd_conf_default(struct sd_oomd_conf *c);
/* The text of oomd.conf over c (unknown keys and bad values leave c's). */
int rs_sdoomd_conf_parse(const char *text, struct sd_oomd_conf *c);
/* The rulesets for these units: one per ManagedOOMMemoryPressure=kill unit
 * (pressure_above its limit for the duration and memory_reclaim within
 * 30 s, then kill_by_pg_scan over its leaves), and one for every
 * ManagedOOMSwap=kill unit together (swap_free and memory_above at
 * SwapUsedLimit, then kill_by_swap_usage over them, over 5 % of the swap).
 * 0 (none: an empty config) or -errno with err. */
int rs_sdoomd_rulesets(const struct sd_oom_unit *u, size_t n, const struct sd_oomd_conf *conf,
		       struct rs_config *out, char *err, size_t size);
