/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a guard describes itself for explain and status: lines of text for
 * a person, and the same facts as JSON fields (explain --json). Either
 * sink may be absent. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

struct describe {
	FILE *text;                     /* NULL = no text */
	struct json_object *json;       /* the guard's object; NULL = no JSON */
};

void desc_line(struct describe *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void desc_str(struct describe *d, const char *key, const char *v);       /* NULL -> null */
void desc_int(struct describe *d, const char *key, int64_t v);
void desc_num(struct describe *d, const char *key, double v);
void desc_bool(struct describe *d, const char *key, bool v);
/* A nested object (NULL without JSON); fill it with a describe of its own. */
struct json_object *desc_obj(struct describe *d, const char *key);
