/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A cleanup, in the disk guard's worker lane (see disk.h). Safety is the
 * feature: each rule's directory is opened without following a symlink or
 * leaving the filesystem, its entries are looked at with
 * fstatat(AT_SYMLINK_NOFOLLOW) and deleted with unlinkat relative to it,
 * never a directory, never a file some process has open or mapped, never
 * one on another filesystem, and nothing at all in a dry run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "guards/disk/disk.h"
#include "observe/openfiles.h"

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif
#endif
#ifndef RESOLVE_BENEATH
struct open_how {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define DISK_FILES_MAX 100000   /* matching entries looked at per cleanup */

bool disk_force_walk;

/* One component at a time, each opened O_NOFOLLOW and on mnt's device. */
static int walk(int mnt_fd, dev_t dev, const char *rel)
{
	char comp[256];
	int fd = dup(mnt_fd);

	if (fd < 0)
		return -errno;
	while (*rel) {
		size_t n = strcspn(rel, "/");
		struct stat st;
		int next;

		if (n == 0 || n >= sizeof(comp) || (n == 1 && rel[0] == '.') ||
		    (n == 2 && rel[0] == '.' && rel[1] == '.')) {
			close(fd);
			return -EINVAL;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		rel += n + (rel[n] == '/');
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			/* O_DIRECTORY on a symlink says ENOTDIR: say what it is */
			next = errno == ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			       S_ISLNK(st.st_mode) ? -ELOOP : -errno;
			close(fd);
			return next;
		}
		close(fd);
		fd = next;
		if (fstat(fd, &st) < 0 || st.st_dev != dev) {
			close(fd);
			return -EXDEV;
		}
	}
	return fd;
}

int disk_open_dir(const char *mnt, const char *dir, const char **ret_how)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
			   RESOLVE_NO_MAGICLINKS,
	};
	size_t n = strlen(mnt);
	const char *rel;
	struct stat st;
	int mnt_fd, fd;

	if (!strcmp(mnt, "/"))
		n = 0;
	if (dir[0] != '/' || strncmp(dir, mnt, n) || (dir[n] != '/' && dir[n] != '\0'))
		return -EXDEV;          /* not below the mount point */
	rel = dir + n;
	while (*rel == '/')
		rel++;
	if ((mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(mnt_fd, &st) < 0) {
		fd = -errno;
		close(mnt_fd);
		return fd;
	}
	*ret_how = "openat2";
	fd = disk_force_walk ? -ENOSYS :
	     (int)syscall(SYS_openat2, mnt_fd, *rel ? rel : ".", &how, sizeof(how));
	if (fd < 0 && !disk_force_walk)
		fd = -errno;
	/* no openat2, or a bind mount of the same filesystem on the way; or
	 * ENOTDIR, which the walk tells apart from a symlink at the end */
	if (fd == -ENOSYS || fd == -EXDEV || fd == -E2BIG || fd == -EINVAL || fd == -EPERM ||
	    fd == -ENOTDIR) {
		*ret_how = "component walk";
		fd = walk(mnt_fd, st.st_dev, rel);
	}
	close(mnt_fd);
	return fd;
}

int disk_entry_copy(const struct og_disk *from, struct og_disk *to)
{
	memset(to, 0, sizeof(*to));
	*to = *from;
	to->path = NULL;
	to->cleanup = NULL;
	to->n_cleanup = 0;
	if (!(to->path = strdup(from->path)))
		return -ENOMEM;
	if (from->n_cleanup && !(to->cleanup = calloc(from->n_cleanup, sizeof(*to->cleanup))))
		return -ENOMEM;
	for (size_t i = 0; i < from->n_cleanup; i++) {
		const struct og_disk_cleanup *f = &from->cleanup[i];
		struct og_disk_cleanup *t = &to->cleanup[i];

		to->n_cleanup++;
		t->older_than_ms = f->older_than_ms;
		t->line = f->line;
		t->col = f->col;
		if (!(t->dir = strdup(f->dir)))
			return -ENOMEM;
		for (size_t k = 0; k < f->n_match; k++, t->n_match++)
			if (!(t->match[k] = strdup(f->match[k])))
				return -ENOMEM;
	}
	return 0;
}

