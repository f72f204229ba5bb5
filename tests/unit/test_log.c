// SPDX-License-Identifier: GPL-2.0-or-later
/* Log lines: untrusted strings in a message (process names, cgroup paths)
 * are escaped as a whole, so that none can start a line of its own or a
 * journald priority; well-formed UTF-8 stays readable. stderr is captured
 * through a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/describe.h"
#include "core/log.h"

static int saved = -1, rd = -1;

static void capture(void)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	rd = p[0];
}

/* Stop capturing; what was written, NUL-terminated. */
static const char *captured(void)
{
	static char buf[65536];
	size_t got = 0;
	ssize_t n;

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	while ((n = read(rd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(rd);
	buf[got] = '\0';
	return buf;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_forged_line(void **state)
{
	const char *out;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	capture();
	log_warn("shield: moved pid %d (%s) into %s", 42, "evil\noomguard: error: forged",
		 "/a\x1b[2J\\b");
	out = captured();
	assert_string_equal(out, "oomguard: warning: shield: moved pid 42 "
			    "(evil\\x0aoomguard: error: forged) into /a\\x1b[2J\\x5cb\n");
	assert_int_equal(lines(out), 1);
}

static void test_journald_priority(void **state)
{
	const char *out;

	(void)state;
	setenv("JOURNAL_STREAM", "8:1234", 1);
	capture();
	log_err("pid %d (%s)", 7, "x\n<0>kernel panic\r");
	log_notice("plain");
	out = captured();
	unsetenv("JOURNAL_STREAM");
	/* each line starts with its own priority; the forged one is inside */
	assert_string_equal(out, "<3>pid 7 (x\\x0a<0>kernel panic\\x0d)\n<5>plain\n");
}

static void test_utf8_and_bad_bytes(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	capture();
	log_info("comm %s, cgroup \"%s\"", "caf\xc3\xa9", "/\xe6\x97\xa5\xe6\x9c\xac\xff\xc2\x85.slice");
	assert_string_equal(captured(), "oomguard: info: comm caf\xc3\xa9, cgroup "
			    "\"/\xe6\x97\xa5\xe6\x9c\xac\\xff\\xc2\\x85.slice\"\n");
}

static void test_levels_text_and_length(void **state)
{
	char big[5000];
	const char *out;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture();
	log_debug("hidden");                    /* above the level */
	log_text(LOG_INFO, "config: a\nrules: \x1b[31mb\n");
	log_warn("%s", big);                    /* truncated, still one line */
	out = captured();
	assert_int_equal(lines(out), 3);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "oomguard: info: config: a\noomguard: info: rules: \\x1b[31mb\n"
				    "oomguard: warning: \\x0a\\x0a"));
	assert_int_equal(out[strlen(out) - 1], '\n');
	log_set_level(LOG_DEBUG);
	capture();
	log_debug("shown");
	assert_string_equal(captured(), "oomguard: debug: shown\n");
	log_set_level(LOG_INFO);
}

/* explain and status lines: a cgroup name cannot drive the terminal. */
static void test_desc_line(void **state)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct describe d = { .text = f };

	(void)state;
	assert_non_null(f);
	desc_line(&d, "\n[%s] %s", "cgroups", "active");
	desc_line(&d, "Now: worst %s: %s", "/a\x1b]0;pwned\x07\n[memory] ok", "kill");
	desc_line(&d, "caf\xc3\xa9 %d", 1);
	fclose(f);
	assert_string_equal(text, "\n[cgroups] active\n"
			    "Now: worst /a\\x1b]0;pwned\\x07\\x0a[memory] ok: kill\n"
			    "caf\xc3\xa9 1\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_line),
		cmocka_unit_test(test_journald_priority),
		cmocka_unit_test(test_utf8_and_bad_bytes),
		cmocka_unit_test(test_levels_text_and_length),
		cmocka_unit_test(test_desc_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
