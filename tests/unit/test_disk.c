/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard's pure decisions: which filesystems (mountinfo, kinds,
 * one per device, the `disk` list), statvfs as free space and inodes, the
 * thresholds and what a cleanup must free, the fill rate and the time to
 * full, and the cleanup planner (which files, in which order, stopping when
 * enough is freed). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "guards/disk/disk.h"
#include "report/record.h"
#include "unit/record-util.h"

static const char mountinfo[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
	"28 27 8:1 / /boot rw,relatime - ext4 /dev/sda1 rw\n"
	"29 27 0:40 /x /home/x rw - btrfs /dev/sdb rw,subvol=/x\n"      /* a bind first ... */
	"30 27 0:40 / /home rw - btrfs /dev/sdb rw\n"                   /* ... then its root */
	"31 27 0:25 / /tmp rw - tmpfs tmpfs rw,size=1g\n"
	"32 27 0:51 / /mnt/nfs rw - nfs4 srv:/e rw\n"
	"33 27 7:0 / /snap/core ro - squashfs /dev/loop0 ro\n"
	"34 27 8:2 / /mnt/ro ro - ext4 /dev/sda2 ro\n"
	"35 27 0:52 / /var/lib/docker/overlay2/a/merged rw - overlay overlay rw\n"
	"36 27 254:0 /srv /srv rw - ext4 /dev/vda rw,discard\n"         /* a bind of / */
	"37 27 0:53 / /mnt/sshfs rw - fuse.sshfs u@h: rw\n"
	"38 27 8:3 / /mnt/p\\040q rw - xfs /dev/sda3 rw\n"
	"garbage\n"
	"39 27 8:4 / /mnt/ro-mount ro - ext4 /dev/sda4 rw\n";         /* only the mount is ro */

static void test_mounts(void **state)
{
	struct fs_mounts m = { 0 };
	static const struct { const char *path; enum fs_kind kind; } kinds[] = {
		{ "/proc", FS_PSEUDO }, { "/", FS_LOCAL }, { "/boot", FS_LOCAL },
		{ "/home", FS_LOCAL }, { "/tmp", FS_MEMORY }, { "/mnt/nfs", FS_NETWORK },
		{ "/snap/core", FS_READONLY }, { "/mnt/ro", FS_READONLY },
		{ "/var/lib/docker/overlay2/a/merged", FS_PSEUDO }, { "/mnt/sshfs", FS_NETWORK },
		{ "/mnt/p q", FS_LOCAL }, { "/mnt/ro-mount", FS_LOCAL },
	};

	assert_int_equal(fs_mounts_parse(mountinfo, &m), 0);
	assert_int_equal(m.n, 14);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		ssize_t at = fs_mount_at(&m, kinds[i].path);

		assert_true(at >= 0);
		if (fs_kind_of(&m.v[at]) != kinds[i].kind)
			fail_msg("%s: %s, not %s", kinds[i].path, fs_kind_name(fs_kind_of(&m.v[at])),
				 fs_kind_name(kinds[i].kind));
	}
	assert_true(m.v[fs_mount_at(&m, "/home/x")].bind);
	assert_false(m.v[fs_mount_at(&m, "/home")].bind);
	/* which mount holds a path: the longest mount point above it */
	assert_string_equal(m.v[fs_mount_holding(&m, "/home/x/y/z")].path, "/home/x");
	assert_string_equal(m.v[fs_mount_holding(&m, "/home/xy")].path, "/home");
	assert_string_equal(m.v[fs_mount_holding(&m, "/var/log/openvswitch")].path, "/");
	assert_string_equal(m.v[fs_mount_holding(&m, "/proc")].path, "/proc");
	assert_int_equal(fs_mount_at(&m, "/var"), -1);
	/* parsed again into the same storage */
	assert_int_equal(fs_mounts_parse("27 1 254:0 / / rw - ext4 /dev/vda rw\n", &m), 0);
	assert_int_equal(m.n, 1);
	fs_mounts_free(&m);
}

