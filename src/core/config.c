/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration loader: a YAML file is loaded with libyaml's document API
 * and walked against a small table-driven schema, over config_default(). The
 * result is built in a private copy; the caller's config changes only when
 * the whole file is valid. */
#include "core/config-walk.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "guards/disk/schema.h"
#include "hooks/schema.h"
#include "guards/shield/shield.h"
#include "guards/shield/trust.h"
#include "core/util.h"

#define MAX_FILE_SIZE (1u << 20)

/* ---- loader context, errors ------------------------------------------ */

int cw_fail_errno(struct cw *c, yaml_mark_t m, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, OG_ERR_SIZE, "%s:%zu:%zu: ", c->name, m.line + 1, m.column + 1);
	if (n >= 0 && n < OG_ERR_SIZE) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, OG_ERR_SIZE - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return r;
}

int cw_oom(struct cw *c, yaml_mark_t m)
{
	return cw_fail_errno(c, m, -ENOMEM, "out of memory");
}

int cw_mark_seen(struct cw *c, const void *addr, yaml_mark_t m)
{
	if (c->n_seen == c->cap_seen) {
		size_t cap = c->cap_seen ? 2 * c->cap_seen : 64;
		struct seen *s = realloc(c->seen, cap * sizeof(*s));
		if (!s)
			return cw_oom(c, m);
		c->seen = s;
		c->cap_seen = cap;
	}
	c->seen[c->n_seen++] = (struct seen){ addr, m };
	return 0;
}

const yaml_mark_t *cw_seen(const struct cw *c, const void *addr)
{
	for (size_t i = c->n_seen; i-- > 0;)
		if (c->seen[i].addr == addr)
			return &c->seen[i].mark;
	return NULL;
}

/* Where to point at for a check on a and b: the one the file set, else the top. */
yaml_mark_t cw_mark_of(const struct cw *c, const void *a, const void *b)
{
	const yaml_mark_t *m = cw_seen(c, a);

	if (!m && b)
		m = cw_seen(c, b);
	return m ? *m : c->root_mark;
}

yaml_mark_t cw_mark_in_item(const struct cw *c, const void *addr)
{
	const yaml_mark_t *m = cw_seen(c, addr);

	return m ? *m : c->item_mark;
}

/* ---- scalars --------------------------------------------------------- */

/* The text of a scalar node without embedded NULs, else NULL. */
const char *cw_scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

bool cw_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *s = cw_scalar(n);

	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(s, nulls[i]))
			return true;
	return false;
}

/* A printable, shortened rendering of a node for messages. */
const char *cw_describe_node(const yaml_node_t *n, char *buf, size_t size)
{
	if (!n)
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (cw_is_null(n))
		return "null";
	const unsigned char *s = n->data.scalar.value;
	size_t len = n->data.scalar.length, o = 0, i;

	buf[o++] = '"';
	for (i = 0; i < len && o + 8 < size; i++)
		buf[o++] = isprint(s[i]) && s[i] != '"' && s[i] != '\\' ? (char)s[i] : '?';
	if (i < len)
		o += (size_t)snprintf(buf + o, size - o, "...");
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -EINVAL;
}

/* A duration in microseconds: "100us", or anything parse_duration_ms takes. */
static int parse_duration_us(const char *s, uint64_t *ret)
{
	size_t n = strlen(s);
	uint64_t v;
	int r;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n > 2 && !strncmp(s + n - 2, "us", 2)) {
		char num[32];

		if (n - 2 >= sizeof(num))
			return -ERANGE;
		memcpy(num, s, n - 2);
		num[n - 2] = '\0';
		return parse_u64(num, ret);
	}
	r = parse_duration_ms(s, &v);
	if (r < 0)
		return r;
	if (v > UINT64_MAX / 1000)
		return -ERANGE;
	*ret = v * 1000;
	return 0;
}

/* Absolute, no "." or ".." component, no empty one ("//"), no trailing
 * "/" (but "/" itself). */
