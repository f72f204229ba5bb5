/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the configuration loader (config.c, config-list.c) and the
 * guards' schema files that check a list element: the walker's state and
 * its helpers. Every error is "FILE:LINE:COL: message" in c->err. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "core/config-schema.h"

struct seen {
	const void *addr;       /* the field that was set */
	yaml_mark_t mark;       /* where its value is */
};

struct cw {
	const char *name;
	char *err;
	struct og_config *cfg;
	yaml_document_t *doc;
	yaml_mark_t root_mark;
	yaml_mark_t item_mark;  /* the list element being read (T_LIST) */
	struct seen *seen;
	size_t n_seen, cap_seen;
};

/* Write "FILE:LINE:COL: " and the message into c->err; returns r. */
int cw_fail_errno(struct cw *c, yaml_mark_t m, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define cw_fail(c, m, ...) cw_fail_errno(c, m, -EINVAL, __VA_ARGS__)
int cw_oom(struct cw *c, yaml_mark_t m);
/* The value of the field at addr was read at m (for later checks). */
int cw_mark_seen(struct cw *c, const void *addr, yaml_mark_t m);
/* Where the field at addr was set, NULL if the file did not set it. */
const yaml_mark_t *cw_seen(const struct cw *c, const void *addr);
/* Where to point at for a check on a and b: the one the file set, else the top. */
yaml_mark_t cw_mark_of(const struct cw *c, const void *a, const void *b);
/* Where the field at addr was set, else the list element being read. */
yaml_mark_t cw_mark_in_item(const struct cw *c, const void *addr);

/* The text of a scalar node without embedded NULs, else NULL. */
const char *cw_scalar(const yaml_node_t *n);
bool cw_is_null(const yaml_node_t *n);
/* A printable, shortened rendering of a node for messages. */
const char *cw_describe_node(const yaml_node_t *n, char *buf, size_t size);

/* Walk a mapping against a table of keys into base. */
int cw_walk_map(struct cw *c, yaml_node_t *map, const struct key *tab, void *base,
		const char *path);

/* The list types (config-list.c). */
int cw_load_rules(struct cw *c, yaml_node_t *v);
int cw_load_managed(struct cw *c, yaml_node_t *v);
int cw_load_users(struct cw *c, yaml_node_t *v, const char *path);
int cw_load_list(struct cw *c, const struct key *k, yaml_node_t *v, void *base, const char *path);
int cw_load_strlist(struct cw *c, const struct key *k, yaml_node_t *v, void *base,
		    const char *path);
/* A command (T_ARGV, hooks/schema.c). */
int cw_load_argv(struct cw *c, const struct key *k, yaml_node_t *v, void *base, const char *path);
/* `rulesets:` (guards/rulesets/yaml.c). */
int cw_load_rulesets(struct cw *c, yaml_node_t *v);
