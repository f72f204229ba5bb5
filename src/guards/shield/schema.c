/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield guard's config sections (the OOM Protector seed's): cgroup_settings and
 * dynamic_adjustment; managed_processes (T_MANAGED) and
 * cgroup_settings.managed_users (T_USERS) are lists read by config.c. */
#include "core/config-schema.h"

const struct key cgroup_settings_schema[] = {
	K("name", T_NAME, OFF(cg_name)),
	K("memory_low", T_SIZE, OFF(cg_memory_low)),
	K("memory_min", T_SIZE, OFF(cg_memory_min)),
	K("cpu_weight", T_INT, OFF(cg_cpu_weight), .lo = 1, .hi = 10000),
	K("io_weight", T_INT, OFF(cg_io_weight), .lo = 1, .hi = 10000),
	K("enabled", T_BOOL, OFF(cg_enabled)),
	K("parent", T_STR, OFF(cg_parent), .nullable = true),
	K("move_from_units", T_BOOL, OFF(cg_move_from_units)),
	K("proc_connector", T_BOOL, OFF(cg_connector)),
	K("rescan_interval", T_MS, OFF(cg_rescan_ms), .lo = 100, .hi = MS(600)),
	K("managed_oom_score_adj", T_INT, OFF(cg_managed_adj), .lo = -1000, .hi = 0),
	K("managed_users", T_USERS, OFF(cg_managed_users)),
	K("trust_units", T_BOOL, OFF(cg_trust_units)),
	{ 0 }
};

const struct key dynamic_schema[] = {
	K("enabled", T_BOOL, OFF(dyn_enabled)),
	K("count", T_INT, OFF(dyn_count), .lo = 0, .hi = 1000),
	K("score", T_INT, OFF(dyn_score), .lo = -1000, .hi = 1000),
	K("interval", T_MS, OFF(dyn_interval_ms), .lo = 100, .hi = MS(600)),
	K("state_file", T_STR, OFF(dyn_state_path), .nullable = true),
	{ 0 }
};
