/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard's state, shared by its loop-side files: disk.c (the looks
 * and jobs), eaters.c (writers, deleted files held open, the pipeline) and
 * show.c (explain). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/describe.h"
#include "core/guard.h"
#include "core/loop.h"
#include "guards/disk/disk.h"
#include "guards/memory/policy.h"
#include "observe/meminfo.h"
#include "report/record.h"

/* A watched filesystem. */
struct disk_watch {
	char *path;                     /* its mount point */
	char type[32];
	unsigned major, minor;          /* its superblock's device */
	dev_t st_dev;                   /* its mount point's st_dev (differs on btrfs) */
	int cfg;                        /* its `disk` entry, -1: the default watch */
	struct disk_limits lim;
	struct fs_usage u;              /* the last look */
	struct disk_rate rate;
	bool low_space, low_inodes;     /* under a threshold (as last recorded) */
	unsigned fast;                  /* looks in a row that would fill it within the horizon */
	bool filling;                   /* reported as filling abnormally fast */
	bool want_clean, hunting;       /* what the last look asked for */
	uint64_t cleaned_ms;            /* the last cleanup of this episode, 0 none */
	bool said_clean;                /* a cleanup record was written this episode */
	uint64_t reported_ms;           /* writers last reported */
	uint64_t held_ms;               /* holders of deleted files last reported */
	char last_clean[200];           /* for explain */
	char last_eaters[200];
};

struct disk_guard {
	struct loop_timer timer;
	struct disk_watch *w;           /* DISK_MAX_WATCH allocated, n used */
	size_t n;
	char *skipped;                  /* listed filesystems not watched, and why */
	unsigned gen;                   /* config generation: older jobs report to nobody */
	struct hunt *hunt, *prev;       /* the last two hunts for writers */
	int kill_fs;                    /* the filesystem a victim is asked for (usage_of) */
	struct meminfo mi;
	struct verdict v;
	bool said_mounts;
	uint64_t looks, cleanups, reports, acted;
};

/* The fields of a record about w. */
void disk_record_of(const struct disk_watch *w, const char *event, const char *message,
		    struct disk_record *r);
void disk_watches_free(struct disk_guard *dg);
/* "free space 3.2% (812 MiB) < 5%", "free inodes 0.9% (118) < 5%", or both. */
void disk_low_reason(const struct disk_watch *w, bool space, bool inodes, char *buf, size_t size);
/* A hunt came back (D(g)->hunt, the one before in ->prev): records, and
 * the pipeline for writer_action: kill (eaters.c). */
void disk_hunt_done(struct guard *g);
void disk_describe(struct guard *g, struct describe *d);
