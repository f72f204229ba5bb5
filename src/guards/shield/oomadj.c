/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/shield/oomadj.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "observe/proc.h"

/* Larger first; ties: lower pid. */
static bool bigger(const struct oa_proc *a, const struct oa_proc *b)
{
	return a->rss != b->rss ? a->rss > b->rss : a->pid < b->pid;
}

size_t oomadj_top(const struct oa_proc *v, size_t n, size_t count, size_t *out)
{
	size_t k = 0;

	/* Insertion into a short sorted array: count is small (the seed says 3). */
	for (size_t i = 0; i < n && count; i++) {
		size_t j;

		if (!v[i].eligible || v[i].rss == 0)
			continue;
		if (k == count && !bigger(&v[i], &v[out[k - 1]]))
			continue;
		j = k < count ? k++ : k - 1;
		while (j > 0 && bigger(&v[i], &v[out[j - 1]])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return k;
}

enum oa_decision oomadj_decide(const struct oa_entry *e, int cur, int target, enum oa_mode mode)
{
	if (e) {
		if (e->hands_off)
			return OA_SKIP;
		if (cur != e->applied)
			return OA_DISOWN;
		return cur == target ? OA_KEEP : OA_WRITE;
	}
	if (mode == OA_RAISE)
		return cur < 0 || cur >= target ? OA_SKIP : OA_WRITE;
	return cur <= target ? OA_SKIP : OA_WRITE;
}

bool oomadj_should_restore(const struct oa_entry *e, int cur)
{
	return cur == e->applied && cur != e->original;
}

static int read_adj(int fd, int *ret)
{
	char buf[32];
	int64_t v;
	ssize_t n = read_file_at(fd, "oom_score_adj", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int_range(buf, OOMADJ_MIN, OOMADJ_MAX, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int oomadj_read(int proc_fd, int pid, uint64_t starttime, int *ret)
{
	int fd = proc_open_same(proc_fd, pid, starttime, NULL), r;

	if (fd < 0)
		return fd;
	r = read_adj(fd, ret);
	close(fd);
	return r;
}

int oomadj_write(int proc_fd, int pid, uint64_t starttime, int value)
{
	char buf[16];
	int fd = proc_open_same(proc_fd, pid, starttime, NULL), r;

	if (fd < 0)
		return fd;
	snprintf(buf, sizeof(buf), "%d", value);
	r = write_file_trunc_at(fd, "oom_score_adj", buf);
	close(fd);
	return r;
}

static struct oa_entry *find(struct oa_state *st, int pid, uint64_t starttime)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].pid == pid && st->v[i].starttime == starttime)
			return &st->v[i];
	return NULL;
}

static void drop(struct oa_state *st, struct oa_entry *e)
{
	*e = st->v[--st->n];
}

static void restore_one(struct oa_state *st, struct oa_entry *e, int proc_fd,
			struct oa_stats *stats)
{
	int cur, r = oomadj_read(proc_fd, e->pid, e->starttime, &cur);

	if (r < 0) {
		stats->gone++;
	} else if (oomadj_should_restore(e, cur)) {
		if (oomadj_write(proc_fd, e->pid, e->starttime, e->original) == 0)
			stats->restored++;
		else
			stats->gone++;
	} else if (cur != e->applied) {
		stats->disowned++;
	}
	drop(st, e);
}

int oomadj_sync(struct oa_state *st, int proc_fd, const struct oa_want *want, size_t n,
		struct oa_stats *stats)
{
	*stats = (struct oa_stats){ 0 };
	for (size_t i = 0; i < st->n;) {
		struct oa_entry *e = &st->v[i];
		bool wanted = false;

		for (size_t j = 0; j < n && !wanted; j++)
			wanted = want[j].pid == e->pid && want[j].starttime == e->starttime &&
				 want[j].mode == e->mode;
		if (wanted) {
			i++;
		} else if (e->hands_off) {
			int cur;

			/* remembered while the process lives, so it is not taken again */
			if (oomadj_read(proc_fd, e->pid, e->starttime, &cur) < 0)
				drop(st, e);
			else
				i++;
		} else {
			restore_one(st, e, proc_fd, stats);     /* moves the last into slot i */
		}
	}
	for (size_t j = 0; j < n; j++) {
		const struct oa_want *w = &want[j];
		struct oa_entry *e = find(st, w->pid, w->starttime);
		int cur;

		if (oomadj_read(proc_fd, w->pid, w->starttime, &cur) < 0) {
			if (e)
				drop(st, e);
			stats->gone++;
			continue;
		}
		switch (oomadj_decide(e, cur, w->target, w->mode)) {
		case OA_SKIP:
		case OA_KEEP:
			break;
		case OA_DISOWN:
			e->hands_off = true;
			stats->disowned++;
			break;
		case OA_WRITE:
			if (!e) {
				if (st->n == st->cap) {
					size_t cap = st->cap ? st->cap * 2 : 16;
					struct oa_entry *v = realloc(st->v, cap * sizeof(*v));

					if (!v)
						return -ENOMEM;
					st->v = v;
					st->cap = cap;
				}
				e = &st->v[st->n];
				*e = (struct oa_entry){ .pid = w->pid, .starttime = w->starttime,
							.original = cur, .applied = cur, .mode = w->mode };
				snprintf(e->comm, sizeof(e->comm), "%s", w->comm ? w->comm : "");
				/* Track before writing: a crash between the two leaves
				 * an entry whose value is still the original. */
				st->n++;
			}
			if (oomadj_write(proc_fd, w->pid, w->starttime, w->target) == 0) {
				e->applied = w->target;
				stats->written++;
			} else if (e->applied == e->original) {
				drop(st, e);
				stats->gone++;
			}
			break;
		}
	}
	return 0;
}

void oomadj_restore_all(struct oa_state *st, int proc_fd, struct oa_stats *stats)
{
	*stats = (struct oa_stats){ 0 };
	while (st->n) {
		if (st->v[st->n - 1].hands_off)
			st->n--;
		else
			restore_one(st, &st->v[st->n - 1], proc_fd, stats);
	}
}

size_t oomadj_in_force(const struct oa_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n; i++)
		n += !st->v[i].hands_off;
	return n;
}

void oomadj_free(struct oa_state *st)
{
	free(st->v);
	*st = (struct oa_state){ 0 };
}

int oomadj_format(const struct oa_state *st, char *buf, size_t size)
{
	size_t o = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < st->n; i++) {
		const struct oa_entry *e = &st->v[i];
		char comm[sizeof(e->comm) * 4];
		int n;

		if (e->hands_off)
			continue;
		escape_untrusted(e->comm, comm, sizeof(comm));
		for (char *c = comm; *c; c++)
			if (*c == ' ')
				*c = '_';
		n = snprintf(buf + o, size - o, "%d %" PRIu64 " %d %d %s %s\n", e->pid, e->starttime,
			     e->original, e->applied, e->mode == OA_RAISE ? "raise" : "lower",
			     *comm ? comm : "-");
		if (n < 0 || (size_t)n >= size - o)
			return -ENOBUFS;
		o += (size_t)n;
	}
	return (int)o;
}