static void test_select(void **state)
{
	struct fs_mounts m = { 0 };
	struct disk_sel sel[DISK_MAX_WATCH];
	struct disk_skipped skip[8];
	char *listed[] = { "/tmp", "/mnt/ro", "/nope", "/mnt/nfs", "/snap/core" };
	size_t n, nskip = 9;

	assert_int_equal(fs_mounts_parse(mountinfo, &m), 0);
	/* the default watch: local filesystems, one per device, its root's mount */
	n = disk_select(&m, false, NULL, 0, sel, DISK_MAX_WATCH, skip, 8, &nskip);
	assert_int_equal(nskip, 0);
	assert_int_equal(n, 5);
	assert_string_equal(sel[0].m->path, "/");
	assert_string_equal(sel[1].m->path, "/boot");
	assert_string_equal(sel[2].m->path, "/home");
	assert_string_equal(sel[3].m->path, "/mnt/p q");
	assert_string_equal(sel[4].m->path, "/mnt/ro-mount");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sel[i].cfg, -1);
	/* at most cap of them */
	assert_int_equal(disk_select(&m, false, NULL, 0, sel, 2, skip, 8, &nskip), 2);

	/* a list: memory and network filesystems when listed, never read-only */
	n = disk_select(&m, true, listed, ARRAY_SIZE(listed), sel, DISK_MAX_WATCH, skip, 8, &nskip);
	assert_int_equal(n, 2);
	assert_string_equal(sel[0].m->path, "/tmp");
	assert_int_equal(sel[0].cfg, 0);
	assert_string_equal(sel[1].m->path, "/mnt/nfs");
	assert_int_equal(sel[1].cfg, 3);
	assert_int_equal(nskip, 3);
	assert_int_equal(skip[0].cfg, 1);
	assert_string_equal(skip[0].why, "read-only: never watched");
	assert_int_equal(skip[1].cfg, 2);
	assert_string_equal(skip[1].why, "not mounted");
	assert_int_equal(skip[2].cfg, 4);
	/* an empty list watches nothing */
	assert_int_equal(disk_select(&m, true, NULL, 0, sel, DISK_MAX_WATCH, skip, 8, &nskip), 0);
	fs_mounts_free(&m);
}

static struct fs_usage usage(uint64_t blocks, uint64_t bavail, uint64_t files, uint64_t favail)
{
	struct statvfs sv = { .f_bsize = 1024, .f_frsize = 4096, .f_blocks = blocks,
			      .f_bfree = bavail + 10, .f_bavail = bavail, .f_files = files,
			      .f_ffree = favail + 1, .f_favail = favail };
	struct fs_usage u;

	fs_usage_from(&sv, &u);
	return u;
}

static void test_usage_thresholds(void **state)
{
	struct disk_limits l = { .free_percent = 5, .inodes_free_percent = 5 };
	struct fs_usage u = usage(1000, 50, 100, 3);
	uint64_t b, i;
	bool space, inodes;

	/* f_bavail and f_favail, in f_frsize units: what a user can still use */
	assert_int_equal(u.size, 4096000);
	assert_int_equal(u.avail, 204800);
	assert_true(fs_free_percent(&u) == 5.0);
	assert_true(fs_inodes_free_percent(&u) == 3.0);
	disk_below(&u, &l, &space, &inodes);
	assert_false(space);                    /* 5 % is not below 5 % */
	assert_true(inodes);
	/* a cleanup frees up to the threshold plus the margin (1 %) */
	disk_need(&u, &l, &b, &i);
	assert_int_equal(b, 0);
	assert_int_equal(i, 3);                 /* 6 of 100 wanted, 3 there */
	u = usage(1000, 40, 100, 50);
	disk_need(&u, &l, &b, &i);
	assert_int_equal(b, 245760 - 163840);   /* 6 % of 4096000 = 245760 */
	assert_int_equal(i, 0);
	/* no inode figures (btrfs, vfat): no inode threshold */
	u = usage(1000, 500, 0, 0);
	assert_true(fs_inodes_free_percent(&u) == -1);
	disk_below(&u, &l, &space, &inodes);
	assert_false(space || inodes);
	/* a threshold of 0 is none */
	l.free_percent = 0;
	u = usage(1000, 0, 100, 100);
	disk_below(&u, &l, &space, &inodes);
	assert_false(space);
	/* an empty filesystem is all free; f_favail above f_files is cut */
	u = usage(0, 0, 10, 20);
	assert_true(fs_free_percent(&u) == 100);
	assert_int_equal(u.favail, 10);
}

