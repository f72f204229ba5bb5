/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomd's JSON configuration, read unchanged (json-c, which like oomd's
 * jsoncpp reader allows // and block comments, trailing commas and text
 * after the root, and keeps the last of two equal keys). What oomd takes
 * is taken; where oomd aborts (a syntax error, a string for a drop-in
 * flag, a delay that is not a number) this refuses with FILE:LINE:COL. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guards/rulesets/jsonpos.h"
#include "guards/rulesets/rules.h"

#define PATH_DEPTH 8

struct pctx {
	const char *name, *buf;
	size_t len;
	rs_locate_fn locate;            /* where a path is (NULL: in buf, jsonpos.c) */
	void *locate_data;
	char *err;
	size_t size;
	struct jpos_step path[PATH_DEPTH];
	size_t depth;
	bool dropin;
};

static void at(struct pctx *p, int *line, int *col)
{
	size_t n = p->depth < PATH_DEPTH ? p->depth : PATH_DEPTH;

	if (p->locate)
		p->locate(p->locate_data, p->path, n, line, col);
	else
		jpos_find(p->buf, p->len, p->path, n, line, col);
}

__attribute__((format(printf, 2, 3)))
static int fail(struct pctx *p, const char *fmt, ...)
{
	int line, col, n;
	va_list ap;

	at(p, &line, &col);
	n = snprintf(p->err, p->size, "%s:%d:%d: ", p->name, line, col);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->size)
		vsnprintf(p->err + n, p->size - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void push_key(struct pctx *p, const char *key)
{
	if (p->depth < PATH_DEPTH)
		p->path[p->depth] = (struct jpos_step){ .key = key };
	p->depth++;
}

static void push_index(struct pctx *p, size_t i)
{
	if (p->depth < PATH_DEPTH)
		p->path[p->depth] = (struct jpos_step){ .index = i };
	p->depth++;
}

static void pop(struct pctx *p)
{
	p->depth--;
}

/* A scalar as oomd's reader turns it into a string (jsoncpp asString):
 * a string itself, true/false, an integer in decimal, a real as %.17g
 * with ".0" added if it has neither '.' nor 'e', null "". NULL for an
 * object or an array. */
static char *as_string(json_object *v)
{
	char buf[64];

	switch (json_object_get_type(v)) {
	case json_type_null:
		return strdup("");
	case json_type_string:
		return strdup(json_object_get_string(v));
	case json_type_boolean:
		return strdup(json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)     /* maybe past it: unsigned */
			snprintf(buf, sizeof(buf), "%llu",
				 (unsigned long long)json_object_get_uint64(v));
		else
			snprintf(buf, sizeof(buf), "%lld", (long long)json_object_get_int64(v));
		return strdup(buf);
	case json_type_double:
		snprintf(buf, sizeof(buf), "%.17g", json_object_get_double(v));
		if (!strpbrk(buf, ".eEni"))
			strcat(buf, ".0");
		return strdup(buf);
	default:
		return NULL;
	}
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double:
	case json_type_int: return "a number";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

static void plugin_free(struct rs_plugin *pl)
{
	for (size_t i = 0; i < pl->n_args; i++) {
		free(pl->args[i].key);
		free(pl->args[i].value);
	}
	free(pl->args);
}

/* The plugin object at the path: {"name": NAME, "args": {KEY: SCALAR}}. */
static int plugin(struct pctx *p, json_object *o, bool hook, struct rs_plugin *pl)
{
	const struct rs_plugin_type *t;
	json_object *name, *args = NULL;
	char why[200];
	int line, col;

	*pl = (struct rs_plugin){ 0 };
	at(p, &pl->line, &pl->col);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "name", &name) || !json_object_is_type(name, json_type_string))
		return fail(p, "Plugin is missing name (a plugin is {\"name\": \"...\", \"args\": {...}})");
	t = hook ? rs_hook_type_find(json_object_get_string(name)) :
		   rs_plugin_type_find(json_object_get_string(name));
	if (!t) {
		push_key(p, "name");
		fail(p, "Could not locate %s=%.100s in %s registry", hook ? "prekill hook" : "plugin",
		     json_object_get_string(name), hook ? "the prekill hook" : "the plugin");
		pop(p);
		return -EINVAL;
	}
	pl->type = t;

	if (!t->any_args && json_object_object_get_ex(o, "args", &args) &&
	    !json_object_is_type(args, json_type_null) &&
	    !json_object_is_type(args, json_type_object) &&
	    !(json_object_is_type(args, json_type_array) && !json_object_array_length(args))) {
		push_key(p, "args");
		fail(p, "the args of plugin \"%s\" must be an object, got %s", t->name, type_name(args));
		pop(p);
		return -EINVAL;
	}
	if (t->any_args)        /* continue, stop: oomd never reads their args */
		args = NULL;
	if (args && json_object_is_type(args, json_type_object)) {
		size_t n = (size_t)json_object_object_length(args);

		if (n && !(pl->args = calloc(n, sizeof(*pl->args))))
			return -ENOMEM;
		push_key(p, "args");
		json_object_object_foreach(args, key, val) {
			struct rs_arg *a = &pl->args[pl->n_args];
			int k = rs_arg_index(t, key);

			push_key(p, key);
			at(p, &line, &col);
			if (!t->any_args && k < 0) {
				fail(p, "Unknown arg \"%.100s\" in plugin \"%s\"", key, t->name);
				p->depth -= 2;
				return -EINVAL;
			}
			if (!(a->value = as_string(val))) {
				fail(p, "Failed to parse argument \"%.100s\" of plugin \"%s\": %s is not "
				     "a string, number or boolean", key, t->name, type_name(val));
				p->depth -= 2;
				return -EINVAL;
			}
			if (!(a->key = strdup(key))) {
				free(a->value);
				a->value = NULL;
				return -ENOMEM;
			}
			a->line = line;
			a->col = col;
			pl->n_args++;
			if (!t->any_args &&
			    rs_parse_value(t->args[k].type, a->value, &pl->val[k], why, sizeof(why)) < 0) {
				fail(p, "Failed to parse argument \"%.100s\" of plugin \"%s\": %s", key,
				     t->name, why);
				p->depth -= 2;
				return -EINVAL;
			}
			pop(p);
		}
		pop(p);
	}
	for (size_t i = 0; i < t->n_args; i++) {
		const struct rs_arg_spec *s = &t->args[i];

		if (pl->val[i].set)
			continue;
		if (s->required)
			return fail(p, "Required arg \"%s\" missing in plugin \"%s\"", s->name, t->name);
		if (s->def && rs_parse_value(s->type, s->def, &pl->val[i], why, sizeof(why)) < 0)
			return fail(p, "plugin \"%s\": the default of %s: %s", t->name, s->name, why);
	}
	if (t->one_of[0] && !pl->val[rs_arg_index(t, t->one_of[0])].set &&
	    !pl->val[rs_arg_index(t, t->one_of[1])].set)
		return fail(p, "Required arg \"%s\" missing in plugin \"%s\" (or \"%s\")", t->one_of[0],
			    t->name, t->one_of[1]);
	if (!strcmp(t->name, "senpai")) {        /* its default mode only */
		static const char *const modes[] = { "immediate_backoff", "swap_validation",
						     "modulate_swappiness", "memory_high_timeout_ms" };

		for (size_t i = 0; i < 4; i++)
			if (pl->val[rs_arg_index(t, modes[i])].i) {
				push_key(p, "args");
				push_key(p, modes[i]);
				fail(p, "plugin \"senpai\": %s is not run by this build of oomguard (its "
				     "default mode is); the config is refused rather than run without it",
				     modes[i]);
				p->depth -= 2;
				return -EINVAL;
			}
	}
	if (!strcmp(t->name, "kill_by_memory_size_or_growth")) {
		int k = rs_arg_index(t, "growing_size_percentile");

		if (pl->val[k].i >= 100) {
			push_key(p, "args");
			push_key(p, "growing_size_percentile");
			fail(p, "plugin \"%s\": growing_size_percentile must be under 100 (oomd 0.5 "
			     "reads past its array at 100)", t->name);
			p->depth -= 2;
			return -EINVAL;
		}
	}
	return 0;
}

