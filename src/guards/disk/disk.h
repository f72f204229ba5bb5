/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard (the OOR Killer seed: "if the available disk space or
 * free inodes drop under a certain limit, remove files to free up some
 * space and try to determine if a process is eating up disk space at an
 * abnormal rate"), in four parts:
 *
 *   plan.c    pure: which filesystems, below or not, the fill rate, and
 *             which files a cleanup deletes (the planner)
 *   clean.c   the cleanup itself, in the guard's worker lane: the
 *             directory opened without following a symlink or leaving
 *             the filesystem, files open anywhere skipped, unlinkat
 *   hunt.c    who writes to a filesystem (/proc/PID/io write_bytes, its
 *             writable files there) and who holds deleted files open
 *   disk.c    the guard: the look every interval (statvfs, in the lane),
 *             records, explain, and the victim pipeline for writer_action:
 *             kill
 *
 * schema.c has its config keys and the checks against this machine. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "observe/fs.h"

#define DISK_DEFAULT_PERCENT 5.0        /* free_percent and inodes_free_percent */
#define DISK_MARGIN_PERCENT 1.0         /* a cleanup frees up to the threshold plus this */
#define DISK_MAX_WATCH 64               /* filesystems watched at most */
#define DISK_FAST_LOOKS 3               /* looks in a row within the horizon: "filling" */

/* ---- plan.c: pure ------------------------------------------------------ */

/* A filesystem to watch, chosen from the mounts. */
struct disk_sel {
	const struct fs_mount *m;
	int cfg;                        /* index into cfg->disks, -1: the default watch */
};
/* Why a listed filesystem is not watched, for explain (NULL: it is). */
struct disk_skipped {
	int cfg;
	const char *why;
};
/* With a `disk` list (listed: the paths of its entries), its filesystems
 * (the last mount at each path, never a read-only one); without one, every
 * local filesystem (fs_kind_of), once per device (the first mount of its
 * root, else its first bind mount). At most cap of them; returns how many,
 * *ret_nskip how many listed ones were left out (in skip, at most skipcap). */
size_t disk_select(const struct fs_mounts *m, bool listed, char *const *paths, size_t npaths,
		   struct disk_sel *out, size_t cap, struct disk_skipped *skip, size_t skipcap,
		   size_t *ret_nskip);

/* The thresholds of one watched filesystem. */
struct disk_limits {
	double free_percent, inodes_free_percent;       /* 0 = none */
	enum og_writer_action writer_action;
	uint64_t horizon_ms;            /* 0 = no rate reports */
	const struct og_disk *d;        /* its entry, NULL for the default watch */
};
void disk_limits_of(const struct og_config *cfg, int index, struct disk_limits *ret);

/* Below which threshold is it? (An inode threshold only where the
 * filesystem counts inodes.) */
void disk_below(const struct fs_usage *u, const struct disk_limits *l, bool *space, bool *inodes);
/* What a cleanup must free to be back above the thresholds plus
 * DISK_MARGIN_PERCENT of the filesystem: bytes and inodes (0 when above). */
void disk_need(const struct fs_usage *u, const struct disk_limits *l, uint64_t *ret_bytes,
	       uint64_t *ret_inodes);

/* How fast a filesystem fills: exponential averages of the bytes and
 * inodes used per second over looks (a time constant of DISK_RATE_TAU_MS),
 * > 0 when filling. */
#define DISK_RATE_TAU_MS 30000
struct disk_rate {
	uint64_t t_ms, avail, favail;   /* the last look; t_ms 0 = none */
	double bytes_s, inodes_s;
	double last_bytes_s, last_inodes_s;     /* over the last step alone */
	bool have;                      /* a rate from two looks at least */
};
void disk_rate_add(struct disk_rate *r, const struct fs_usage *u, uint64_t now_ms);
/* Seconds until avail (or favail) reaches 0 at this rate; -1 when not
 * filling. The sooner of the two. */
double disk_eta_s(const struct disk_rate *r, const struct fs_usage *u);

/* "812.0 KiB/s", "3.1 MiB/s", "1.2 GiB/s" into buf. */
const char *disk_fmt_rate(double bytes_s, char *buf, size_t size);

/* A file a cleanup rule might delete, and the planner's verdict on it. */
enum disk_verdict {
	DV_DELETE,                      /* chosen (dry run: would be) */
	DV_KEPT,                        /* could go, but enough is freed without it */
	DV_YOUNG,                       /* younger than older_than */
	DV_OPEN,                        /* some process has it open or mapped */
	DV_NOT_REGULAR,                 /* a symlink, a directory, a fifo... */
	DV_LINKED,                      /* another hard link: deleting this name frees nothing */
	DV_OTHER_FS,                    /* not on the filesystem being relieved */
	DV_UNCHECKED,                   /* who has files open could not be read for every process */
	DV_COUNT
};
const char *disk_verdict_name(enum disk_verdict v);

struct disk_file {
	char name[256];
	unsigned rule;                  /* its cleanup rule */
	bool regular, other_fs, open;
	uint64_t nlink;
	int64_t mtime;                  /* seconds since the epoch */
	uint64_t bytes;                 /* st_blocks * 512: what deleting it frees */
	dev_t dev;
	uint64_t ino;
	int open_pid;                   /* who has it open (the first seen), 0 = nobody */
	char open_comm[64];
	enum disk_verdict verdict;
};

/* The planner. files are the entries of the rules' directories whose
 * names match their rule's patterns (the caller matched them). Each gets
 * its verdict; the deletable ones (regular, on the filesystem, not open,
 * no other link, older than their rule's older_than at now_s) go oldest
 * first (ties: by name), until need_bytes and need_inodes are both freed:
 * the rest are DV_KEPT. order (n entries) gets the chosen indices in
 * deletion order; returns how many. older_than_s[rule] gives each rule's
 * age. */
size_t disk_plan(struct disk_file *files, size_t n, const int64_t *older_than_s, int64_t now_s,
		 uint64_t need_bytes, uint64_t need_inodes, size_t *order);
/* Does name match one of the patterns (fnmatch, FNM_PERIOD: a leading dot
 * only where the pattern has one)? */
bool disk_name_matches(const char *name, char *const *patterns, size_t n);

/* ---- clean.c: in the worker lane --------------------------------------- */

/* Open dir (absolute, below mnt) as a directory fd without following a
 * symlink or leaving mnt's filesystem: openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS) from mnt;
 * without openat2 (< 5.6), or when a bind mount of the same filesystem is
 * on the way (systemd's ReadWritePaths= makes one), one component at a
 * time with O_NOFOLLOW and an fstat of each that must be on mnt's device.
 * The fd or -errno: -ELOOP a symlink on the way, -EXDEV another
 * filesystem, -ENOENT, -ENOTDIR. *ret_how: "openat2" or "component walk". */
int disk_open_dir(const char *mnt, const char *dir, const char **ret_how);
/* Tests: always the component walk, as on a kernel without openat2. */
extern bool disk_force_walk;

#define DISK_LIST_MAX 32                /* file names listed in a record */

/* A cleanup of one filesystem: what to do (in), what happened (out). The
 * job owns copies of everything, so that a reload meanwhile frees nothing
 * it reads. */
struct disk_clean {
	/* in */
	char *mnt;                      /* the mount point */
	dev_t sb_dev;                   /* its superblock's device (mountinfo) */
	struct og_disk rules;           /* a deep copy: path, cleanup rules, thresholds */
	struct disk_limits lim;
	int proc_fd;                    /* the daemon's, for the open-file scan */
	bool dry_run;
	bool need_complete;             /* delete nothing unless every process could be checked */
	uint64_t deadline_ms;           /* now_ms() past which it stops */
	bool need_given;                /* tests: free need_bytes and need_inodes, not what */
	uint64_t need_bytes, need_inodes;       /* the thresholds ask of the filesystem */
	/* out */
	int err;                        /* -errno: the mount point could not be opened */
	struct fs_usage before, after;
	size_t deleted, counts[DV_COUNT], errors;
	uint64_t bytes, inodes;         /* freed (dry run: would be) */
	bool timed_out;
	size_t unchecked;               /* processes whose open files could not be read */
	int unchecked_pid;
	int first_errno;                /* of an unlinkat that failed */
	char *dir_problem;              /* a rule's directory that could not be opened, and why */
	char *deleted_names[DISK_LIST_MAX];     /* "dir/name" */
	size_t n_deleted_names;
	char *skipped_names[DISK_LIST_MAX];     /* "dir/name (why)" */
	size_t n_skipped_names;
	const char *how;                /* how the last directory was opened */
};
/* Run it (the worker's fn). Always 0; the outcome is in c. */
int disk_clean_run(void *arg);
void disk_clean_free(struct disk_clean *c);
/* Deep copy and free of a config entry (the job's copy). */
int disk_entry_copy(const struct og_disk *from, struct og_disk *to);
void disk_entry_free(struct og_disk *d);

/* ---- hunt.c: in the worker lane ---------------------------------------- */

#define HUNT_FILES 4                    /* file names kept per process and filesystem */

/* A process with files on a hunted filesystem. */
struct hunt_hold {
	int pid;
	uint64_t start;                 /* its start time */
	unsigned fs;                    /* index into the job's filesystems */
	char comm[64];
	uint64_t write_bytes;           /* /proc/PID/io now; UINT64_MAX unreadable */
	size_t writable, deleted;       /* files open for writing there; deleted files held open */
	uint64_t writable_bytes, deleted_bytes; /* the space they take (st_blocks * 512) */
	char *files[HUNT_FILES];        /* writable ones first, then deleted ones ("... (deleted)") */
	size_t nfiles;
};

struct hunt {
	/* in */
	int proc_fd;
	dev_t devs[2 * DISK_MAX_WATCH]; /* per filesystem: its superblock's device and its st_dev */
	unsigned fs_of[2 * DISK_MAX_WATCH];
	size_t ndevs;
	uint64_t deadline_ms;
	/* out */
	uint64_t t_ms;
	struct hunt_hold *v;            /* sorted by pid, then fs */
	size_t n, cap;
	size_t unchecked;
	int err;
};
int disk_hunt_run(void *arg);
void disk_hunt_free(struct hunt *h);
/* The entry of pid (with that start time) on filesystem fs, or NULL. */
const struct hunt_hold *disk_hunt_find(const struct hunt *h, int pid, uint64_t start, unsigned fs);
/* What a process wrote to filesystem now->fs between the hunt prev and
 * now: the growth of its files open for writing there, or its write_bytes
 * (all filesystems; the one measure of files it opens and closes between
 * hunts), whichever is more. 0 when prev did not see it there. */
uint64_t disk_hunt_written(const struct hunt *prev, const struct hunt_hold *now);
