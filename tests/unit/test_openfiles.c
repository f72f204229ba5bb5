/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who has a file open: the maps line and fdinfo parsers on real and hostile
 * lines, the scanner on a fixture /proc (its fd links are symlinks to real
 * files, which stat follows as it follows the kernel's magic links), a
 * process whose fds may not be read, and this process's own files on the
 * real /proc: one open for writing, one only mapped. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "fixture.h"
#include "observe/openfiles.h"

static void test_maps_line(void **state)
{
	struct maps_entry m;
	const char *l;

	l = "7f1c2a000000-7f1c2a021000 r--p 00000000 fd:01 1234567                    /usr/lib/libc.so.6";
	assert_int_equal(parse_maps_line(l, strlen(l), &m), 0);
	assert_int_equal(m.major, 0xfd);
	assert_int_equal(m.minor, 1);
	assert_int_equal(m.ino, 1234567);
	l = "7ffd5c6d2000-7ffd5c6f3000 rw-p 00000000 00:00 0                          [stack]";
	assert_int_equal(parse_maps_line(l, strlen(l), &m), 0);
	assert_int_equal(m.ino, 0);
	/* no path; the largest numbers; upper-case hex */
	l = "00400000-00452000 r-xp 00000000 FFFFFFFF:ffffffff 18446744073709551615";
	assert_int_equal(parse_maps_line(l, strlen(l), &m), 0);
	assert_int_equal(m.major, 0xffffffffu);
	assert_int_equal(m.ino, UINT64_MAX);
	/* only [line, line+len) */
	l = "00400000-00452000 r-xp 00000000 08:02 42 /x\n00400000-00452000 r-xp 00000000 zz";
	assert_int_equal(parse_maps_line(l, strcspn(l, "\n"), &m), 0);
	assert_int_equal(m.ino, 42);
	m.ino = 7;
	static const char *const bad[] = {
		"", "00400000-00452000", "00400000-00452000 r-xp 00000000",
		"00400000-00452000 r-xp 00000000 08:02", "00400000-00452000 r-xp 00000000 0802 42",
		"00400000-00452000 r-xp 00000000 zz:02 42", "00400000-00452000 r-xp 00000000 08: 42",
		"00400000-00452000 r-xp 00000000 100000000:02 42",
		"00400000-00452000 r-xp 00000000 08:02 18446744073709551616",
		"00400000-00452000 r-xp 00000000 08:02 42x /x", "00400000-00452000 r-xp 00000000 08:02 -1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_maps_line(bad[i], strlen(bad[i]), &m) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(m.ino, 7);             /* untouched on failure */
	assert_int_equal(parse_maps_line(NULL, 0, &m), -EINVAL);
}

static void test_fdinfo_flags(void **state)
{
	unsigned f = 1;

	assert_int_equal(parse_fdinfo_flags("pos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t7\n", &f), 0);
	assert_int_equal(f, 0100002);
	assert_int_equal(parse_fdinfo_flags("flags:  02", &f), 0);
	assert_int_equal(f, 2);
	f = 5;
	assert_int_equal(parse_fdinfo_flags("pos:\t0\nmnt_id:\t25\n", &f), -ENOENT);
	assert_int_equal(parse_fdinfo_flags("xflags:\t02\n", &f), -ENOENT);
	assert_int_equal(parse_fdinfo_flags("flags:\t09\n", &f), -EINVAL);
	assert_int_equal(parse_fdinfo_flags("flags:\t\n", &f), -EINVAL);
	assert_int_equal(parse_fdinfo_flags("flags:\t02 x\n", &f), -EINVAL);
	assert_int_equal(parse_fdinfo_flags("flags:\t77777777777\n", &f), -EINVAL);   /* > 32 bits */
	assert_int_equal(f, 5);
	assert_int_equal(parse_fdinfo_flags(NULL, &f), -EINVAL);
}

struct seen {
	uint64_t only[2];               /* these inodes only, where set */
	int n, fds, maps, pid[8], fd[8];
	unsigned flags[8];
	char link[8][256];
	uint64_t ino[8];
};

static int collect(const struct of_hit *h, void *userdata)
{
	struct seen *s = userdata;

	if (s->only[0] && h->ino != s->only[0] && h->ino != s->only[1])
		return 0;
	if (s->n < 8) {
		s->pid[s->n] = h->pid;
		s->fd[s->n] = h->fd;
		s->flags[s->n] = h->flags;
		s->ino[s->n] = h->ino;
		snprintf(s->link[s->n], sizeof(s->link[0]), "%s", h->link ? h->link : "");
	}
	s->n++;
	*(h->fd >= 0 ? &s->fds : &s->maps) += 1;
	return 0;
}

static void test_scan_fixture(void **state)
{
	struct fixture *f = fixture_new();
	struct fixture_proc p = { .pid = 100, .comm = "writer", .cmdline = "writer" };
	struct fixture_proc k = { .pid = 2, .comm = "kthreadd", .kthread = 1 };
	struct fixture_proc q = { .pid = 300, .comm = "secret", .cmdline = "secret" };
	char target[4200], maps[9000], other[4200];
	struct stat st;
	struct seen s = { 0 };
	dev_t dev;
	struct of_scan sc = { .devs = &dev, .ndevs = 1, .what = OF_FDS | OF_MAPS | OF_FLAGS | OF_LINK,
			      .hit = collect, .userdata = &s };
	int proc;

	fixture_file(f, "data/log.1", "old log\n");
	fixture_file(f, "data/lib.so", "mapped\n");
	snprintf(target, sizeof(target), "%s/data/log.1", f->dir);
	assert_int_equal(stat(target, &st), 0);
	dev = st.st_dev;
	fixture_proc(f, "proc", &p);
	fixture_symlink(f, "proc/100/fd/3", target);
	fixture_symlink(f, "proc/100/fd/4", "/dev/null");        /* not a regular file */
	fixture_symlink(f, "proc/100/fd/5", "/nonexistent");     /* closed meanwhile */
	fixture_file(f, "proc/100/fdinfo/3", "pos:\t0\nflags:\t0100001\n");
	snprintf(other, sizeof(other), "%s/data/lib.so", f->dir);
	assert_int_equal(stat(other, &st), 0);
	snprintf(maps, sizeof(maps),
		 "00400000-00452000 r-xp 00000000 %x:%x %llu %s\n"
		 "7ffd5c6d2000-7ffd5c6f3000 rw-p 00000000 00:00 0 [stack]\n"
		 "7f00-7f01 r--p 00000000 %x:%x %llu /other/fs\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, other,
		 major(st.st_dev) + 1, minor(st.st_dev), (unsigned long long)st.st_ino);
	fixture_file(f, "proc/100/maps", maps);
	fixture_proc(f, "proc", &k);            /* no fd dir at all: nothing, not "unchecked" */
	fixture_proc(f, "proc", &q);
	fixture_dir(f, "proc/300/fd");
	fixture_symlink(f, "proc/self", "100");  /* not a pid: skipped */
	proc = fixture_open_dir(f, "proc");

	assert_int_equal(openfiles_scan(proc, &sc), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.fds, 1);
	assert_int_equal(s.maps, 1);
	assert_int_equal(s.pid[0], 100);
	assert_int_equal(s.fd[0], 3);
	assert_int_equal(s.flags[0], 0100001);
	assert_string_equal(s.link[0], target);
	assert_int_equal(s.fd[1], -1);
	assert_int_equal(s.ino[1], st.st_ino);
	assert_int_equal(sc.procs, 3);
	assert_int_equal(sc.unchecked, 0);

	/* a process whose fds may not be read is said, a kernel thread not */
	if (geteuid() != 0) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/proc/300/fd", f->dir);
		assert_int_equal(chmod(path, 0), 0);
		snprintf(path, sizeof(path), "%s/proc/2/fd", f->dir);
		assert_int_equal(mkdir(path, 0), 0);
		memset(&s, 0, sizeof(s));
		assert_int_equal(openfiles_scan(proc, &sc), 0);
		assert_int_equal(sc.unchecked, 1);
		assert_int_equal(sc.unchecked_pid, 300);
		assert_int_equal(s.n, 2);
		snprintf(path, sizeof(path), "%s/proc/300/fd", f->dir);
		chmod(path, 0755);
		snprintf(path, sizeof(path), "%s/proc/2/fd", f->dir);
		chmod(path, 0755);
	}
	/* another device: nothing; a hit's non-zero return stops the scan */
	dev = makedev(major(dev) + 1, minor(dev) + 7);
	memset(&s, 0, sizeof(s));
	assert_int_equal(openfiles_scan(proc, &sc), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(openfiles_scan_pid(proc, 4242, &sc), -ESRCH);
	openfiles_scan_free(&sc);
	close(proc);
	fixture_free(f);
}

static int stop_at_first(const struct of_hit *h, void *userdata)
{
	return 7;
}

/* This process on the real /proc: a file open for writing, and one mapped
 * whose fd was closed (what map_files would show, from maps). */
static void test_scan_self(void **state)
{
	char dir[] = "/tmp/og-openfiles-XXXXXX", a[64], b[64];
	struct stat sa, sb;
	struct seen s = { 0 };
	struct of_scan sc = { .what = OF_FDS | OF_MAPS | OF_FLAGS, .hit = collect, .userdata = &s };
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fa, fb;
	bool fd_seen = false, map_seen = false;
	void *map;

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/written", dir);
	snprintf(b, sizeof(b), "%s/mapped", dir);
	fa = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	fb = open(b, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(ftruncate(fb, 4096), 0);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fb, 0);
	assert_true(map != MAP_FAILED);
	close(fb);
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	s.only[0] = sa.st_ino;
	s.only[1] = sb.st_ino;
	assert_int_equal(openfiles_scan_pid(proc, getpid(), &sc), 0);
	assert_int_equal(s.n, 2);
	for (int i = 0; i < s.n && i < 8; i++) {
		fd_seen |= s.fd[i] == fa && s.ino[i] == sa.st_ino && (s.flags[i] & O_ACCMODE) == O_WRONLY;
		map_seen |= s.fd[i] == -1 && s.ino[i] == sb.st_ino;
		assert_false(s.fd[i] >= 0 && s.ino[i] == sb.st_ino);    /* its fd is closed */
	}
	assert_true(fd_seen);
	assert_true(map_seen);
	assert_int_equal(sc.unchecked, 0);
	sc.hit = stop_at_first;
	assert_int_equal(openfiles_scan_pid(proc, getpid(), &sc), 7);
	munmap(map, 4096);
	close(fa);
	unlink(a);
	unlink(b);
	rmdir(dir);
	openfiles_scan_free(&sc);
	close(proc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_line),
		cmocka_unit_test(test_fdinfo_flags),
		cmocka_unit_test(test_scan_fixture),
		cmocka_unit_test(test_scan_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
