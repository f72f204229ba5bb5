/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration schema (the keys of every section, their types, ranges
 * and fields), the built-in defaults, freeing, and the human summary. The
 * YAML walker in config.c interprets these tables. */
#include "core/config-schema.h"

#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guards/calibration/schema.h"
#include "guards/disk/schema.h"
#include "guards/shield/shield.h"
#include "report/metrics-schema.h"
#include "hooks/schema.h"
#include "core/util.h"

/* Sections of the OOM Protector seed and whether this build implements them.
 * Flip `active` when a feature lands; config_describe() reads this table. */
static const struct {
	unsigned int bit;
	const char *name;
	bool active;
} seed_features[] = {
	{ SEC_CGROUP_SETTINGS, "cgroup_settings", true },
	{ SEC_MANAGED, "managed_processes", true },
	{ SEC_GPU, "gpu_protection", true },
	{ SEC_NVIDIA, "nvidia_monitor", true },
	{ SEC_EBPF, "ebpf_monitor", true },
	{ SEC_DYNAMIC, "dynamic_adjustment", true },
	{ SEC_ML, "machine_learning", true },
};

/* Built-in rule: critical system processes are avoided as victims. It is
 * root_only: a name is what a process chooses (prctl(PR_SET_NAME)), so a
 * name alone must not lower anybody's badness; these run as root. */
static const char default_avoid_comm[] =
	"^(systemd|systemd-.*|init|sshd|dbus-daemon|dbus-broker|Xorg|Xwayland|"
	"gnome-shell|plasmashell|kwin_wayland|kwin_x11|sddm|gdm|gdm3|gdm-.*|"
	"lightdm|login|agetty)$";


static const char *const action_names[] = { "prefer", "avoid", "protect", NULL };





static const struct key values_keys[] = {
	K("default", T_INT, OFF(default_value), .lo = 0, .hi = 1000000),
	{ 0 }
};

static const struct key logging_keys[] = {
	K("json_logs", T_BOOL, OFF(json_logs)),
	K("kmsg", T_BOOL, OFF(kmsg)),
	K("record_path", T_STR, OFF(record_path), .nullable = true),
	{ 0 }
};


const struct key config_top_keys[] = {
	K("dry_run", T_BOOL, OFF(dry_run)),
	SECTION("memory", memory_schema, SEC_MEMORY),
	SECTION("psi", psi_schema, SEC_PSI),
	SECTION("cgroups", cgroups_schema, SEC_CGROUPS),
	SECTION("cpu", cpu_schema, SEC_CPU),
	SECTION("io", io_schema, SEC_IO),
	SECTION("disk_settings", disk_settings_schema, SEC_DISK_SETTINGS),
	{ .name = "disk", .type = T_LIST, .sec = SEC_DISK, .off = OFF(disks),
	  .count_off = OFF(n_disks), .elem_size = sizeof(struct og_disk), .hi = OG_MAX_DISKS,
	  .sub = disk_entry_schema, .finish = disk_entry_finish },
	SECTION("network", network_schema, SEC_NETWORK),
	{ .name = "rules", .type = T_RULES, .sec = SEC_RULES },
	{ .name = "rulesets", .type = T_RULESETS, .sec = SEC_RULESETS },
	SECTION("values", values_keys, SEC_VALUES),
	SECTION("logging", logging_keys, SEC_LOGGING),
	SECTION("cgroup_settings", cgroup_settings_schema, SEC_CGROUP_SETTINGS),
	{ .name = "managed_processes", .type = T_MANAGED, .sec = SEC_MANAGED },
	SECTION("gpu_protection", gpu_schema, SEC_GPU),
	SECTION("nvidia_monitor", nvidia_schema, SEC_NVIDIA),
	SECTION("ebpf_monitor", ebpf_schema, SEC_EBPF),
	SECTION("dynamic_adjustment", dynamic_schema, SEC_DYNAMIC),
	SECTION("machine_learning", calibration_schema, SEC_ML),
	SECTION("calibration", store_schema, SEC_CALIBRATION),
	SECTION("rebalance", rebalance_schema, SEC_REBALANCE),
	SECTION("systemd_oomd", systemd_oomd_schema, SEC_SYSTEMD_OOMD),
	SECTION("metrics", metrics_schema, SEC_METRICS),
	SECTION("hooks", hooks_schema, SEC_HOOKS),
	{ 0 }
};

