// SPDX-License-Identifier: GPL-2.0-or-later
/* Filesystems (see fs.h). */
#include "observe/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "core/util.h"
#include "observe/mountinfo.h"

static bool span_is(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

int fs_mounts_parse(const char *buf, struct fs_mounts *m)
{
	struct mountinfo_line l;
	const char *pos = buf;
	int r;

	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	m->n = 0;
	while ((r = mountinfo_next(&pos, &l)) != -ENOENT) {
		struct fs_mount *f;
		char path[4096];

		if (r < 0 || mountinfo_unescape(l.mnt, l.mnt_len, path, sizeof(path)) < 0)
			continue;
		if (m->n == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 64;
			struct fs_mount *v = realloc(m->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			m->v = v;
			m->cap = cap;
		}
		f = &m->v[m->n];
		memset(f, 0, sizeof(*f));
		if (!(f->path = strdup(path)))
			return -ENOMEM;
		memcpy(f->type, l.fstype, MIN(l.fstype_len, sizeof(f->type) - 1));
		f->major = l.major;
		f->minor = l.minor;
		f->sb_ro = mountinfo_has_opt(l.super_opts, l.super_opts_len, "ro");
		f->bind = !span_is(l.root, l.root_len, "/");
		m->n++;
	}
	return 0;
}

int fs_mounts_read(int proc_fd, struct fs_mounts *m)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = mountinfo_read(proc_fd, &buf, &cap);
	int r = n < 0 ? (int)n : fs_mounts_parse(buf, m);

	free(buf);
	return r;
}

void fs_mounts_free(struct fs_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static bool in_list(const char *type, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(type, list[i]))
			return true;
	return false;
}

enum fs_kind fs_kind_of(const struct fs_mount *m)
{
	static const char *const readonly[] = { "squashfs", "iso9660", "erofs", "cramfs", "romfs",
						"udf", NULL };
	static const char *const memory[] = { "tmpfs", "ramfs", NULL };
	static const char *const network[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph",
					       "glusterfs", "9p", "afs", "ncpfs", "lustre",
					       "gfs2", "ocfs2", "virtiofs", NULL };
	/* local filesystems whose st_dev is anonymous (major 0) */
	static const char *const local_anon[] = { "btrfs", "zfs", "bcachefs", NULL };

	if (m->sb_ro || in_list(m->type, readonly))
		return FS_READONLY;
	if (in_list(m->type, memory))
		return FS_MEMORY;
	if (in_list(m->type, network) || !strncmp(m->type, "fuse.", 5) || !strcmp(m->type, "fuse") ||
	    !strncmp(m->type, "nfs", 3))
		return FS_NETWORK;
	if (m->major != 0 || in_list(m->type, local_anon))
		return FS_LOCAL;
	return FS_PSEUDO;
}

const char *fs_kind_name(enum fs_kind k)
{
	static const char *const names[] = { "local", "memory", "pseudo", "network", "read-only" };

	return (size_t)k < ARRAY_SIZE(names) ? names[k] : "?";
}

/* Is mnt path itself or a parent directory of it? */
static bool holds(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return path[0] == '/';
	return !strncmp(mnt, path, n) && (path[n] == '\0' || path[n] == '/');
}

ssize_t fs_mount_holding(const struct fs_mounts *m, const char *path)
{
	ssize_t best = -1;
	size_t best_len = 0;

	for (size_t i = 0; i < m->n; i++) {
		size_t len = strlen(m->v[i].path);

		if (holds(m->v[i].path, path) && (best < 0 || len >= best_len)) {
			best = (ssize_t)i;
			best_len = len;
		}
	}
	return best;
}

ssize_t fs_mount_at(const struct fs_mounts *m, const char *path)
{
	ssize_t at = -1;

	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].path, path))
			at = (ssize_t)i;
	return at;
}

void fs_usage_from(const struct statvfs *sv, struct fs_usage *ret)
{
	uint64_t unit = sv->f_frsize ? sv->f_frsize : sv->f_bsize;

	ret->size = (uint64_t)sv->f_blocks * unit;
	ret->avail = (uint64_t)sv->f_bavail * unit;
	ret->files = sv->f_files;
	ret->favail = MIN((uint64_t)sv->f_favail, (uint64_t)sv->f_files);
}

int fs_usage_fd(int fd, struct fs_usage *ret)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	fs_usage_from(&sv, ret);
	return 0;
}

double fs_free_percent(const struct fs_usage *u)
{
	if (!u->size)
		return 100;
	return 100.0 * (double)MIN(u->avail, u->size) / (double)u->size;
}

double fs_inodes_free_percent(const struct fs_usage *u)
{
	if (!u->files)
		return -1;
	return 100.0 * (double)MIN(u->favail, u->files) / (double)u->files;
}