int oomadj_parse(const char *buf, struct oa_state *st)
{
	*st = (struct oa_state){ 0 };
	for (const char *l = buf; l && *l;) {
		const char *nl = strchr(l, '\n');
		struct oa_entry e = { 0 };
		char line[256], mode[8], comm[64];
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		int pid, orig, appl;
		uint64_t start;

		if (len < sizeof(line)) {
			memcpy(line, l, len);
			line[len] = '\0';
			if (sscanf(line, "%d %" SCNu64 " %d %d %7s %63s", &pid, &start, &orig, &appl,
				   mode, comm) == 6 && pid > 0 && orig >= OOMADJ_MIN &&
			    orig <= OOMADJ_MAX && appl >= OOMADJ_MIN && appl <= OOMADJ_MAX &&
			    (!strcmp(mode, "raise") || !strcmp(mode, "lower"))) {
				e = (struct oa_entry){ .pid = pid, .starttime = start, .original = orig,
						       .applied = appl,
						       .mode = mode[0] == 'r' ? OA_RAISE : OA_LOWER };
				snprintf(e.comm, sizeof(e.comm), "%.15s", comm);
				if (st->n == st->cap) {
					size_t cap = st->cap ? st->cap * 2 : 16;
					struct oa_entry *v = realloc(st->v, cap * sizeof(*v));

					if (!v) {
						oomadj_free(st);
						return -ENOMEM;
					}
					st->v = v;
					st->cap = cap;
				}
				st->v[st->n++] = e;
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	return (int)st->n;
}
