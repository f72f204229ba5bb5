/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/ebpf/rates.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_count(const void *a, const void *b)
{
	const struct alloc_count *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

struct rate *rates_find(struct rates *r, uint32_t pid)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->v[mid].pid == pid)
			return &r->v[mid];
		if (r->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int rates_update(struct rates *r, struct alloc_count *counts, size_t n, uint64_t now_ms)
{
	struct rate *next;
	double dt = r->t_ms && now_ms > r->t_ms ? (double)(now_ms - r->t_ms) / 1000.0 : 0;
	size_t k = 0;

	qsort(counts, n, sizeof(*counts), cmp_count);
	if (!(next = calloc(n ? n : 1, sizeof(*next))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct rate *old = rates_find(r, counts[i].pid);
		struct rate *e = &next[k];

		if (k && next[k - 1].pid == counts[i].pid)
			continue;       /* listed twice: the first stands */
		e->pid = counts[i].pid;
		e->grown = counts[i].grown;
		e->seen = true;
		if (old) {
			e->in_critical = old->in_critical;
			e->in_warning = old->in_warning;
			if (dt > 0 && counts[i].grown >= old->grown)
				e->bytes_s = (double)(counts[i].grown - old->grown) / dt;
		} else if (dt > 0) {
			/* first seen since the last look: all it has grown, it grew
			 * within this window (a process that starts and allocates
			 * fast is no blind spot) */
			e->bytes_s = (double)counts[i].grown / dt;
		}
		k++;
	}
	free(r->v);
	r->v = next;
	r->n = k;
	r->cap = n;
	r->dt_s = dt;
	r->t_ms = now_ms;
	return 0;
}

void rates_free(struct rates *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

bool rates_alert(double bytes_s, double threshold, bool *in)
{
	if (threshold <= 0 || bytes_s < threshold) {
		*in = false;
		return false;
	}
	if (*in)
		return false;
	*in = true;
	return true;
}
