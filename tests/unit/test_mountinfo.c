// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "observe/mountinfo.h"
#include "tests/fixture.h"

static bool span_eq(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

static void test_next(void **state)
{
	const char *buf =
		"35 24 0:30 / /sys/fs/cgroup rw,nosuid shared:9 master:1 - cgroup2 cgroup2 rw,nsdelegate\n"
		"garbage\n"
		"\n"
		"36  24  0:31  /  /a\\040b  rw  -  tmpfs  none  rw,size=1k\n"
		"37 24 0:32 / /no-super rw - proc proc\n"
		"38 24 0:33 / /no-type rw -\n"
		"39 24 0:34 / /no-sep rw shared:1\n"
		"40 24 0:35 / /last ro - ext4 /dev/x ro";
	const char *pos = buf;
	struct mountinfo_line l;

	assert_int_equal(mountinfo_next(&pos, &l), 0);
	assert_true(span_eq(l.mnt, l.mnt_len, "/sys/fs/cgroup"));
	assert_true(span_eq(l.fstype, l.fstype_len, "cgroup2"));
	assert_true(span_eq(l.super_opts, l.super_opts_len, "rw,nsdelegate"));
	assert_int_equal(l.major, 0);
	assert_int_equal(l.minor, 30);
	assert_true(span_eq(l.root, l.root_len, "/"));
	assert_true(span_eq(l.opts, l.opts_len, "rw,nosuid"));
	assert_true(span_eq(l.source, l.source_len, "cgroup2"));
	assert_int_equal(mountinfo_next(&pos, &l), -EINVAL);      /* garbage: skipped */
	assert_int_equal(mountinfo_next(&pos, &l), -EINVAL);      /* empty line */
	/* runs of spaces separate fields too; the mount point stays escaped */
	assert_int_equal(mountinfo_next(&pos, &l), 0);
	assert_true(span_eq(l.mnt, l.mnt_len, "/a\\040b"));
	assert_true(span_eq(l.fstype, l.fstype_len, "tmpfs"));
	assert_true(span_eq(l.super_opts, l.super_opts_len, "rw,size=1k"));
	assert_int_equal(mountinfo_next(&pos, &l), 0);
	assert_true(span_eq(l.mnt, l.mnt_len, "/no-super"));
	assert_int_equal(l.super_opts_len, 0);
	assert_int_equal(mountinfo_next(&pos, &l), -EINVAL);
	assert_int_equal(mountinfo_next(&pos, &l), -EINVAL);
	/* the last line needs no newline */
	assert_int_equal(mountinfo_next(&pos, &l), 0);
	assert_true(span_eq(l.mnt, l.mnt_len, "/last"));
	assert_true(span_eq(l.fstype, l.fstype_len, "ext4"));
	assert_true(span_eq(l.source, l.source_len, "/dev/x"));
	assert_true(mountinfo_has_opt(l.super_opts, l.super_opts_len, "ro"));
	assert_false(mountinfo_has_opt(l.super_opts, l.super_opts_len, "r"));
	assert_int_equal(mountinfo_next(&pos, &l), -ENOENT);
	assert_int_equal(mountinfo_next(&pos, &l), -ENOENT);
	pos = NULL;
	assert_int_equal(mountinfo_next(&pos, &l), -ENOENT);
}

/* MAJ:MIN: the device of the superblock; anything else makes the line bad. */
static void test_devno(void **state)
{
	const char *buf =
		"26 1 259:1048575 /sub /srv/data rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,subvol=/sub\n"
		"27 1 8:1:2 / /a rw - ext4 /dev/sda1 rw\n"
		"28 1 8 / /b rw - ext4 /dev/sda1 rw\n"
		"29 1 :1 / /c rw - ext4 /dev/sda1 rw\n"
		"30 1 8: / /d rw - ext4 /dev/sda1 rw\n"
		"31 1 -8:1 / /e rw - ext4 /dev/sda1 rw\n"
		"32 1 4294967296:1 / /f rw - ext4 /dev/sda1 rw\n"
		"33 1 4294967295:4294967295 / /g - xfs /dev/x rw\n";
	const char *pos = buf;
	struct mountinfo_line l;

	assert_int_equal(mountinfo_next(&pos, &l), 0);
	assert_int_equal(l.major, 259);
	assert_int_equal(l.minor, 1048575);
	assert_true(span_eq(l.root, l.root_len, "/sub"));
	assert_true(span_eq(l.mnt, l.mnt_len, "/srv/data"));
	assert_true(span_eq(l.opts, l.opts_len, "rw,relatime"));
	for (int i = 0; i < 6; i++)
		assert_int_equal(mountinfo_next(&pos, &l), -EINVAL);
	/* the largest; and no mount options at all before the separator */
	assert_int_equal(mountinfo_next(&pos, &l), 0);
	assert_int_equal(l.major, 4294967295u);
	assert_int_equal(l.minor, 4294967295u);
	assert_int_equal(l.opts_len, 0);
	assert_true(span_eq(l.fstype, l.fstype_len, "xfs"));
}

static void test_unescape(void **state)
{
	char out[8];
	const char *s;

	s = "/a\\040b";
	assert_int_equal(mountinfo_unescape(s, strlen(s), out, sizeof(out)), 0);
	assert_string_equal(out, "/a b");
	s = "\\011\\012\\134";      /* tab, newline, backslash */
	assert_int_equal(mountinfo_unescape(s, strlen(s), out, sizeof(out)), 0);
	assert_string_equal(out, "\t\n\\");
	/* not an escape: kept as it is (first digit 0-3, then 0-7, all three) */
	s = "\\400\\08";
	assert_int_equal(mountinfo_unescape(s, strlen(s), out, sizeof(out)), 0);
	assert_string_equal(out, "\\400\\08");
	s = "x\\04";                  /* cut short at the end */
	assert_int_equal(mountinfo_unescape(s, strlen(s), out, sizeof(out)), 0);
	assert_string_equal(out, "x\\04");
	/* only [s, s+len) */
	assert_int_equal(mountinfo_unescape("abcdef", 3, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	strcpy(out, "keep");
	assert_int_equal(mountinfo_unescape("", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_unescape("abcdefgh", 8, out, sizeof(out)), -ENAMETOOLONG);
	assert_string_equal(out, "keep");
	assert_int_equal(mountinfo_unescape("abcdefg", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "abcdefg");
	/* an escape counts as one byte of room */
	s = "abcdef\\040";
	assert_int_equal(mountinfo_unescape(s, strlen(s), out, sizeof(out)), 0);
	assert_string_equal(out, "abcdef ");
	assert_int_equal(mountinfo_unescape("a", 1, out, 0), -EINVAL);
}

/* This machine's mountinfo: cgroup v1 controllers plus a v2 "unified" mount. */
static const char mountinfo_hybrid[] =
	"21 26 0:20 / /proc rw,relatime - proc proc rw\n"
	"22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n"
	"26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_cgroup2(void **state)
{
	char path[64];

	assert_int_equal(parse_mountinfo_cgroup2(mountinfo_hybrid, path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup/unified");
	/* pure v2 with optional fields; the first cgroup2 mount wins */
	assert_int_equal(parse_mountinfo_cgroup2(
		"35 24 0:30 / /sys/fs/cgroup rw,nosuid shared:9 master:1 - cgroup2 cgroup2 rw,nsdelegate\n"
		"99 24 0:31 / /mnt/other rw - cgroup2 none rw\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup");
	/* octal escapes in the mount point */
	assert_int_equal(parse_mountinfo_cgroup2(
		"35 24 0:30 / /mnt/my\\040cg\\134x rw - cgroup2 cgroup2 rw", path, sizeof(path)), 0);
	assert_string_equal(path, "/mnt/my cg\\x");
	/* "cgroup2" as a mount source or option or optional field is not the type */
	strcpy(path, "keep");
	assert_int_equal(parse_mountinfo_cgroup2(
		"31 30 0:28 / /cgroup2 rw cgroup2 - cgroup cgroup2 cgroup2\n"
		"31 30 0:28 / /x rw - cgroup2fs none rw\n", path, sizeof(path)), -ENOENT);
	assert_int_equal(parse_mountinfo_cgroup2("", path, sizeof(path)), -ENOENT);
	assert_int_equal(parse_mountinfo_cgroup2("1 2 3\n - cgroup2\n", path, sizeof(path)), -ENOENT);
	assert_string_equal(path, "keep");
	assert_int_equal(parse_mountinfo_cgroup2(mountinfo_hybrid, path, 10), -ENAMETOOLONG);
}

static void test_cgroup1(void **state)
{
	const char *mi =
		"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:15 - cgroup cgroup rw,memory\n"
		"31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
		"36 30 0:33 / /sys/fs/cgroup/net_cls rw - cgroup cgroup rw,net_cls\n"
		"37 30 0:34 / /mnt/with\\040space rw - cgroup cgroup rw,blkio\n";
	char p[PATH_MAX];

	assert_int_equal(parse_mountinfo_cgroup1(mi, "memory", p, sizeof(p)), 0);
	assert_string_equal(p, "/sys/fs/cgroup/memory");
	assert_int_equal(parse_mountinfo_cgroup1(mi, "cpu", p, sizeof(p)), 0);
	assert_string_equal(p, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(parse_mountinfo_cgroup1(mi, "blkio", p, sizeof(p)), 0);
	assert_string_equal(p, "/mnt/with space");
	/* "cpu" is not "cpuacct" or "cpuset" */
	assert_int_equal(parse_mountinfo_cgroup1("1 2 0:1 / /x rw - cgroup cgroup rw,cpuset\n", "cpu",
						 p, sizeof(p)), -ENOENT);
	assert_int_equal(parse_mountinfo_cgroup1("1 2 0:1 / /x rw - cgroup2 cgroup2 rw\n", "memory",
						 p, sizeof(p)), -ENOENT);
	assert_int_equal(parse_mountinfo_cgroup1("garbage\n\n", "memory", p, sizeof(p)), -ENOENT);
	assert_int_equal(parse_mountinfo_cgroup1(mi, "memory", p, 5), -ENAMETOOLONG);
}

/* Read-only: this machine's mountinfo, read whole, parses (v2 may be absent). */
static void test_real_mountinfo(void **state)
{
	char *buf = NULL, path[4096];
	size_t cap = 0;
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n = proc < 0 ? -1 : mountinfo_read(proc, &buf, &cap);
	int r;

	if (proc >= 0)
		close(proc);
	if (n <= 0) {
		free(buf);
		skip();
	}
	r = parse_mountinfo_cgroup2(buf, path, sizeof(path));
	if (strstr(buf, " - cgroup2 ")) {
		assert_int_equal(r, 0);
		assert_true(path[0] == '/');
	} else {
		assert_int_equal(r, -ENOENT);
	}
	free(buf);
}

/* A container host's mountinfo is far longer than a page, and the kernel
 * gives it a page per read(): the cgroup2 line at its end is still found,
 * from a file and through a pipe's short reads. */
static void test_read_whole(void **state)
{
	struct fixture *f = fixture_new();
	size_t size = 4000 * 96 + 256, o = 0;
	char *mi = malloc(size), *buf = NULL, path[PATH_MAX];
	size_t cap = 0;
	int proc;
	pid_t w;

	assert_non_null(mi);
	for (int i = 0; i < 4000; i++)
		o += (size_t)snprintf(mi + o, size - o,
				      "%d 24 0:%d / /run/containers/c%d/merged rw,relatime - overlay overlay rw\n",
				      100 + i, 100 + i, i);
	o += (size_t)snprintf(mi + o, size - o,
			      "9000 24 0:99 / /sys/fs/cgroup\\040v2 rw - cgroup2 cgroup2 rw\n");
	assert_true(o > 300000 && o < size);
	fixture_file(f, "proc/self/mountinfo", mi);
	proc = fixture_open_dir(f, "proc");

	assert_int_equal(mountinfo_read(proc, &buf, &cap), (ssize_t)o);
	assert_string_equal(buf, mi);
	assert_int_equal(mountinfo_cgroup2_root(proc, path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup v2");

	assert_int_equal(unlinkat(f->dirfd, "proc/self/mountinfo", 0), 0);
	w = fixture_fifo(f, "proc/self/mountinfo", mi, o, 4096);
	strcpy(path, "");
	assert_int_equal(mountinfo_cgroup2_root(proc, path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup v2");
	fixture_reap(w);

	assert_int_equal(unlinkat(f->dirfd, "proc/self/mountinfo", 0), 0);
	assert_int_equal(mountinfo_cgroup2_root(proc, path, sizeof(path)), -ENOENT);
	close(proc);
	free(buf);
	free(mi);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_devno),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_cgroup2),
		cmocka_unit_test(test_cgroup1),
		cmocka_unit_test(test_read_whole),
		cmocka_unit_test(test_real_mountinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