static bool valid_abs_path(const char *s)
{
	const char *p = s;

	if (*s != '/' || strlen(s) >= 4096)
		return false;
	if (!s[1])
		return true;
	while (*p == '/') {
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || (n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.'))
			return false;
		p += 1 + n;
	}
	return true;
}

static bool valid_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") &&
	       strlen(s) < 256;
}

static int enum_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* Store a scalar value of a leaf key into base + k->off. */
static int set_leaf(struct cw *c, const struct key *k, const yaml_node_t *v,
		    void *base, const char *path)
{
	void *dst = (char *)base + k->off;
	const char *s = cw_scalar(v);
	char b1[160], b2[64];
	uint64_t u;
	int64_t i;
	double d;

	if (k->nullable && cw_is_null(v)) {
		if (k->type == T_PERCENT) {
			*(double *)dst = -1;
		} else {
			free(*(char **)dst);
			*(char **)dst = NULL;
		}
		return cw_mark_seen(c, dst, v->start_mark);
	}
	if (!s)
		goto bad;
	switch (k->type) {
	case T_BOOL:
		if ((i = parse_bool(s)) < 0)
			goto bad;
		*(bool *)dst = i;
		break;
	case T_PERCENT:
		if (parse_percent(s, &d) < 0)
			goto bad;
		*(double *)dst = d;
		break;
	case T_SIZE:
		if (parse_size(s, &u) < 0 || u < (uint64_t)k->lo)
			goto bad;
		*(uint64_t *)dst = u;
		break;
	case T_MS:
	case T_US:
		if ((k->type == T_MS ? parse_duration_ms(s, &u) : parse_duration_us(s, &u)) < 0 ||
		    u < (uint64_t)k->lo || u > (uint64_t)k->hi)
			goto bad;
		*(uint64_t *)dst = u;
		break;
	case T_INT:
	case T_INT32:
	case T_UINT:
		if (parse_int_range(s, k->lo, k->hi, &i) < 0)
			goto bad;
		if (k->type == T_INT)
			*(int64_t *)dst = i;
		else if (k->type == T_INT32)
			*(int *)dst = (int)i;
		else
			*(uint64_t *)dst = (uint64_t)i;
		break;
	case T_ENUM:
	case T_ENUM_BOOL:
		if ((i = enum_index(k->names, s)) < 0)
			goto bad;
		if (k->type == T_ENUM)
			*(int *)dst = (int)i;
		else
			*(bool *)dst = i != 0;
		break;
	default: {      /* strings */
		char *dup;

		if (!*s || (k->type == T_NAME && !valid_name(s)) ||
		    (k->type == T_PATH && !valid_abs_path(s)))
			goto bad;
		if (!(dup = strdup(s)))
			return cw_oom(c, v->start_mark);
		free(*(char **)dst);
		*(char **)dst = dup;
		break;
	}
	}
	return cw_mark_seen(c, dst, v->start_mark);
bad:
	return cw_fail(c, v->start_mark, "%s: expected %s, got %s", path,
		    config_expectation(k, b1, sizeof(b1)), cw_describe_node(v, b2, sizeof(b2)));
}

/* ---- unknown keys ---------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein with transpositions). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[65][65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);

			v = MIN(v, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

static int unknown_key(struct cw *c, const yaml_node_t *kn, const struct key *tab,
		       const char *path)
{
	const char *s = cw_scalar(kn), *best = NULL;
	size_t best_d = SIZE_MAX;
	char buf[64];

	for (size_t i = 0; s && tab[i].name; i++) {
		size_t d = edit_distance(s, tab[i].name), len = strlen(tab[i].name);
		size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;

		if (d <= limit && d < best_d) {
			best_d = d;
			best = tab[i].name;
		}
	}
	return cw_fail(c, kn->start_mark, "unknown key %s %s %s%s%s%s",
		    cw_describe_node(kn, buf, sizeof(buf)),
		    *path ? "in" : "at", *path ? path : "top level",
		    best ? "; did you mean \"" : "", best ? best : "", best ? "\"?" : "");
}

/* ---- walking --------------------------------------------------------- */

static int set_value(struct cw *c, const struct key *k, yaml_node_t *v,
		     void *base, const char *path);