static void test_limits(void **state)
{
	struct og_disk d[2] = {
		{ .path = "/", .free_percent = 10, .inodes_free_percent = 2,
		  .writer_action = WRITER_KILL, .horizon_ms = UINT64_MAX },
		{ .path = "/srv", .free_percent = 1, .horizon_ms = 0 },
	};
	struct og_config cfg = { .disks = d, .n_disks = 2, .disk_horizon_ms = 600000 };
	struct disk_limits l;

	disk_limits_of(&cfg, 0, &l);
	assert_true(l.free_percent == 10 && l.inodes_free_percent == 2);
	assert_int_equal(l.writer_action, WRITER_KILL);
	assert_int_equal(l.horizon_ms, 600000);  /* disk_settings' */
	assert_ptr_equal(l.d, &d[0]);
	disk_limits_of(&cfg, 1, &l);
	assert_int_equal(l.horizon_ms, 0);       /* its own: off */
	disk_limits_of(&cfg, -1, &l);            /* the default watch */
	assert_true(l.free_percent == 5 && l.inodes_free_percent == 5);
	assert_int_equal(l.writer_action, WRITER_REPORT);
	assert_null(l.d);
}

static void test_rate(void **state)
{
	struct disk_rate r = { 0 };
	struct fs_usage u = usage(1000000, 500000, 1000, 900);     /* 2 GB free */

	disk_rate_add(&r, &u, 1000);
	assert_false(r.have);
	assert_true(disk_eta_s(&r, &u) == -1);
	u.avail -= 40960000;                    /* 40 MB in 5 s */
	disk_rate_add(&r, &u, 6000);
	assert_true(r.have);
	assert_true(r.bytes_s > 8191999 && r.bytes_s < 8192001);
	assert_true(fabs(disk_eta_s(&r, &u) - (double)u.avail / 8192000.0) < 1e-6);
	/* a steady rate stays; the average follows a change gradually */
	u.avail -= 40960000;
	disk_rate_add(&r, &u, 11000);
	assert_true(r.bytes_s > 8191999 && r.bytes_s < 8192001);
	assert_true(r.last_bytes_s > 8191999 && r.last_bytes_s < 8192001);
	disk_rate_add(&r, &u, 16000);           /* nothing written in 5 s */
	assert_true(r.bytes_s > 0 && r.bytes_s < 8192000);
	assert_true(r.last_bytes_s == 0);
	/* the same time again changes nothing; freeing is a negative rate */
	double before = r.bytes_s;

	disk_rate_add(&r, &u, 16000);
	assert_true(r.bytes_s == before);
	u.avail += 400000000;
	for (uint64_t t = 21000; t < 2000000; t += 5000)
		disk_rate_add(&r, &u, t);
	assert_true(r.bytes_s < 1 && r.bytes_s > -1);
	u.avail += 81920000;
	disk_rate_add(&r, &u, 2005000);
	assert_true(r.bytes_s < 0);
	assert_true(disk_eta_s(&r, &u) == -1);
	/* inodes running out first */
	r.bytes_s = 1;
	r.inodes_s = 10;
	assert_true(disk_eta_s(&r, &u) == 90);
}

