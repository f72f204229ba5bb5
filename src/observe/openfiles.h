/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who has a file open: /proc/PID/fd (each link stat'ed through: the file's
 * st_dev and st_ino, as fuser does) and /proc/PID/maps (the device and
 * inode of every file mapping, which outlives the fd it was made from).
 * maps rather than map_files: its links need CAP_SYS_ADMIN to follow, maps
 * only the ptrace read access that fd needs too. Pure parsers of a maps
 * line and of fdinfo's flags, and a scanner relative to a /proc fd. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* One line of /proc/PID/maps, "START-END PERMS OFFSET MAJ:MIN INODE [PATH]"
 * with MAJ:MIN in hex (the superblock's device, i_sb->s_dev); inode 0 is
 * an anonymous mapping. Only the line [line, line+len). 0 or -EINVAL. */
struct maps_entry {
	unsigned major, minor;
	uint64_t ino;
};
int parse_maps_line(const char *line, size_t len, struct maps_entry *ret);
/* The "flags:" line of /proc/PID/fdinfo/FD: the open flags, in octal.
 * 0, -EINVAL, or -ENOENT without such a line. */
int parse_fdinfo_flags(const char *buf, unsigned *ret);

struct of_hit {
	int pid;
	int fd;                         /* -1: a mapping */
	dev_t dev;                      /* fd: st_dev; mapping: the maps' device */
	uint64_t ino;
	const struct stat *st;          /* fd: the file's stat; NULL for a mapping */
	unsigned flags;                 /* fd, with OF_FLAGS: its open flags (O_WRONLY...) */
	const char *link;               /* fd, with OF_LINK: the link ("/x/y.log (deleted)") */
};

/* OF_ANY_TYPE: fds of any file type (devices, sockets...), not only
 * regular files (the GPU guard looks for /dev/nvidia*). */
enum { OF_FDS = 1, OF_MAPS = 2, OF_FLAGS = 4, OF_LINK = 8, OF_ANY_TYPE = 16 };

struct of_scan {
	/* in */
	const dev_t *devs;              /* only files on these devices (none: every file) */
	size_t ndevs;
	unsigned what;                  /* OF_* */
	int (*hit)(const struct of_hit *h, void *userdata);    /* non-zero stops the scan */
	void *userdata;
	uint64_t deadline_ms;           /* now_ms() past which the scan stops (-ETIMEDOUT); 0 none */
	/* out */
	size_t procs;                   /* processes looked at */
	size_t unchecked;               /* processes whose fds or maps could not be read (no
					 * permission), kernel threads aside */
	int unchecked_pid;              /* the first of them */
	char *maps;                     /* scratch (freed by openfiles_scan_free) */
	size_t maps_cap;
};

/* Every regular file each process of proc_fd has open (OF_FDS) or mapped
 * (OF_MAPS) on one of s->devs, to s->hit. 0, hit's non-zero return,
 * -ETIMEDOUT, or the listing's -errno. Processes that vanish meanwhile are
 * skipped. */
int openfiles_scan(int proc_fd, struct of_scan *s);
/* The same for one process; -ESRCH when it is gone. */
int openfiles_scan_pid(int proc_fd, int pid, struct of_scan *s);
void openfiles_scan_free(struct of_scan *s);
