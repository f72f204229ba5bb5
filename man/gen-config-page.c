/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Build-time generator of oomguard.yaml(5): copies a roff template to
 * stdout and replaces its line `.\" %KEYS%` with every key of the config
 * schema (config_top_keys, walked as the loader walks it), its type and
 * range (config_expectation, the words of the loader's own error messages)
 * and its default, read from the config the loader produces from an empty
 * file. Where docs/config.md has a row for a key, its "meaning" column
 * follows.
 *
 * usage: gen-config-page TEMPLATE CONFIG_MD
 *        gen-config-page --keys      (one dotted key a line, for tests) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config-schema.h"
#include "core/util.h"

#define MAX_DOCS 512

static struct doc {
	char *key, *meaning;
} docs[MAX_DOCS];
static size_t n_docs;

/* ---- roff ------------------------------------------------------------- */

/* Text into roff: backslashes escaped, a leading control character
 * neutralised, markdown's `code` in bold, [text](link) as text, ** and
 * table escapes (\|) dropped. */
static void roff_text(FILE *out, const char *s, bool markdown)
{
	bool code = false;

	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (markdown && s[0] == '\\' && s[1] == '|') {
			fputc('|', out);
			s++;
		} else if (*s == '\\') {
			fputs("\\e", out);
		} else if (markdown && *s == '`') {
			fputs(code ? "\\fR" : "\\fB", out);
			code = !code;
		} else if (markdown && !code && s[0] == '*' && s[1] == '*') {
			s++;
		} else if (markdown && *s == '[' && strstr(s, "](")) {
			/* [text](link): the text only */
			const char *close = strstr(s, "](");
			const char *end = strchr(close, ')');

			if (!end || memchr(s, '\n', (size_t)(close - s))) {
				fputc('[', out);
				continue;
			}
			fwrite(s + 1, 1, (size_t)(close - s - 1), out);
			s = end;
		} else if ((unsigned char)*s >= 0xc0) {
			/* UTF-8 as groff's \[uXXXX], so that the page is ASCII */
			unsigned int cp = (unsigned char)*s, n = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : 1;

			cp &= 0x3f >> n;
			for (; n && ((unsigned char)s[1] & 0xc0) == 0x80; n--)
				cp = cp << 6 | ((unsigned char)*++s & 0x3f);
			fprintf(out, "\\[u%04X]", cp);
		} else if ((unsigned char)*s >= 0x80) {
			continue;       /* a stray continuation byte */
		} else if (*s == '-' && (s[1] == '-' || (s[1] >= '0' && s[1] <= '9'))) {
			fputs("\\-", out);      /* minus signs and options, not hyphens */
		} else {
			fputc(*s, out);
		}
	}
	if (code)
		fputs("\\fR", out);
}

/* ---- docs/config.md: the meaning column of its key tables ------------ */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Split a table row on unescaped '|'; returns the number of cells. */
static size_t split_row(char *line, char **cells, size_t max)
{
	size_t n = 0;
	char *p = line + 1, *start = p;

	for (; *p; p++) {
		if (*p == '\\' && p[1] == '|') {
			p++;
			continue;
		}
		if (*p == '|') {
			*p = '\0';
			if (n < max)
				cells[n++] = trim(start);
			start = p + 1;
		}
	}
	return n;
}

static void read_docs(const char *path)
{
	char line[4096], prefix[128] = "", *cells[8];
	FILE *f = fopen(path, "re");

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "## ", 3)) {
			prefix[0] = '\0';
		} else if (!strncmp(line, "### `", 5)) {
			char *end = strchr(line + 5, '`');

			if (end)
				*end = '\0';
			/* the list sections' keys are those of one element */
			bool list = !strcmp(line + 5, "disk") || !strcmp(line + 5, "rules");

			if (strlen(line + 5) + 4 > sizeof(prefix))
				continue;
			strcpy(prefix, line + 5);
			strcat(prefix, list ? "[]." : ".");
		} else if (!strncmp(line, "### ", 4)) {
			prefix[0] = '\0';
		} else if (!strncmp(line, "A cleanup rule:", 15)) {
			snprintf(prefix, sizeof(prefix), "disk[].cleanup[].");
		} else if (line[0] == '|' && line[1] == ' ' && line[2] == '`' && n_docs < MAX_DOCS) {
			size_t n = split_row(line, cells, 8);
			char *key = cells[0] + 1, *end = strchr(key, '`');
			char full[256];

			if (n < 3 || !end)
				continue;
			*end = '\0';
			if (!*cells[n - 1])
				continue;
			snprintf(full, sizeof(full), "%s%s", prefix, key);
			docs[n_docs].key = strdup(full);
			docs[n_docs].meaning = strdup(cells[n - 1]);
			if (!docs[n_docs].key || !docs[n_docs].meaning)
				exit(1);
			n_docs++;
		}
	}
	fclose(f);
}

