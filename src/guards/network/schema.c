/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's config section. */
#include "core/config-schema.h"

const struct key network_schema[] = {
	K("enabled", T_BOOL, OFF(net_enabled)),
	K("duplicate_mac", T_BOOL, OFF(net_duplicate_mac)),
	{ 0 }
};
