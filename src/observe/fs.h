/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Filesystems for the disk guard: the mounts of /proc/self/mountinfo (one
 * entry per line, unescaped), what kind of filesystem each is, which mount
 * holds a path, and statvfs as space and inodes an unprivileged user can
 * still use. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct statvfs;

struct fs_mount {
	char *path;             /* the mount point, unescaped */
	char type[32];          /* "ext4"; a longer name is cut (no type of the kernel's is) */
	unsigned major, minor;  /* the superblock's device */
	bool sb_ro;             /* the filesystem is read-only (its super options), not only this mount */
	bool bind;              /* mounts a subtree of its filesystem (root other than "/") */
};

struct fs_mounts {
	struct fs_mount *v;
	size_t n, cap;
};

/* Every well-formed line of a mountinfo buffer into m (its storage reused),
 * in the file's order. 0 or -ENOMEM (then m holds what was read). */
int fs_mounts_parse(const char *buf, struct fs_mounts *m);
/* fs_mounts_parse over proc_fd's self/mountinfo. */
int fs_mounts_read(int proc_fd, struct fs_mounts *m);
void fs_mounts_free(struct fs_mounts *m);

enum fs_kind {
	FS_LOCAL,               /* on a block device, or a known local type (btrfs, zfs) */
	FS_MEMORY,              /* tmpfs, ramfs: watched only when listed */
	FS_PSEUDO,              /* proc, sysfs, cgroup, overlay of a container's layers...: idem */
	FS_NETWORK,             /* nfs, cifs, ceph, fuse.sshfs...: idem (statvfs may hang) */
	FS_READONLY,            /* squashfs, iso9660, erofs, or mounted ro: never watched */
};
/* What a mount is, from its type, its device's major and its super options. */
enum fs_kind fs_kind_of(const struct fs_mount *m);
const char *fs_kind_name(enum fs_kind k);

/* The mount that holds path, lexically: the longest mount point that is
 * path or a parent of it, the last mounted of those (it hides the others).
 * path must be absolute and normalised. Index into m->v, or -1. */
ssize_t fs_mount_holding(const struct fs_mounts *m, const char *path);
/* The mount whose mount point is exactly path (the last), or -1. */
ssize_t fs_mount_at(const struct fs_mounts *m, const char *path);

/* Space and inodes of a filesystem. avail and favail are what an
 * unprivileged user can still use (f_bavail, f_favail: the blocks reserved
 * for root do not count as free). files == 0: the filesystem has no fixed
 * number of inodes (btrfs, vfat): no inode figure. */
struct fs_usage {
	uint64_t size, avail;   /* bytes: f_blocks, f_bavail times f_frsize */
	uint64_t files, favail; /* inodes */
};
void fs_usage_from(const struct statvfs *sv, struct fs_usage *ret);
/* fstatvfs of an open fd (a mount point's). 0 or -errno. */
int fs_usage_fd(int fd, struct fs_usage *ret);
/* avail of size, percent; 100 for an empty filesystem (size 0). */
double fs_free_percent(const struct fs_usage *u);
/* favail of files, percent; -1 without inode figures (files == 0). */
double fs_inodes_free_percent(const struct fs_usage *u);
