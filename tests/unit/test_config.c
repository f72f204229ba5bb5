/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration loader: defaults, the seed's sample, the full example, every
 * error class with its exact FILE:LINE:COL message, and reload safety. */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/context.h"
#include "core/util.h"
#include "fixture.h"


static int load(const char *yaml, struct og_config *cfg, char *err)
{
	return config_load_buffer("t.yaml", yaml, strlen(yaml), cfg, err);
}

/* Loads yaml over a default config, which must be refused with msg and left
 * byte for byte as it was. */
static void expect_error(const char *yaml, const char *msg)
{
	struct og_config cfg, before;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(load(yaml, &cfg, err), -EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&before, &cfg, sizeof(cfg));
	config_free(&cfg);
}

static void load_ok(const char *yaml, struct og_config *cfg)
{
	char err[OG_ERR_SIZE] = "";
	int r;

	config_default(cfg);
	r = load(yaml, cfg, err);
	if (r != 0)
		fail_msg("unexpected error %d: %s", r, err);
	assert_string_equal(cfg->path, "t.yaml");
}

static bool matches(const regex_t *re, const char *s)
{
	return regexec(re, s, 0, NULL, 0) == 0;
}

static char *example_path(const char *name)
{
	const char *src = getenv("OG_SRCDIR");
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/examples/%s", src ? src : ".", name);
	return buf;
}

static char *describe(const struct og_config *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	config_describe(cfg, f);
	fclose(f);
	return out;
}

static void test_defaults(void **state)
{
	struct og_config cfg;

	(void)state;
	config_default(&cfg);
	assert_null(cfg.path);
	assert_true(cfg.memory_enabled);
	assert_true(cfg.term_mem.percent == 10 && cfg.term_swap.percent == 10);
	assert_true(cfg.kill_mem.percent == 5 && cfg.kill_swap.percent == 5);
	assert_int_equal(cfg.term_mem.size, 0);
	assert_int_equal(cfg.kill_swap.size, 0);
	assert_int_equal(cfg.grace_ms, 2000);
	assert_int_equal(cfg.cooldown_ms, 1000);
	assert_int_equal(cfg.interval_max_ms, 1000);
	assert_int_equal(cfg.interval_min_ms, 20);
	assert_int_equal(cfg.badness, BADNESS_OOM_SCORE);
	assert_int_equal(cfg.kill_unit, KILL_UNIT_PROCESS);
	assert_int_equal(cfg.margin_bytes, 0);      /* auto: policy_margin */
	assert_int_equal(cfg.mem_policy, MEM_POLICY_ADAPTIVE);
	assert_int_equal(cfg.floor_bytes, 0);
	assert_int_equal(cfg.ceiling_bytes, 4 * GiB);
	assert_true(cfg.psi_enabled);
	assert_int_equal(cfg.psi_mode, PSI_MODE_AUTO);
	assert_false(cfg.psi_full);
	assert_int_equal(cfg.psi_stall_us, 150000);
	assert_int_equal(cfg.psi_window_us, 1000000);
	assert_true(cfg.psi_kill_full_percent == 40);
	assert_int_equal(cfg.psi_duration_ms, 5000);
	assert_true(cfg.psi_thrash_full_percent == 15);
	assert_int_equal(cfg.psi_thrash_refault_percent, 100);
	assert_true(cfg.cgroups_enabled);
	assert_null(cfg.cgroup_root);
	assert_true(cfg.cg_term_headroom_percent == 5 && cfg.cg_kill_headroom_percent == 2);
	assert_int_equal(cfg.default_value, 1);
	assert_true(cfg.json_logs && cfg.kmsg && !cfg.dry_run);
	assert_null(cfg.record_path);
	assert_string_equal(cfg.cg_name, "oom_protector.slice");
	assert_int_equal(cfg.cg_memory_low, 0);
	assert_int_equal(cfg.cg_cpu_weight, 100);
	assert_int_equal(cfg.cg_io_weight, 100);
	assert_false(cfg.gpu_enabled || cfg.nvidia_enabled || cfg.dyn_enabled || cfg.ml_enabled);
	assert_true(cfg.ebpf_enabled);  /* loaded where the kernel allows (issue 15) */
	assert_int_equal(cfg.dyn_count, 3);
	assert_int_equal(cfg.dyn_score, 700);
	assert_string_equal(cfg.ml_log_path, "/var/log/oomguard/dataset.csv");
	assert_int_equal(cfg.ml_max_size, 64 * MiB);
	assert_int_equal(cfg.ml_keep, 4);
	assert_int_equal(cfg.ml_top, 10);
	assert_int_equal(cfg.ml_interval_ms, 1000);
	assert_int_equal(cfg.n_managed, 0);
	assert_true(cfg.net_enabled && cfg.net_duplicate_mac);     /* on: it only reports */
	assert_int_equal(cfg.sections_seen, 0);

	assert_int_equal(cfg.n_rules, 1);
	assert_int_equal(cfg.rules[0].action, RULE_AVOID);
	assert_int_equal(cfg.rules[0].adjust, 300);
	assert_false(cfg.rules[0].has_value);
	assert_int_equal(cfg.rules[0].line, 0);
	assert_null(cfg.rules[0].cmdline);
	const char *crit[] = { "systemd", "systemd-journal", "sshd", "Xorg", "gdm-session-wor",
			       "agetty", "dbus-broker" };
	for (size_t i = 0; i < sizeof(crit) / sizeof(crit[0]); i++)
		assert_true(matches(&cfg.rules[0].comm_re, crit[i]));
	assert_false(matches(&cfg.rules[0].comm_re, "firefox"));
	assert_false(matches(&cfg.rules[0].comm_re, "mysshd"));
	assert_false(matches(&cfg.rules[0].comm_re, "Xorg2"));

	char *d = describe(&cfg);
	assert_non_null(strstr(d, "config: built-in defaults\n"));
	assert_non_null(strstr(d, "memory: SIGTERM when available memory < 10% and free swap < 10%\n"));
	assert_non_null(strstr(d, "rule 1 (built-in): avoid 300 comm=~/^(systemd|"));
	assert_null(strstr(d, "not active"));
	free(d);
	config_free(&cfg);
	config_free(&cfg);      /* safe twice: free leaves a zeroed config */
}