/* An array of plugins (actions, prekill_hooks) into *v, *n. */
static int plugins(struct pctx *p, json_object *a, bool hook, struct rs_plugin **v, size_t *n)
{
	size_t len = json_object_array_length(a);
	int r;

	if (len && !(*v = calloc(len, sizeof(**v))))
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		push_index(p, i);
		r = plugin(p, json_object_array_get_idx(a, i), hook, &(*v)[i]);
		pop(p);
		(*n)++;         /* freed with the rest even when it failed */
		if (r < 0)
			return r;
	}
	return 0;
}

/* ["group name", plugin, plugin, ...] */
static int group(struct pctx *p, json_object *a, struct rs_group *g)
{
	size_t len;
	json_object *first;
	int r;

	if (!json_object_is_type(a, json_type_array) || !(len = json_object_array_length(a)) ||
	    !json_object_is_type(first = json_object_array_get_idx(a, 0), json_type_string) ||
	    !*json_object_get_string(first))
		return fail(p, "DetectorGroup is missing name (a group is [\"name\", detector, ...])");
	if (!(g->name = strdup(json_object_get_string(first))))
		return -ENOMEM;
	if (len == 1)
		return fail(p, "DetectorGroup is missing Detectors");
	if (!(g->det = calloc(len - 1, sizeof(*g->det))))
		return -ENOMEM;
	for (size_t i = 1; i < len; i++) {
		push_index(p, i);
		r = plugin(p, json_object_array_get_idx(a, i), false, &g->det[i - 1]);
		pop(p);
		g->n_det++;
		if (r < 0)
			return r;
	}
	return 0;
}

