/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who eats a filesystem, in the disk guard's worker lane (see disk.h):
 * every process with a file open for writing on it, or a deleted file it
 * still holds open there (the space du cannot explain, freed only when the
 * holder closes it), with the space those files take and its write_bytes
 * from /proc/PID/io. The rate is the difference between two hunts, on the
 * loop: the growth of its writable files there (the one measure on tmpfs,
 * whose writes never reach write_bytes), or its write_bytes, whichever is
 * more. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "guards/disk/disk.h"
#include "observe/openfiles.h"
#include "observe/proc.h"
#include "observe/sysstat.h"

static int fs_of_dev(const struct hunt *h, dev_t dev)
{
	for (size_t i = 0; i < h->ndevs; i++)
		if (h->devs[i] == dev)
			return (int)h->fs_of[i];
	return -1;
}

/* The entry of (pid, fs), made when new: the scan goes one process at a
 * time, so its entries are the last ones. */
static struct hunt_hold *hold_of(struct hunt *h, int pid, unsigned fs)
{
	struct hunt_hold *e;
	struct proc_stat st;
	struct proc_io io;

	for (size_t i = h->n; i-- > 0 && h->v[i].pid == pid;)
		if (h->v[i].fs == fs)
			return &h->v[i];
	if (proc_read_stat(h->proc_fd, pid, &st) < 0)
		return NULL;    /* gone */
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct hunt_hold *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		h->v = v;
		h->cap = cap;
	}
	e = &h->v[h->n++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->fs = fs;
	e->start = st.starttime;
	snprintf(e->comm, sizeof(e->comm), "%s", st.comm);
	e->write_bytes = proc_read_io(h->proc_fd, pid, &io) == 0 ? io.write_bytes : UINT64_MAX;
	return e;
}

static void keep_name(struct hunt_hold *e, const char *link, bool first)
{
	char *s;

	if (e->nfiles == HUNT_FILES && first) {
		free(e->files[HUNT_FILES - 1]);         /* a writable file before a deleted one */
		e->nfiles--;
	}
	if (e->nfiles == HUNT_FILES || !(s = strdup(link ? link : "?")))
		return;
	if (first) {
		memmove(&e->files[1], &e->files[0], e->nfiles * sizeof(*e->files));
		e->files[0] = s;
	} else {
		e->files[e->nfiles] = s;
	}
	e->nfiles++;
}

static int on_file(const struct of_hit *hit, void *userdata)
{
	struct hunt *h = userdata;
	bool writable = (hit->flags & O_ACCMODE) != O_RDONLY, deleted = hit->st->st_nlink == 0;
	int fs = fs_of_dev(h, hit->dev);
	struct hunt_hold *e;

	if (fs < 0 || (!writable && !deleted))
		return 0;
	if (!(e = hold_of(h, hit->pid, (unsigned)fs)))
		return 0;
	if (deleted) {
		e->deleted++;
		e->deleted_bytes += (uint64_t)hit->st->st_blocks * 512;
	} else {
		e->writable++;
		e->writable_bytes += (uint64_t)hit->st->st_blocks * 512;
	}
	keep_name(e, hit->link, !deleted);
	return 0;
}

static int cmp_hold(const void *a, const void *b)
{
	const struct hunt_hold *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fs > y->fs) - (x->fs < y->fs);
}

int disk_hunt_run(void *arg)
{
	struct hunt *h = arg;
	struct of_scan s = {
		.devs = h->devs, .ndevs = h->ndevs, .what = OF_FDS | OF_FLAGS | OF_LINK,
		.hit = on_file, .userdata = h, .deadline_ms = h->deadline_ms,
	};

	h->t_ms = now_ms();
	h->err = openfiles_scan(h->proc_fd, &s);
	h->unchecked = s.unchecked;
	openfiles_scan_free(&s);
	qsort(h->v, h->n, sizeof(*h->v), cmp_hold);
	return 0;
}

void disk_hunt_free(struct hunt *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		for (size_t k = 0; k < h->v[i].nfiles; k++)
			free(h->v[i].files[k]);
	free(h->v);
	free(h);
}

const struct hunt_hold *disk_hunt_find(const struct hunt *h, int pid, uint64_t start, unsigned fs)
{
	struct hunt_hold key = { .pid = pid, .fs = fs };
	const struct hunt_hold *e;

	if (!h || !h->n)
		return NULL;
	e = bsearch(&key, h->v, h->n, sizeof(*h->v), cmp_hold);
	return e && e->start == start ? e : NULL;
}

uint64_t disk_hunt_written(const struct hunt *prev, const struct hunt_hold *now)
{
	const struct hunt_hold *same = disk_hunt_find(prev, now->pid, now->start, now->fs);
	uint64_t grown = 0, written = 0;
	size_t lo = 0, hi;

	if (!same)
		return 0;       /* not seen on this filesystem before: not measured */
	if (now->writable_bytes > same->writable_bytes)
		grown = now->writable_bytes - same->writable_bytes;
	/* write_bytes is the process's: any of its entries has it */
	for (hi = prev->n; lo < hi;) {
		size_t mid = (lo + hi) / 2;

		if (prev->v[mid].pid < now->pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (now->write_bytes != UINT64_MAX && prev->v[lo].write_bytes != UINT64_MAX &&
	    prev->v[lo].write_bytes <= now->write_bytes)
		written = now->write_bytes - prev->v[lo].write_bytes;
	return MAX(grown, written);
}