/* The calibration and rebalance sections (issue 16): the issue's defaults,
 * and a file's list of globs replaces the default one (not appended). */
static void test_calibration_sections(void **state)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	assert_false(cfg.calib_enabled || cfg.rb_enabled);
	assert_int_equal(cfg.calib_interval_ms, 10000);
	assert_string_equal(cfg.calib_store, "/var/lib/oomguard/calibration.db");
	assert_true(cfg.calib_retention_ms == 30ull * 86400000);
	assert_int_equal(cfg.n_rb_cgroups, 2);
	assert_string_equal(cfg.rb_cgroups[0], "/system.slice/*");
	assert_string_equal(cfg.rb_cgroups[1], "/workload.slice/*");
	assert_true(cfg.rb_margin == 64ull << 20 && cfg.rb_cooldown_ms == 30000);
	assert_int_equal(load("calibration: {enabled: true, interval: 2s, store: /tmp/c.db, "
			      "retention: 2d, reserve: 1GiB}\n"
			      "rebalance: {enabled: true, cgroups: [\"/w/*\"], margin: 32MiB, "
			      "cooldown: 1min, audit_path: null}\n", &cfg, err), 0);
	assert_true(cfg.calib_enabled && cfg.rb_enabled);
	assert_int_equal(cfg.calib_interval_ms, 2000);
	assert_string_equal(cfg.calib_store, "/tmp/c.db");
	assert_true(cfg.calib_retention_ms == 2ull * 86400000 && cfg.calib_reserve == 1ull << 30);
	assert_int_equal(cfg.n_rb_cgroups, 1);
	assert_string_equal(cfg.rb_cgroups[0], "/w/*");
	assert_true(cfg.rb_margin == 32ull << 20 && cfg.rb_cooldown_ms == 60000);
	assert_null(cfg.rb_audit_path);
	/* refused, with where */
	assert_int_equal(load("rebalance: {cgroups: [\"system.slice/*\"]}\n", &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "t.yaml:1:23: rebalance.cgroups[0]: a cgroup glob starts with /"));
	assert_int_equal(load("calibration: {interval: 10ms}\n", &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "t.yaml:1:25:"));
	assert_int_equal(load("calibration: {store: relative.db}\n", &cfg, err), -EINVAL);
	config_free(&cfg);
}

static void test_seed_sample(void **state)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];
	const char *path = example_path("config.yaml");

	(void)state;
	config_default(&cfg);
	if (config_load(path, &cfg, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.cg_name, "oom_protector.slice");
	assert_int_equal(cfg.cg_memory_low, 209715200);
	assert_int_equal(cfg.cg_memory_min, 0);
	assert_int_equal(cfg.cg_cpu_weight, 150);
	assert_int_equal(cfg.cg_io_weight, 150);
	assert_int_equal(cfg.n_managed, 6);
	const char *m[] = { "windsurf", "code", "subl", "vim", "nvim", "go" };
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(cfg.managed[i], m[i]);
	assert_true(cfg.gpu_enabled);
	assert_true(cfg.gpu_threshold_percent == 90);
	assert_true(cfg.nvidia_enabled && cfg.nvidia_perf_mode && cfg.nvidia_check_updates);
	assert_true(cfg.ebpf_enabled);
	assert_int_equal(cfg.ebpf_alloc_mb_per_sec, 100);
	assert_true(cfg.dyn_enabled);
	assert_int_equal(cfg.dyn_count, 3);
	assert_int_equal(cfg.dyn_score, 700);
	assert_true(cfg.ml_enabled);
	assert_string_equal(cfg.ml_log_path, "/var/log/oom_protector_ml_data.csv");
	assert_true(cfg.json_logs);
	assert_int_equal(cfg.sections_seen,
			 SEC_CGROUP_SETTINGS | SEC_MANAGED | SEC_GPU | SEC_NVIDIA |
			 SEC_EBPF | SEC_DYNAMIC | SEC_ML | SEC_LOGGING);
	/* what the sample does not set keeps the default */
	assert_true(cfg.term_mem.percent == 10 && cfg.kill_mem.percent == 5);
	assert_int_equal(cfg.n_rules, 1);
	assert_int_equal(cfg.rules[0].action, RULE_AVOID);

	char *d = describe(&cfg);
	/* every section of the seed is active now */
	assert_null(strstr(d, "accepted, not active"));
	assert_null(strstr(d, "gpu_protection: accepted, not active"));
	assert_non_null(strstr(d, "\nebpf: allocation alerts on: CRITICAL for a managed process over "
			       "100 MB/s, WARNING for others off\n"));
	/* machine_learning is the calibration guard's dataset (src/guards/calibration/) */
	assert_null(strstr(d, "machine_learning: accepted, not active"));
	assert_non_null(strstr(d, "\nmachine_learning: dataset /var/log/oom_protector_ml_data.csv: "
			       "memory and the 10 largest processes every 1000 ms, kills, anomalies "
			       "and events; rotated at 65536 KiB, 4 kept\n"));
	assert_non_null(strstr(d, "\ngpu: memory protection on at 90% (down to 85%, every 2000 ms), "
			       "driver monitor on (performance mode yes, driver updates yes"));
	/* The shield sections are active (src/guards/shield/). */
	assert_null(strstr(d, "cgroup_settings: accepted, not active"));
	assert_null(strstr(d, "managed_processes: accepted, not active"));
	assert_null(strstr(d, "dynamic_adjustment: accepted, not active"));
	assert_non_null(strstr(d, "\ncgroup_settings: protected cgroup /oom_protector.slice: memory.low 200 MiB"));
	assert_non_null(strstr(d, "\nmanaged_processes: 6, never oomguard's victims: windsurf code subl vim nvim go\n"));
	assert_non_null(strstr(d, "\ndynamic_adjustment: the 3 largest non-managed processes get oom_score_adj 700"));
	free(d);
	config_free(&cfg);
}

