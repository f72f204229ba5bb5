/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard's pure decisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "guards/gpu/gpu.h"

bool gpu_selected(const struct og_config *cfg, unsigned index, const char *uuid)
{
	if (!cfg->n_gpu_devices)
		return true;
	for (size_t i = 0; i < cfg->n_gpu_devices; i++) {
		const char *s = cfg->gpu_devices[i];
		int64_t n;

		if (parse_int_range(s, 0, 63, &n) == 0 ? (unsigned)n == index : !strcmp(s, uuid))
			return true;
	}
	return false;
}

double gpu_used_percent(const struct nvml_memory *m)
{
	return m->total ? 100.0 * (double)m->used / (double)m->total : 0;
}

bool gpu_over(const struct og_config *cfg, const struct gpu_dev *d, uint64_t *ret_need,
	      char *reason, size_t size)
{
	double pct = gpu_used_percent(&d->mem), goal;
	uint64_t below;

	if (d->err || !d->mem.total || pct < cfg->gpu_threshold_percent)
		return false;
	goal = cfg->gpu_threshold_percent - cfg->gpu_margin_percent;
	below = (uint64_t)((double)d->mem.total * (goal > 0 ? goal : 0) / 100.0);
	*ret_need = d->mem.used > below ? d->mem.used - below : 0;
	snprintf(reason, size, "GPU %u (%s) memory %.1f%% >= %g%%: %.0f of %.0f MiB used; "
		 "freeing %.0f MiB gets it to %g%%", d->index, d->name, pct,
		 cfg->gpu_threshold_percent, (double)d->mem.used / MiB, (double)d->mem.total / MiB,
		 (double)*ret_need / MiB, goal > 0 ? goal : 0);
	return true;
}

uint64_t gpu_used_by(const struct gpu_dev *d, int pid, uint64_t start)
{
	for (size_t i = 0; i < d->nprocs; i++) {
		const struct gpu_seen *s = &d->procs[i];

		if (s->pid == pid && s->confirmed && s->start == start)
			return s->used == NVML_VALUE_NOT_AVAILABLE ? 0 : s->used;
	}
	return 0;
}

static uint64_t known(uint64_t v) { return v == NVML_VALUE_NOT_AVAILABLE ? 0 : v; }

size_t gpu_merge(struct gpu_seen *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < k && v[j].pid != v[i].pid)
			j++;
		if (j < k) {
			if (known(v[i].used) > known(v[j].used))
				v[j].used = v[i].used;
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}