const struct key config_rule_keys[] = {
	K("comm", T_REGEX, ROFF(comm)),
	K("cmdline", T_REGEX, ROFF(cmdline)),
	K("exe", T_REGEX, ROFF(exe)),
	K("cgroup", T_REGEX, ROFF(cgroup)),
	K("user", T_REGEX, ROFF(user)),
	K("action", T_ENUM, ROFF(action), .names = action_names),
	K("adjust", T_INT32, ROFF(adjust), .lo = 0, .hi = 1000),
	K("value", T_INT, ROFF(value), .lo = 0, .hi = 1000000),
	{ 0 }
};

const struct rule_re_field config_rule_res[N_RULE_RES] = {
	{ "comm", ROFF(comm), ROFF(comm_re) },
	{ "cmdline", ROFF(cmdline), ROFF(cmdline_re) },
	{ "exe", ROFF(exe), ROFF(exe_re) },
	{ "cgroup", ROFF(cgroup), ROFF(cgroup_re) },
	{ "user", ROFF(user), ROFF(user_re) },
};

/* ---- defaults and freeing -------------------------------------------- */

void config_rule_free(struct og_rule *r, size_t n_compiled)
{
	for (size_t i = 0; i < N_RULE_RES; i++) {
		if (RULE_STR(r, i) && i < n_compiled)
			regfree(RULE_RE(r, i));
		free(RULE_STR(r, i));
		RULE_STR(r, i) = NULL;
	}
}

void config_rules_free(struct og_config *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		config_rule_free(&cfg->rules[i], N_RULE_RES);
	cfg->n_rules = 0;
}

void config_default(struct og_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_enabled = true;
	cfg->term_mem = cfg->term_swap = (struct og_threshold){ .percent = 10 };
	cfg->kill_mem = cfg->kill_swap = (struct og_threshold){ .percent = 5 };
	cfg->mem_policy = MEM_POLICY_ADAPTIVE;
	cfg->ceiling_bytes = 4ull << 30;
	cfg->psi_onset_some_percent = 10;
	cfg->grace_ms = 2000;
	cfg->cooldown_ms = 1000;
	cfg->interval_max_ms = 1000;
	cfg->interval_watched_ms = 5000;
	cfg->interval_min_ms = 20;
	cfg->badness = BADNESS_OOM_SCORE;
	cfg->kill_unit = KILL_UNIT_PROCESS;
	cfg->margin_bytes = 0;          /* auto: the adaptive floor, or 64 MiB (policy_margin) */
	cfg->max_fill_rate = 6ull << 30;

	cfg->psi_enabled = true;
	cfg->psi_mode = PSI_MODE_AUTO;
	cfg->psi_full = false;
	cfg->psi_stall_us = 150000;
	cfg->psi_window_us = 1000000;
	cfg->psi_kill_full_percent = 40;
	cfg->psi_duration_ms = 5000;
	cfg->psi_thrash_full_percent = 15;
	cfg->psi_thrash_refault_percent = 100;

	cfg->cpu_some_percent = 90;
	cfg->cpu_duration_ms = 30000;
	cfg->cpu_load_per_cpu = 2;
	cfg->cpu_busy_percent = 95;
	cfg->io_full_percent = 50;
	cfg->io_duration_ms = 30000;
	cfg->disk_enabled = true;
	cfg->disk_interval_ms = 5000;
	cfg->disk_horizon_ms = 600000;
	cfg->net_enabled = true;
	cfg->net_duplicate_mac = true;

	cfg->cgroups_enabled = true;
	cfg->cg_term_headroom_percent = 5;
	cfg->cg_kill_headroom_percent = 2;

	cfg->default_value = 1;
	cfg->json_logs = true;
	cfg->kmsg = true;

	cfg->cg_name = strdup("oom_protector.slice");      /* the seed's name */
	cfg->cg_cpu_weight = 100;
	cfg->cg_io_weight = 100;
	cfg->gpu_threshold_percent = 90;
	cfg->gpu_margin_percent = 5;
	cfg->gpu_interval_ms = 2000;
	cfg->gpu_call_timeout_ms = 5000;
	cfg->nvidia_check_updates = true;
	cfg->nvidia_interval_ms = 3600000;
	cfg->ebpf_enabled = true;
	cfg->sd_oomd_enabled = true;
	cfg->ebpf_alloc_mb_per_sec = 100;
	cfg->dyn_count = 3;
	cfg->dyn_score = 700;
	cfg->dyn_interval_ms = 2000;
	cfg->dyn_state_path = strdup("/run/oomguard/oom_score_adj.state");
	calibration_config_default(cfg);
	hooks_config_default(cfg);
	cfg->cg_enabled = true;
	cfg->cg_connector = true;
	cfg->cg_rescan_ms = 2000;
	cfg->cg_managed_adj = 1;
	cfg->cg_trust_units = true;
	metrics_config_default(cfg);

	struct og_rule *r = &cfg->rules[0];
	r->comm = strdup(default_avoid_comm);
	if (r->comm && regcomp(&r->comm_re, r->comm, CONFIG_RE_FLAGS) == 0) {
		r->action = RULE_AVOID;
		r->adjust = 300;
		r->root_only = true;
		cfg->n_rules = 1;
	} else {
		free(r->comm);
		r->comm = NULL;
	}
}