static void test_full_example(void **state)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];

	(void)state;
	config_default(&cfg);
	if (config_load(example_path("oomguard.yaml"), &cfg, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.sections_seen, 0x1fff | SEC_DISK | SEC_DISK_SETTINGS | SEC_NETWORK);
	assert_true(cfg.term_mem.percent == 10 && cfg.term_swap.percent == 10);
	assert_true(cfg.kill_mem.percent == 5 && cfg.kill_swap.percent == 5);
	assert_int_equal(cfg.grace_ms, 2000);
	assert_int_equal(cfg.interval_min_ms, 20);
	assert_int_equal(cfg.margin_bytes, 64 * MiB);
	assert_int_equal(cfg.psi_stall_us, 150000);
	assert_int_equal(cfg.psi_window_us, 1000000);
	assert_int_equal(cfg.psi_duration_ms, 5000);
	assert_string_equal(cfg.cgroup_root, "/sys/fs/cgroup");
	assert_string_equal(cfg.record_path, "/var/log/oomguard/decisions.jsonl");
	assert_int_equal(cfg.cg_memory_low, 200 * MiB);
	assert_int_equal(cfg.n_managed, 3);
	assert_string_equal(cfg.managed[2], "vim");

	assert_int_equal(cfg.n_rules, 4);
	assert_int_equal(cfg.rules[0].action, RULE_AVOID);
	assert_true(matches(&cfg.rules[0].comm_re, "systemd-logind"));
	assert_int_equal(cfg.rules[1].action, RULE_PREFER);
	assert_int_equal(cfg.rules[1].adjust, 300);
	assert_true(matches(&cfg.rules[1].cmdline_re, "/usr/lib/chromium/chrome --type=renderer --x"));
	assert_true(matches(&cfg.rules[1].exe_re, "/usr/lib/chromium/chrome"));
	assert_false(matches(&cfg.rules[1].exe_re, "/opt/usr/lib/chromium/chrome"));
	assert_int_equal(cfg.rules[2].action, RULE_PROTECT);
	assert_true(matches(&cfg.rules[2].user_re, "alice"));
	assert_true(matches(&cfg.rules[2].user_re, "1000"));
	assert_false(matches(&cfg.rules[2].user_re, "10000"));
	assert_true(matches(&cfg.rules[2].cgroup_re, "/user.slice/user-1000.slice"));
	assert_int_equal(cfg.rules[3].action, RULE_PREFER);
	assert_int_equal(cfg.rules[3].adjust, 0);
	assert_true(cfg.rules[3].has_value);
	assert_int_equal(cfg.rules[3].value, 8);
	assert_int_equal(cfg.rules[3].line, 73);
	assert_int_equal(cfg.max_fill_rate, 6ull << 30);

	char *d = describe(&cfg);
	assert_non_null(strstr(d, "  rule 4 (line 73): value 8 comm=~/^(code|vim|nvim)$/ "
			       "user=~/^(alice|1000)$/\n"));
	assert_non_null(strstr(d, "  rule 3 (line 69): protect comm=~/^postgres$/ cgroup=~/"));
	assert_true(matches(&cfg.rules[0].user_re, "root") && !matches(&cfg.rules[0].user_re, "alice"));
	assert_non_null(strstr(d, "record /var/log/oomguard/decisions.jsonl"));
	free(d);
	config_free(&cfg);
}

