/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the record tests (test_record, test_kmsg): a reporter into a
 * pipe, one record read back and parsed, a field by its dotted path. */
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit/record-util.h"

/* A reporter writing into a pipe; p[0] is the end to read. */
struct reporter pipe_reporter(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	return (struct reporter){ .out_fd = p[1], .kmsg_fd = -1, .json = true };
}

/* Exactly one whole line waiting in fd, parsed. */
json_object *read_record(int fd)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	json_object *o;

	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', (size_t)n - 1));   /* one line */
	o = json_tokener_parse(buf);
	assert_non_null(o);
	return o;
}

json_object *get(json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	json_object *v = o;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		assert_true(json_object_object_get_ex(v, key, &v));
		path = dot + 1;
	}
	assert_true(json_object_object_get_ex(v, path, &v));
	return v;
}

