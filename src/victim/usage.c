/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "victim/usage.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "observe/sysstat.h"

uint64_t usage_ticks_to_ms(uint64_t ticks)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	return ticks * 1000 / (uint64_t)hz;
}

int usage_read(enum usage_kind kind, int proc_fd, int pid, uint64_t *ret_value,
	       uint64_t *ret_start)
{
	struct proc_stat st;
	struct proc_io io;
	int r = proc_read_stat(proc_fd, pid, &st);

	if (r < 0)
		return r;
	*ret_start = st.starttime;
	if (kind == USAGE_CPU) {
		*ret_value = usage_ticks_to_ms(st.utime + st.stime);
		return 0;
	}
	if ((r = proc_read_io(proc_fd, pid, &io)) < 0)
		return r;
	*ret_value = proc_io_storage_bytes(&io);
	return 0;
}

struct take {
	struct usage_base *b;
	int proc_fd;
};

static int take_one(int pid, void *userdata)
{
	struct take *t = userdata;
	struct usage_base *b = t->b;
	uint64_t value, start;

	if (usage_read(b->kind, t->proc_fd, pid, &value, &start) < 0) {
		b->unreadable++;
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 512;
		struct usage_entry *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (struct usage_entry){ .pid = pid, .start = start, .value = value };
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct usage_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int usage_take(struct usage_base *b, int proc_fd, uint64_t now_ms)
{
	struct take t = { .b = b, .proc_fd = proc_fd };
	int r;

	b->n = b->unreadable = 0;
	b->t_ms = 0;
	if ((r = proc_for_each_pid(proc_fd, take_one, &t)) < 0)
		return r;
	qsort(b->v, b->n, sizeof(*b->v), cmp_pid);      /* not on the kill path */
	b->t_ms = MAX(now_ms, (uint64_t)1);
	return 0;
}

void usage_drop(struct usage_base *b)
{
	b->n = b->unreadable = 0;
	b->t_ms = 0;
}

void usage_free(struct usage_base *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}

uint64_t usage_since(const struct usage_base *b, int pid, uint64_t start, uint64_t now_value)
{
	struct usage_entry key = { .pid = pid };
	const struct usage_entry *e = b->n ? bsearch(&key, b->v, b->n, sizeof(*b->v), cmp_pid) : NULL;

	if (!e || e->start != start)
		return now_value;
	return now_value > e->value ? now_value - e->value : 0;
}

int64_t usage_score(uint64_t amount, uint64_t max_amount, uint64_t cpu_ms_total)
{
	double share, hours = (double)cpu_ms_total / 3600000.0;

	if (!max_amount || !amount)
		return 0;
	share = (double)MIN(amount, max_amount) / (double)max_amount;
	return (int64_t)llround(1000.0 * share / (1.0 + log2(1.0 + hours)));
}
