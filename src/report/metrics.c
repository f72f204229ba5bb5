/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot as Prometheus text exposition (format 0.0.4), for
 * node_exporter's textfile collector. docs/metrics.md lists every family;
 * tests/metrics.py parses the daemon's file with Prometheus' own parsers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/snapshot.h"

void snap_label_escape(const char *v, char *out, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	for (; *v && o + 3 < size; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A double as Prometheus reads it (%.17g round-trips; no locale). */
static void value(FILE *f, double v)
{
	fprintf(f, " %.17g\n", v);
}

static void guard_counts(FILE *f, const struct og_snapshot *s, const char *name, const char *help,
			 bool episodes)
{
	char g[64];

	family(f, name, "counter", help);
	for (size_t i = 0; i < s->n_guards; i++) {
		const struct snap_guard *sg = &s->guards[i];
		const struct snap_count *c = episodes ? sg->episodes : sg->kills;
		size_t n = episodes ? sg->n_episodes : sg->n_kills;

		snap_label_escape(sg->name, g, sizeof(g));
		for (size_t k = 0; k < n; k++) {
			char t[64];

			snap_label_escape(c[k].trigger, t, sizeof(t));
			fprintf(f, "%s{guard=\"%s\",trigger=\"%s\"} %" PRIu64 "\n", name, g, t, c[k].n);
		}
	}
}

static void guards(FILE *f, const struct og_snapshot *s)
{
	char g[64];

	family(f, "oomguard_guard_active", "gauge",
	       "1 when the guard runs, 0 when it is off or lacks what it needs (oomguard status says why).");
	for (size_t i = 0; i < s->n_guards; i++) {
		snap_label_escape(s->guards[i].name, g, sizeof(g));
		fprintf(f, "oomguard_guard_active{guard=\"%s\"} %d\n", g, s->guards[i].active ? 1 : 0);
	}
	guard_counts(f, s, "oomguard_kills_total",
		     "Victims signalled (SIGTERM or SIGKILL; in dry-run, that would have been), by guard and trigger.",
		     false);
	guard_counts(f, s, "oomguard_episodes_total",
		     "Episodes begun: a guard found its resource in danger and asked for help, by trigger.",
		     true);
	family(f, "oomguard_cleanups_total", "counter",
	       "Cleanups of a filesystem under its threshold that the disk guard ran.");
	for (size_t i = 0; i < s->n_guards; i++) {
		if (!s->guards[i].has_cleanups)
			continue;
		snap_label_escape(s->guards[i].name, g, sizeof(g));
		fprintf(f, "oomguard_cleanups_total{guard=\"%s\"} %" PRIu64 "\n", g,
			s->guards[i].cleanups);
	}
	family(f, "oomguard_rebalances_total", "counter",
	       "Cgroup memory limits rebalanced before a kill (result done), or refused (result refused).");
	for (size_t i = 0; i < s->n_guards; i++) {
		const struct snap_guard *sg = &s->guards[i];

		if (!strcmp(sg->name, "calibration") || sg->rebalances || sg->rebalances_refused) {
			snap_label_escape(sg->name, g, sizeof(g));
			fprintf(f, "oomguard_rebalances_total{guard=\"%s\",result=\"done\"} %" PRIu64 "\n"
				"oomguard_rebalances_total{guard=\"%s\",result=\"refused\"} %" PRIu64 "\n",
				g, sg->rebalances, g, sg->rebalances_refused);
		}
	}
	family(f, "oomguard_last_decision_latency_seconds", "gauge",
	       "How long the guard's last ask that acted took, from the ask to the signal sent or the relief done.");
	for (size_t i = 0; i < s->n_guards; i++) {
		if (!s->guards[i].has_latency)
			continue;
		snap_label_escape(s->guards[i].name, g, sizeof(g));
		fprintf(f, "oomguard_last_decision_latency_seconds{guard=\"%s\"}", g);
		value(f, s->guards[i].last_latency_s);
	}
}

static void readings(FILE *f, const struct og_snapshot *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} mem[] = {
		{ "oomguard_memory_total_bytes", "MemTotal of /proc/meminfo, as the memory guard last read it.",
		  offsetof(struct og_snapshot, mem_total) },
		{ "oomguard_memory_available_bytes", "MemAvailable of /proc/meminfo, as the memory guard last read it.",
		  offsetof(struct og_snapshot, mem_available) },
		{ "oomguard_swap_total_bytes", "SwapTotal of /proc/meminfo.",
		  offsetof(struct og_snapshot, swap_total) },
		{ "oomguard_swap_free_bytes", "SwapFree of /proc/meminfo.",
		  offsetof(struct og_snapshot, swap_free) },
	};

	for (size_t i = 0; s->have_mem && i < sizeof(mem) / sizeof(mem[0]); i++) {
		family(f, mem[i].name, "gauge", mem[i].help);
		fprintf(f, "%s %" PRIu64 "\n", mem[i].name,
			*(const uint64_t *)((const char *)s + mem[i].off));
	}
	family(f, "oomguard_pressure_avg10_ratio", "gauge",
	       "Pressure stall information: the share of the last 10 s that some or all tasks stalled on the resource (0 to 1).");
	for (int r = 0; r < SNAP_PSI_N; r++) {
		const struct snap_psi *p = &s->psi[r];

		if (!p->have)
			continue;
		fprintf(f, "oomguard_pressure_avg10_ratio{resource=\"%s\",kind=\"some\"}", snap_psi_names[r]);
		value(f, p->some_avg10 / 100);
		if (p->has_full) {
			fprintf(f, "oomguard_pressure_avg10_ratio{resource=\"%s\",kind=\"full\"}",
				snap_psi_names[r]);
			value(f, p->full_avg10 / 100);
		}
	}
	family(f, "oomguard_pressure_stalled_seconds_total", "counter",
	       "Pressure stall information: the total time some or all tasks stalled on the resource.");
	for (int r = 0; r < SNAP_PSI_N; r++) {
		const struct snap_psi *p = &s->psi[r];

		if (!p->have)
			continue;
		fprintf(f, "oomguard_pressure_stalled_seconds_total{resource=\"%s\",kind=\"some\"}",
			snap_psi_names[r]);
		value(f, (double)p->some_total_us / 1e6);
		if (p->has_full) {
			fprintf(f, "oomguard_pressure_stalled_seconds_total{resource=\"%s\",kind=\"full\"}",
				snap_psi_names[r]);
			value(f, (double)p->full_total_us / 1e6);
		}
	}
}

static void devices(FILE *f, const struct og_snapshot *s)
{
	char l[1024];

	if (s->n_gpus) {
		family(f, "oomguard_gpu_memory_total_bytes", "gauge", "A GPU's memory, as the gpu guard last read it (NVML).");
		for (size_t i = 0; i < s->n_gpus; i++) {
			snap_label_escape(s->gpus[i].name, l, sizeof(l));
			fprintf(f, "oomguard_gpu_memory_total_bytes{gpu=\"%d\",name=\"%s\"} %" PRIu64 "\n",
				s->gpus[i].index, l, s->gpus[i].total);
		}
		family(f, "oomguard_gpu_memory_used_bytes", "gauge", "A GPU's memory in use, as the gpu guard last read it (NVML).");
		for (size_t i = 0; i < s->n_gpus; i++) {
			snap_label_escape(s->gpus[i].name, l, sizeof(l));
			fprintf(f, "oomguard_gpu_memory_used_bytes{gpu=\"%d\",name=\"%s\"} %" PRIu64 "\n",
				s->gpus[i].index, l, s->gpus[i].used);
		}
	}
	if (s->n_fs) {
		family(f, "oomguard_filesystem_size_bytes", "gauge", "A filesystem the disk guard watches: its size.");
		for (size_t i = 0; i < s->n_fs; i++) {
			snap_label_escape(s->fs[i].path, l, sizeof(l));
			fprintf(f, "oomguard_filesystem_size_bytes{mountpoint=\"%s\"} %" PRIu64 "\n", l,
				s->fs[i].size);
		}
		family(f, "oomguard_filesystem_avail_bytes", "gauge",
		       "A filesystem the disk guard watches: the space left to unprivileged users (f_bavail), as it last looked.");
		for (size_t i = 0; i < s->n_fs; i++) {
			snap_label_escape(s->fs[i].path, l, sizeof(l));
			fprintf(f, "oomguard_filesystem_avail_bytes{mountpoint=\"%s\"} %" PRIu64 "\n", l,
				s->fs[i].avail);
		}
	}
}

int snap_metrics(const struct og_snapshot *s, FILE *f)
{
	family(f, "oomguard_last_update_timestamp_seconds", "gauge",
	       "When the daemon wrote these metrics (seconds since the epoch): a stale file means a daemon gone.");
	fprintf(f, "oomguard_last_update_timestamp_seconds");
	value(f, (double)s->time_ms / 1000);
	family(f, "oomguard_start_time_seconds", "gauge", "When the daemon started (seconds since the epoch).");
	fprintf(f, "oomguard_start_time_seconds");
	value(f, (double)s->start_ms / 1000);
	family(f, "oomguard_dry_run", "gauge", "1 in dry-run mode: nothing is signalled, kills count what would have been.");
	fprintf(f, "oomguard_dry_run %d\n", s->dry_run ? 1 : 0);
	guards(f, s);
	readings(f, s);
	devices(f, s);
	family(f, "oomguard_records_dropped_total", "counter",
	       "Records the output could not take at once (never retried: writing never blocks).");
	fprintf(f, "oomguard_records_dropped_total %" PRIu64 "\n", s->records_dropped);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
