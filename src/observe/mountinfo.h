/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/mountinfo: one line parser, one decoder of the kernel's octal
 * escapes, and the cgroup mount points found with them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One line, as spans into the buffer (not NUL-terminated):
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTS". */
struct mountinfo_line {
	unsigned major, minor;  /* the superblock's device (st_dev of the files on it) */
	const char *root;       /* the root of the mount within the filesystem ("/" unless a bind) */
	size_t root_len;
	const char *mnt;        /* the mount point, still escaped (\040 for a space) */
	size_t mnt_len;
	const char *opts;       /* the mount's options: "rw,nosuid" */
	size_t opts_len;
	const char *fstype;
	size_t fstype_len;
	const char *source;     /* "/dev/sda1", "tmpfs"; length 0 when absent */
	size_t source_len;
	const char *super_opts; /* "rw,memory"; length 0 when absent */
	size_t super_opts_len;
};

/* Parse the line at *pos (up to '\n' or the end of the string) and move *pos
 * to the next one. 0 with ret filled; -EINVAL for a malformed line (*pos
 * still moves: skip it); -ENOENT at the end of the buffer. */
int mountinfo_next(const char **pos, struct mountinfo_line *ret);

/* Is w one of the comma-separated words of [s, s+len)? ("ro" in super_opts:
 * the filesystem itself is read-only, not only this mount of it.) */
bool mountinfo_has_opt(const char *s, size_t len, const char *w);

/* Copy [s, s+len) into out (size bytes, NUL-terminated), decoding the
 * kernel's \ooo octal escapes. -EINVAL when empty, -ENAMETOOLONG when it
 * does not fit (out untouched then). */
int mountinfo_unescape(const char *s, size_t len, char *out, size_t size);

/* The mount point of the first cgroup2 filesystem. 0, -ENOENT, or the
 * error of mountinfo_unescape. */
int parse_mountinfo_cgroup2(const char *buf, char *path, size_t size);
/* The mount point of the first v1 hierarchy ("cgroup" filesystem) with the
 * controller ctrl ("memory", "cpu", "blkio": a whole word of its super
 * options, so "cpu" is not "cpuset"). 0, -ENOENT, or as above. */
int parse_mountinfo_cgroup1(const char *buf, const char *ctrl, char *path, size_t size);

/* proc_fd's self/mountinfo, read to its end (read_file_whole_at: the kernel
 * produces it a page at a time). Length or -errno; the caller frees *buf. */
ssize_t mountinfo_read(int proc_fd, char **buf, size_t *cap);
/* parse_mountinfo_cgroup2 over proc_fd's self/mountinfo. 0 or -errno. */
int mountinfo_cgroup2_root(int proc_fd, char *path, size_t size);
