/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cpu guard's config section. */
#include "core/config-schema.h"

const struct key cpu_schema[] = {
	K("enabled", T_BOOL, OFF(cpu_enabled)),
	K("some_percent", T_PERCENT, OFF(cpu_some_percent)),
	K("duration", T_MS, OFF(cpu_duration_ms), .lo = 1000, .hi = MS(24 * 3600)),
	K("kill_unit", T_ENUM, OFF(cpu_kill_unit), .names = config_kill_unit_names),
	K("load_per_cpu", T_PERCENT, OFF(cpu_load_per_cpu)),
	K("busy_percent", T_PERCENT, OFF(cpu_busy_percent)),
	{ 0 }
};