int cw_walk_map(struct cw *c, yaml_node_t *map, const struct key *tab,
		    void *base, const char *path)
{
	uint64_t given = 0;
	char buf[64];

	if (cw_is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return cw_fail(c, map->start_mark, "%s: expected a mapping, got %s", path,
			    cw_describe_node(map, buf, sizeof(buf)));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		const char *ks = cw_scalar(kn);
		char sub[160];
		size_t i;
		int r;

		for (i = 0; ks && tab[i].name && strcmp(tab[i].name, ks); i++)
			;
		if (!ks || !tab[i].name)
			return unknown_key(c, kn, tab, path);
		if (given & (1ull << i))
			return cw_fail(c, kn->start_mark, "duplicate key \"%s\" %s %s", ks,
				    *path ? "in" : "at", *path ? path : "top level");
		given |= 1ull << i;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", ks);
		r = set_value(c, &tab[i], vn, base, sub);
		if (r < 0)
			return r;
	}
	return 0;
}

static int set_value(struct cw *c, const struct key *k, yaml_node_t *v,
		     void *base, const char *path)
{
	c->cfg->sections_seen |= k->sec;
	switch (k->type) {
	case T_SECTION:
		return cw_walk_map(c, v, k->sub, base, path);
	case T_RULES:
		return cw_load_rules(c, v);
	case T_RULESETS:
		return cw_load_rulesets(c, v);
	case T_MANAGED:
		return cw_load_managed(c, v);
	case T_USERS:
		return cw_load_users(c, v, path);
	case T_LIST:
		return cw_load_list(c, k, v, base, path);
	case T_STRLIST:
		return cw_load_strlist(c, k, v, base, path);
	case T_ARGV:
		return cw_load_argv(c, k, v, base, path);
	default:
		return set_leaf(c, k, v, base, path);
	}
}

/* ---- cross-field checks ---------------------------------------------- */

static int check_threshold(struct cw *c, struct og_threshold *t, const char *level,
			   const char *what)
{
	/* A size without a percent in the same file stands alone (earlyoom -M). */
	if (cw_seen(c, &t->size) && !cw_seen(c, &t->percent))
		t->percent = -1;
	if (t->percent < 0 && t->size == 0)
		return cw_fail(c, cw_mark_of(c, &t->percent, &t->size),
			    "memory.%s: set %s_percent or %s_size", level, what, what);
	return 0;
}

static int check_order(struct cw *c, const void *lo, const void *hi, bool is_lo_bigger,
		       const char *lo_name, const char *hi_name, const char *lo_val,
		       const char *hi_val)
{
	if (!is_lo_bigger)
		return 0;
	return cw_fail(c, cw_mark_of(c, lo, hi), "%s (%s) must not exceed %s (%s)",
		    lo_name, lo_val, hi_name, hi_val);
}