/* std::stoi of a ruleset's delay: a number of seconds, >= 0. */
static int delay(struct pctx *p, json_object *o, const char *key, unsigned *ret)
{
	json_object *v;
	struct rs_val val;
	char *s, why[160];
	int r = 0;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	push_key(p, key);
	if (!(s = as_string(v)))
		r = fail(p, "%s must be a number of seconds, got %s", key, type_name(v));
	else if (rs_parse_value(RS_UINT, s, &val, why, sizeof(why)) < 0)
		r = fail(p, "%s must be a number of seconds: %s", key, why);
	else
		*ret = (unsigned)val.i;
	pop(p);
	free(s);
	return r;
}

/* "drop-in": {"disable-on-drop-in": B, "detectors": B, "actions": B},
 * booleans as jsoncpp's asBool takes them (a boolean, a number, null). */
static int dropin_flags(struct pctx *p, json_object *o, struct rs_ruleset *rs)
{
	static const char *const keys[] = { "disable-on-drop-in", "detectors", "actions" };
	bool *dst[] = { &rs->disable_on_dropin, &rs->dropin_detectors, &rs->dropin_actions };
	json_object *d, *v;

	if (!json_object_object_get_ex(o, "drop-in", &d) || json_object_is_type(d, json_type_null))
		return 0;
	push_key(p, "drop-in");
	if (!json_object_is_type(d, json_type_object)) {
		fail(p, "drop-in must be an object {\"disable-on-drop-in\", \"detectors\", "
		     "\"actions\"}, got %s", type_name(d));
		pop(p);
		return -EINVAL;
	}
	for (size_t i = 0; i < 3; i++) {
		if (!json_object_object_get_ex(d, keys[i], &v))
			continue;
		if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_object) ||
		    json_object_is_type(v, json_type_array)) {
			push_key(p, keys[i]);
			fail(p, "drop-in %s must be true or false, got %s", keys[i], type_name(v));
			p->depth -= 2;
			return -EINVAL;
		}
		*dst[i] = json_object_get_boolean(v);
	}
	pop(p);
	return 0;
}

static int silence(struct pctx *p, json_object *o, struct rs_ruleset *rs)
{
	json_object *v;
	char *s, *save = NULL;
	int r = 0;

	if (!json_object_object_get_ex(o, "silence-logs", &v) || json_object_is_type(v, json_type_null))
		return 0;
	push_key(p, "silence-logs");
	if (!(s = as_string(v))) {
		r = fail(p, "silence-logs must be \"engine\", \"plugins\" or \"engine,plugins\"");
		goto out;
	}
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t += strspn(t, " \t");
		t[strcspn(t, " \t")] = '\0';
		if (!strcmp(t, "engine")) {
			rs->silence_engine = true;
		} else if (!strcmp(t, "plugins")) {
			rs->silence_plugins = true;
		} else {
			r = fail(p, "Unrecognized log source=%.60s (silence-logs takes engine and "
				 "plugins)", t);
			goto out;
		}
	}
