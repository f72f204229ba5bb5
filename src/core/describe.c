/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/describe.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* A line for a person's terminal: what the format itself starts with
 * (blank lines) stays, the rest is escaped as a log line is (a cgroup name
 * with terminal escapes or a newline stays inert). */
void desc_line(struct describe *d, const char *fmt, ...)
{
	char line[2048], esc[4 * sizeof(line)];
	size_t lead = strspn(fmt, "\n");
	va_list ap;

	if (!d->text)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	escape_log(line + MIN(lead, strlen(line)), esc, sizeof(esc));
	fprintf(d->text, "%.*s%s\n", (int)lead, line, esc);
}

void desc_str(struct describe *d, const char *key, const char *v)
{
	char esc[1024];

	if (!d->json)
		return;
	if (v)
		escape_untrusted(v, esc, sizeof(esc));
	json_object_object_add(d->json, key, v ? json_object_new_string(esc) : NULL);
}

void desc_int(struct describe *d, const char *key, int64_t v)
{
	if (d->json)
		json_object_object_add(d->json, key, json_object_new_int64(v));
}

void desc_num(struct describe *d, const char *key, double v)
{
	if (d->json)
		json_object_object_add(d->json, key, json_object_new_double(v));
}

void desc_bool(struct describe *d, const char *key, bool v)
{
	if (d->json)
		json_object_object_add(d->json, key, json_object_new_boolean(v));
}

struct json_object *desc_obj(struct describe *d, const char *key)
{
	struct json_object *o;

	if (!d->json || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(d->json, key, o);
	return o;
}
