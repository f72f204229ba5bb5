/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "core/context.h"
#include "core/util.h"
#include "observe/registry.h"

static struct registry r;

static void test_parse_format_lookup(void **state)
{
	char buf[4096];
	int line = 0;
	int64_t v;

	(void)state;
	assert_int_equal(parse_registry("# values\npid 42 1000 8\ncgroup /a 3\ncgroup /a/b 5\n\n", &r, &line), 0);
	assert_int_equal(r.n, 3);
	assert_true(registry_lookup(&r, 42, 1000, "/a/b/c", &v));
	assert_int_equal(v, 8);                         /* pid first */
	assert_false(registry_lookup(&r, 42, 999, NULL, &v));  /* reused pid: not it */
	assert_true(registry_lookup(&r, 7, 1, "/a/b/c", &v));
	assert_int_equal(v, 5);                         /* nearest ancestor */
	assert_true(registry_lookup(&r, 7, 1, "/a/x", &v));
	assert_int_equal(v, 3);
	assert_false(registry_lookup(&r, 7, 1, "/ab", &v));
	assert_true(format_registry(&r, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "pid 42 1000 8\ncgroup /a 3\ncgroup /a/b 5\n");
	assert_int_equal(format_registry(&r, buf, 10), -ENOSPC);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"pid 42 1000\n", "pid -1 5 5\n", "pid 42 1000 1000001\n", "cgroup a 3\n",
		"cgroup /a x\n", "what 1 2\n", "pid 42 1000 8 extra junk that is long\n",
	};
	int line;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		line = 0;
		assert_int_equal(parse_registry(bad[i], &r, &line), -EINVAL);
		assert_int_equal(line, 1);
	}
	assert_int_equal(parse_registry("cgroup /a 1\npid x 1 1\n", &r, &line), -EINVAL);
	assert_int_equal(line, 2);
}

/* Found by fuzz_registry: a field longer than its sscanf width was split in
 * two, so "pid 2 <36 digits>" (three fields) read as pid 2, start time 0,
 * value 0; a long cgroup value the same. Fields are whole or the line is bad. */
static void test_parse_long_fields(void **state)
{
	int line;

	(void)state;
	line = 0;
	assert_int_equal(parse_registry("pid 2 000000000000000000000000000000000001\n", &r, &line),
			 -EINVAL);
	assert_int_equal(line, 1);
	line = 0;
	assert_int_equal(parse_registry("cgroup /a 1\ncgroup /b 00000000000000000000000000000000005\n"
					"pid 3 00000000000000000000000000000000007\n", &r, &line), -EINVAL);
	assert_int_equal(line, 3);
	/* leading zeros in a whole field are still a number */
	assert_int_equal(parse_registry("pid 2 000000000000000000000000000000000001 5\n", &r, &line), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].starttime, 1);
	assert_int_equal(r.e[0].value, 5);
	/* other blanks separate fields as before */
	assert_int_equal(parse_registry("pid\t4 7\t9\r\ncgroup  /x   3\n", &r, &line), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.e[1].value, 3);
}

static void test_update_and_refresh(void **state)
{
	struct fixture *f = fixture_new();
	int dir = fixture_open_dir(f, "");
	struct registry_entry pid = { .is_pid = true, .pid = 42, .starttime = 1000 };
	struct registry_entry cg = { .cgroup = "/system.slice/db.service" };
	int64_t v;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(registry_refresh(dir, &r), 0);         /* no file: empty */
	assert_int_equal(r.n, 0);
	assert_int_equal(registry_update(dir, &pid, 8, NULL), 0);
	assert_int_equal(registry_update(dir, &cg, 50, NULL), 0);
	assert_int_equal(registry_update(dir, &pid, 9, NULL), 0);     /* replaces */
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(registry_lookup(&r, 42, 1000, NULL, &v));
	assert_int_equal(v, 9);
	assert_int_equal(registry_update(dir, &pid, -1, NULL), 0);    /* clear */
	assert_int_equal(registry_update(dir, &pid, -1, NULL), -ENOENT);
	usleep(10000);
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_int_equal(r.n, 1);
	/* A file others may write is refused: values could shield anyone. */
	assert_int_equal(fchmodat(dir, "values", 0666, 0), 0);
	assert_int_equal(registry_refresh(dir, &r), -EPERM);
	assert_int_equal(r.n, 0);
	close(dir);
	fixture_free(f);
}

static int saved_err = -1, log_rd = -1;

static void capture(void)
{
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	saved_err = dup(STDERR_FILENO);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	log_rd = p[0];
}

