/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rulesets written in oomguard's YAML (issue 17): the `rulesets:` key, a
 * list of rulesets with oomd's structure and names (name, detectors as
 * lists of a group name and plugins, actions, drop-in, silence-logs,
 * post_action_delay, prekill_hook_timeout). The YAML is made a json-c
 * object and read by parse.c, the reader of oomd's JSON: the same checks,
 * and errors at the YAML's own lines and columns. */
#include <errno.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "core/config-walk.h"
#include "core/config.h"
#include "guards/rulesets/jsonpos.h"
#include "guards/rulesets/rules.h"

/* A plain scalar as YAML 1.1 core would read it: true/false, null, an
 * integer; quoted ones stay strings. NULL: out of memory or bad text. */
static json_object *scalar(const yaml_node_t *n)
{
	const char *s = cw_scalar(n);
	char *end;
	long long v;

	if (!s)
		return NULL;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!strcmp(s, "true") || !strcmp(s, "True"))
			return json_object_new_boolean(1);
		if (!strcmp(s, "false") || !strcmp(s, "False"))
			return json_object_new_boolean(0);
		if (!*s || !strcmp(s, "~") || !strcmp(s, "null"))
			return json_object_new_null();
		v = strtoll(s, &end, 10);
		if (end != s && !*end && (*s == '-' || (*s >= '0' && *s <= '9')))
			return json_object_new_int64(v);
	}
	return json_object_new_string(s);
}

static json_object *to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	json_object *o;

	if (!n || depth > 16)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return scalar(n);
	case YAML_SEQUENCE_NODE:
		if (!(o = json_object_new_array()))
			return NULL;
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			json_object *x = to_json(doc, yaml_document_get_node(doc, *i), depth + 1);

			if (!x) {
				json_object_put(o);
				return NULL;
			}
			json_object_array_add(o, x);
		}
		return o;
	case YAML_MAPPING_NODE:
		if (!(o = json_object_new_object()))
			return NULL;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			const char *k = cw_scalar(yaml_document_get_node(doc, p->key));
			json_object *x = to_json(doc, yaml_document_get_node(doc, p->value), depth + 1);

			if (!k || !x) {
				json_object_put(x);
				json_object_put(o);
				return NULL;
			}
			json_object_object_add(o, k, x);
		}
		return o;
	default:
		return NULL;
	}
}

struct yloc {
	yaml_document_t *doc;
	yaml_node_t *rulesets;          /* the value of `rulesets:` */
};

/* Where path is in the YAML: the deepest node of it that exists. */
static void locate(void *data, const struct jpos_step *path, size_t n, int *line, int *col)
{
	struct yloc *y = data;
	yaml_node_t *node = y->rulesets;

	for (size_t i = 1; i < n && node; i++) {        /* path[0] is "rulesets" */
		yaml_node_t *next = NULL;

		if (path[i].key && node->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
			     p < node->data.mapping.pairs.top; p++) {
				const char *k = cw_scalar(yaml_document_get_node(y->doc, p->key));

				if (k && !strcmp(k, path[i].key))
					next = yaml_document_get_node(y->doc, p->value);
			}
		} else if (!path[i].key && node->type == YAML_SEQUENCE_NODE &&
			   path[i].index < (size_t)(node->data.sequence.items.top -
						    node->data.sequence.items.start)) {
			next = yaml_document_get_node(y->doc,
						      node->data.sequence.items.start[path[i].index]);
		}
		if (!next)
			break;
		node = next;
	}
	*line = (int)node->start_mark.line + 1;
	*col = (int)node->start_mark.column + 1;
}

int cw_load_rulesets(struct cw *c, yaml_node_t *v)
{
	struct yloc y = { c->doc, v };
	json_object *root, *list;
	char err[512];
	int r;

	if (cw_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cw_fail(c, v->start_mark, "rulesets must be a list of rulesets (name, "
			       "detectors, actions: as oomd's JSON)");
	if (!(root = json_object_new_object()) || !(list = to_json(c->doc, v, 0))) {
		json_object_put(root);
		return cw_fail(c, v->start_mark, "rulesets: a value that is neither a scalar, a list "
			       "nor a mapping (or out of memory)");
	}
	json_object_object_add(root, "rulesets", list);
	rs_config_free(&c->cfg->rulesets);
	r = rs_parse_object(c->name, root, locate, &y, &c->cfg->rulesets, err, sizeof(err));
	json_object_put(root);
	if (r < 0)
		snprintf(c->err, OG_ERR_SIZE, "%s", err);
	return r;
}