static int validate(struct cw *c)
{
	struct og_config *cfg = c->cfg;
	static const struct {
		const char *what;
		size_t term, kill;
	} pairs[] = {
		{ "mem_available", OFF(term_mem), OFF(kill_mem) },
		{ "swap_free", OFF(term_swap), OFF(kill_swap) },
	};
	char a[64], b[64], n1[96], n2[96];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		struct og_threshold *t = (void *)((char *)cfg + pairs[i].term);
		struct og_threshold *k = (void *)((char *)cfg + pairs[i].kill);
		const char *w = pairs[i].what;

		if ((r = check_threshold(c, t, "terminate", w)) < 0 ||
		    (r = check_threshold(c, k, "kill", w)) < 0)
			return r;
		snprintf(n1, sizeof(n1), "memory.kill.%s_percent", w);
		snprintf(n2, sizeof(n2), "memory.terminate.%s_percent", w);
		snprintf(a, sizeof(a), "%g", k->percent);
		snprintf(b, sizeof(b), "%g", t->percent);
		r = check_order(c, &k->percent, &t->percent,
				t->percent >= 0 && k->percent > t->percent, n1, n2, a, b);
		if (r < 0)
			return r;
		snprintf(n1, sizeof(n1), "memory.kill.%s_size", w);
		snprintf(n2, sizeof(n2), "memory.terminate.%s_size", w);
		snprintf(a, sizeof(a), "%" PRIu64, k->size);
		snprintf(b, sizeof(b), "%" PRIu64, t->size);
		r = check_order(c, &k->size, &t->size,
				t->size && k->size > t->size, n1, n2, a, b);
		if (r < 0)
			return r;
	}
	snprintf(a, sizeof(a), "%" PRIu64 "ms", cfg->interval_min_ms);
	snprintf(b, sizeof(b), "%" PRIu64 "ms", cfg->interval_max_ms);
	r = check_order(c, &cfg->interval_min_ms, &cfg->interval_max_ms,
			cfg->interval_min_ms > cfg->interval_max_ms,
			"memory.interval_min", "memory.interval_max", a, b);
	if (r < 0)
		return r;
	snprintf(a, sizeof(a), "%" PRIu64 "us", cfg->psi_stall_us);
	snprintf(b, sizeof(b), "%" PRIu64 "us", cfg->psi_window_us);
	r = check_order(c, &cfg->psi_stall_us, &cfg->psi_window_us,
			cfg->psi_stall_us > cfg->psi_window_us, "psi.stall", "psi.window", a, b);
	if (r < 0)
		return r;
	char cgpath[4096];

	if (shield_path(cfg->cg_parent, cfg->cg_name, cgpath, sizeof(cgpath)) < 0)
		return cw_fail(c, cw_mark_of(c, &cfg->cg_parent, &cfg->cg_name),
			    "cgroup_settings.parent: expected a cgroup path such as "
			    "/system.slice/oomguard.service (no \".\" or \"..\"), got \"%.60s\"",
			    cfg->cg_parent ? cfg->cg_parent : "");
	snprintf(a, sizeof(a), "%g", cfg->gpu_margin_percent);
	snprintf(b, sizeof(b), "%g", cfg->gpu_threshold_percent);
	r = check_order(c, &cfg->gpu_margin_percent, &cfg->gpu_threshold_percent,
			cfg->gpu_margin_percent > cfg->gpu_threshold_percent,
			"gpu_protection.margin_percent", "gpu_protection.memory_threshold_percent",
			a, b);
	if (r < 0)
		return r;
	snprintf(a, sizeof(a), "%g", cfg->cg_kill_headroom_percent);
	snprintf(b, sizeof(b), "%g", cfg->cg_term_headroom_percent);
	return check_order(c, &cfg->cg_kill_headroom_percent, &cfg->cg_term_headroom_percent,
			   cfg->cg_kill_headroom_percent > cfg->cg_term_headroom_percent,
			   "cgroups.kill_headroom_percent", "cgroups.terminate_headroom_percent",
			   a, b);
}

/* ---- entry points ---------------------------------------------------- */

static int parse_error(struct cw *c, const yaml_parser_t *p, const char *buf, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		return cw_oom(c, m);
	if (p->error == YAML_READER_ERROR) {
		m = (yaml_mark_t){ 0 };
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		return cw_fail(c, m, "invalid input: %s", problem);
	}
	if (p->context)
		return cw_fail(c, m, "syntax error: %s %s at %zu:%zu", problem, p->context,
			    p->context_mark.line + 1, p->context_mark.column + 1);
	return cw_fail(c, m, "syntax error: %s", problem);
}

static int load_document(struct cw *c, yaml_parser_t *parser, const char *buf, size_t len)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	yaml_document_t next;
	char b[64];
	int r;

	if (!root)
		return 0;       /* an empty file: all defaults */
	c->root_mark = root->start_mark;
	if (!yaml_parser_load(parser, &next))
		return parse_error(c, parser, buf, len);
	root = yaml_document_get_root_node(&next);
	if (root) {
		r = cw_fail(c, next.start_mark, "multiple YAML documents in one file are not supported");
		yaml_document_delete(&next);
		return r;
	}
	yaml_document_delete(&next);
	root = yaml_document_get_root_node(c->doc);
	if (cw_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return cw_fail(c, root->start_mark, "the top level must be a mapping of sections, got %s",
			    cw_describe_node(root, b, sizeof(b)));
	return cw_walk_map(c, root, config_top_keys, c->cfg, "");
}