static const char *doc_of(const char *key)
{
	for (size_t i = 0; i < n_docs; i++)
		if (!strcmp(docs[i].key, key))
			return docs[i].meaning;
	return NULL;
}

/* ---- defaults ---------------------------------------------------------- */

static const char *fmt_size(uint64_t v, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;

	while (v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 "%s", v, u < 0 ? "" : units[u]);
	return buf;
}

static const char *fmt_ms(uint64_t ms, char *buf, size_t size)
{
	if (ms && ms % 86400000 == 0)
		snprintf(buf, size, "%" PRIu64 "d", ms / 86400000);
	else if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%" PRIu64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%" PRIu64 "min", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRIu64 "ms", ms);
	return buf;
}

static const char *unset_if_outside(const struct key *k, int64_t v, char *buf, size_t size)
{
	if ((k->lo || k->hi) && (v < k->lo || v > k->hi))
		return "unset";
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

/* The default of key k, read at base (NULL: keys of a list element, which
 * has none of its own). */
static const char *fmt_default(const struct key *k, const struct og_config *cfg,
			       const void *base, char *buf, size_t size)
{
	const void *p = (const char *)base + k->off;

	if (!base)
		return NULL;
	switch (k->type) {
	case T_BOOL:
		return *(const bool *)p ? "true" : "false";
	case T_PERCENT:
		if (*(const double *)p < 0)
			return "unset";
		snprintf(buf, size, "%g", *(const double *)p);
		return buf;
	case T_SIZE:
		return fmt_size(*(const uint64_t *)p, buf, size);
	case T_MS:
		return fmt_ms(*(const uint64_t *)p, buf, size);
	case T_US:
		if (*(const uint64_t *)p % 1000)
			snprintf(buf, size, "%" PRIu64 "us", *(const uint64_t *)p);
		else
			fmt_ms(*(const uint64_t *)p / 1000, buf, size);
		return buf;
	case T_INT:
		return unset_if_outside(k, *(const int64_t *)p, buf, size);
	case T_INT32:
		return unset_if_outside(k, *(const int *)p, buf, size);
	case T_UINT:
		return unset_if_outside(k, (int64_t)*(const uint64_t *)p, buf, size);
	case T_ENUM:
		return k->names[*(const int *)p];
	case T_ENUM_BOOL:
		return k->names[*(const bool *)p];
	case T_STR:
	case T_NAME:
	case T_PATH:
		if (!*(char *const *)p)
			return "unset";
		snprintf(buf, size, "%s", *(char *const *)p);
		return buf;
	case T_STRLIST: {
		char *const *items = p;
		size_t n = *(const size_t *)((const char *)base + k->count_off), o;

		o = (size_t)snprintf(buf, size, "[");
		for (size_t i = 0; i < n && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%s\"%s\"", i ? ", " : "", items[i]);
		if (o < size)
			snprintf(buf + o, size - o, "]");
		return buf;
	}
	case T_USERS:
		return cfg->n_managed_users ? "(set)" : "[] (root only)";
	case T_MANAGED:
		return cfg->n_managed ? "(set)" : "[]";
	case T_RULES:
		snprintf(buf, size, "%zu built-in rule%s (see RULES)", cfg->n_rules,
			 cfg->n_rules == 1 ? "" : "s");
		return buf;
	case T_RULESETS:
		return "none";
	case T_LIST:
		return "none";
	case T_ARGV:
		return ((const struct og_hook *)p)->argc ? "(set)" : "unset (none)";
	default:
		return NULL;
	}
}

static const char *type_of(const struct key *k, char *buf, size_t size)
{
	switch (k->type) {
	case T_STRLIST:
		snprintf(buf, size, "a list of at most %" PRId64 " strings", k->hi);
		return buf;
	case T_MANAGED:
		return "a list of strings: NAME, comm:REGEX, exe:REGEX or cmdline:REGEX";
	case T_RULES:
		return "a list of rules (mappings with the keys rules[].*)";
	case T_RULESETS:
		return "a list of oomd rulesets in YAML (see oomd's documentation and "
		       "docs/rulesets.md)";
	case T_LIST:
		snprintf(buf, size, "a list of at most %" PRId64 " mappings", k->hi);
		return buf;
	case T_SECTION:
		return "a mapping";
	case T_ARGV:
		return "a command: a list of strings, or one string split on blanks (no shell); "
		       "its program an absolute path";
	default:
		return config_expectation(k, buf, size);
	}
}

/* ---- the walk ----------------------------------------------------------- */

static void emit(FILE *out, bool keys_only, const char *name, const struct key *k,
		 const struct og_config *cfg, const void *base)
{
	char tb[256], db[512];
	const char *def = fmt_default(k, cfg, base, db, sizeof(db));
	const char *doc = doc_of(name);

	if (keys_only) {
		fprintf(out, "%s\n", name);
		return;
	}
	fputs(".TP\n.B ", out);
	roff_text(out, name, false);
	fputs("\n", out);
	roff_text(out, type_of(k, tb, sizeof(tb)), false);
	if (k->nullable)
		fputs(", or null", out);
	fputs(".\n", out);
	if (def) {
		fputs("Default: ", out);
		roff_text(out, def, false);
		fputs(".\n", out);
	}
	if (doc) {
		fputs(".br\n", out);
		roff_text(out, doc, true);
		fputs("\n", out);
	}
}

static void walk(FILE *out, bool keys_only, const struct key *tab, const char *prefix,
		 const struct og_config *cfg, const void *base)
{
	bool top_heading = false;
	char name[256];

	for (const struct key *k = tab; k->name; k++) {
		snprintf(name, sizeof(name), "%s%s", prefix, k->name);
		if (k->type == T_SECTION) {
			char sub[sizeof(name) + 4];

			snprintf(sub, sizeof(sub), "%s.", name);
			if (!*prefix && !keys_only) {
				fputs(".SS ", out);
				roff_text(out, name, false);
				fputs("\n", out);
			}
			walk(out, keys_only, k->sub, sub, cfg, base);
			continue;
		}
		if (!*prefix && !keys_only && (k->type == T_LIST || k->type == T_RULES ||
						k->type == T_RULESETS || k->type == T_MANAGED)) {
			fputs(".SS ", out);
			roff_text(out, name, false);
			fputs("\n", out);
		} else if (!*prefix && !keys_only && !top_heading) {
			fputs(".SS \"top level\"\n", out);
			top_heading = true;
		}
		emit(out, keys_only, name, k, cfg, base);
		if (k->type == T_LIST || k->type == T_RULES) {
			char sub[sizeof(name) + 4];

			snprintf(sub, sizeof(sub), "%s[].", name);
			walk(out, keys_only, k->type == T_RULES ? config_rule_keys : k->sub, sub,
			     cfg, NULL);
		}
	}
}

int main(int argc, char **argv)
{
	char err[OG_ERR_SIZE], line[4096];
	struct og_config cfg = { 0 };
	bool keys_only = argc == 2 && !strcmp(argv[1], "--keys");
	FILE *tmpl;

	if (!keys_only && argc != 3) {
		fprintf(stderr, "usage: %s TEMPLATE CONFIG_MD | --keys\n", argv[0]);
		return 2;
	}
	/* the defaults: what the loader makes of an empty file */
	if (config_load_buffer("(empty)", "", 0, &cfg, err) < 0) {
		fprintf(stderr, "the loader refuses an empty config: %s\n", err);
		return 1;
	}
	if (keys_only) {
		walk(stdout, true, config_top_keys, "", &cfg, &cfg);
		config_free(&cfg);
		return 0;
	}
	read_docs(argv[2]);
	tmpl = fopen(argv[1], "re");
	if (!tmpl) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), tmpl)) {
		if (!strcmp(line, ".\\\" %KEYS%\n"))
			walk(stdout, false, config_top_keys, "", &cfg, &cfg);
		else
			fputs(line, stdout);
	}
	fclose(tmpl);
	config_free(&cfg);
	for (size_t i = 0; i < n_docs; i++) {
		free(docs[i].key);
		free(docs[i].meaning);
	}
	return fflush(stdout) ? 1 : 0;
}