out:
	pop(p);
	free(s);
	return r;
}

static void ruleset_free(struct rs_ruleset *rs)
{
	for (size_t g = 0; g < rs->n_groups; g++) {
		for (size_t i = 0; i < rs->groups[g].n_det; i++)
			plugin_free(&rs->groups[g].det[i]);
		free(rs->groups[g].det);
		free(rs->groups[g].name);
	}
	free(rs->groups);
	for (size_t i = 0; i < rs->n_actions; i++)
		plugin_free(&rs->actions[i]);
	free(rs->actions);
	free(rs->name);
}

static int ruleset(struct pctx *p, json_object *o, struct rs_ruleset *rs)
{
	json_object *v;
	int r;

	*rs = (struct rs_ruleset){ .post_action_delay_s = RS_DEFAULT_POST_ACTION_DELAY_S,
				   .prekill_hook_timeout_s = RS_DEFAULT_PREKILL_HOOK_TIMEOUT_S };
	at(p, &rs->line, &rs->col);
	if (!json_object_is_type(o, json_type_object))
		return fail(p, "a ruleset must be an object, got %s", type_name(o));
	if (!json_object_object_get_ex(o, "name", &v) || !(rs->name = as_string(v)) || !*rs->name)
		return fail(p, "Ruleset is missing name");
	if (json_object_object_get_ex(o, "detectors", &v) && !json_object_is_type(v, json_type_null)) {
		push_key(p, "detectors");
		if (!json_object_is_type(v, json_type_array)) {
			fail(p, "detectors must be an array of detector groups, got %s", type_name(v));
			pop(p);
			return -EINVAL;
		}
		size_t len = json_object_array_length(v);

		if (len && !(rs->groups = calloc(len, sizeof(*rs->groups))))
			return -ENOMEM;
		for (size_t i = 0; i < len; i++) {
			push_index(p, i);
			r = group(p, json_object_array_get_idx(v, i), &rs->groups[i]);
			pop(p);
			rs->n_groups++;
			if (r < 0)
				return r;
		}
		pop(p);
	}
	if (json_object_object_get_ex(o, "actions", &v) && !json_object_is_type(v, json_type_null)) {
		push_key(p, "actions");
		if (!json_object_is_type(v, json_type_array)) {
			fail(p, "actions must be an array of plugins, got %s", type_name(v));
			pop(p);
			return -EINVAL;
		}
		r = plugins(p, v, false, &rs->actions, &rs->n_actions);
		pop(p);
		if (r < 0)
			return r;
	}
	if (!p->dropin && (!rs->n_groups || !rs->n_actions))
		return fail(p, "Ruleset \"%.100s\" is missing DetectorGroups or missing Actions",
			    rs->name);
	if ((r = dropin_flags(p, o, rs)) < 0 || (r = silence(p, o, rs)) < 0 ||
	    (r = delay(p, o, "post_action_delay", &rs->post_action_delay_s)) < 0 ||
	    (r = delay(p, o, "prekill_hook_timeout", &rs->prekill_hook_timeout_s)) < 0)
		return r;
	return 0;
}

void rs_config_free(struct rs_config *c)
{
	for (size_t i = 0; i < c->n_rulesets; i++)
		ruleset_free(&c->rulesets[i]);
	free(c->rulesets);
	for (size_t i = 0; i < c->n_hooks; i++)
		plugin_free(&c->hooks[i]);
	free(c->hooks);
	*c = (struct rs_config){ 0 };
}

static json_object *parse_json(struct pctx *p)
{
	struct json_tokener *t = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	json_object *o;
	int line, col;

	if (!t) {
		snprintf(p->err, p->size, "%s: out of memory", p->name);
		return NULL;
	}
	o = json_tokener_parse_ex(t, p->buf, (int)p->len);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(t);

		jpos_line_col(p->buf, json_tokener_get_parse_end(t), &line, &col);
		snprintf(p->err, p->size, "%s:%d:%d: not JSON: %s", p->name, line, col,
			 e == json_tokener_continue ? "the text ends inside a value" :
						       json_tokener_error_desc(e));
	}
	json_tokener_free(t);
	return o;
}