static void test_name_matches(void **state)
{
	char *ovs[] = { "*.log.[0-9]*", "*.log.*.gz" };

	assert_true(disk_name_matches("ovs-vswitchd.log.1", ovs, 2));
	assert_true(disk_name_matches("ovs-vswitchd.log.12", ovs, 2));
	assert_true(disk_name_matches("ovsdb-server.log.3.gz", ovs, 2));
	assert_true(disk_name_matches("x.log.old.gz", ovs, 2));
	assert_false(disk_name_matches("ovs-vswitchd.log", ovs, 2));
	assert_false(disk_name_matches("ovs-vswitchd.log.gz", ovs, 2));
	assert_false(disk_name_matches(".log.1", ovs, 2));       /* a leading dot only where given */
	assert_false(disk_name_matches("x.log.1", ovs, 0));
}

static struct disk_file file(const char *name, int64_t age_s, uint64_t bytes)
{
	struct disk_file f = { .regular = true, .nlink = 1, .mtime = 1000000 - age_s,
			       .bytes = bytes };

	snprintf(f.name, sizeof(f.name), "%s", name);
	f.ino = (uint64_t)age_s;
	return f;
}

static void test_plan(void **state)
{
	struct disk_file f[10];
	int64_t older[2] = { 86400, 3600 };
	size_t order[10], k;

	f[0] = file("a.log.1", 2 * 86400, 100);
	f[1] = file("a.log.3", 4 * 86400, 300);
	f[2] = file("a.log.2", 3 * 86400, 200);
	f[3] = file("young.log.1", 3600, 1000);         /* younger than 1 d */
	f[4] = file("open.log.9", 9 * 86400, 900);      /* oldest, but open */
	f[4].open = true;
	f[5] = file("link.log.8", 8 * 86400, 0);        /* a symlink */
	f[5].regular = false;
	f[6] = file("hard.log.7", 7 * 86400, 700);      /* another link to it */
	f[6].nlink = 2;
	f[7] = file("other.log.6", 6 * 86400, 600);     /* a mount of another fs */
	f[7].other_fs = true;
	f[8] = file("b.log.5", 5 * 86400, 500);         /* rule 1: 1 h is enough */
	f[8].rule = 1;
	f[9] = file("b.log.4", 2 * 3600, 50);
	f[9].rule = 1;

	/* enough after the two oldest that may go: b.log.5, then a.log.3 */
	k = disk_plan(f, 10, older, 1000000, 700, 0, order);
	assert_int_equal(k, 2);
	assert_string_equal(f[order[0]].name, "b.log.5");
	assert_string_equal(f[order[1]].name, "a.log.3");
	assert_int_equal(f[8].verdict, DV_DELETE);
	assert_int_equal(f[1].verdict, DV_DELETE);
	assert_int_equal(f[2].verdict, DV_KEPT);
	assert_int_equal(f[0].verdict, DV_KEPT);
	assert_int_equal(f[9].verdict, DV_KEPT);
	assert_int_equal(f[3].verdict, DV_YOUNG);
	assert_int_equal(f[4].verdict, DV_OPEN);
	assert_int_equal(f[5].verdict, DV_NOT_REGULAR);
	assert_int_equal(f[6].verdict, DV_LINKED);
	assert_int_equal(f[7].verdict, DV_OTHER_FS);

	/* exactly enough stops there; one byte more takes the next */
	assert_int_equal(disk_plan(f, 10, older, 1000000, 800, 0, order), 2);
	assert_int_equal(disk_plan(f, 10, older, 1000000, 801, 0, order), 3);
	assert_string_equal(f[order[2]].name, "a.log.2");
	/* inodes: one file each */
	k = disk_plan(f, 10, older, 1000000, 0, 4, order);
	assert_int_equal(k, 4);
	assert_string_equal(f[order[3]].name, "a.log.1");
	/* both wanted: the larger need decides */
	assert_int_equal(disk_plan(f, 10, older, 1000000, 500, 3, order), 3);
	/* nothing needed: nothing goes; more than there is: all that may */
	assert_int_equal(disk_plan(f, 10, older, 1000000, 0, 0, order), 0);
	assert_int_equal(f[1].verdict, DV_KEPT);
	assert_int_equal(disk_plan(f, 10, older, 1000000, UINT64_MAX, 0, order), 5);
	assert_string_equal(f[order[4]].name, "b.log.4");
	/* same age: by name */
	f[0].mtime = f[2].mtime;
	k = disk_plan(f, 10, older, 1000000, UINT64_MAX, 0, order);
	assert_string_equal(f[order[2]].name, "a.log.1");
	assert_string_equal(f[order[3]].name, "a.log.2");
	assert_int_equal(disk_plan(f, 0, older, 1000000, UINT64_MAX, 9, order), 0);
}

