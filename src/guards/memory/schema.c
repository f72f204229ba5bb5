/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory guard's config sections: memory (thresholds, timing, victims) and psi. */
#include "core/config-schema.h"

const char *const config_badness_names[] = { "oom_score", "anon_swap", NULL };
const char *const config_kill_unit_names[] = { "process", "cgroup", NULL };
const char *const config_psi_mode_names[] = { "auto", "trigger", "poll", NULL };
static const char *const psi_trigger_names[] = { "some", "full", NULL };
static const char *const mem_policy_names[] = { "adaptive", "fixed", NULL };

#define THRESHOLD_KEYS(lvl)                                                     \
	K("mem_available_percent", T_PERCENT, OFF(lvl##_mem.percent), .nullable = true), \
	K("mem_available_size", T_SIZE, OFF(lvl##_mem.size)),                   \
	K("swap_free_percent", T_PERCENT, OFF(lvl##_swap.percent), .nullable = true), \
	K("swap_free_size", T_SIZE, OFF(lvl##_swap.size)),                      \
	{ 0 }

static const struct key term_keys[] = { THRESHOLD_KEYS(term) };
static const struct key kill_keys[] = { THRESHOLD_KEYS(kill) };

const struct key memory_schema[] = {
	K("enabled", T_BOOL, OFF(memory_enabled)),
	SECTION("terminate", term_keys, 0),
	SECTION("kill", kill_keys, 0),
	K("policy", T_ENUM, OFF(mem_policy), .names = mem_policy_names),
	K("floor", T_SIZE, OFF(floor_bytes)),
	K("ceiling", T_SIZE, OFF(ceiling_bytes)),
	K("grace_period", T_MS, OFF(grace_ms), .lo = 0, .hi = MS(600)),
	K("cooldown", T_MS, OFF(cooldown_ms), .lo = 0, .hi = MS(600)),
	K("interval_max", T_MS, OFF(interval_max_ms), .lo = 1, .hi = MS(60)),
	K("interval_watched", T_MS, OFF(interval_watched_ms), .lo = 1, .hi = MS(60)),
	K("interval_min", T_MS, OFF(interval_min_ms), .lo = 1, .hi = MS(60)),
	K("badness", T_ENUM, OFF(badness), .names = config_badness_names),
	K("kill_unit", T_ENUM, OFF(kill_unit), .names = config_kill_unit_names),
	K("margin", T_SIZE, OFF(margin_bytes)),
	K("max_fill_rate", T_SIZE, OFF(max_fill_rate)),
	{ 0 }
};

const struct key psi_schema[] = {
	K("enabled", T_BOOL, OFF(psi_enabled)),
	K("mode", T_ENUM, OFF(psi_mode), .names = config_psi_mode_names),
	K("trigger", T_ENUM_BOOL, OFF(psi_full), .names = psi_trigger_names),
	K("stall", T_US, OFF(psi_stall_us), .lo = 1, .hi = MS(MS(10))),
	K("window", T_US, OFF(psi_window_us), .lo = MS(500), .hi = MS(MS(10))),
	K("kill_full_percent", T_PERCENT, OFF(psi_kill_full_percent)),
	K("duration", T_MS, OFF(psi_duration_ms), .lo = 1, .hi = MS(600)),
	K("thrash_full_percent", T_PERCENT, OFF(psi_thrash_full_percent)),
	K("thrash_refault_percent", T_UINT, OFF(psi_thrash_refault_percent), .lo = 1, .hi = 10000),
	K("onset_some_percent", T_PERCENT, OFF(psi_onset_some_percent)),
	{ 0 }
};