static void test_empty_documents(void **state)
{
	const char *empty[] = { "", "# only a comment\n", "---\n", "--- ~\n", "\n\n", "{}\n" };
	struct og_config cfg, def;

	(void)state;
	config_default(&def);
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		load_ok(empty[i], &cfg);
		assert_int_equal(cfg.sections_seen, 0);
		assert_int_equal(cfg.grace_ms, def.grace_ms);
		assert_int_equal(cfg.n_rules, 1);
		config_free(&cfg);
	}
	/* an empty section is seen and changes nothing */
	load_ok("memory:\nrules:\n", &cfg);
	assert_int_equal(cfg.sections_seen, SEC_MEMORY | SEC_RULES);
	assert_int_equal(cfg.n_rules, 0);
	assert_true(cfg.term_mem.percent == 10);
	config_free(&cfg);
	config_free(&def);
}

static void test_errors(void **state)
{
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		/* syntax */
		{ "memory:\n  enabled: true\n bad: 1\n",
		  "t.yaml:3:2: syntax error: did not find expected key while parsing a block mapping at 1:1" },
		{ "memory: {enabled: true\n",
		  "t.yaml:2:1: syntax error: did not find expected ',' or '}' while parsing a flow mapping at 1:9" },
		{ "a: *nope\n", "t.yaml:1:4: syntax error: found undefined alias" },
		{ "dry_run: \"\xff\"\n", "t.yaml:1:11: invalid input: invalid leading UTF-8 octet" },
		/* unknown keys */
		{ "memory:\n  grace_perod: 2s\n",
		  "t.yaml:2:3: unknown key \"grace_perod\" in memory; did you mean \"grace_period\"?" },
		{ "memroy:\n  enabled: true\n",
		  "t.yaml:1:1: unknown key \"memroy\" at top level; did you mean \"memory\"?" },
		{ "memory:\n  kill:\n    swap_free_prcent: 3\n",
		  "t.yaml:3:5: unknown key \"swap_free_prcent\" in memory.kill; did you mean \"swap_free_percent\"?" },
		{ "memory:\n  zzzzzz: 1\n", "t.yaml:2:3: unknown key \"zzzzzz\" in memory" },
		{ "rules:\n  - comm: x\n    acton: avoid\n",
		  "t.yaml:3:5: unknown key \"acton\" in rules[0]; did you mean \"action\"?" },
		{ "? [a]\n: 1\n", "t.yaml:1:3: unknown key a list at top level" },
		/* types and ranges */
		{ "memory:\n  kill:\n    mem_available_percent: abc\n",
		  "t.yaml:3:28: memory.kill.mem_available_percent: expected a percentage 0..100, got \"abc\"" },
		{ "memory:\n  terminate: {swap_free_percent: 101}\n",
		  "t.yaml:2:34: memory.terminate.swap_free_percent: expected a percentage 0..100, got \"101\"" },
		{ "dry_run: maybe\n", "t.yaml:1:10: dry_run: expected true or false, got \"maybe\"" },
		{ "gpu_protection:\n  memory_threshold_percent: 10\n  margin_percent: 20\n",
		  "t.yaml:3:19: gpu_protection.margin_percent (20) must not exceed "
		  "gpu_protection.memory_threshold_percent (10)" },
		{ "gpu_protection: {devices: [0, GPU-8c1e, foo]}\n",
		  "t.yaml:1:41: gpu_protection.devices[2]: a device is an index (0, 1, ...) or a UUID as "
		  "`nvidia-smi -L` shows it (GPU-...), got \"foo\"" },
		{ "nvidia_monitor: {intervall: 1h}\n",
		  "t.yaml:1:18: unknown key \"intervall\" in nvidia_monitor; did you mean \"interval\"?" },
		{ "network: {duplicate_macs: false}\n",
		  "t.yaml:1:11: unknown key \"duplicate_macs\" in network; did you mean \"duplicate_mac\"?" },
		{ "network:\n  enabled: sometimes\n",
		  "t.yaml:2:12: network.enabled: expected true or false, got \"sometimes\"" },
		{ "machine_learning:\n  data_collection: true\n  max_size: 1K\n",
		  "t.yaml:3:13: machine_learning.max_size: expected a size of at least 64KiB such as 512MiB, got \"1K\"" },
		{ "machine_learning: {log_path: var/log/x.csv, keep: 2}\n",
		  "t.yaml:1:30: machine_learning.log_path: expected an absolute path without \".\" or \"..\" components, got \"var/log/x.csv\"" },
		{ "machine_learning:\n  keep: 101\n",
		  "t.yaml:2:9: machine_learning.keep: expected an integer 0..100, got \"101\"" },
		{ "dry_run: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "t.yaml:1:10: dry_run: expected true or false, got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"" },
		{ "memory:\n  margin: 12 apples\n",
		  "t.yaml:2:11: memory.margin: expected a size such as 209715200 or 512MiB, got \"12 apples\"" },
		{ "memory:\n  grace_period: 11min\n",
		  "t.yaml:2:17: memory.grace_period: expected a duration 0s..600s such as 2s or 1500ms, got \"11min\"" },
		{ "memory:\n  interval_min: 0\n",
		  "t.yaml:2:17: memory.interval_min: expected a duration 1ms..60s such as 2s or 1500ms, got \"0\"" },
		{ "psi:\n  window: 100ms\n",
		  "t.yaml:2:11: psi.window: expected a duration 500ms..10s such as 2s or 1500ms, got \"100ms\"" },
		{ "memory:\n  badness: rss\n",
		  "t.yaml:2:12: memory.badness: expected one of oom_score, anon_swap, got \"rss\"" },
		{ "psi:\n  trigger: [some]\n",
		  "t.yaml:2:12: psi.trigger: expected one of some, full, got a list" },
		{ "cgroup_settings:\n  cpu_weight: 0\n",
		  "t.yaml:2:15: cgroup_settings.cpu_weight: expected an integer 1..10000, got \"0\"" },
		{ "dynamic_adjustment: {score: -1001}\n",
		  "t.yaml:1:29: dynamic_adjustment.score: expected an integer -1000..1000, got \"-1001\"" },
		{ "values:\n  default: 1e9\n",
		  "t.yaml:2:12: values.default: expected an integer 0..1000000, got \"1e9\"" },
		{ "cgroup_settings:\n  name: ../escape\n",
		  "t.yaml:2:9: cgroup_settings.name: expected a cgroup name: one path component, not \".\" or \"..\", got \"../escape\"" },
		{ "cgroup_settings:\n  name: \"..\"\n",
		  "t.yaml:2:9: cgroup_settings.name: expected a cgroup name: one path component, not \".\" or \"..\", got \"..\"" },
		{ "cgroup_settings:\n  name: \"\"\n",
		  "t.yaml:2:9: cgroup_settings.name: expected a cgroup name: one path component, not \".\" or \"..\", got \"\"" },
		{ "logging:\n  record_path: \"a\\0b\"\n",
		  "t.yaml:2:16: logging.record_path: expected a non-empty string, got \"a?b\"" },
		{ "memory: 5\n", "t.yaml:1:9: memory: expected a mapping, got \"5\"" },
		{ "managed_processes: vim\n",
		  "t.yaml:1:20: managed_processes: expected a list of names, got \"vim\"" },
		{ "managed_processes: [vim, {a: 1}]\n",
		  "t.yaml:1:26: managed_processes[1]: expected a non-empty string, got a mapping" },
		/* rules */
		{ "rules:\n  - comm: \"(\"\n    action: prefer\n",
		  "t.yaml:2:11: rules[0].comm: bad regular expression \"(\": Unmatched ( or \\(" },
		{ "rules:\n  - comm: a\n    action: avoid\n  - cmdline: \"[z-a]\"\n    value: 3\n",
		  "t.yaml:4:14: rules[1].cmdline: bad regular expression \"[z-a]\": Invalid range end" },
		{ "rules:\n  - comm: x\n", "t.yaml:2:5: rules[0]: a rule needs an action (prefer, avoid, protect) or a value" },
		{ "rules:\n  - action: avoid\n",
		  "t.yaml:2:5: rules[0]: a rule needs at least one of comm, cmdline, exe, cgroup, user" },
		{ "rules:\n  - {comm: x, value: 2, adjust: 5}\n",
		  "t.yaml:2:33: rules[0].adjust: adjust needs an action" },
		{ "rules:\n  - {comm: x, action: kill}\n",
		  "t.yaml:2:23: rules[0].action: expected one of prefer, avoid, protect, got \"kill\"" },
		{ "rules:\n  - {comm: x, action: avoid, adjust: 1001}\n",
		  "t.yaml:2:38: rules[0].adjust: expected an integer 0..1000, got \"1001\"" },
		{ "rules:\n  - {comm: x, value: 1000001}\n",
		  "t.yaml:2:22: rules[0].value: expected an integer 0..1000000, got \"1000001\"" },
		{ "rules:\n  - {comm: \"\", action: avoid}\n",
		  "t.yaml:2:12: rules[0].comm: expected a non-empty regular expression, got \"\"" },
		{ "rules:\n  comm: x\n", "t.yaml:2:3: rules: expected a list of rules, got a mapping" },
		{ "rules:\n  - x\n", "t.yaml:2:5: rules[0]: expected a mapping, got \"x\"" },
		/* duplicates */
		{ "dry_run: true\ndry_run: false\n", "t.yaml:2:1: duplicate key \"dry_run\" at top level" },
		{ "memory:\n  cooldown: 1s\n  cooldown: 2s\n",
		  "t.yaml:3:3: duplicate key \"cooldown\" in memory" },
		{ "rules:\n  - {comm: a, comm: b, action: avoid}\n",
		  "t.yaml:2:15: duplicate key \"comm\" in rules[0]" },
		/* cross-field checks */
		{ "memory:\n  kill:\n    mem_available_percent: 20\n",
		  "t.yaml:3:28: memory.kill.mem_available_percent (20) must not exceed memory.terminate.mem_available_percent (10)" },
		{ "memory:\n  terminate: {swap_free_percent: 2.5}\n",
		  "t.yaml:2:34: memory.kill.swap_free_percent (5) must not exceed memory.terminate.swap_free_percent (2.5)" },
		{ "memory:\n  terminate: {mem_available_size: 1G}\n  kill: {mem_available_size: 2G}\n",
		  "t.yaml:3:30: memory.kill.mem_available_size (2147483648) must not exceed memory.terminate.mem_available_size (1073741824)" },
		{ "memory:\n  interval_min: 2s\n",
		  "t.yaml:2:17: memory.interval_min (2000ms) must not exceed memory.interval_max (1000ms)" },
		{ "memory:\n  interval_max: 10ms\n",
		  "t.yaml:2:17: memory.interval_min (20ms) must not exceed memory.interval_max (10ms)" },
		{ "psi:\n  stall: 2s\n", "t.yaml:2:10: psi.stall (2000000us) must not exceed psi.window (1000000us)" },
		{ "cgroups:\n  kill_headroom_percent: 6\n",
		  "t.yaml:2:26: cgroups.kill_headroom_percent (6) must not exceed cgroups.terminate_headroom_percent (5)" },
		{ "memory:\n  terminate:\n    mem_available_percent: null\n",
		  "t.yaml:3:28: memory.terminate: set mem_available_percent or mem_available_size" },
		/* document shape */
		{ "hello\n", "t.yaml:1:1: the top level must be a mapping of sections, got \"hello\"" },
		{ "- memory\n", "t.yaml:1:1: the top level must be a mapping of sections, got a list" },
		{ "dry_run: true\n---\ndry_run: false\n",
		  "t.yaml:2:1: multiple YAML documents in one file are not supported" },
		{ "dry_run: true\n--- [\n", "t.yaml:3:1: syntax error: did not find expected node content while parsing a flow node at 3:1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: %s\n", i, cases[i].msg);
		expect_error(cases[i].yaml, cases[i].msg);
	}
}

