/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rulesets (issue 17): oomd's configuration model. A ruleset has detector
 * groups (the detectors of a group ANDed, the groups ORed) and a chain of
 * actions run in order until one returns STOP. oomd's JSON configs are
 * read unchanged (parse.c, with json-c); the plugins are oomd's 17 core
 * ones with their argument names and semantics (plugins.c). The
 * semantics oomguard follows are written down, with oomd's sources, in
 * docs/rulesets.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_ARGS_MAX 24          /* a plugin's arguments (senpai has 20) */
#define RS_DEFAULT_POST_ACTION_DELAY_S 15
#define RS_DEFAULT_PREKILL_HOOK_TIMEOUT_S 5

enum rs_type {
	RS_INT,         /* std::stoi: leading blanks, a sign, digits; trailing text ignored */
	RS_UINT,        /* the same, >= 0 */
	RS_INT64,       /* std::stoull: digits */
	RS_DOUBLE,      /* std::stod */
	RS_BOOL,        /* true True 1 / false False 0 */
	RS_RESOURCE,    /* io | memory */
	RS_CGROUPS,     /* a comma-separated list of globs under the cgroup root */
	RS_SIZE_PCT,    /* N% of a total, a bare number of MB, or 1.5G 128M 4K 512 */
	RS_MS,          /* milliseconds, std::stoll */
	RS_STRING,      /* non-empty */
	RS_PATH,        /* a file (test hooks: meminfo_location) */
};

/* A parsed argument value. */
struct rs_val {
	bool set;
	int64_t i;              /* INT, UINT, INT64, MS, BOOL (0/1), RESOURCE (0 memory, 1 io) */
	double d;               /* DOUBLE */
	const char *s;          /* STRING, PATH, CGROUPS, SIZE_PCT: the text (owned by the arg) */
};

struct rs_arg_spec {
	const char *name;
	enum rs_type type;
	bool required;
	const char *def;        /* the default as oomd would parse it; NULL none */
};

struct rs_plugin_type {
	const char *name;
	const struct rs_arg_spec *args;
	size_t n_args;
	bool any_args;          /* continue and stop: oomd never parses their args */
	/* one of the args is required: memory_above's threshold or threshold_anon */
	const char *one_of[2];
};

/* An argument as written: key and value (as oomd's reader turns a JSON
 * string, number or boolean into a string). */
struct rs_arg {
	char *key, *value;
	int line, col;
};

struct rs_plugin {
	const struct rs_plugin_type *type;
	struct rs_arg *args;
	size_t n_args;
	struct rs_val val[RS_ARGS_MAX];         /* parsed, by the type's args[] index */
	int line, col;
};

struct rs_group {
	char *name;
	struct rs_plugin *det;
	size_t n_det;
};

struct rs_ruleset {
	char *name;
	struct rs_group *groups;
	size_t n_groups;
	struct rs_plugin *actions;
	size_t n_actions;
	bool dropin_detectors, dropin_actions, disable_on_dropin;
	bool silence_engine, silence_plugins;
	unsigned post_action_delay_s, prekill_hook_timeout_s;
	int line, col;
};

struct rs_config {
	struct rs_ruleset *rulesets;
	size_t n_rulesets;
	struct rs_plugin *hooks;        /* prekill_hooks */
	size_t n_hooks;
	bool dropin;                    /* a drop-in: detectors or actions may be absent */
};

/* The plugin registry (plugins.c): oomd 0.5's 17 core plugins. */
extern const struct rs_plugin_type rs_plugin_types[];
extern const size_t rs_n_plugin_types;
const struct rs_plugin_type *rs_plugin_type_find(const char *name);
/* The prekill hooks (Debian's oomd has one: dummy_prekill_hook). */
const struct rs_plugin_type *rs_hook_type_find(const char *name);
/* The index of arg name in t->args, -1 none. */
int rs_arg_index(const struct rs_plugin_type *t, const char *name);

/* Parse one argument's text as type; 0 or -EINVAL with why filled. */
int rs_parse_value(enum rs_type type, const char *text, struct rs_val *ret, char *why,
		   size_t size);
/* oomd's parseSizeOrPercent: "N%" of total, a bare integer of MB, or a sum
 * of numbers with k/m/g/t units (a number without a unit: bytes). 0 or
 * -EINVAL. */
int rs_size_or_percent(const char *text, uint64_t total, uint64_t *ret);

/* Is this an oomd JSON config? The first thing after blanks and comments
 * is '{' and json-c reads an object with "rulesets" or "prekill_hooks". */
bool rs_is_oomd_json(const char *buf, size_t len);
/* Parse an oomd JSON config (a base config, or with dropin a drop-in).
 * 0, or -EINVAL / -ENOMEM with err "NAME:LINE:COL: message". */
int rs_parse_oomd(const char *name, const char *buf, size_t len, bool dropin,
		  struct rs_config *c, char *err, size_t size);
void rs_config_free(struct rs_config *c);
/* The same from an object already read (oomguard's YAML `rulesets:`, made
 * a json-c object): locate gives the line and column of a path in it. */
struct jpos_step;
struct json_object;
typedef void (*rs_locate_fn)(void *data, const struct jpos_step *path, size_t n, int *line,
			     int *col);
int rs_parse_object(const char *name, struct json_object *o, rs_locate_fn locate, void *data,
		    struct rs_config *c, char *err, size_t size);
/* What `oomguard check` says of them: a line per ruleset (its groups, the
 * detectors of each, the action chain) and per prekill hook. */
void rs_config_describe(const struct rs_config *c, void *file);
