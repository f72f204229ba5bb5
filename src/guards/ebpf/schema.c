/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The eBPF guard's config: the seed's `ebpf_monitor` section. */
#include "core/config-schema.h"

const struct key ebpf_schema[] = {
	K("enabled", T_BOOL, OFF(ebpf_enabled)),
	K("allocation_threshold_mb_per_sec", T_UINT, OFF(ebpf_alloc_mb_per_sec),
	  .lo = 1, .hi = 1000000000),
	K("anomaly_mb_per_sec", T_UINT, OFF(ebpf_anomaly_mb_per_sec), .lo = 0, .hi = 1000000000),
	{ 0 }
};
