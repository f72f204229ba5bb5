/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroups guard's config section. */
#include "core/config-schema.h"

const struct key cgroups_schema[] = {
	K("enabled", T_BOOL, OFF(cgroups_enabled)),
	K("root", T_STR, OFF(cgroup_root), .nullable = true),
	K("terminate_headroom_percent", T_PERCENT, OFF(cg_term_headroom_percent)),
	K("kill_headroom_percent", T_PERCENT, OFF(cg_kill_headroom_percent)),
	{ 0 }
};
