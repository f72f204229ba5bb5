/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
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
	assert_int_equal(registry_update(dir, &pid, 8), 0);
	assert_int_equal(registry_update(dir, &cg, 50), 0);
	assert_int_equal(registry_update(dir, &pid, 9), 0);     /* replaces */
	assert_int_equal(registry_refresh(dir, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(registry_lookup(&r, 42, 1000, NULL, &v));
	assert_int_equal(v, 9);
	assert_int_equal(registry_update(dir, &pid, -1), 0);    /* clear */
	assert_int_equal(registry_update(dir, &pid, -1), -ENOENT);
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
		cmocka_unit_test(test_xattr_nearest_ancestor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