void disk_entry_free(struct og_disk *d)
{
	for (size_t i = 0; i < d->n_cleanup; i++) {
		free(d->cleanup[i].dir);
		for (size_t k = 0; k < d->cleanup[i].n_match; k++)
			free(d->cleanup[i].match[k]);
	}
	free(d->cleanup);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

void disk_clean_free(struct disk_clean *c)
{
	if (!c)
		return;
	free(c->mnt);
	disk_entry_free(&c->rules);
	for (size_t i = 0; i < c->n_deleted_names; i++)
		free(c->deleted_names[i]);
	for (size_t i = 0; i < c->n_skipped_names; i++)
		free(c->skipped_names[i]);
	free(c->dir_problem);
	free(c);
}

/* The matching entries of one rule's directory, appended to *files. */
static int list_dir(int dfd, const struct og_disk_cleanup *r, unsigned rule, dev_t dev,
		    struct disk_file **files, size_t *n, size_t *cap)
{
	struct dirent *de;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d)) && *n < DISK_FILES_MAX) {
		struct disk_file *f;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    strlen(de->d_name) >= sizeof(f->name) ||
		    !disk_name_matches(de->d_name, r->match, r->n_match))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;       /* gone meanwhile */
		if (*n == *cap) {
			size_t c2 = *cap ? 2 * *cap : 256;
			struct disk_file *v = realloc(*files, c2 * sizeof(*v));

			if (!v) {
				closedir(d);
				return -ENOMEM;
			}
			*files = v;
			*cap = c2;
		}
		f = &(*files)[(*n)++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		f->rule = rule;
		f->regular = S_ISREG(st.st_mode);
		f->other_fs = st.st_dev != dev;
		f->nlink = st.st_nlink;
		f->mtime = st.st_mtim.tv_sec;
		f->bytes = (uint64_t)st.st_blocks * 512;
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	closedir(d);
	return 0;
}

/* ---- who has them open ------------------------------------------------- */

struct open_check {
	struct disk_file *files;
	size_t *idx;                    /* files that may go, sorted by inode */
	size_t n;
	dev_t sb_dev;
	int proc_fd;
};

static int cmp_ino(const void *a, const void *b, void *files)
{
	const struct disk_file *v = files;
	uint64_t x = v[*(const size_t *)a].ino, y = v[*(const size_t *)b].ino;

	return (x > y) - (x < y);
}

