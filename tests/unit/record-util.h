/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <json-c/json.h>

#include "report/record.h"

/* A reporter writing into a pipe; p[0] is the end to read. */
struct reporter pipe_reporter(int p[2]);
/* Exactly one whole line waiting in fd, parsed (fails the test otherwise). */
json_object *read_record(int fd);
/* The value at a dotted path ("trigger.type"); fails the test if absent. */
json_object *get(json_object *o, const char *path);
