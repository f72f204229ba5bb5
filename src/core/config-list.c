/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration's lists: rules, managed_processes, managed_users, and
 * the generic ones of the schema: a list of mappings (T_LIST, such as
 * `disk:` and its `cleanup:`) and a list of strings (T_STRLIST). */
#include "core/config-walk.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guards/shield/shield.h"
#include "guards/shield/trust.h"
#include "core/util.h"

/* Checks and compiles a rule read into r from the mapping n. On failure r's
 * strings are freed. */
static int finish_rule(struct cw *c, struct og_rule *r, const yaml_node_t *n,
		       const char *path)
{
	bool has_action = cw_seen(c, &r->action), has_adjust = cw_seen(c, &r->adjust);
	size_t i, n_match = 0;
	int e;

	for (i = 0; i < N_RULE_RES; i++)
		n_match += RULE_STR(r, i) != NULL;
	if (!n_match)
		e = cw_fail(c, n->start_mark, "%s: a rule needs at least one of comm, cmdline, exe, cgroup, user", path);
	else if (!has_action && !cw_seen(c, &r->value))
		e = cw_fail(c, n->start_mark, "%s: a rule needs an action (prefer, avoid, protect) or a value", path);
	else if (!has_action && has_adjust)
		e = cw_fail(c, *cw_seen(c, &r->adjust), "%s.adjust: adjust needs an action", path);
	else
		e = 0;
	if (e < 0) {
		config_rule_free(r, 0);
		return e;
	}
	r->has_value = cw_seen(c, &r->value);
	if (!has_action) {
		r->action = RULE_PREFER;
		r->adjust = 0;
	} else if (!has_adjust) {
		r->adjust = r->action == RULE_PROTECT ? 0 : 300;
	}
	r->line = (int)n->start_mark.line + 1;
	for (i = 0; i < N_RULE_RES; i++) {
		char msg[128], buf[64];

		if (!RULE_STR(r, i))
			continue;
		e = regcomp(RULE_RE(r, i), RULE_STR(r, i), CONFIG_RE_FLAGS);
		if (e == 0)
			continue;
		regerror(e, RULE_RE(r, i), msg, sizeof(msg));
		snprintf(buf, sizeof(buf), "%.40s%s", RULE_STR(r, i),
			 strlen(RULE_STR(r, i)) > 40 ? "..." : "");
		e = cw_fail(c, cw_mark_of(c, &RULE_STR(r, i), NULL),
			 "%s.%s: bad regular expression \"%s\": %s", path,
			 config_rule_res[i].name, buf, msg);
		config_rule_free(r, i);
		return e;
	}
	return 0;
}

int cw_load_rules(struct cw *c, yaml_node_t *v)
{
	struct og_config *cfg = c->cfg;
	char buf[64];

	config_rules_free(cfg); /* a rules: section replaces the defaults */
	if (cw_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cw_fail(c, v->start_mark, "rules: expected a list of rules, got %s",
			    cw_describe_node(v, buf, sizeof(buf)));
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		struct og_rule r = { 0 };
		size_t n_seen = c->n_seen;
		char path[32];
		int e;

		if (cfg->n_rules >= OG_MAX_RULES)
			return cw_fail(c, n->start_mark, "rules: too many rules (at most %d)", OG_MAX_RULES);
		snprintf(path, sizeof(path), "rules[%zu]", cfg->n_rules);
		if (n->type != YAML_MAPPING_NODE)
			return cw_fail(c, n->start_mark, "%s: expected a mapping, got %s", path,
				    cw_describe_node(n, buf, sizeof(buf)));
		e = cw_walk_map(c, n, config_rule_keys, &r, path);
		if (e < 0)
			config_rule_free(&r, 0);
		else
			e = finish_rule(c, &r, n, path);
		c->n_seen = n_seen;     /* r's address is reused by the next rule */
		if (e < 0)
			return e;
		cfg->rules[cfg->n_rules++] = r;
	}
	return 0;
}

int cw_load_managed(struct cw *c, yaml_node_t *v)
{
	struct og_config *cfg = c->cfg;
	char buf[160];

	if (cw_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cw_fail(c, v->start_mark, "managed_processes: expected a list of names, got %s",
			    cw_describe_node(v, buf, sizeof(buf)));
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		const char *s = cw_scalar(n);

		if (cfg->n_managed >= OG_MAX_MANAGED)
			return cw_fail(c, n->start_mark, "managed_processes: too many entries (at most %d)",
				    OG_MAX_MANAGED);
		if (!s || !*s || cw_is_null(n))
			return cw_fail(c, n->start_mark, "managed_processes[%zu]: expected a non-empty string, got %s",
				    cfg->n_managed, cw_describe_node(n, buf, sizeof(buf)));
		if (shield_entry_check(s, buf, sizeof(buf)) < 0)
			return cw_fail(c, n->start_mark, "managed_processes[%zu]: %s", cfg->n_managed, buf);
		if (!(cfg->managed[cfg->n_managed] = strdup(s)))
			return cw_oom(c, n->start_mark);
		cfg->n_managed++;
	}
	return 0;
}

