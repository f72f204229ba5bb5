/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The io guard's config section. */
#include "core/config-schema.h"

const struct key io_schema[] = {
	K("enabled", T_BOOL, OFF(io_enabled)),
	K("full_percent", T_PERCENT, OFF(io_full_percent)),
	K("duration", T_MS, OFF(io_duration_ms), .lo = 1000, .hi = MS(24 * 3600)),
	{ 0 }
};
