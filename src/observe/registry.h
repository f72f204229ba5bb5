/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime value registry (`oomguard value set|list|clear`): a small
 * root-owned file, RUNTIME_DIR/values, one entry a line:
 *     pid PID STARTTIME VALUE
 *     cgroup PATH VALUE
 * A pid entry carries the process's start time so a reused pid never
 * inherits it. The daemon refuses a file that is not owned by root or is
 * writable by anyone else. Also: the cgroup xattr trusted.oomguard.value. */
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
	struct timespec mtime;  /* ctime of the file last loaded */
	ino_t ino;
};

/* Parse the registry text. Malformed lines give -EINVAL with *ret_line set. */
int parse_registry(const char *buf, struct registry *ret, int *ret_line);
/* Write the registry text into buf; returns its length or -ENOSPC. */
int format_registry(const struct registry *r, char *buf, size_t size);

/* Reload dirfd/values if it changed since the last load (no-op otherwise).
 * A missing file is an empty registry. -EPERM if the file is not owned by
 * root or is group/world-writable (then r is emptied). */
int registry_refresh(int dirfd, struct registry *r);

/* Change the registry under an exclusive lock, atomically (write a temp
 * file, rename). value < 0 removes the entry. */
int registry_update(int dirfd, const struct registry_entry *key, int64_t value);

/* The value for a process: a pid entry (matching start time), else the
 * entry of its cgroup or nearest ancestor. false if none. */
bool registry_lookup(const struct registry *r, int pid, uint64_t starttime,
		     const char *cgroup, int64_t *ret);

/* trusted.oomguard.value of the cgroup at relpath or its nearest ancestor
 * below cg_root_fd. -ENODATA if none has it. */
int cgroup_value_xattr(int cg_root_fd, const char *relpath, int64_t *ret);