int cw_load_users(struct cw *c, yaml_node_t *v, const char *path)
{
	struct og_config *cfg = c->cfg;
	char buf[160];

	for (size_t i = 0; i < cfg->n_managed_users; i++)
		free(cfg->cg_managed_users[i]);
	cfg->n_managed_users = 0;
	if (cw_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cw_fail(c, v->start_mark, "%s: expected a list of user names or uids, got %s",
			    path, cw_describe_node(v, buf, sizeof(buf)));
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		const char *s = cw_scalar(n);
		size_t i = cfg->n_managed_users;

		if (i >= OG_MAX_USERS)
			return cw_fail(c, n->start_mark, "%s: too many entries (at most %d)", path,
				    OG_MAX_USERS);
		if (!s || !*s || cw_is_null(n))
			return cw_fail(c, n->start_mark, "%s[%zu]: expected a user name or uid, got %s",
				    path, i, cw_describe_node(n, buf, sizeof(buf)));
		if (shield_user_check(s, buf, sizeof(buf)) < 0)
			return cw_fail(c, n->start_mark, "%s[%zu]: %s", path, i, buf);
		if (!(cfg->cg_managed_users[i] = strdup(s)))
			return cw_oom(c, n->start_mark);
		cfg->n_managed_users++;
	}
	return 0;
}


int cw_load_list(struct cw *c, const struct key *k, yaml_node_t *v, void *base, const char *path)
{
	void **arr = (void **)((char *)base + k->off);
	size_t *n = (size_t *)((char *)base + k->count_off);
	yaml_mark_t outer = c->item_mark;
	char buf[64];

	if (cw_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cw_fail(c, v->start_mark, "%s: expected a list of mappings, got %s", path,
			       cw_describe_node(v, buf, sizeof(buf)));
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		char sub[160];
		void *elem;
		int r;

		if (*n >= (size_t)k->hi)
			return cw_fail(c, item->start_mark, "%s: too many entries (at most %lld)", path,
				       (long long)k->hi);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, *n);
		if (item->type != YAML_MAPPING_NODE)
			return cw_fail(c, item->start_mark, "%s: expected a mapping, got %s", sub,
				       cw_describe_node(item, buf, sizeof(buf)));
		/* All of it at once: an element never moves, so that the
		 * positions kept by address stay right. */
		if (!*arr && !(*arr = calloc((size_t)k->hi, k->elem_size)))
			return cw_oom(c, item->start_mark);
		elem = (char *)*arr + *n * k->elem_size;
		(*n)++;         /* config_free frees a half-read element too */
		c->item_mark = item->start_mark;
		r = cw_walk_map(c, item, k->sub, elem, sub);
		if (r == 0 && k->finish)
			r = k->finish(c, elem, sub);
		c->item_mark = outer;
		if (r < 0)
			return r;
	}
	return 0;
}

int cw_load_strlist(struct cw *c, const struct key *k, yaml_node_t *v, void *base,
		    const char *path)
{
	char **arr = (char **)((char *)base + k->off);
	size_t *n = (size_t *)((char *)base + k->count_off);
	yaml_node_item_t *it;
	char buf[160];

	if (cw_is_null(v))
		return 0;
	if (v->type == YAML_SCALAR_NODE)        /* one string alone stands for a list of one */
		return cw_fail(c, v->start_mark, "%s: expected a list of strings such as [\"%s\"], got %s",
			       path, cw_scalar(v) ? cw_scalar(v) : "...", cw_describe_node(v, buf, sizeof(buf)));
	if (v->type != YAML_SEQUENCE_NODE)
		return cw_fail(c, v->start_mark, "%s: expected a list of strings, got %s", path,
			       cw_describe_node(v, buf, sizeof(buf)));
	for (size_t i = 0; i < *n; i++) {       /* the file's list replaces the default's */
		free(arr[i]);
		arr[i] = NULL;
	}
	*n = 0;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		const char *s = cw_scalar(item), *why;

		if (*n >= (size_t)k->hi)
			return cw_fail(c, item->start_mark, "%s: too many entries (at most %lld)", path,
				       (long long)k->hi);
		if (!s || !*s || cw_is_null(item))
			return cw_fail(c, item->start_mark, "%s[%zu]: expected a non-empty string, got %s",
				       path, *n, cw_describe_node(item, buf, sizeof(buf)));
		if (k->item_check && (why = k->item_check(s)))
			return cw_fail(c, item->start_mark, "%s[%zu]: %s, got %s", path, *n, why,
				       cw_describe_node(item, buf, sizeof(buf)));
		if (!(arr[*n] = strdup(s)))
			return cw_oom(c, item->start_mark);
		if (cw_mark_seen(c, &arr[*n], item->start_mark) < 0)
			return -ENOMEM;
		(*n)++;
	}
	if (!*n)
		return cw_fail(c, v->start_mark, "%s: expected at least one entry", path);
	return 0;
}
