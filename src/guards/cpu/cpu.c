/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CPU guard (the OOR Killer seed's "if the load of the system reaches a
 * defined limit, kill the process creating the load"): PSI cpu "some" (the
 * share of time runnable tasks waited for a CPU; "full" is always zero at
 * system level) sustained at cpu.some_percent for cpu.duration; without PSI,
 * the seed's signals, /proc/stat busy and /proc/loadavg per CPU. The victim
 * used the most CPU time over the window, weighed by the work it would lose.
 * Off by default: a build server is supposed to be busy. */
#include "guards/pressure/pressure.h"

static struct pressure_cfg cfg_of(const struct og_config *c)
{
	return (struct pressure_cfg){
		.enabled = c->cpu_enabled, .percent = c->cpu_some_percent,
		.duration_ms = c->cpu_duration_ms, .kill_unit = c->cpu_kill_unit,
		.load_per_cpu = c->cpu_load_per_cpu, .busy_percent = c->cpu_busy_percent,
	};
}

static const struct pressure_spec cpu_spec = {
	.psi_file = "pressure/cpu",
	.full = false,
	.kind = USAGE_CPU,
	.trigger = TRIG_CPU,
	.unit = "cpu_ms",
	.stat_fallback = true,
	.cfg_of = cfg_of,
	.cg_limit_file = "cpu.max",
	.cg_psi_file = "cpu.pressure",
};

static int cpu_start(struct guard *g)
{
	return pressure_start(g, &cpu_spec);
}

const struct guard_ops cpu_guard_ops = {
	.name = "cpu",
	.state_size = sizeof(struct pressure_guard),
	.start = cpu_start,
	.reload = pressure_reload,
	.describe = pressure_describe,
	.stop = pressure_stop,
};
