/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The I/O guard (the OOR Killer seed's IOPS counterpart): PSI io "full"
 * (every non-idle task stalled on I/O at once) sustained at
 * io.full_percent for io.duration. The victim did the most storage I/O over
 * the window (/proc/PID/io read_bytes + write_bytes - cancelled_write_bytes,
 * not rchar/wchar, which count cache hits), weighed by the work it would
 * lose. Without PSI it is not active. Off by default. */
#include "guards/pressure/pressure.h"

static struct pressure_cfg cfg_of(const struct og_config *c)
{
	return (struct pressure_cfg){
		.enabled = c->io_enabled, .percent = c->io_full_percent,
		.duration_ms = c->io_duration_ms, .kill_unit = KILL_UNIT_PROCESS,
	};
}

static const struct pressure_spec io_spec = {
	.psi_file = "pressure/io",
	.full = true,
	.kind = USAGE_IO,
	.trigger = TRIG_IO,
	.unit = "io_bytes",
	.stat_fallback = false,
	.cfg_of = cfg_of,
	.cg_limit_file = "io.max",
	.cg_psi_file = "io.pressure",
};

static int io_start(struct guard *g)
{
	return pressure_start(g, &io_spec);
}

const struct guard_ops io_guard_ops = {
	.name = "io",
	.state_size = sizeof(struct pressure_guard),
	.start = io_start,
	.reload = pressure_reload,
	.describe = pressure_describe,
	.stop = pressure_stop,
};