static const char *captured(void)
{
	static char buf[8192];
	ssize_t n;

	assert_int_equal(dup2(saved_err, STDERR_FILENO), STDERR_FILENO);
	close(saved_err);
	n = read(log_rd, buf, sizeof(buf) - 1);
	close(log_rd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

/* The directory is checked as well as the file: a registry in a directory
 * others may write is not trusted (they could swap the file), and the
 * refusal is said once, not on every look. */
static void test_directory_checked(void **state)
{
	struct fixture *f = fixture_new();
	int dir = fixture_open_dir(f, "");
	struct registry_entry pid = { .is_pid = true, .pid = 42, .starttime = 1000 };
	char why[REGISTRY_WHY_MAX], msg[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(fchmod(dir, 0755), 0);
	assert_int_equal(registry_update(dir, &pid, 8, why), 0);
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(fchmod(dir, 0777), 0);
	assert_int_equal(registry_refresh(dir, &r), -EPERM);
	assert_int_equal(r.n, 0);
	assert_true(r.changed);
	assert_true(r.dir_refused);
	assert_string_equal(registry_strerror(&r, msg, sizeof(msg)),
			    "its directory is writable by group or others");
	assert_int_equal(registry_refresh(dir, &r), -EPERM);
	assert_false(r.changed);                        /* reported once */
	/* nor are values written there */
	assert_int_equal(registry_update(dir, &pid, 9, why), -EPERM);
	assert_string_equal(why, "its directory is writable by group or others");
	assert_int_equal(fchmod(dir, 0775), 0);
	assert_int_equal(registry_refresh(dir, &r), -EPERM);
	assert_int_equal(fchmod(dir, 0755), 0);
	assert_int_equal(fchown(dir, 1000, 0), 0);
	assert_int_equal(registry_refresh(dir, &r), -EPERM);
	assert_true(r.changed);
	assert_string_equal(registry_strerror(&r, msg, sizeof(msg)),
			    "its directory is not owned by root");
	assert_int_equal(fchown(dir, 0, 0), 0);
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_true(r.changed);
	assert_int_equal(r.n, 1);                       /* back in use */
	/* the file itself: others' or a symlink */
	assert_int_equal(fchownat(dir, "values", 1000, 0, 0), 0);
	assert_int_equal(registry_refresh(dir, &r), -EPERM);
	assert_string_equal(registry_strerror(&r, msg, sizeof(msg)), "it is not owned by root");
	assert_int_equal(registry_update(dir, &pid, 9, why), -EPERM);
	assert_string_equal(why, "it is not owned by root");
	assert_int_equal(unlinkat(dir, "values", 0), 0);
	fixture_file(f, "elsewhere", "pid 42 1000 8\n");
	assert_int_equal(symlinkat("elsewhere", dir, "values"), 0);
	assert_int_equal(registry_refresh(dir, &r), -ELOOP);
	assert_int_equal(r.n, 0);
	assert_string_equal(registry_strerror(&r, msg, sizeof(msg)), "it is a symbolic link");
	close(dir);
	fixture_free(f);
}

/* A malformed file is ignored whole (no half of it in force, nor the last
 * good one) and said once per change of the file. */
static void test_malformed_reported(void **state)
{
	struct fixture *f = fixture_new();
	int dir = fixture_open_dir(f, "");
	struct registry_entry pid = { .is_pid = true, .pid = 7, .starttime = 70 };
	char why[REGISTRY_WHY_MAX], msg[256];
	struct timespec later = { 0, 20 * 1000 * 1000 };

	(void)state;
	memset(&r, 0, sizeof(r));
	fixture_file(f, "values", "pid 42 1000 8\n");
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_int_equal(r.n, 1);
	nanosleep(&later, NULL);
	fixture_file(f, "values", "pid 42 1000 8\ncgroup /a lots\n");
	assert_int_equal(registry_refresh(dir, &r), -EINVAL);
	assert_int_equal(r.n, 0);
	assert_true(r.changed);
	assert_int_equal(r.line, 2);
	registry_strerror(&r, msg, sizeof(msg));
	assert_non_null(strstr(msg, "line 2 is malformed"));
	assert_int_equal(registry_refresh(dir, &r), -EINVAL);
	assert_false(r.changed);
	nanosleep(&later, NULL);
	fixture_file(f, "values", "pid 42 1000 8\ncgroup /a lots\n");     /* rewritten, still bad */
	assert_int_equal(registry_refresh(dir, &r), -EINVAL);
	assert_true(r.changed);
	/* `value set` will not build on it */
	assert_int_equal(registry_update(dir, &pid, 3, why), -EINVAL);
	assert_string_equal(why, "line 2 is malformed; fix or remove it first");
	close(dir);
	fixture_free(f);
}

/* The daemon logs each new reason once, and the registry's return. */
static void test_logged_once(void **state)
{
	struct fixture *f = fixture_new();
	struct og_opts o = { .psi_mode = -1, .runtime_dir = f->dir };
	struct og_ctx c = { .opts = &o, .runtime_fd = -1, .reg = &r, .log_registry = true };
	struct timespec later = { 0, 20 * 1000 * 1000 };
	const char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	fixture_file(f, "values", "pid 42 1000 8\nbad\n");
	capture();
	ctx_refresh_registry(&c);
	ctx_refresh_registry(&c);
	ctx_refresh_registry(&c);
	out = captured();
	assert_int_equal(count(out, "\n"), 1);
	assert_non_null(strstr(out, "/values: ignored, no values are taken from it: line 2 is malformed"));
	nanosleep(&later, NULL);
	fixture_file(f, "values", "pid 42 1000 8\n");
	capture();
	ctx_refresh_registry(&c);
	ctx_refresh_registry(&c);
	out = captured();
	assert_int_equal(count(out, "\n"), 1);
	assert_non_null(strstr(out, "/values: in use again, 1 entry"));
	assert_int_equal(r.n, 1);
	close(c.runtime_fd);
	fixture_free(f);
}

/* Files written in the registry's directory never go through a symlink:
 * a stale values.tmp (a symlink planted to make root overwrite a file) is
 * removed, not followed; a .lock symlink is refused. */
static void test_no_symlink_writes(void **state)
{
	struct fixture *f = fixture_new();
	int dir = fixture_open_dir(f, "");
	struct registry_entry pid = { .is_pid = true, .pid = 42, .starttime = 1000 };
	char why[REGISTRY_WHY_MAX], buf[256];
	struct stat st;

	(void)state;
	memset(&r, 0, sizeof(r));
	fixture_file(f, "precious", "do not touch\n");
	assert_int_equal(symlinkat("precious", dir, "values.tmp"), 0);
	assert_int_equal(registry_update(dir, &pid, 8, why), 0);
	assert_true(read_file_at(dir, "precious", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "do not touch\n");
	assert_int_equal(fstatat(dir, "values", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(fstatat(dir, "values.tmp", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_int_equal(r.n, 1);
	/* a stale regular temporary (a crashed update) goes the same way */
	fixture_file(f, "values.tmp", "junk\n");
	assert_int_equal(registry_update(dir, &pid, 9, why), 0);
	/* the lock */
	assert_int_equal(unlinkat(dir, ".lock", 0), 0);
	assert_int_equal(symlinkat("made-by-root", dir, ".lock"), 0);
	assert_int_equal(registry_update(dir, &pid, 10, why), -ELOOP);
	assert_int_equal(fstatat(dir, "made-by-root", &st, AT_SYMLINK_NOFOLLOW), -1);
	close(dir);
	fixture_free(f);
}

static void test_xattr_nearest_ancestor(void **state)
{
	struct fixture *f = fixture_new();
	char path[4200];
	int root;
	int64_t v = -1;

	(void)state;
	fixture_dir(f, "a/b/c");
	snprintf(path, sizeof(path), "%s/a", f->dir);
	if (setxattr(path, REGISTRY_XATTR, "7", 1, 0) < 0) {
		fixture_free(f);
		skip();         /* no trusted.* xattrs here (needs CAP_SYS_ADMIN) */
	}
	root = fixture_open_dir(f, "");
	assert_int_equal(cgroup_value_xattr(root, "/a/b/c", &v), 0);
	assert_int_equal(v, 7);
	snprintf(path, sizeof(path), "%s/a/b", f->dir);
	assert_int_equal(setxattr(path, REGISTRY_XATTR, "12", 2, 0), 0);
	assert_int_equal(cgroup_value_xattr(root, "/a/b/c", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(setxattr(path, REGISTRY_XATTR, "junk", 4, 0), 0);
	assert_int_equal(cgroup_value_xattr(root, "/a/b/c", &v), 0);
	assert_int_equal(v, 7);                         /* a bad value is skipped */
	fixture_dir(f, "z");
	assert_int_equal(cgroup_value_xattr(root, "/z", &v), -ENODATA);
	close(root);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format_lookup),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_long_fields),
		cmocka_unit_test(test_update_and_refresh),
		cmocka_unit_test(test_directory_checked),
		cmocka_unit_test(test_malformed_reported),
		cmocka_unit_test(test_logged_once),
		cmocka_unit_test(test_no_symlink_writes),
		cmocka_unit_test(test_xattr_nearest_ancestor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
