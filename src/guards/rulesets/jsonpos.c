/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a value is in JSON text (jsonpos.h): json-c parses, but keeps no
 * positions; an error about a value needs its line and column, so this
 * walks the text to it. Only on errors: speed does not matter. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "guards/rulesets/jsonpos.h"

#define DEPTH_MAX 1000          /* json-c's own limit is 32 by default */

struct js {
	const char *s, *end;
};

/* Blanks and the comments oomd's reader allows: // to the end of the
 * line, and block comments. */
static void ws(struct js *j)
{
	while (j->s < j->end) {
		if (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r') {
			j->s++;
		} else if (j->end - j->s >= 2 && j->s[0] == '/' && j->s[1] == '/') {
			while (j->s < j->end && *j->s != '\n')
				j->s++;
		} else if (j->end - j->s >= 2 && j->s[0] == '/' && j->s[1] == '*') {
			const char *e = NULL;

			for (const char *p = j->s + 2; p + 1 < j->end; p++)
				if (p[0] == '*' && p[1] == '/') {
					e = p + 2;
					break;
				}
			j->s = e ? e : j->end;
		} else {
			return;
		}
	}
}

/* A string at j->s: past it; its raw text (between the quotes) in *raw. */
static bool string(struct js *j, const char **raw, size_t *n)
{
	const char *p;

	if (j->s >= j->end || *j->s != '"')
		return false;
	for (p = j->s + 1; p < j->end && *p != '"'; p++)
		if (*p == '\\' && p + 1 < j->end)
			p++;
	if (p >= j->end)
		return false;
	if (raw) {
		*raw = j->s + 1;
		*n = (size_t)(p - j->s - 1);
	}
	j->s = p + 1;
	return true;
}

static bool value(struct js *j, int depth);

/* An object or an array at j->s (its bracket), past its end. */
static bool container(struct js *j, int depth)
{
	char close = *j->s == '{' ? '}' : ']';
	bool obj = close == '}';

	if (depth > DEPTH_MAX)
		return false;
	j->s++;
	for (;;) {
		ws(j);
		if (j->s >= j->end)
			return false;
		if (*j->s == close) {
			j->s++;
			return true;
		}
		if (obj) {
			if (!string(j, NULL, NULL))
				return false;
			ws(j);
			if (j->s >= j->end || *j->s != ':')
				return false;
			j->s++;
			ws(j);
		}
		if (!value(j, depth + 1))
			return false;
		ws(j);
		if (j->s < j->end && *j->s == ',')
			j->s++;
	}
}

static bool value(struct js *j, int depth)
{
	if (j->s >= j->end)
		return false;
	if (*j->s == '"')
		return string(j, NULL, NULL);
	if (*j->s == '{' || *j->s == '[')
		return container(j, depth);
	/* a number or a literal: up to the next separator */
	const char *start = j->s;

	while (j->s < j->end && !strchr(",]} \t\r\n/", *j->s))
		j->s++;
	return j->s > start;
}

/* The raw key equals key? (Escapes are compared as written: the keys
 * oomd's configs use have none.) */
static bool key_is(const char *raw, size_t n, const char *key)
{
	return strlen(key) == n && !memcmp(raw, key, n);
}

/* One step of the path from the value at j->s: into the member key of an
 * object (the last of that name, as json-c keeps) or the element index of
 * an array. */
static bool step(struct js *j, const struct jpos_step *st)
{
	const char *found = NULL;
	size_t i = 0;
	bool obj;

	ws(j);
	if (j->s >= j->end || (*j->s != '{' && *j->s != '['))
		return false;
	obj = *j->s == '{';
	if (obj != (st->key != NULL))
		return false;
	j->s++;
	for (;;) {
		const char *raw = NULL;
		size_t n = 0;

		ws(j);
		if (j->s >= j->end)
			return false;
		if (*j->s == (obj ? '}' : ']'))
			break;
		if (obj) {
			if (!string(j, &raw, &n))
				return false;
			ws(j);
			if (j->s >= j->end || *j->s != ':')
				return false;
			j->s++;
			ws(j);
			if (key_is(raw, n, st->key))
				found = j->s;
		} else if (i++ == st->index) {
			found = j->s;
			break;
		}
		if (!value(j, 0))
			return false;
		ws(j);
		if (j->s < j->end && *j->s == ',')
			j->s++;
	}
	if (!found)
		return false;
	j->s = found;
	return true;
}

int jpos_find(const char *buf, size_t len, const struct jpos_step *path, size_t n, int *line,
	      int *col)
{
	struct js j = { buf, buf + len };
	const char *best;

	ws(&j);
	best = j.s;
	for (size_t i = 0; i < n; i++) {
		if (!step(&j, &path[i]))
			break;
		best = j.s;
	}
	jpos_line_col(buf, (size_t)(best - buf), line, col);
	return 0;
}

void jpos_line_col(const char *buf, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && buf[i]; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}