/* The disk records' values: percentages computed, no inode figures as
 * null, untrusted names escaped; and the plain text line. */
static void test_records(void **state)
{
	char *names[] = { "/var/log/x/a\nb.log.1", "/var/log/x/c.log.2 (open by pid 7 x)" };
	struct disk_record_cleanup c = { .deleted = 1, .bytes = 8192, .inodes = 1,
					 .avail_before = 100, .avail_after = 8292, .complete = true,
					 .deleted_names = names, .n_deleted_names = 1,
					 .skipped_names = names + 1, .n_skipped_names = 1, .open = 1 };
	struct disk_record d = { .event = "cleanup", .message = "deleted 1 files", .path = "/srv",
				 .type = "xfs", .size = 1000, .avail = 50, .files = 0,
				 .threshold_percent = 10, .inodes_threshold_percent = 5,
				 .fill_rate = NAN, .cleanup = &c, .dry_run = true };
	int p[2];
	struct reporter r = pipe_reporter(p);
	json_object *o;
	char buf[512];
	ssize_t n;

	assert_int_equal(report_disk(&r, &d), 0);
	o = read_record(p[0]);
	assert_string_equal(json_object_get_string(get(o, "guard")), "disk");
	assert_true(json_object_get_boolean(get(o, "dry_run")));
	assert_true(json_object_get_double(get(o, "fs.free_percent")) == 5.0);
	assert_true(json_object_get_double(get(o, "fs.threshold_percent")) == 10.0);
	assert_null(get(o, "fs.files"));
	assert_null(get(o, "fs.inodes_free_percent"));
	assert_null(get(o, "fs.inodes_threshold_percent"));
	assert_null(get(o, "fs.fill_rate"));
	assert_int_equal(json_object_get_int64(get(o, "cleanup.bytes_freed")), 8192);
	assert_int_equal(json_object_array_length(get(o, "cleanup.deleted")), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(get(o, "cleanup.deleted"), 0)),
			    "/var/log/x/a\\x0ab.log.1");
	assert_null(get(o, "cleanup.error"));
	json_object_put(o);
	d.files = 200;
	d.favail = 10;
	d.fill_rate = 2.5;
	d.cleanup = NULL;
	d.event = "low";
	assert_int_equal(report_disk(&r, &d), 0);
	o = read_record(p[0]);
	assert_true(json_object_get_double(get(o, "fs.inodes_free_percent")) == 5.0);
	assert_true(json_object_get_double(get(o, "fs.fill_rate")) == 2.5);
	assert_false(json_object_object_get_ex(o, "cleanup", NULL));
	assert_false(json_object_object_get_ex(o, "process", NULL));
	json_object_put(o);
	r.json = false;
	d.message = "free space 5.0%\n<forged>";
	assert_int_equal(report_disk(&r, &d), 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "disk: dry-run low /srv: free space 5.0%\\x0a<forged>\n");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_usage_thresholds),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_name_matches),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