static void test_too_many(void **state)
{
	char *buf = malloc(16384), *p;
	size_t i;

	(void)state;
	p = buf + sprintf(buf, "rules:\n");
	for (i = 0; i < OG_MAX_RULES; i++)
		p += sprintf(p, "  - {comm: c%zu, action: avoid}\n", i);
	struct og_config cfg;

	load_ok(buf, &cfg);     /* exactly the maximum is fine */
	assert_int_equal(cfg.n_rules, OG_MAX_RULES);
	assert_int_equal(cfg.rules[OG_MAX_RULES - 1].line, OG_MAX_RULES + 1);
	config_free(&cfg);
	sprintf(p, "  - {comm: c%zu, action: avoid}\n", i);
	expect_error(buf, "t.yaml:66:5: rules: too many rules (at most 64)");

	p = buf + sprintf(buf, "managed_processes:\n");
	for (i = 0; i <= OG_MAX_MANAGED; i++)
		p += sprintf(p, "  - p%zu\n", i);
	expect_error(buf, "t.yaml:66:5: managed_processes: too many entries (at most 64)");
	free(buf);
}

static void test_failed_load_keeps_old(void **state)
{
	static const char good[] =
		"memory:\n  grace_period: 3s\n  kill: {mem_available_size: 100MiB}\n"
		"rules:\n  - {comm: ^a$, action: prefer, adjust: 50}\n  - {exe: /b, action: protect}\n"
		"logging: {record_path: /tmp/r.jsonl}\nmanaged_processes: [x, y]\n";
	struct og_config cfg, before;
	char err[OG_ERR_SIZE];

	(void)state;
	load_ok(good, &cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	/* broken late in the file, after rules and strings were already built */
	assert_int_equal(load("rules:\n  - {comm: ^z$, action: avoid}\nlogging: {record_path: /x}\n"
			      "managed_processes: [q]\nmemory: {cooldown: never}\n", &cfg, err), -EINVAL);
	assert_string_equal(err, "t.yaml:5:20: memory.cooldown: expected a duration 0s..600s such as 2s or 1500ms, got \"never\"");
	assert_memory_equal(&before, &cfg, sizeof(cfg));
	assert_int_equal(config_load("/nonexistent/oomguard.yaml", &cfg, err), -ENOENT);
	assert_string_equal(err, "/nonexistent/oomguard.yaml: No such file or directory");
	assert_memory_equal(&before, &cfg, sizeof(cfg));
	/* the kept config is still whole */
	assert_int_equal(cfg.grace_ms, 3000);
	assert_int_equal(cfg.kill_mem.size, 100 * MiB);
	assert_true(cfg.kill_mem.percent < 0);
	assert_int_equal(cfg.n_rules, 2);
	assert_int_equal(cfg.rules[0].adjust, 50);
	assert_true(matches(&cfg.rules[0].comm_re, "a"));
	assert_string_equal(cfg.record_path, "/tmp/r.jsonl");
	assert_string_equal(cfg.managed[1], "y");

	/* a good reload replaces everything (old strings freed: ASan checks) */
	assert_int_equal(load("dry_run: yes\n", &cfg, err), 0);
	assert_true(cfg.dry_run);
	assert_int_equal(cfg.grace_ms, 2000);
	assert_int_equal(cfg.n_rules, 1);
	assert_int_equal(cfg.rules[0].action, RULE_AVOID);
	assert_null(cfg.record_path);
	assert_int_equal(cfg.n_managed, 0);
	config_free(&cfg);
}

static void test_rules(void **state)
{
	struct og_config cfg;

	(void)state;
	load_ok("rules:\n  - comm: ^firefox$\n    action: prefer\n"
		"  - {cmdline: 'java .*-Xmx', action: avoid}\n"
		"  - {user: ^root$, action: protect}\n"
		"  - {cgroup: /system.slice/, value: 1000000}\n", &cfg);
	assert_int_equal(cfg.sections_seen, SEC_RULES);
	assert_int_equal(cfg.n_rules, 4);
	assert_int_equal(cfg.rules[0].line, 2);
	assert_int_equal(cfg.rules[0].action, RULE_PREFER);
	assert_int_equal(cfg.rules[0].adjust, 300);
	assert_false(cfg.rules[0].has_value);
	assert_string_equal(cfg.rules[0].comm, "^firefox$");
	assert_null(cfg.rules[0].exe);
	assert_true(matches(&cfg.rules[0].comm_re, "firefox"));
	assert_false(matches(&cfg.rules[0].comm_re, "firefox-bin"));
	assert_false(matches(&cfg.rules[0].comm_re, "systemd"));
	assert_int_equal(cfg.rules[1].action, RULE_AVOID);
	assert_int_equal(cfg.rules[1].adjust, 300);
	assert_int_equal(cfg.rules[1].line, 4);
	assert_true(matches(&cfg.rules[1].cmdline_re, "/usr/bin/java -server -Xmx4g App"));
	assert_false(matches(&cfg.rules[1].cmdline_re, "java -Xms4g"));
	assert_int_equal(cfg.rules[2].action, RULE_PROTECT);
	assert_int_equal(cfg.rules[2].adjust, 0);
	assert_int_equal(cfg.rules[3].action, RULE_PREFER);
	assert_int_equal(cfg.rules[3].adjust, 0);
	assert_true(cfg.rules[3].has_value);
	assert_int_equal(cfg.rules[3].value, 1000000);
	assert_true(matches(&cfg.rules[3].cgroup_re, "/system.slice/foo.service"));
	config_free(&cfg);

	load_ok("rules: []\n", &cfg);
	assert_int_equal(cfg.n_rules, 0);
	config_free(&cfg);

	/* a rule with both action and value; adjust 0 is kept */
	load_ok("rules: [{comm: a, action: avoid, adjust: 0, value: 0}]\n", &cfg);
	assert_int_equal(cfg.rules[0].action, RULE_AVOID);
	assert_int_equal(cfg.rules[0].adjust, 0);
	assert_true(cfg.rules[0].has_value);
	assert_int_equal(cfg.rules[0].value, 0);
	config_free(&cfg);
}

static void test_spellings(void **state)
{
	struct og_config cfg;

	(void)state;
	load_ok("memory:\n  terminate: {mem_available_percent: \"10%\", swap_free_percent: 7.5,"
		" mem_available_size: 1.5GiB}\n"
		"  kill: {mem_available_percent: 2.5, swap_free_percent: '5', mem_available_size: 512M}\n"
		"  grace_period: 1500ms\n  cooldown: 2500\n  interval_max: 1.5s\n  interval_min: 50ms\n"
		"  margin: 1048576\n  badness: anon_swap\n  kill_unit: cgroup\n  enabled: off\n"
		"psi: {enabled: no, mode: poll, trigger: full, stall: 500us, window: 2s,"
		" kill_full_percent: 0, duration: 10s, thrash_full_percent: 25,"
		" thrash_refault_percent: 250}\n"
		"cgroups: {enabled: False, root: /mnt/cg2, terminate_headroom_percent: 7.5%,"
		" kill_headroom_percent: 0}\n"
		"cgroup_settings: {memory_low: 200MiB, memory_min: 64K}\n"
		"values: {default: 0}\nlogging: {json_logs: NO, kmsg: Yes}\n", &cfg);
	assert_true(cfg.term_mem.percent == 10);
	assert_int_equal(cfg.term_mem.size, 1536 * MiB);
	assert_true(cfg.term_swap.percent == 7.5);
	assert_true(cfg.kill_mem.percent == 2.5);
	assert_int_equal(cfg.kill_mem.size, 512 * MiB);
	assert_true(cfg.kill_swap.percent == 5);
	assert_int_equal(cfg.grace_ms, 1500);
	assert_int_equal(cfg.cooldown_ms, 2500);
	assert_int_equal(cfg.interval_max_ms, 1500);
	assert_int_equal(cfg.interval_min_ms, 50);
	assert_int_equal(cfg.margin_bytes, 1 * MiB);
	assert_int_equal(cfg.badness, BADNESS_ANON_SWAP);
	assert_int_equal(cfg.kill_unit, KILL_UNIT_CGROUP);
	assert_false(cfg.memory_enabled);
	assert_false(cfg.psi_enabled);
	assert_int_equal(cfg.psi_mode, PSI_MODE_POLL);
	assert_true(cfg.psi_full);
	assert_int_equal(cfg.psi_stall_us, 500);
	assert_int_equal(cfg.psi_window_us, 2000000);
	assert_true(cfg.psi_kill_full_percent == 0);
	assert_int_equal(cfg.psi_duration_ms, 10000);
	assert_true(cfg.psi_thrash_full_percent == 25);
	assert_int_equal(cfg.psi_thrash_refault_percent, 250);
	assert_false(cfg.cgroups_enabled);
	assert_string_equal(cfg.cgroup_root, "/mnt/cg2");
	assert_true(cfg.cg_term_headroom_percent == 7.5 && cfg.cg_kill_headroom_percent == 0);
	assert_int_equal(cfg.cg_memory_low, 200 * MiB);
	assert_int_equal(cfg.cg_memory_min, 64 * 1024);
	assert_int_equal(cfg.default_value, 0);
	assert_false(cfg.json_logs);
	assert_true(cfg.kmsg);
	char *d = describe(&cfg);
	assert_non_null(strstr(d, "memory: disabled\n"));
	assert_non_null(strstr(d, "psi: disabled\n"));
	assert_non_null(strstr(d, "cgroup_settings: protected cgroup "));
	assert_null(strstr(d, "cgroup_settings: accepted, not active"));
	free(d);
	config_free(&cfg);

	/* a size alone stands alone; null unsets a percent; null resets a path */
	load_ok("memory:\n  terminate: {mem_available_size: 512MiB, swap_free_size: 2G,"
		" swap_free_percent: ~}\n  kill: {mem_available_size: 256MiB, swap_free_size: 1G, swap_free_percent: null}\n"
		"cgroups: {root: null}\nlogging: {record_path: ~}\n", &cfg);
	assert_true(cfg.term_mem.percent < 0);
	assert_int_equal(cfg.term_mem.size, 512 * MiB);
	assert_true(cfg.kill_mem.percent < 0);
	assert_int_equal(cfg.kill_swap.size, 1024 * MiB);
	assert_true(cfg.kill_swap.percent < 0);
	assert_null(cfg.cgroup_root);
	assert_null(cfg.record_path);
	config_free(&cfg);
	/* ...but with neither percent nor size a threshold is refused */
	expect_error("psi:\n  thrash_refault_percent: 0\n",
		     "t.yaml:2:27: psi.thrash_refault_percent: expected an integer 1..10000, got \"0\"");
	expect_error("psi: {thrash_full_percent: 101}\n",
		     "t.yaml:1:28: psi.thrash_full_percent: expected a percentage 0..100, got \"101\"");
	expect_error("memory:\n  terminate: {mem_available_size: 512MiB, swap_free_percent: ~}\n",
		     "t.yaml:2:62: memory.terminate: set swap_free_percent or swap_free_size");

	/* anchors and aliases are plain YAML */
	load_ok("memory:\n  terminate: &t {mem_available_percent: 8}\n  kill: *t\n", &cfg);
	assert_true(cfg.term_mem.percent == 8 && cfg.kill_mem.percent == 8);
	config_free(&cfg);
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(99);      /* config_load hung: the test fails instead of hanging */
}

/* The config replaced by a FIFO, a symlink, or a file others may write. */
static void test_file_kinds(void **state)
{
	struct fixture *f = fixture_new();
	struct og_config cfg;
	char err[OG_ERR_SIZE], p[PATH_MAX + 32];

	(void)state;
	config_default(&cfg);
	fixture_file(f, "real.yaml", "memory: {grace_period: 3s}\n");
	/* a FIFO: refused at once, never waits for a writer */
	snprintf(p, sizeof(p), "%s/fifo.yaml", f->dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(5);
	assert_int_equal(config_load(p, &cfg, err), -EINVAL);
	alarm(0);
	assert_non_null(strstr(err, "not a regular file"));
	/* a symlink to a regular file: followed */
	fixture_build(f, (const struct fixture_entry[]){ { "link.yaml", "->real.yaml" },
							 { "link2.yaml", "->fifo.yaml" }, FIXTURE_END });
	snprintf(p, sizeof(p), "%s/link.yaml", f->dir);
	assert_int_equal(config_load(p, &cfg, err), 0);
	assert_int_equal(cfg.grace_ms, 3000);
	/* a symlink to the FIFO: refused */
	snprintf(p, sizeof(p), "%s/link2.yaml", f->dir);
	assert_int_equal(config_load(p, &cfg, err), -EINVAL);
	/* as root: a file anyone may write steers the daemon */
	snprintf(p, sizeof(p), "%s/real.yaml", f->dir);
	assert_int_equal(chmod(p, 0666), 0);
	if (geteuid() == 0) {
		assert_int_equal(config_load(p, &cfg, err), -EPERM);
		assert_non_null(strstr(err, "writable by every user"));
	}
	assert_int_equal(cfg.grace_ms, 3000);   /* the old config stays */
	config_free(&cfg);
	fixture_free(f);
}

/* --proc points the reads at another tree; the kills would still go to
 * real pids: the daemon refuses it without --dry-run. */
static void test_proc_needs_dry_run(void **state)
{
	struct og_opts o = { .psi_mode = -1 };
	char err[512] = "";

	(void)state;
	assert_int_equal(og_opts_check_daemon(&o, err, sizeof(err)), 0);
	o.proc_dir = "/tmp/fixture/proc";
	assert_int_equal(og_opts_check_daemon(&o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--proc /tmp/fixture/proc"));
	assert_non_null(strstr(err, "--dry-run"));
	o.dry_run = true;
	/* and a cgroup tree of the same kind: the shield writes pids there */
	assert_int_equal(og_opts_check_daemon(&o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--cgroup-root"));
	o.cgroup_root = "/tmp/fixture/cg";
	assert_int_equal(og_opts_check_daemon(&o, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_calibration_sections),
		cmocka_unit_test(test_seed_sample),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_failed_load_keeps_old),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_file_kinds),
		cmocka_unit_test(test_proc_needs_dry_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
