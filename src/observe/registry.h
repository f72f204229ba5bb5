/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime value registry (`oomguard value set|list|clear`): a small
 * root-owned file, RUNTIME_DIR/values, one entry a line:
 *     pid PID STARTTIME VALUE
 *     cgroup PATH VALUE
 * A pid entry carries the process's start time so a reused pid never
 * inherits it. The daemon ignores the file when it or its directory is not
 * owned by root or is writable by group or others, when it is a symlink or
 * not a regular file, and when it is malformed; registry_refresh says which
 * (r->err, registry_strerror) and when that changes (r->changed), for the
 * caller to report. Also: the cgroup xattr trusted.oomguard.value. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define OG_RUNTIME_DIR "/run/oomguard"
#define REGISTRY_MAX 512
#define REGISTRY_FILE "values"
#define REGISTRY_XATTR "trusted.oomguard.value"
#define VALUE_MAX 1000000

struct registry_entry {
	bool is_pid;
	int pid;
	uint64_t starttime;
	char cgroup[256];       /* "/a/b" */
	int64_t value;
};

struct registry {
	struct registry_entry e[REGISTRY_MAX];
	size_t n;
	/* The outcome of the last registry_refresh: */
	int err;                /* 0 (entries in force, or no file), or why the file is
				 * ignored: -EPERM refused (why), -EINVAL malformed (line),
				 * -ENOSPC too many entries, -EFBIG too big, other -errno */
	const char *why;        /* -EPERM: which check failed */
	bool dir_refused;       /* -EPERM: the directory's fault, not the file's */
	int line;               /* -EINVAL: the first malformed line */
	bool changed;           /* this refresh changed the outcome: a new file, or a new
				 * reason to ignore one; report it then (once) */
	bool have_file;         /* ino and ctime name the file the outcome is from */
	struct timespec mtime;  /* its ctime */
	ino_t ino;
};

/* Parse the registry text. Malformed lines give -EINVAL with *ret_line set. */
int parse_registry(const char *buf, struct registry *ret, int *ret_line);
/* Write the registry text into buf; returns its length or -ENOSPC. */
int format_registry(const struct registry *r, char *buf, size_t size);

/* Reload dirfd/values if it changed since the last load (no-op otherwise).
 * A missing file is an empty registry. A file that is refused (it or dirfd
 * is not root's, or is writable by group or others, or it is a symlink) or
 * malformed is ignored as a whole: r is emptied and r->err (returned) says
 * why; r->changed is true when the outcome differs from the last call's. */
int registry_refresh(int dirfd, struct registry *r);
/* Why the registry is ignored, for a person ("line 3 is malformed"); "" when
 * it is not. */
const char *registry_strerror(const struct registry *r, char *buf, size_t size);

#define REGISTRY_WHY_MAX 128
/* Change the registry under an exclusive lock (dirfd/.lock), atomically: a
 * fresh temporary dirfd/values.tmp (a stale one is removed first; created
 * O_EXCL, never through a symlink), renamed over values. value < 0 removes
 * the entry (-ENOENT when there is none). Refused (-EPERM, -EINVAL) when
 * the directory or the current file would be ignored by the daemon, with
 * why filled (may be NULL). */
int registry_update(int dirfd, const struct registry_entry *key, int64_t value,
		    char why[REGISTRY_WHY_MAX]);

/* The value for a process: a pid entry (matching start time), else the
 * entry of its cgroup or nearest ancestor. false if none. */
bool registry_lookup(const struct registry *r, int pid, uint64_t starttime,
		     const char *cgroup, int64_t *ret);

/* trusted.oomguard.value of the cgroup at relpath or its nearest ancestor
 * below cg_root_fd. -ENODATA if none has it. */
int cgroup_value_xattr(int cg_root_fd, const char *relpath, int64_t *ret);
