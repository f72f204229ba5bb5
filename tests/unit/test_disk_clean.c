/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A cleanup on a fixture tree: rotated logs of several ages, one of them
 * open by this process (it must survive), a symlink in the directory to a
 * precious file outside it, a subdirectory whose name matches, a file with
 * a second hard link, a young one, a matching file outside the directory:
 * only the oldest rotated logs that may go are deleted, only as many as
 * needed, and everything else is intact byte for byte; the same through
 * the component walk (no openat2); a dry run deletes nothing and says what
 * it would. Opening a directory never follows a symlink and never leaves
 * the filesystem. A file of another filesystem (a bind mount, as root in
 * a mount namespace of its own) is never deleted. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "fixture.h"
#include "guards/disk/disk.h"

#define DAY 86400

static void make(struct fixture *f, const char *name, size_t kib, int64_t age_s)
{
	char path[4300], buf[1024];
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	for (size_t i = 0; i < kib; i++) {
		memset(buf, 'a' + (int)(i % 26), sizeof(buf));
		assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	}
	close(fd);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age_s;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void age(struct fixture *f, const char *name, int64_t age_s)
{
	char path[4300];
	struct timespec ts[2] = { { .tv_sec = time(NULL) - age_s }, { .tv_sec = time(NULL) - age_s } };

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static bool exists(struct fixture *f, const char *name)
{
	struct stat st;

	return fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static uint64_t blocks_of(struct fixture *f, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return (uint64_t)st.st_blocks * 512;
}

static char *content(struct fixture *f, const char *name)
{
	static char buf[64];
	ssize_t n = read_file_at(f->dirfd, name, buf, sizeof(buf));

	return n >= 0 ? buf : "(unreadable)";
}

static bool listed(char *const *v, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(v[i], want))
			return true;
	return false;
}

struct tree {
	struct fixture *f;
	int open_fd;                    /* logs/open.log.9, open here */
	char dir[4200];
};

static void tree_build(struct tree *t)
{
	char path[8500], target[4300];

	t->f = fixture_new();
	snprintf(t->dir, sizeof(t->dir), "%s/logs", t->f->dir);
	fixture_dir(t->f, "logs");
	make(t->f, "logs/ovs.log.1", 8, 2 * DAY);
	make(t->f, "logs/ovs.log.2", 8, 3 * DAY);
	make(t->f, "logs/ovs.log.3", 8, 4 * DAY);
	make(t->f, "logs/ovs.log.4.gz", 8, 5 * DAY);
	make(t->f, "logs/open.log.9", 8, 10 * DAY);     /* the oldest, but open */
	make(t->f, "logs/ovs.log", 4, 0);               /* the current log: no match */
	make(t->f, "logs/young.log.8", 4, 60);
	make(t->f, "logs/hard.log.7", 4, 7 * DAY);
	snprintf(path, sizeof(path), "%s/logs/hard.log.7", t->f->dir);
	snprintf(target, sizeof(target), "%s/hardlink", t->f->dir);
	assert_int_equal(link(path, target), 0);
	fixture_file(t->f, "precious", "precious data, not a log\n");
	snprintf(target, sizeof(target), "%s/precious", t->f->dir);
	fixture_symlink(t->f, "logs/link.log.5", target);
	age(t->f, "logs/link.log.5", 8 * DAY);
	fixture_dir(t->f, "logs/sub.log.6");
	make(t->f, "logs/sub.log.6/inner.log.1", 4, 9 * DAY);
	age(t->f, "logs/sub.log.6", 9 * DAY);
	make(t->f, "outside.log.1", 4, 9 * DAY);
	snprintf(path, sizeof(path), "%s/logs/open.log.9", t->f->dir);
	t->open_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(t->open_fd >= 0);
}

static void tree_free(struct tree *t)
{
	close(t->open_fd);
	fixture_free(t->f);
}

/* A cleanup job for the tree's logs/ (what disk.c makes). */
static struct disk_clean *job(struct tree *t, uint64_t need_bytes, bool dry_run)
{
	char *match[] = { "*.log.[0-9]*", "*.log.*.gz" };
	struct og_disk_cleanup rule = { .dir = t->dir, .n_match = 2, .older_than_ms = DAY * 1000ull };
	struct og_disk d = { .path = t->f->dir, .cleanup = &rule, .n_cleanup = 1 };
	struct disk_clean *c = calloc(1, sizeof(*c));
	struct stat st;

	memcpy(rule.match, match, sizeof(match));
	assert_non_null(c);
	assert_int_equal(stat(t->f->dir, &st), 0);
	c->mnt = strdup(t->f->dir);
	c->sb_dev = st.st_dev;
	assert_int_equal(disk_entry_copy(&d, &c->rules), 0);
	c->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->dry_run = dry_run;
	/* Where some process cannot be looked into (unprivileged, or root
	 * without CAP_SYS_PTRACE over a container's init) the daemon deletes
	 * nothing (test_clean_unchecked); here that is allowed. */
	c->need_complete = false;
	c->deadline_ms = now_ms() + 30000;
	c->need_given = true;
	c->need_bytes = need_bytes;
	return c;
}

static void done(struct disk_clean *c)
{
	close(c->proc_fd);
	disk_clean_free(c);
}

/* What must be there after any cleanup, byte for byte. */
static void intact(struct tree *t)
{
	struct stat st;

	assert_string_equal(content(t->f, "precious"), "precious data, not a log\n");
	assert_int_equal(fstatat(t->f->dirfd, "logs/link.log.5", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(exists(t->f, "logs/sub.log.6/inner.log.1"));
	assert_true(exists(t->f, "logs/open.log.9"));
	assert_true(exists(t->f, "logs/ovs.log"));
	assert_true(exists(t->f, "logs/young.log.8"));
	assert_true(exists(t->f, "logs/hard.log.7"));
	assert_true(exists(t->f, "hardlink"));
	assert_true(exists(t->f, "outside.log.1"));
}

static void test_clean(void **state)
{
	struct tree t;
	struct disk_clean *c;
	char comm[64];

	tree_build(&t);
	/* one byte more than the oldest that may go: the two oldest go */
	c = job(&t, blocks_of(t.f, "logs/ovs.log.4.gz") + 1, false);
	assert_int_equal(disk_clean_run(c), 0);
	assert_int_equal(c->err, 0);
	assert_null(c->dir_problem);
	assert_string_equal(c->how, "openat2");
	assert_int_equal(c->deleted, 2);
	assert_int_equal(c->inodes, 2);
	assert_false(exists(t.f, "logs/ovs.log.4.gz"));
	assert_false(exists(t.f, "logs/ovs.log.3"));
	assert_true(exists(t.f, "logs/ovs.log.2"));
	assert_true(exists(t.f, "logs/ovs.log.1"));
	intact(&t);
	assert_int_equal(c->n_deleted_names, 2);
	assert_true(listed(c->deleted_names, 2, "/logs/ovs.log.4.gz"));
	assert_true(strstr(c->deleted_names[1], "/logs/ovs.log.3") != NULL);  /* oldest first */
	assert_int_equal(c->counts[DV_DELETE], 2);
	assert_int_equal(c->counts[DV_KEPT], 2);
	assert_int_equal(c->counts[DV_OPEN], 1);
	assert_int_equal(c->counts[DV_NOT_REGULAR], 2);         /* the symlink, the subdirectory */
	assert_int_equal(c->counts[DV_LINKED], 1);
	assert_int_equal(c->counts[DV_YOUNG], 1);
	assert_false(c->timed_out);
	/* the record says why each was skipped, and who has the open one */
	snprintf(comm, sizeof(comm), "open.log.9 (open by pid %d test_disk_clean)", getpid());
	assert_true(listed(c->skipped_names, c->n_skipped_names, comm));
	assert_true(listed(c->skipped_names, c->n_skipped_names, "link.log.5 (not a regular file)"));
	assert_true(listed(c->skipped_names, c->n_skipped_names, "sub.log.6 (not a regular file)"));
	assert_true(listed(c->skipped_names, c->n_skipped_names, "hard.log.7 (another hard link)"));
	assert_int_equal(c->n_skipped_names, 4);
	done(c);

	/* a dry run: what would go, nothing gone */
	c = job(&t, UINT64_MAX, true);
	assert_int_equal(disk_clean_run(c), 0);
	assert_int_equal(c->deleted, 2);
	assert_true(listed(c->deleted_names, c->n_deleted_names, "/logs/ovs.log.2"));
	assert_true(exists(t.f, "logs/ovs.log.2"));
	assert_true(exists(t.f, "logs/ovs.log.1"));
	intact(&t);
	done(c);

	/* nothing needed: nothing goes */
	c = job(&t, 0, false);
	assert_int_equal(disk_clean_run(c), 0);
	assert_int_equal(c->deleted, 0);
	assert_true(exists(t.f, "logs/ovs.log.2"));
	done(c);

	/* without openat2: the same, one component at a time */
	disk_force_walk = true;
	c = job(&t, UINT64_MAX, false);
	assert_int_equal(disk_clean_run(c), 0);
	disk_force_walk = false;
	assert_string_equal(c->how, "component walk");
	assert_int_equal(c->deleted, 2);
	assert_false(exists(t.f, "logs/ovs.log.2"));
	assert_false(exists(t.f, "logs/ovs.log.1"));
	intact(&t);
	done(c);

	/* the open one goes once it is closed */
	close(t.open_fd);
	t.open_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	c = job(&t, UINT64_MAX, false);
	assert_int_equal(disk_clean_run(c), 0);
	if (!c->unchecked || !c->need_complete) {
		assert_int_equal(c->deleted, 1);
		assert_false(exists(t.f, "logs/open.log.9"));
	}
	assert_string_equal(content(t.f, "precious"), "precious data, not a log\n");
	done(c);
	tree_free(&t);
}

/* Who could not be checked: with need_complete, nothing at all goes. */
static void test_clean_unchecked(void **state)
{
	struct tree t;
	struct disk_clean *c;

	tree_build(&t);
	c = job(&t, UINT64_MAX, false);
	c->need_complete = true;
	assert_int_equal(disk_clean_run(c), 0);
	if (!c->unchecked) {    /* every process here may be looked into */
		done(c);
		tree_free(&t);
		skip();
	}
	assert_int_equal(c->deleted, 0);
	assert_int_equal(c->counts[DV_UNCHECKED], 4);
	assert_true(exists(t.f, "logs/ovs.log.4.gz"));
	assert_true(listed(c->skipped_names, c->n_skipped_names, "(open files not checked)"));
	done(c);
	tree_free(&t);
}

static void test_open_dir(void **state)
{
	struct fixture *f = fixture_new();
	char dir[8500], target[4300];
	const char *how = NULL;

	fixture_dir(f, "a/b/c");
	fixture_file(f, "a/file", "x");
	snprintf(target, sizeof(target), "%s/a", f->dir);
	fixture_symlink(f, "a/lnk", target);                    /* a/lnk -> a */
	fixture_symlink(f, "lnkdir", "a/b");
	for (int walk = 0; walk < 2; walk++) {
		int fd;

		disk_force_walk = walk;
		snprintf(dir, sizeof(dir), "%s/a/b/c", f->dir);
		fd = disk_open_dir(f->dir, dir, &how);
		assert_true(fd >= 0);
		close(fd);
		assert_string_equal(how, walk ? "component walk" : "openat2");
		fd = disk_open_dir(f->dir, f->dir, &how);       /* the mount point itself */
		assert_true(fd >= 0);
		close(fd);
		snprintf(dir, sizeof(dir), "%s/lnkdir", f->dir);
		assert_int_equal(disk_open_dir(f->dir, dir, &how), -ELOOP);
		snprintf(dir, sizeof(dir), "%s/a/lnk/b", f->dir);
		assert_int_equal(disk_open_dir(f->dir, dir, &how), -ELOOP);
		snprintf(dir, sizeof(dir), "%s/a/nothing", f->dir);
		assert_int_equal(disk_open_dir(f->dir, dir, &how), -ENOENT);
		snprintf(dir, sizeof(dir), "%s/a/file", f->dir);
		assert_int_equal(disk_open_dir(f->dir, dir, &how), -ENOTDIR);
		/* not below the mount point at all */
		snprintf(dir, sizeof(dir), "%s/a/b", f->dir);
		assert_int_equal(disk_open_dir(dir, f->dir, &how), -EXDEV);
		snprintf(dir, sizeof(dir), "%sx", f->dir);
		assert_int_equal(disk_open_dir(f->dir, dir, &how), -EXDEV);
	}
	disk_force_walk = false;
	fixture_free(f);
}

/* Who eats a filesystem: this process, with a file open for writing and a
 * deleted one held open on the fixture's filesystem; what it wrote between
 * two hunts (its file grew by 64 KiB). */
static struct hunt *hunt_now(int proc, dev_t dev)
{
	struct hunt *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->proc_fd = proc;
	h->devs[0] = dev;
	h->fs_of[0] = 0;
	h->ndevs = 1;
	h->deadline_ms = now_ms() + 30000;
	assert_int_equal(disk_hunt_run(h), 0);
	assert_int_equal(h->err, 0);
	return h;
}

static void test_hunt(void **state)
{
	struct fixture *f = fixture_new();
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), w, gone;
	char path[4300], buf[65536];
	const struct hunt_hold *e, *e2;
	struct hunt *h, *h2;
	bool named = false, deleted = false;
	struct stat st;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/w.log", f->dir);
	w = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	assert_int_equal(write(w, buf, 8192), 8192);
	snprintf(path, sizeof(path), "%s/gone.log", f->dir);
	gone = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(write(gone, buf, 16384), 16384);
	assert_int_equal(fsync(gone), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(fstat(w, &st), 0);

	h = hunt_now(proc, st.st_dev);
	e = disk_hunt_find(h, getpid(), 0, 0);
	for (size_t i = 0; !e && i < h->n; i++)         /* its start time is the hunt's */
		if (h->v[i].pid == getpid())
			e = &h->v[i];
	assert_non_null(e);
	assert_ptr_equal(disk_hunt_find(h, getpid(), e->start, 0), e);
	assert_null(disk_hunt_find(h, getpid(), e->start + 1, 0));
	assert_null(disk_hunt_find(h, getpid(), e->start, 1));
	assert_string_equal(e->comm, "test_disk_clean");
	assert_true(e->writable >= 1);                  /* w.log (gone.log counts as deleted) */
	assert_int_equal(e->deleted, 1);
	assert_true(e->deleted_bytes >= 16384);
	for (size_t i = 0; i < e->nfiles; i++) {
		named |= strstr(e->files[i], "/w.log") != NULL;
		deleted |= strstr(e->files[i], "/gone.log (deleted)") != NULL;
	}
	assert_true(named && deleted);
	assert_int_equal(disk_hunt_written(NULL, e), 0);

	assert_int_equal(write(w, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(fsync(w), 0);
	h2 = hunt_now(proc, st.st_dev);
	e2 = disk_hunt_find(h2, getpid(), e->start, 0);
	assert_non_null(e2);
	assert_true(disk_hunt_written(h, e2) >= sizeof(buf));
	assert_int_equal(disk_hunt_written(h2, e2), 0);
	disk_hunt_free(h);
	disk_hunt_free(h2);
	close(w);
	close(gone);
	close(proc);
	fixture_free(f);
}

/* In a child with a mount namespace of its own (root only): a file of
 * another filesystem bind-mounted into the directory is never deleted, and
 * a cleanup directory that is another filesystem is not opened. */
static int other_fs_child(struct tree *t)
{
	char src[4300], dst[8500], dir[8500];
	struct disk_clean *c;
	const char *how;
	int fd, ok = 1;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	snprintf(src, sizeof(src), "%s/elsewhere", t->f->dir);
	snprintf(dir, sizeof(dir), "%s/logs/tmpfs.log.13", t->f->dir);
	if (mkdir(src, 0755) < 0 || mount("og-test", src, "tmpfs", 0, "size=1m") < 0 ||
	    mkdir(dir, 0755) < 0 || mount("og-test", dir, "tmpfs", 0, "size=1m") < 0)
		return 77;
	snprintf(src, sizeof(src), "%s/elsewhere/big.log.12", t->f->dir);
	snprintf(dst, sizeof(dst), "%s/logs/other.log.12", t->f->dir);
	if ((fd = open(src, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 || write(fd, "x", 1) != 1 ||
	    close(fd) < 0 || (fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    close(fd) < 0 || mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return 77;
	age(t->f, "logs/other.log.12", 20 * DAY);
	c = job(t, UINT64_MAX, false);
	disk_clean_run(c);
	ok &= c->counts[DV_OTHER_FS] == 1 && exists(t->f, "logs/other.log.12") &&
	      listed(c->skipped_names, c->n_skipped_names, "other.log.12 (another filesystem)");
	done(c);
	ok &= access(src, F_OK) == 0;
	for (int walk = 0; walk < 2; walk++) {
		disk_force_walk = walk;
		ok &= disk_open_dir(t->f->dir, dir, &how) == -EXDEV;
	}
	umount2(dst, MNT_DETACH);
	umount2(dir, MNT_DETACH);
	snprintf(src, sizeof(src), "%s/elsewhere", t->f->dir);
	umount2(src, MNT_DETACH);
	return ok ? 0 : 1;
}

static void test_clean_other_fs(void **state)
{
	struct tree t;
	int st;
	pid_t pid;

	if (geteuid() != 0)
		skip();         /* a mount needs root: see the VM scenario 34 instead */
	tree_build(&t);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(other_fs_child(&t));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	tree_free(&t);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		skip();         /* no mount namespace here */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_clean_unchecked),
		cmocka_unit_test(test_open_dir),
		cmocka_unit_test(test_hunt),
		cmocka_unit_test(test_clean_other_fs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
