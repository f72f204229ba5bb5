/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ML dataset's file (see dataset.h): appending a batch, the header of
 * a new file, rotation by size. It runs in the calibration guard's worker
 * lane: a write may block on a slow or full disk, never the loop. */
#include "report/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

#define HEADER_LEN (sizeof(DS_HEADER) - 1)

/* Open the file to append: never through a symlink (-ELOOP), never a FIFO
 * or a device (O_NONBLOCK: a FIFO without a reader is -ENXIO at once; with
 * one, -EINVAL as any other file that is not regular). */
static int open_target(const char *path, uint64_t *ret_size)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		      O_NOCTTY, 0600);
	struct stat st;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
	} else {
		*ret_size = (uint64_t)st.st_size;
		return fd;
	}
	close(fd);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append n bytes at size; a failed write is cut back off the file, so
 * that no torn row is left for the next one to run into. */
static int append(int fd, const char *p, size_t n, uint64_t *size)
{
	int r = write_all(fd, p, n);

	if (r < 0) {
		if (ftruncate(fd, (off_t)*size) < 0) {
			/* nothing more to do: r says what went wrong */
		}
		return r;
	}
	*size += n;
	return 0;
}

static int name_of(char *buf, size_t size, const char *path, unsigned i)
{
	int n = snprintf(buf, size, "%s.%u", path, i);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* path.keep-1 -> path.keep ... path -> path.1 (rename replaces the oldest,
 * and a symlink planted at a name, never following it). */
static int shift(const char *path, unsigned keep)
{
	char from[PATH_MAX], to[PATH_MAX];
	int r;

	for (unsigned i = keep; i > 1; i--) {
		if ((r = name_of(from, sizeof(from), path, i - 1)) < 0 ||
		    (r = name_of(to, sizeof(to), path, i)) < 0)
			return r;
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	if ((r = name_of(to, sizeof(to), path, 1)) < 0)
		return r;
	return rename(path, to) < 0 ? -errno : 0;
}

/* Start the file afresh: rotated away (or truncated, keep 0). The fd and
 * the size are the new file's. */
static int rotate(const struct ds_target *t, int *fd, uint64_t *size)
{
	int r;

	if (!t->keep) {
		if (ftruncate(*fd, 0) < 0)
			return -errno;
		*size = 0;
		return 0;
	}
	if ((r = shift(t->path, t->keep)) < 0)
		return r;
	close(*fd);
	*fd = open_target(t->path, size);
	return *fd < 0 ? *fd : 0;
}

/* The length of the row at p: up to its newline outside quotes. */
static size_t row_len(const char *p, size_t n)
{
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (p[i] == '\n' && !quoted)
			return i + 1;
	}
	return n;
}

/* The whole rows from p that fit in room bytes (at least one when
 * one_anyway): their length, their count in *ret_rows. */
static size_t chunk(const char *p, size_t n, uint64_t room, bool one_anyway, size_t *ret_rows)
{
	size_t len = 0, rows = 0;

	while (len < n) {
		size_t l = row_len(p + len, n - len);

		if (len + l > room && !(one_anyway && !rows))
			break;
		len += l;
		rows++;
	}
	*ret_rows = rows;
	return len;
}

static int flush_into(const struct ds_target *t, const struct ds_batch *b, int *fd,
		      uint64_t *size, struct ds_flush_result *ret)
{
	size_t off = 0, rows, n;
	int r;

	while (off < b->len) {
		if (*size == 0 && (r = append(*fd, DS_HEADER, HEADER_LEN, size)) < 0) {
			ret->op = "write";
			return r;
		}
		n = chunk(b->buf + off, b->len - off, t->max_size > *size ? t->max_size - *size : 0,
			  *size <= HEADER_LEN, &rows);
		if (!n) {               /* full: the next row starts a new file */
			if ((r = rotate(t, fd, size)) < 0) {
				ret->op = "rotate";
				return r;
			}
			ret->rotations++;
			continue;
		}
		if ((r = append(*fd, b->buf + off, n, size)) < 0) {
			ret->op = "write";
			return r;
		}
		off += n;
		ret->rows += rows;
	}
	return 0;
}

int ds_flush(const struct ds_target *t, const struct ds_batch *b, struct ds_flush_result *ret)
{
	uint64_t size = 0;
	int fd, r;

	*ret = (struct ds_flush_result){ 0 };
	if (!t->path || !b->len)
		return t->path ? 0 : -EINVAL;
	if ((fd = open_target(t->path, &size)) < 0) {
		ret->op = "open";
		return fd;
	}
	r = flush_into(t, b, &fd, &size, ret);
	ret->size = fd >= 0 ? size : 0;
	if (fd >= 0)
		close(fd);
	return r;
}
