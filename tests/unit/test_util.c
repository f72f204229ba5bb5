// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "tests/fixture.h"

static void test_parse_u64(void **state)
{
	uint64_t v = 7;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("  42\n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999999", &v), -ERANGE);
	assert_int_equal(v, 7);         /* untouched on error */
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("   ", &v), -EINVAL);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64("12abc", &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", &v), -EINVAL);
	assert_int_equal(parse_u64("1 2", &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999x", &v), -EINVAL);
	assert_int_equal(parse_u64(NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_parse_i64(void **state)
{
	int64_t v = 7;

	assert_int_equal(parse_i64("-1000", &v), 0);
	assert_int_equal(v, -1000);
	assert_int_equal(parse_i64("+5", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(parse_i64("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	v = 7;
	assert_int_equal(parse_i64("9223372036854775808", &v), -ERANGE);
	assert_int_equal(parse_i64("-9223372036854775809", &v), -ERANGE);
	assert_int_equal(parse_i64("--1", &v), -EINVAL);
	assert_int_equal(parse_i64("-", &v), -EINVAL);
	assert_int_equal(parse_i64("1.5", &v), -EINVAL);
	assert_int_equal(v, 7);

	assert_int_equal(parse_int_range("-1000", -1000, 1000, &v), 0);
	assert_int_equal(v, -1000);
	assert_int_equal(parse_int_range("1001", -1000, 1000, &v), -ERANGE);
	assert_int_equal(parse_int_range("-1001", -1000, 1000, &v), -ERANGE);
	assert_int_equal(parse_int_range("x", -1000, 1000, &v), -EINVAL);
	assert_int_equal(v, -1000);
}

static void test_parse_decimal_double(void **state)
{
	const char *s;
	double v;

	(void)state;
	s = "12.25 x";
	assert_int_equal(parse_decimal_double(&s, &v), 0);
	assert_true(v == 12.25);
	assert_string_equal(s, " x");
	s = ".5";
	assert_int_equal(parse_decimal_double(&s, &v), 0);
	assert_true(v == 0.5 && *s == '\0');
	s = "7";
	assert_int_equal(parse_decimal_double(&s, &v), 0);
	assert_true(v == 7 && *s == '\0');
	/* a huge integer part saturates and is consumed whole, fraction too */
	s = "123456789012345678901234567890.5 y";
	assert_int_equal(parse_decimal_double(&s, &v), 0);
	assert_true(v >= 1.8e19);
	assert_string_equal(s, " y");
	s = "x1";
	assert_int_equal(parse_decimal_double(&s, &v), -EINVAL);
	assert_string_equal(s, "x1");
	s = ".";
	assert_int_equal(parse_decimal_double(&s, &v), -EINVAL);
}

static void test_parse_size(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "123", 123 }, { "0", 0 }, { "512K", 512 * 1024 }, { "512KiB", 512 * 1024 },
		{ "512k", 512 * 1024 }, { "512kb", 512 * 1024 }, { "1.5G", 1536ULL << 20 },
		{ "200MB", 200ULL << 20 }, { "1GiB", 1ULL << 30 }, { "2T", 2ULL << 40 },
		{ " 4 M ", 4ULL << 20 }, { "10B", 10 }, { "0.5K", 512 }, { "1.0", 1 },
		{ "16777215T", 16777215ULL << 40 },
	};
	static const char *bad[] = {
		"", "-1", "-1K", "K", "1X", "1KiX", "1Ki", "1.5", "1..5K", "abc", "1 2K",
		"1e3", "0x10", "1GiBB",
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		v = 1;
		assert_int_equal(parse_size(ok[i].s, &v), 0);
		if (v != ok[i].v)
			fail_msg("parse_size(\"%s\") = %llu, want %llu", ok[i].s,
				 (unsigned long long)v, (unsigned long long)ok[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = 1;
		if (parse_size(bad[i], &v) != -EINVAL)
			fail_msg("parse_size(\"%s\") accepted", bad[i]);
		assert_int_equal(v, 1);
	}
	assert_int_equal(parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_parse_duration(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "250ms", 250 }, { "2s", 2000 }, { "1.5s", 1500 }, { "100us", 1 },
		{ "1000us", 1 }, { "1001us", 2 }, { "0us", 0 }, { "1m", 60000 },
		{ "1min", 60000 }, { "2h", 7200000 }, { "250", 250 }, { "0", 0 },
		{ "2S", 2000 }, { " 3 ms ", 3 }, { "0.0015s", 2 }, { "30d", 2592000000ULL },
		{ "1d", 86400000 }, { "1.5d", 129600000 },
	};
	static const char *bad[] = { "", "-1s", "s", "1x", "1 s s", "1ns", "1.s.", "ms" };
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		v = 99;
		assert_int_equal(parse_duration_ms(ok[i].s, &v), 0);
		if (v != ok[i].v)
			fail_msg("parse_duration_ms(\"%s\") = %llu, want %llu", ok[i].s,
				 (unsigned long long)v, (unsigned long long)ok[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = 99;
		if (parse_duration_ms(bad[i], &v) != -EINVAL)
			fail_msg("parse_duration_ms(\"%s\") accepted", bad[i]);
		assert_int_equal(v, 99);
	}
	assert_int_equal(parse_duration_ms("99999999999999999h", &v), -ERANGE);
}

static void test_parse_percent(void **state)
{
	double v = -1;

	assert_int_equal(parse_percent("10", &v), 0);
	assert_true(v == 10.0);
	assert_int_equal(parse_percent("10%", &v), 0);
	assert_true(v == 10.0);
	assert_int_equal(parse_percent("2.5%", &v), 0);
	assert_true(v == 2.5);
	assert_int_equal(parse_percent(" 100 % ", &v), 0);
	assert_true(v == 100.0);
	assert_int_equal(parse_percent("0", &v), 0);
	assert_true(v == 0.0);
	v = -1;
	assert_int_equal(parse_percent("100.01", &v), -ERANGE);
	assert_int_equal(parse_percent("101%", &v), -ERANGE);
	assert_int_equal(parse_percent("-1", &v), -EINVAL);
	assert_int_equal(parse_percent("nan", &v), -EINVAL);
	assert_int_equal(parse_percent("inf", &v), -EINVAL);
	assert_int_equal(parse_percent("1e1", &v), -EINVAL);
	assert_int_equal(parse_percent("10%%", &v), -EINVAL);
	assert_int_equal(parse_percent("", &v), -EINVAL);
	assert_true(v == -1);
}

static void test_files(void **state)
{
	struct fixture *f = fixture_new();
	char buf[8];
	ssize_t n;
	int fd;

	fixture_file(f, "a", "hello world");
	fixture_file(f, "empty", "");
	n = read_file_at(f->dirfd, "a", buf, sizeof(buf));
	assert_int_equal(n, 7);         /* truncated to size - 1 */
	assert_string_equal(buf, "hello w");
	n = read_file_at(f->dirfd, "empty", buf, sizeof(buf));
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	assert_int_equal(read_file_at(f->dirfd, "missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(read_file_at(f->dirfd, "a", buf, 0), -EINVAL);

	/* like a kernel file: written at offset 0, not truncated */
	assert_int_equal(write_file_at(f->dirfd, "a", "bye"), 0);
	n = read_file_at(f->dirfd, "a", buf, sizeof(buf));
	assert_int_equal(n, 7);
	assert_string_equal(buf, "byelo w");
	fixture_file(f, "a", "xyz");
	assert_int_equal(write_file_at(f->dirfd, "a", "bye"), 0);
	n = read_file_at(f->dirfd, "a", buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_string_equal(buf, "bye");
	/* no O_CREAT */
	assert_int_equal(write_file_at(f->dirfd, "new", "x"), -ENOENT);
	/* with O_TRUNC: exactly the last value */
	fixture_file(f, "t", "hello world");
	assert_int_equal(write_file_trunc_at(f->dirfd, "t", "bye"), 0);
	n = read_file_at(f->dirfd, "t", buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_string_equal(buf, "bye");
	assert_int_equal(write_file_trunc_at(f->dirfd, "new", "x"), -ENOENT);

	fd = openat(f->dirfd, "a", O_RDONLY);
	assert_true(fd >= 0);
	for (int i = 0; i < 3; i++) {   /* pread ignores the file offset */
		n = reread_fd(fd, buf, sizeof(buf));
		assert_int_equal(n, 3);
		assert_string_equal(buf, "bye");
	}
	close(fd);
	assert_int_equal(reread_fd(-1, buf, sizeof(buf)), -EBADF);
	fixture_free(f);
}

static void test_read_whole(void **state)
{
	struct fixture *f = fixture_new();
	size_t len = 100000, cap = 0;
	char *big = malloc(len + 1), *buf = NULL;
	pid_t w;

	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	big[len] = '\0';
	fixture_file(f, "big", big);
	fixture_file(f, "empty", "");

	/* from nothing: grown to hold it all */
	assert_int_equal(read_file_whole_at(f->dirfd, "big", &buf, &cap), (ssize_t)len);
	assert_true(cap > len);
	assert_string_equal(buf, big);
	/* reused: an empty file, then a missing one (buffer kept for the caller) */
	assert_int_equal(read_file_whole_at(f->dirfd, "empty", &buf, &cap), 0);
	assert_string_equal(buf, "");
	assert_int_equal(read_file_whole_at(f->dirfd, "missing", &buf, &cap), -ENOENT);
	assert_non_null(buf);
	free(buf);
	buf = NULL;
	cap = 0;
	assert_int_equal(read_file_whole_at(f->dirfd, "missing", &buf, &cap), -ENOENT);
	assert_null(buf);
	assert_int_equal(read_file_whole_at(f->dirfd, "big", NULL, &cap), -EINVAL);

	/* Short reads long before the end. read_file_at takes the first for
	 * the end (which proves the pipe does give short reads) ... */
	char *part = malloc(len + 1);

	assert_non_null(part);
	w = fixture_fifo(f, "pipe", big, len, 1000);
	assert_true(read_file_at(f->dirfd, "pipe", part, len + 1) < (ssize_t)len);
	free(part);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	unlinkat(f->dirfd, "pipe", 0);
	/* ... read_file_whole_at reads on to the end */
	w = fixture_fifo(f, "pipe", big, len, 1000);
	assert_int_equal(read_file_whole_at(f->dirfd, "pipe", &buf, &cap), (ssize_t)len);
	assert_string_equal(buf, big);
	fixture_reap(w);
	free(buf);
	free(big);
	fixture_free(f);
}

static void test_escape(void **state)
{
	char out[64];

	escape_untrusted("bash", out, sizeof(out));
	assert_string_equal(out, "bash");
	escape_untrusted("a\nb\"c\\d'e\x7f", out, sizeof(out));
	assert_string_equal(out, "a\\x0ab\\x22c\\x5cd\\x27e\\x7f");
	/* truncation never splits an escape and always terminates */
	escape_untrusted("ab\n", out, 5);
	assert_string_equal(out, "ab");
	escape_untrusted("abcdef", out, 4);
	assert_string_equal(out, "abc");
	escape_untrusted("x", out, 1);
	assert_string_equal(out, "");
	escape_untrusted(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

/* Well-formed UTF-8 is readable; everything a terminal or a log reader
 * could take for a control, and every byte that is not well-formed, is not. */
static void test_escape_utf8(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "caf\xc3\xa9", "caf\xc3\xa9" },                        /* café */
		{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" }, /* 日本 */
		{ "\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!" },            /* U+1F600, 4 bytes */
		{ "\xc2\xa0\xef\xbf\xbd", "\xc2\xa0\xef\xbf\xbd" },      /* U+00A0, U+FFFD */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },              /* U+10FFFF, the last */
		/* C1 controls (U+0085 NEL, U+009B CSI) */
		{ "a\xc2\x85" "b\xc2\x9b" "31m", "a\\xc2\\x85b\\xc2\\x9b31m" },
		/* ASCII controls, DEL, an ANSI escape */
		{ "\x1b[31mred\x7f\t", "\\x1b[31mred\\x7f\\x09" },
		/* lone continuation bytes, a lead byte without its tail */
		{ "\x80x\xbf", "\\x80x\\xbf" },
		{ "\xc3", "\\xc3" },
		{ "\xe6\x97", "\\xe6\\x97" },
		{ "\xc3(", "\\xc3(" },
		/* overlong forms: "/" as 2 bytes, NUL as 2, U+0000 as 3 and 4 */
		{ "\xc0\xaf", "\\xc0\\xaf" },
		{ "\xc1\xbf", "\\xc1\\xbf" },
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
		{ "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf" },
		/* surrogates (U+D800, U+DFFF), past U+10FFFF, never-valid bytes */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "\xed\xbf\xbf", "\\xed\\xbf\\xbf" },
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
		{ "\xf5\xfe\xff", "\\xf5\\xfe\\xff" },
		/* a bad byte does not swallow the good character after it */
		{ "\xff\xc3\xa9", "\\xff\xc3\xa9" },
		/* quotes and backslashes stay escaped */
		{ "\"\xc3\xa9'\\", "\\x22\xc3\xa9\\x27\\x5c" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		escape_untrusted(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
	/* truncation never splits a character: 3 bytes of "日" need 4 */
	escape_untrusted("a\xe6\x97\xa5", out, 4);
	assert_string_equal(out, "a");
	escape_untrusted("a\xe6\x97\xa5", out, 5);
	assert_string_equal(out, "a\xe6\x97\xa5");
	/* a whole log line keeps its quotes; backslashes and controls go */
	assert_int_equal(escape_log("got \"caf\xc3\xa9\n<0>x\\y\"", out, sizeof(out)),
			 strlen("got \"caf\xc3\xa9\\x0a<0>x\\x5cy\""));
	assert_string_equal(out, "got \"caf\xc3\xa9\\x0a<0>x\\x5cy\"");
}

static void test_clocks(void **state)
{
	uint64_t a = now_us(), b, ms = now_ms();

	usleep(2000);
	b = now_us();
	assert_true(b >= a + 2000);
	assert_true(b - a < 5000000);
	assert_true(now_ms() >= ms + 2);
	/* after 2020-01-01 */
	assert_true(realtime_ms() > 1577836800000ULL);
}

static void test_timerfd(void **state)
{
	struct itimerspec its;
	struct pollfd pfd;
	uint64_t x;
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	assert_true(tfd >= 0);
	/* far ahead: armed for about that long, once (no interval) */
	assert_int_equal(timerfd_arm_ms(tfd, 60500), 0);
	assert_int_equal(timerfd_gettime(tfd, &its), 0);
	assert_true(its.it_value.tv_sec == 60 || (its.it_value.tv_sec == 59 && its.it_value.tv_nsec > 0));
	assert_true(its.it_interval.tv_sec == 0 && its.it_interval.tv_nsec == 0);
	assert_int_equal(timerfd_disarm(tfd), 0);
	assert_int_equal(timerfd_gettime(tfd, &its), 0);
	assert_true(its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0);
	/* 0 means as soon as possible, not "disarmed" */
	assert_int_equal(timerfd_arm_ms(tfd, 0), 0);
	pfd = (struct pollfd){ .fd = tfd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(read(tfd, &x, sizeof(x)), (ssize_t)sizeof(x));
	assert_true(x == 1);
	assert_int_equal(timerfd_arm_ms(tfd, 2), 0);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	close(tfd);
	assert_int_equal(timerfd_arm_ms(-1, 5), -EBADF);
	assert_int_equal(timerfd_disarm(-1), -EBADF);
}

/* open_mkdir_parent: the missing directory of a file to create is made
 * 0700, one level only; without O_CREAT nothing is made. */
static void test_open_mkdir_parent(void **state)
{
	struct fixture *f = fixture_new();
	char path[PATH_MAX + 32];
	struct stat st;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/dir/file", f->dir);
	assert_int_equal(open_mkdir_parent(path, O_RDONLY, 0600), -ENOENT);
	assert_int_equal(fstatat(f->dirfd, "dir", &st, 0), -1);    /* nothing made */
	fd = open_mkdir_parent(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(f->dirfd, "dir", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstatat(f->dirfd, "dir/file", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/a/b/file", f->dir);       /* two levels: no */
	assert_int_equal(open_mkdir_parent(path, O_WRONLY | O_CREAT, 0600), -ENOENT);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_decimal_double),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_percent),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_read_whole),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_timerfd),
		cmocka_unit_test(test_open_mkdir_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
