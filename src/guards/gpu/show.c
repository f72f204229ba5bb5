/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard in explain and status: NVML and the driver, each watched
 * device with its memory and processes, the monitor's findings and the
 * performance mode, as text and JSON. */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "guards/gpu/state.h"

static void describe_dev(struct guard *g, struct describe *d, const struct gpu_dev *v)
{
	struct gpu_guard *gg = GG(g);
	const struct og_config *cfg = &g->env->c->cfg;
	char key[16];
	struct describe sub = { .text = d->text };
	size_t confirmed = 0;
	bool sel = gpu_selected(cfg, v->index, v->uuid);

	snprintf(key, sizeof(key), "%u", v->index);
	sub.json = desc_obj(d, key);
	desc_str(&sub, "name", v->name);
	desc_str(&sub, "uuid", v->uuid);
	desc_bool(&sub, "watched", sel);
	if (!sel || !gg->looked) {
		desc_line(&sub, "  GPU %u: %s %s%s", v->index, v->name, v->uuid,
			  sel ? "" : " (not in gpu_protection.devices)");
	} else if (v->err) {
		desc_line(&sub, "  GPU %u: %s %s: memory unreadable (NVML %d)", v->index, v->name,
			  v->uuid, v->err);
		desc_int(&sub, "error", v->err);
	} else {
		for (size_t i = 0; i < v->nprocs; i++)
			confirmed += v->procs[i].confirmed;
		desc_line(&sub, "  GPU %u: %s %s: memory %.1f%% used (%.0f of %.0f MiB; threshold "
			  "%g%%)%s; %zu process%s (%zu confirmed in /proc)%s", v->index, v->name,
			  v->uuid, gpu_used_percent(&v->mem), (double)v->mem.used / MiB,
			  (double)v->mem.total / MiB, cfg->gpu_threshold_percent,
			  gg->ep[v->index].over ? " OVER" : "", v->nprocs, v->nprocs == 1 ? "" : "es",
			  confirmed, v->procs_err ? "; process lists unusable" : "");
		desc_int(&sub, "memory_total", (int64_t)v->mem.total);
		desc_int(&sub, "memory_used", (int64_t)v->mem.used);
		desc_num(&sub, "used_percent", gpu_used_percent(&v->mem));
		desc_int(&sub, "processes", (int64_t)v->nprocs);
		desc_int(&sub, "confirmed", (int64_t)confirmed);
		desc_int(&sub, "record_size_compute", (int64_t)v->stride[0]);
		desc_int(&sub, "processes_error", v->procs_err);
		for (size_t i = 0; i < v->nprocs; i++)
			desc_line(&sub, "    pid %d %s: %.0f MiB (%s)%s%s", v->procs[i].pid,
				  v->procs[i].comm, v->procs[i].used == NVML_VALUE_NOT_AVAILABLE ? -1 :
				  (double)v->procs[i].used / MiB, v->procs[i].graphics ? "graphics" :
				  "compute", v->procs[i].confirmed ? "" : "; never killed: ",
				  v->procs[i].confirmed ? "" : v->procs[i].why ? v->procs[i].why : "?");
		if (v->persistence >= 0 || v->pstate >= 0)
			desc_line(&sub, "    persistence mode %s, P%d, application clocks %u/%u MHz "
				  "(max %u/%u)", v->persistence == 1 ? "on" : v->persistence == 0 ?
				  "off" : "unknown", v->pstate, v->app_graphics, v->app_mem,
				  v->max_graphics, v->max_mem);
		desc_int(&sub, "persistence", v->persistence);
		desc_int(&sub, "pstate", v->pstate);
	}
	if (*gg->perf[v->index].said)
		desc_line(&sub, "    performance mode: %s", gg->perf[v->index].said);
	desc_str(&sub, "performance", *gg->perf[v->index].said ? gg->perf[v->index].said : NULL);
}

void gpu_describe(struct guard *g, struct describe *d)
{
	struct gpu_guard *gg = GG(g);
	const struct og_config *cfg = &g->env->c->cfg;
	struct describe devs = { .text = d->text }, drv = { .text = d->text };

	desc_bool(d, "protection", cfg->gpu_enabled);
	desc_bool(d, "monitor", cfg->nvidia_enabled);
	desc_num(d, "threshold_percent", cfg->gpu_threshold_percent);
	desc_num(d, "margin_percent", cfg->gpu_margin_percent);
	desc_int(d, "interval_ms", (int64_t)cfg->gpu_interval_ms);
	if (!g->active)
		return;
	desc_line(d, "NVML %s (%s), driver %s; %u device%s; memory protection %s%s, driver "
		  "monitor %s", *gg->nvml_version ? gg->nvml_version : "?", gg->lib_path,
		  *gg->driver ? gg->driver : "?", gg->count, gg->count == 1 ? "" : "s",
		  cfg->gpu_enabled ? "on" : "off", cfg->dry_run ? " (dry run)" : "",
		  cfg->nvidia_enabled ? "on" : "off");
	desc_str(d, "library", gg->lib_path);
	desc_str(d, "nvml_version", gg->nvml_version);
	desc_str(d, "driver_version", gg->driver);
	if (*gg->n.missing)
		desc_line(d, "Optional NVML calls missing (the performance mode needs them): %s",
			  gg->n.missing);
	desc_str(d, "missing", *gg->n.missing ? gg->n.missing : NULL);
	if (gg->init_err) {
		char e[128];

		desc_line(d, "nvmlInit failed: %s", nvml_strerror(&gg->n, gg->init_err, e, sizeof(e)));
	}
	desc_int(d, "init_error", gg->init_err);
	if (gg->degraded)
		desc_line(d, "DEGRADED: %s", gg->degraded_why);
	desc_str(d, "degraded", gg->degraded ? gg->degraded_why : NULL);
	devs.json = desc_obj(d, "devices");
	for (unsigned i = 0; i < gg->count; i++)
		describe_dev(g, &devs, &gg->dev[i]);
	drv.json = desc_obj(d, "driver");
	if (gg->monitored) {
		desc_str(&drv, "module", *gg->module ? gg->module : NULL);
		desc_str(&drv, "library", *gg->library ? gg->library : NULL);
		desc_str(&drv, "on_disk", *gg->on_disk ? gg->on_disk : NULL);
		for (size_t i = 0; i < gg->nfindings; i++) {
			desc_line(&drv, "Driver: %s", gg->findings[i]);
			desc_str(&drv, drv_finding_name(gg->finding[i]), gg->findings[i]);
		}
	}
	desc_int(d, "victims", (int64_t)gg->victims);
}
