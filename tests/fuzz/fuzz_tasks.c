// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the task iterator's records (observe/tasks.h), as
 * tasks.c reads them: the walk over the buffer, then each record as a
 * proc_info with oom_score computed. The first 24 bytes choose the params
 * (total pages, page size, ticks), the rest is the records' buffer. Must
 * never crash, overflow (UBSan) or accept a partial record. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe/tasks.h"
#include "fuzz.h"

struct ctx {
	struct task_params tp;
	size_t n;
};

static int one(const struct task_rec *r, size_t i, void *u)
{
	struct ctx *c = u;
	struct proc_info p;

	if (i != c->n++)
		abort();
	if (task_record_info(r, &c->tp, &p) == 0 &&
	    (p.pid <= 0 || strlen(p.comm) > TASK_COMM_SIZE || p.rss != p.file + p.anon + p.shmem ||
	     p.rss < p.anon || p.oom_score < 0))
		abort();
	(void)task_oom_score(r, &c->tp);
	(void)task_record_resident(r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { { 0 }, 0 };
	int r;

	if (size < 3 * sizeof(uint64_t))
		return 0;
	memcpy(&c.tp, data, 3 * sizeof(uint64_t));
	data += 3 * sizeof(uint64_t);
	size -= 3 * sizeof(uint64_t);
	r = parse_task_records(data, size, one, &c);
	if (size % sizeof(struct task_rec) ? r != -EBADMSG || c.n : r != (int)c.n)
		abort();
	return 0;
}