void config_free(struct og_config *cfg)
{
	if (!cfg)
		return;
	config_rules_free(cfg);
	disk_config_free(cfg);
	free(cfg->warnings);
	for (size_t i = 0; i < cfg->n_managed; i++)
		free(cfg->managed[i]);
	for (size_t i = 0; i < cfg->n_managed_users; i++)
		free(cfg->cg_managed_users[i]);
	free(cfg->path);
	free(cfg->cgroup_root);
	free(cfg->record_path);
	free(cfg->cg_name);
	free(cfg->ml_log_path);
	calibration_config_free(cfg);
	rs_config_free(&cfg->rulesets);
	for (size_t i = 0; i < cfg->n_gpu_devices; i++)
		free(cfg->gpu_devices[i]);
	free(cfg->cg_parent);
	free(cfg->dyn_state_path);
	metrics_config_free(cfg);
	hooks_config_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- messages -------------------------------------------------------- */

static const char *fmt_dur(int64_t v, bool us, char *buf, size_t size)
{
	if (us && v % 1000)
		snprintf(buf, size, "%" PRId64 "us", v);
	else if (!us && v >= 86400000 && v % 86400000 == 0)
		snprintf(buf, size, "%" PRId64 "d", v / 86400000);
	else if (us ? v % 1000000 : v % 1000)
		snprintf(buf, size, "%" PRId64 "ms", us ? v / 1000 : v);
	else
		snprintf(buf, size, "%" PRId64 "s", us ? v / 1000000 : v / 1000);
	return buf;
}

const char *config_expectation(const struct key *k, char *buf, size_t size)
{
	char a[32], b[32];
	size_t o;

	switch (k->type) {
	case T_BOOL:
		return "true or false";
	case T_PERCENT:
		return "a percentage 0..100";
	case T_SIZE:
		if (!k->lo)
			return "a size such as 209715200 or 512MiB";
		snprintf(buf, size, "a size of at least %" PRId64 "%s such as 512MiB",
			 k->lo % (int64_t)MiB ? k->lo / (int64_t)KiB : k->lo / (int64_t)MiB,
			 k->lo % (int64_t)MiB ? "KiB" : "MiB");
		return buf;
	case T_MS:
	case T_US:
		snprintf(buf, size, "a duration %s..%s such as 2s or 1500ms",
			 fmt_dur(k->lo, k->type == T_US, a, sizeof(a)),
			 fmt_dur(k->hi, k->type == T_US, b, sizeof(b)));
		return buf;
	case T_INT:
	case T_INT32:
	case T_UINT:
		snprintf(buf, size, "an integer %" PRId64 "..%" PRId64, k->lo, k->hi);
		return buf;
	case T_ENUM:
	case T_ENUM_BOOL:
		o = (size_t)snprintf(buf, size, "one of");
		for (size_t i = 0; k->names[i] && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%s %s",
					      i ? "," : "", k->names[i]);
		return buf;
	case T_NAME:
		return "a cgroup name: one path component, not \".\" or \"..\"";
	case T_REGEX:
		return "a non-empty regular expression";
	case T_USERS:
		return "a list of user names or uids";
	case T_PATH:
		return "an absolute path without \".\" or \"..\" components";
	default:
		return "a non-empty string";
	}
}

/* ---- describe -------------------------------------------------------- */

static const char *fmt_threshold(const struct og_threshold *t, char *buf, size_t size)
{
	if (t->percent >= 0 && t->size)
		snprintf(buf, size, "min(%g%%, %" PRIu64 " MiB)", t->percent, t->size >> 20);
	else if (t->size)
		snprintf(buf, size, "%" PRIu64 " MiB", t->size >> 20);
	else
		snprintf(buf, size, "%g%%", t->percent);
	return buf;
}

void config_describe(const struct og_config *cfg, void *file)
{
	static const char *const yn[] = { "no", "yes" };
	char a[64], b[64];
	FILE *f = file;

	fprintf(f, "config: %s%s\n", cfg->path ? cfg->path : "built-in defaults",
		cfg->dry_run ? " (dry run: no signals are sent)" : "");
	if (cfg->memory_enabled) {
		if (cfg->mem_policy == MEM_POLICY_ADAPTIVE)
			fprintf(f, "memory: adaptive policy: floor %s, ceiling %" PRIu64 " MiB and the thresholds below as ceilings; onset at some >= %g%%\n",
				cfg->floor_bytes ? (snprintf(a, sizeof(a), "%" PRIu64 " MiB", cfg->floor_bytes >> 20), a) :
				"MemTotal/256 in [8, 256] MiB", cfg->ceiling_bytes >> 20,
				cfg->psi_onset_some_percent);
		fprintf(f, "memory: SIGTERM when available memory < %s and free swap < %s\n",
			fmt_threshold(&cfg->term_mem, a, sizeof(a)),
			fmt_threshold(&cfg->term_swap, b, sizeof(b)));
		fprintf(f, "memory: SIGKILL when available memory < %s and free swap < %s\n",
			fmt_threshold(&cfg->kill_mem, a, sizeof(a)),
			fmt_threshold(&cfg->kill_swap, b, sizeof(b)));
		fprintf(f, "memory: grace %" PRIu64 " ms, cooldown %" PRIu64 " ms, poll every %"
			PRIu64 "..%" PRIu64 " ms, badness %s, kill unit %s, margin %" PRIu64 " MiB%s\n",
			cfg->grace_ms, cfg->cooldown_ms, cfg->interval_min_ms, cfg->interval_max_ms,
			config_badness_names[cfg->badness], config_kill_unit_names[cfg->kill_unit],
			cfg->margin_bytes >> 20, cfg->margin_bytes ? "" : " (auto: the floor, or 64 MiB)");
	} else {
		fprintf(f, "memory: disabled\n");
	}
	if (cfg->psi_enabled)
		fprintf(f, "psi: mode %s, trigger %s %" PRIu64 " us per %" PRIu64
			" us window, kill at full >= %g%% over %" PRIu64 " ms%s\n",
			config_psi_mode_names[cfg->psi_mode], cfg->psi_full ? "full" : "some",
			cfg->psi_stall_us, cfg->psi_window_us, cfg->psi_kill_full_percent,
			cfg->psi_duration_ms, cfg->psi_kill_full_percent > 0 ? "" : " (off)");
	if (cfg->psi_enabled && cfg->psi_thrash_full_percent > 0)
		fprintf(f, "thrash: at full >= %g%% over %" PRIu64 " ms while refaults reach %" PRIu64 "%% of the file cache\n",
			cfg->psi_thrash_full_percent, cfg->psi_duration_ms, cfg->psi_thrash_refault_percent);
	else if (cfg->psi_enabled)
		fprintf(f, "thrash: off\n");
	if (!cfg->psi_enabled)
		fprintf(f, "psi: disabled\n");
	if (cfg->cgroups_enabled)
		fprintf(f, "cgroups: root %s, SIGTERM at < %g%% of memory.max free, SIGKILL at < %g%%\n",
			cfg->cgroup_root ? cfg->cgroup_root : "(from mountinfo)",
			cfg->cg_term_headroom_percent, cfg->cg_kill_headroom_percent);
	else
		fprintf(f, "cgroups: disabled\n");
	if (cfg->cpu_enabled)
		fprintf(f, "cpu: kill when PSI cpu some >= %g%% held for %" PRIu64 " ms (without PSI: busy >= %g%% "
			"and load >= %g per CPU), kill unit %s\n", cfg->cpu_some_percent,
			cfg->cpu_duration_ms, cfg->cpu_busy_percent, cfg->cpu_load_per_cpu,
			config_kill_unit_names[cfg->cpu_kill_unit]);
	else
		fprintf(f, "cpu: off\n");
	if (cfg->io_enabled)
		fprintf(f, "io: kill when PSI io full >= %g%% held for %" PRIu64 " ms\n",
			cfg->io_full_percent, cfg->io_duration_ms);
	else
		fprintf(f, "io: off\n");
	disk_config_describe(cfg, f);
	fprintf(f, "rules: %zu, default value %" PRId64 "\n", cfg->n_rules, cfg->default_value);
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct og_rule *r = &cfg->rules[i];

		if (r->line)
			fprintf(f, "  rule %zu (line %d):", i + 1, r->line);
		else
			fprintf(f, "  rule %zu (built-in):", i + 1);
		if (r->action != RULE_PREFER || r->adjust)
			fprintf(f, " %s", action_names[r->action]);
		if (r->action != RULE_PROTECT && r->adjust)
			fprintf(f, " %d", r->adjust);
		if (r->has_value)
			fprintf(f, " value %" PRId64, r->value);
		for (size_t j = 0; j < N_RULE_RES; j++)
			if (RULE_STR(r, j))
				fprintf(f, " %s=~/%s/", config_rule_res[j].name, RULE_STR(r, j));
		if (r->root_only)
			fprintf(f, " (processes of root only)");
		fputc('\n', f);
	}
	fprintf(f, "logging: json_logs %s, kmsg %s, record %s\n", yn[cfg->json_logs],
		yn[cfg->kmsg], cfg->record_path ? cfg->record_path : "to stdout");
	shield_describe(cfg, f);
	if (cfg->sections_seen & (SEC_GPU | SEC_NVIDIA))
		fprintf(f, "gpu: memory protection %s at %g%% (down to %g%%, every %" PRIu64 " ms), "
			"driver monitor %s (performance mode %s, driver updates %s, every %" PRIu64
			" s); active where libnvidia-ml.so.1 is\n", cfg->gpu_enabled ? "on" : "off",
			cfg->gpu_threshold_percent, cfg->gpu_threshold_percent - cfg->gpu_margin_percent,
			cfg->gpu_interval_ms, cfg->nvidia_enabled ? "on" : "off",
			yn[cfg->nvidia_perf_mode], yn[cfg->nvidia_check_updates],
			cfg->nvidia_interval_ms / 1000);
	if (cfg->sections_seen & SEC_EBPF) {
		fprintf(f, "ebpf: allocation alerts %s: CRITICAL for a managed process over %" PRIu64
			" MB/s, WARNING for others ", cfg->ebpf_enabled ? "on" : "off",
			cfg->ebpf_alloc_mb_per_sec);
		if (cfg->ebpf_anomaly_mb_per_sec)
			fprintf(f, "over %" PRIu64 " MB/s\n", cfg->ebpf_anomaly_mb_per_sec);
		else
			fprintf(f, "off\n");
	}
	calibration_config_describe(cfg, f);
	rs_config_describe(&cfg->rulesets, f);
	metrics_config_describe(cfg, f);
	hooks_config_describe(cfg, f);
	for (size_t i = 0; i < ARRAY_SIZE(seed_features); i++)
		if ((cfg->sections_seen & seed_features[i].bit) && !seed_features[i].active)
			fprintf(f, "%s: accepted, not active in this build\n",
				seed_features[i].name);
}