static int on_open(const struct of_hit *h, void *userdata)
{
	struct open_check *oc = userdata;
	size_t lo = 0, hi = oc->n;

	while (lo < hi) {               /* the first with this inode */
		size_t mid = (lo + hi) / 2;

		if (oc->files[oc->idx[mid]].ino < h->ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < oc->n && oc->files[oc->idx[lo]].ino == h->ino; lo++) {
		struct disk_file *f = &oc->files[oc->idx[lo]];
		char path[32], comm[64];
		ssize_t k;

		/* an fd's st_dev is the file's; a mapping's device is its
		 * superblock's (they differ on btrfs subvolumes) */
		if (f->open || (h->dev != f->dev && (h->fd >= 0 || h->dev != oc->sb_dev)))
			continue;
		f->open = true;
		f->open_pid = h->pid;
		snprintf(path, sizeof(path), "%d/comm", h->pid);
		k = read_file_at(oc->proc_fd, path, comm, sizeof(comm));
		while (k > 0 && comm[k - 1] == '\n')
			comm[--k] = '\0';
		snprintf(f->open_comm, sizeof(f->open_comm), "%s", k > 0 ? comm : "?");
	}
	return 0;
}

/* Mark the files some process has open or mapped; 0 or -errno. */
static int check_open(struct disk_clean *c, struct disk_file *files, size_t n, dev_t dir_dev)
{
	struct open_check oc = { .files = files, .sb_dev = c->sb_dev, .proc_fd = c->proc_fd };
	dev_t devs[2] = { dir_dev, c->sb_dev };
	struct of_scan s = {
		.devs = devs, .ndevs = dir_dev == c->sb_dev ? 1 : 2, .what = OF_FDS | OF_MAPS,
		.hit = on_open, .userdata = &oc, .deadline_ms = c->deadline_ms,
	};
	int r;

	if (!(oc.idx = malloc((n ? n : 1) * sizeof(*oc.idx))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (files[i].regular && !files[i].other_fs && files[i].nlink <= 1)
			oc.idx[oc.n++] = i;
	qsort_r(oc.idx, oc.n, sizeof(*oc.idx), cmp_ino, files);
	r = oc.n ? openfiles_scan(c->proc_fd, &s) : 0;
	c->unchecked = s.unchecked;
	c->unchecked_pid = s.unchecked_pid;
	openfiles_scan_free(&s);
	free(oc.idx);
	return r;
}

/* ---- the run ----------------------------------------------------------- */

/* "dir/name" or "dir/name (why)" into a record's list. */
static void note(char **list, size_t *n, const char *dir, const char *name, const char *why)
{
	char *s;

	if (*n < DISK_LIST_MAX && asprintf(&s, "%s%s%s%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
					   name, why ? " (" : "", why ? why : "", why ? ")" : "") >= 0)
		list[(*n)++] = s;
}

static void note_skip(struct disk_clean *c, const struct disk_file *f)
{
	const char *dir = c->rules.cleanup[f->rule].dir;
	char why[96];

	if (f->verdict == DV_OPEN)
		snprintf(why, sizeof(why), "open by pid %d %s", f->open_pid, f->open_comm);
	else
		snprintf(why, sizeof(why), "%s", disk_verdict_name(f->verdict));
	note(c->skipped_names, &c->n_skipped_names, dir, f->name, why);
}

/* Delete files[order[0..k)] of the rules' open directories. */
static void delete_files(struct disk_clean *c, struct disk_file *files, const size_t *order,
			 size_t k, const int *dfd)
{
	for (size_t i = 0; i < k; i++) {
		struct disk_file *f = &files[order[i]];
		struct stat st;

		if (c->deadline_ms && now_ms() > c->deadline_ms) {
			c->timed_out = true;
			for (; i < k; i++)
				files[order[i]].verdict = DV_KEPT;
			return;
		}
		/* still the file that was planned for? (renamed over meanwhile) */
		if (fstatat(dfd[f->rule], f->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_dev != f->dev || st.st_ino != f->ino ||
		    st.st_nlink > 1) {
			f->verdict = DV_KEPT;
			continue;
		}
		if (!c->dry_run && unlinkat(dfd[f->rule], f->name, 0) < 0) {
			if (!c->errors++)
				c->first_errno = errno;
			f->verdict = DV_KEPT;
			continue;
		}
		c->deleted++;
		c->bytes += f->bytes;
		c->inodes++;
		note(c->deleted_names, &c->n_deleted_names, c->rules.cleanup[f->rule].dir, f->name,
		     NULL);
	}
}

int disk_clean_run(void *arg)
{
	struct disk_clean *c = arg;
	struct disk_file *files = NULL;
	size_t n = 0, cap = 0, k, *order = NULL;
	int dfd[OG_MAX_CLEANUP], mnt_fd;
	int64_t older[OG_MAX_CLEANUP];
	uint64_t need_bytes, need_inodes;
	struct stat mst;

	for (size_t i = 0; i < OG_MAX_CLEANUP; i++)
		dfd[i] = -1;
	if ((mnt_fd = open(c->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(mnt_fd, &mst) < 0 || fs_usage_fd(mnt_fd, &c->before) < 0) {
		c->err = -errno;
		goto out;
	}
	c->after = c->before;
	for (size_t i = 0; i < c->rules.n_cleanup; i++) {
		const struct og_disk_cleanup *r = &c->rules.cleanup[i];

		older[i] = (int64_t)(r->older_than_ms / 1000);
		dfd[i] = disk_open_dir(c->mnt, r->dir, &c->how);
		if (dfd[i] < 0) {
			if (!c->dir_problem && asprintf(&c->dir_problem, "%s: %s", r->dir,
							dfd[i] == -ELOOP ? "a symbolic link on the way" :
							dfd[i] == -EXDEV ? "on another filesystem" :
							strerror(-dfd[i])) < 0)
				c->dir_problem = NULL;
			continue;
		}
		if (list_dir(dfd[i], r, (unsigned)i, mst.st_dev, &files, &n, &cap) == -ENOMEM) {
			c->err = -ENOMEM;
			goto out;
		}
	}
	disk_need(&c->before, &c->lim, &need_bytes, &need_inodes);
	if (c->need_given) {
		need_bytes = c->need_bytes;
		need_inodes = c->need_inodes;
	}
	if (n && (c->err = check_open(c, files, n, mst.st_dev)) < 0) {
		c->timed_out = c->err == -ETIMEDOUT;
		c->err = c->timed_out ? 0 : c->err;
		if (c->timed_out)
			goto out;
	}
	if (!(order = malloc((n ? n : 1) * sizeof(*order)))) {
		c->err = -ENOMEM;
		goto out;
	}
	k = disk_plan(files, n, older, (int64_t)time(NULL), need_bytes, need_inodes, order);
	if (c->unchecked && c->need_complete) {
		for (size_t i = 0; i < k; i++)
			files[order[i]].verdict = DV_UNCHECKED;
		k = 0;
	}
	delete_files(c, files, order, k, dfd);
	for (size_t i = 0; i < n; i++) {
		c->counts[files[i].verdict]++;
		if (files[i].verdict != DV_DELETE && files[i].verdict != DV_KEPT &&
		    files[i].verdict != DV_YOUNG)
			note_skip(c, &files[i]);
	}
	if (fs_usage_fd(mnt_fd, &c->after) < 0)
		c->after = c->before;
out:
	for (size_t i = 0; i < OG_MAX_CLEANUP; i++)
		if (dfd[i] >= 0)
			close(dfd[i]);
	if (mnt_fd >= 0)
		close(mnt_fd);
	free(order);
	free(files);
	return 0;
}
