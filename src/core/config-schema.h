/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the configuration loader: the schema tables (config-schema.c)
 * that the YAML walker (config.c) interprets. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

#define CONFIG_RE_FLAGS (REG_EXTENDED | REG_NOSUB)
#define OFF(f) offsetof(struct og_config, f)
#define ROFF(f) offsetof(struct og_rule, f)

enum ktype {
	T_SECTION,      /* nested mapping: sub */
	T_BOOL,         /* bool */
	T_PERCENT,      /* double, 0..100 */
	T_SIZE,         /* uint64_t bytes */
	T_MS,           /* uint64_t milliseconds, lo..hi */
	T_US,           /* uint64_t microseconds, lo..hi */
	T_INT,          /* int64_t, lo..hi */
	T_INT32,        /* int, lo..hi */
	T_UINT,         /* uint64_t, lo..hi */
	T_ENUM,         /* int-sized enum: index into names */
	T_ENUM_BOOL,    /* bool: names[1] -> true */
	T_STR,          /* char *, non-empty */
	T_NAME,         /* char *, one safe path component */
	T_REGEX,        /* char *, compiled after the rule is read */
	T_MANAGED,      /* managed_processes list */
	T_USERS,        /* cgroup_settings.managed_users list */
	T_RULES,        /* rules list */
	T_PATH,         /* char *, an absolute path without "." or ".." components */
	T_LIST,         /* a list of mappings (sub) into an array of at most hi elements */
	T_STRLIST,      /* a list of at most hi strings into a char *[hi] */
	T_RULESETS,     /* oomd rulesets in YAML (guards/rulesets/yaml.c) */
	T_ARGV,         /* a command: a list of strings or one string split on blanks
			 * into a struct og_hook (hooks/schema.c) */
};

struct cw;

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	int64_t lo, hi;
	const char *const *names;       /* T_ENUM*: NULL-terminated */
	const struct key *sub;          /* T_SECTION */
	unsigned int sec;               /* SEC_* bit of a top-level section */
	bool nullable;                  /* null: percent unset / string NULL */
	/* T_LIST: off holds the array (allocated for hi elements of
	 * elem_size), count_off its size_t count; finish checks an element
	 * once its keys are read (0, or cw_fail's -errno). T_STRLIST: off
	 * holds char *[hi], count_off the count; item_check says why a
	 * string is refused (NULL: it is fine). */
	size_t count_off, elem_size;
	int (*finish)(struct cw *c, void *elem, const char *path);
	const char *(*item_check)(const char *s);
};

/* Building schema tables. */
#define K(n, t, o, ...) { .name = (n), .type = (t), .off = (o), __VA_ARGS__ }
#define SECTION(n, tab, bit) { .name = (n), .type = T_SECTION, .sub = (tab), .sec = (bit) }
/* seconds -> ms (T_MS), ms -> us (T_US) */
#define MS(s) ((int64_t)(s) * 1000)

/* The top-level sections and the keys of one rule; { 0 }-terminated. */
extern const struct key config_top_keys[];
extern const struct key config_rule_keys[];
/* Each guard's sections, in its own folder (src/guards/NAME/schema.c). */
extern const struct key memory_schema[], psi_schema[];            /* memory */
extern const struct key cgroups_schema[];                          /* cgroups */
extern const struct key cpu_schema[];                              /* cpu */
extern const struct key io_schema[];                               /* io */
extern const struct key disk_settings_schema[], disk_entry_schema[]; /* disk */
extern const struct key network_schema[];                          /* network */
extern const struct key gpu_schema[], nvidia_schema[];             /* gpu */
extern const struct key ebpf_schema[];                             /* ebpf */
extern const struct key cgroup_settings_schema[], dynamic_schema[]; /* shield */
extern const struct key calibration_schema[], store_schema[], rebalance_schema[]; /* calibration */
extern const struct key systemd_oomd_schema[];                    /* rulesets */
extern const struct key hooks_schema[];                            /* hooks */
extern const char *const config_badness_names[], *const config_kill_unit_names[],
	*const config_psi_mode_names[];

/* The regex fields of a rule (name, offset of the source, of the regex_t). */
struct rule_re_field {
	const char *name;
	size_t str, re;
};
#define N_RULE_RES 5
extern const struct rule_re_field config_rule_res[N_RULE_RES];
#define RULE_STR(r, i) (*(char **)((char *)(r) + config_rule_res[i].str))
#define RULE_RE(r, i) ((regex_t *)((char *)(r) + config_rule_res[i].re))

/* Frees a rule's strings and the regexes of its first n_compiled fields. */
void config_rule_free(struct og_rule *r, size_t n_compiled);
/* Frees all rules of cfg; n_rules becomes 0. */
void config_rules_free(struct og_config *cfg);
/* What key k expects, for "expected ..." messages (written into buf). */
const char *config_expectation(const struct key *k, char *buf, size_t size);
