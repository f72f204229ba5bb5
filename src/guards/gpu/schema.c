/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard's config: the seed's `gpu_protection` and `nvidia_monitor`
 * sections, with the keys the seed did not have (interval, margin,
 * devices, call_timeout). */
#include <string.h>

#include "core/config-schema.h"
#include "core/util.h"

/* An index ("0") or a UUID as NVML spells it ("GPU-8c1e...", "MIG-..."). */
static const char *device_check(const char *s)
{
	int64_t n;

	if (parse_int_range(s, 0, 63, &n) == 0)
		return NULL;
	if ((!strncmp(s, "GPU-", 4) || !strncmp(s, "MIG-", 4)) && strlen(s) < 96)
		return NULL;
	return "a device is an index (0, 1, ...) or a UUID as `nvidia-smi -L` shows it "
	       "(GPU-...)";
}

const struct key gpu_schema[] = {
	K("enabled", T_BOOL, OFF(gpu_enabled)),
	K("memory_threshold_percent", T_PERCENT, OFF(gpu_threshold_percent)),
	K("margin_percent", T_PERCENT, OFF(gpu_margin_percent)),
	K("interval", T_MS, OFF(gpu_interval_ms), .lo = 100, .hi = MS(3600)),
	K("call_timeout", T_MS, OFF(gpu_call_timeout_ms), .lo = 100, .hi = MS(600)),
	K("devices", T_STRLIST, OFF(gpu_devices), .hi = OG_MAX_GPUS, .count_off = OFF(n_gpu_devices),
	  .item_check = device_check),
	{ 0 }
};

const struct key nvidia_schema[] = {
	K("enabled", T_BOOL, OFF(nvidia_enabled)),
	K("set_performance_mode", T_BOOL, OFF(nvidia_perf_mode)),
	K("check_driver_updates", T_BOOL, OFF(nvidia_check_updates)),
	K("interval", T_MS, OFF(nvidia_interval_ms), .lo = 1000, .hi = MS(30LL * 86400)),
	{ 0 }
};