int config_load_buffer(const char *name, const char *buf, size_t len,
		       struct og_config *cfg, char err[OG_ERR_SIZE])
{
	struct cw c = { .name = name ? name : "<config>", .err = err };
	yaml_parser_t parser;
	yaml_document_t doc;
	int r;

	err[0] = '\0';
	if (!buf)
		buf = "";
	c.cfg = malloc(sizeof(*c.cfg));
	if (!c.cfg || !yaml_parser_initialize(&parser)) {
		free(c.cfg);
		return cw_oom(&c, c.root_mark);
	}
	config_default(c.cfg);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (rs_is_oomd_json(buf, len)) {
		/* oomd's JSON, unchanged: its rulesets over the built-in default */
		r = rs_parse_oomd(c.name, buf, len, false, &c.cfg->rulesets, err, OG_ERR_SIZE);
		if (r == -ENOMEM)
			r = cw_oom(&c, c.root_mark);
	} else if (yaml_parser_load(&parser, &doc)) {
		c.doc = &doc;
		r = load_document(&c, &parser, buf, len);
		if (r == 0)
			r = validate(&c);
		yaml_document_delete(&doc);
	} else {
		r = parse_error(&c, &parser, buf, len);
	}
	yaml_parser_delete(&parser);
	if (r == 0 && !(c.cfg->path = strdup(c.name)))
		r = cw_oom(&c, c.root_mark);
	if (r == 0) {
		config_free(cfg);
		*cfg = *c.cfg;
		err[0] = '\0';
	} else {
		config_free(c.cfg);
	}
	free(c.cfg);
	free(c.seen);
	return r;
}

/* config_load_buffer, then the checks against this machine. */
static int load_checked(const char *path, const char *buf, size_t len, struct og_config *cfg,
			char err[OG_ERR_SIZE])
{
	struct og_config *next = calloc(1, sizeof(*next));
	int proc_fd, r;

	if (!next)
		return -ENOMEM;
	r = config_load_buffer(path, buf, len, next, err);
	if (r == 0 && next->n_disks) {
		proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = disk_config_check(next, proc_fd, err, OG_ERR_SIZE);
		if (proc_fd >= 0)
			close(proc_fd);
	}
	if (r == 0)
		r = hooks_config_check(next, err, OG_ERR_SIZE);
	if (r == 0) {
		config_free(cfg);
		*cfg = *next;
	} else {
		config_free(next);
	}
	free(next);
	return r;
}

int config_load(const char *path, struct og_config *cfg, char err[OG_ERR_SIZE])
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	struct stat st;

	/* O_NONBLOCK: a FIFO put in its place must not hang the reload (and
	 * the event loop) until someone writes to it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail_errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, OG_ERR_SIZE, "%s: not a regular file", path);
		return -EINVAL;
	}
	/* Whoever may write the config steers the daemon: as root, refuse one
	 * that another user owns or anyone may write. */
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & S_IWOTH))) {
		snprintf(err, OG_ERR_SIZE, "%s: %s; refusing it", path, st.st_uid != 0 ?
			 "owned by another user than root" : "writable by every user");
		return -EPERM;
	}
	buf = malloc(MAX_FILE_SIZE + 1);
	if (!buf) {
		errno = ENOMEM;
		goto fail_errno;
	}
	while ((n = read(fd, buf + len, MAX_FILE_SIZE + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail_errno;
		}
		len += (size_t)n;
		if (len > MAX_FILE_SIZE) {
			snprintf(err, OG_ERR_SIZE, "%s: file too large (more than %u bytes)",
				 path, MAX_FILE_SIZE);
			return -EFBIG;
		}
	}
	return load_checked(path, buf, len, cfg, err);
fail_errno:
	n = errno;
	snprintf(err, OG_ERR_SIZE, "%s: %s", path, strerror((int)n));
	return (int)-n;
}
