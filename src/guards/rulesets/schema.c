/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rulesets guard's config: `systemd_oomd` (units' ManagedOOM* settings
 * turned into rulesets where systemd is PID 1). oomd's own rulesets come
 * from an oomd JSON config (parse.c). */
#include "core/config-schema.h"

const struct key systemd_oomd_schema[] = {
	K("enabled", T_BOOL, OFF(sd_oomd_enabled)),
	{ 0 }
};