bool rs_is_oomd_json(const char *buf, size_t len)
{
	struct pctx p = { .name = "", .buf = buf, .len = len };
	char err[8];
	json_object *o;
	bool yes;
	size_t i = 0;

	p.err = err;
	p.size = sizeof(err);
	/* the first thing after blanks and comments must be '{' */
	while (i < len) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r') {
			i++;
		} else if (i + 1 < len && buf[i] == '/' && buf[i + 1] == '/') {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (i + 1 < len && buf[i] == '/' && buf[i + 1] == '*') {
			const char *e = memmem(buf + i + 2, len - i - 2, "*/", 2);

			if (!e)
				return false;
			i = (size_t)(e - buf) + 2;
		} else {
			break;
		}
	}
	if (i >= len || buf[i] != '{' || len > INT32_MAX || !(o = parse_json(&p)))
		return false;
	yes = json_object_is_type(o, json_type_object) &&
	      (json_object_object_get_ex(o, "rulesets", NULL) ||
	       json_object_object_get_ex(o, "prekill_hooks", NULL));
	json_object_put(o);
	return yes;
}

static int parse_object(struct pctx *p, json_object *o, struct rs_config *c);

int rs_parse_oomd(const char *name, const char *buf, size_t len, bool dropin,
		  struct rs_config *c, char *err, size_t size)
{
	struct pctx p = { .name = name, .buf = buf, .len = len, .err = err, .size = size,
			  .dropin = dropin };
	json_object *o;
	int r;

	*c = (struct rs_config){ .dropin = dropin };
	*err = '\0';
	if (len > INT32_MAX) {
		snprintf(err, size, "%s: too large", name);
		return -EFBIG;
	}
	if (!(o = parse_json(&p)))
		return -EINVAL;
	r = parse_object(&p, o, c);
	json_object_put(o);
	return r;
}

int rs_parse_object(const char *name, json_object *o, rs_locate_fn locate, void *data,
		    struct rs_config *c, char *err, size_t size)
{
	struct pctx p = { .name = name, .err = err, .size = size, .locate = locate,
			  .locate_data = data };

	*c = (struct rs_config){ 0 };
	*err = '\0';
	return parse_object(&p, o, c);
}

static int parse_object(struct pctx *pp, json_object *o, struct rs_config *c)
{
	struct pctx p = *pp;
	json_object *v;
	int r = 0;

	if (!json_object_is_type(o, json_type_object)) {
		r = fail(&p, "an oomd config is a JSON object {\"rulesets\": [...]}, got %s",
			 type_name(o));
		goto out;
	}
	if (json_object_object_get_ex(o, "rulesets", &v) && !json_object_is_type(v, json_type_null)) {
		push_key(&p, "rulesets");
		if (!json_object_is_type(v, json_type_array)) {
			r = fail(&p, "rulesets must be an array, got %s", type_name(v));
			goto out;
		}
		size_t len_r = json_object_array_length(v);

		if (len_r && !(c->rulesets = calloc(len_r, sizeof(*c->rulesets)))) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < len_r; i++) {
			push_index(&p, i);
			r = ruleset(&p, json_object_array_get_idx(v, i), &c->rulesets[i]);
			pop(&p);
			c->n_rulesets++;
			if (r < 0)
				goto out;
		}
		pop(&p);
	}
	if (json_object_object_get_ex(o, "prekill_hooks", &v) && !json_object_is_type(v, json_type_null)) {
		push_key(&p, "prekill_hooks");
		if (!json_object_is_type(v, json_type_array)) {
			r = fail(&p, "prekill_hooks must be an array, got %s", type_name(v));
			goto out;
		}
		r = plugins(&p, v, true, &c->hooks, &c->n_hooks);
		pop(&p);
	}
out:
	if (r == -ENOMEM && !*p.err)
		snprintf(p.err, p.size, "%s: out of memory", p.name);
	if (r < 0)
		rs_config_free(c);
	return r;
}
