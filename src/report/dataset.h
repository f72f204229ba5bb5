/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ML dataset (machine_learning.data_collection): one CSV file, one
 * schema for every row (docs/dataset.md). Three parts:
 * - pure: a row as CSV text (RFC 4180; untrusted strings can never break
 *   a row or the file's encoding);
 * - the loop side: a queue bounded by bytes, rows appended as text; what
 *   does not fit is dropped and counted, and the count becomes an `event`
 *   row when there is room again; nothing here allocates;
 * - the worker side: ds_flush appends a batch to the file, never through a
 *   symlink, with a header when the file is new, rotating it by size.
 * Nothing here logs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_HEADER "time_ms,kind,guard,mem_total,mem_available,swap_total,swap_free," \
	"psi_some_avg10,psi_full_avg10,pid,comm,cgroup,rss,anon,swap,alloc_rate," \
	"oom_score_adj,value\n"
#define DS_ROW_MAX 4096                 /* one row, its newline included */
#define DS_QUEUE_CAP (256u * 1024u)     /* the loop side's queue, bytes */
#define DS_NONE UINT64_MAX              /* an empty unsigned field */
#define DS_NO_ADJ (-32768)              /* an empty oom_score_adj */

enum ds_kind { DS_SAMPLE, DS_PROCESS, DS_ANOMALY, DS_KILL, DS_EXIT, DS_EVENT };

/* One row. ds_row_init makes every field empty; fill what the kind has. */
struct ds_row {
	uint64_t time_ms;               /* epoch ms */
	enum ds_kind kind;
	const char *guard;              /* NULL: empty */
	uint64_t mem_total, mem_available, swap_total, swap_free;  /* DS_NONE: empty */
	double psi_some_avg10, psi_full_avg10;  /* memory PSI, percent; NAN: empty */
	int pid;                        /* <= 0: empty */
	const char *comm, *cgroup;      /* untrusted; NULL: empty */
	uint64_t rss, anon, swap;       /* bytes; DS_NONE: empty */
	double alloc_rate;              /* bytes/s; NAN: empty */
	int oom_score_adj;              /* DS_NO_ADJ: empty */
	const char *value;              /* free text; NULL: empty */
};

void ds_row_init(struct ds_row *r, enum ds_kind kind, const char *guard, uint64_t time_ms);
const char *ds_kind_name(enum ds_kind k);

/* Append s to dst as one CSV field of at most max bytes (quotes included):
 * quoted when it holds a comma, a double quote, CR or LF, its quotes then
 * doubled; other control characters (and DEL, C1 controls) become spaces,
 * bytes that are not well-formed UTF-8 become '?'; cut at max without
 * splitting a character or an escape. dst needs max + 1 bytes (NUL).
 * Returns the length written. */
size_t ds_field(const char *s, char *dst, size_t max);

/* The row as one CSV line with its newline, NUL-terminated, into buf (size
 * >= DS_ROW_MAX: long strings are cut to fit). Returns its length, or
 * -ENOSPC for a smaller buf. */
int ds_format(const struct ds_row *r, char *buf, size_t size);

/* A reporter's tap (report/record.h) as a row: a decision of event
 * terminate, kill or escalate is a `kill` row, exit or stuck an `exit` row
 * (error an `event` row), an anomaly an `anomaly` row, a message an `event`
 * row. value (size bytes) holds the value column's text. */
struct report_tap;
void ds_row_of_tap(const struct report_tap *t, uint64_t time_ms, struct ds_row *r, char *value,
		   size_t size);

/* Rows queued on the loop side. */
struct ds_queue {
	char *buf;                      /* cap bytes */
	size_t len, cap;
	size_t rows, notes;             /* rows in buf; of them, notes of dropped rows */
	uint64_t dropped;               /* rows dropped since the last note */
	uint64_t dropped_ms;            /* when the last of them was */
	uint64_t dropped_total;
	uint64_t noted;                 /* rows the notes in buf stand for */
	const char *guard;              /* the notes' guard column */
};

/* A queue of cap bytes (at least DS_ROW_MAX) in buf, which the caller
 * allocated and owns. */
void ds_queue_init(struct ds_queue *q, char *buf, size_t cap, const char *guard);
/* Queue one row. A note of the rows dropped before goes first when both
 * fit; a row that does not fit is dropped and counted. 0, or -ENOBUFS
 * (dropped). Never allocates. */
int ds_queue_add(struct ds_queue *q, const struct ds_row *r);

/* Queued rows handed to ds_flush. */
struct ds_batch {
	char *buf;
	size_t len, rows, notes;
	uint64_t noted;
};
/* Hand the queued rows over into *ret, and go on in spare (cap bytes, the
 * caller's): the queue is empty then. */
void ds_queue_take(struct ds_queue *q, char *spare, struct ds_batch *ret);
/* A batch of which only the first `written` rows reached the file (a write
 * error): the rest count as dropped, so that the next note says so (a
 * batch lost whole gives back what its notes stood for, not the notes). */
void ds_queue_lost(struct ds_queue *q, const struct ds_batch *b, size_t written,
		   uint64_t when_ms);

/* Where ds_flush writes. */
struct ds_target {
	const char *path;
	uint64_t max_size;              /* rotate before the file would pass it */
	unsigned keep;                  /* rotated files kept: path.1 .. path.keep; 0 truncates */
};

/* What a flush did; filled whatever it returns. */
struct ds_flush_result {
	size_t rows;                    /* rows written (notes included) */
	unsigned rotations;
	uint64_t size;                  /* of the file after it, 0 unknown */
	const char *op;                 /* what failed: "open", "rotate", "write"; NULL none */
};

/* Worker side: append the batch to t->path (O_APPEND|O_CREAT|O_NOFOLLOW,
 * mode 0600; a regular file only), the header first when the file is
 * empty; before a row would take the file past max_size, rotate (path.N-1
 * -> path.N ... path -> path.1, the oldest dropped; keep 0: truncate) and
 * go on in a new file with a header. 0, or -errno (-ELOOP: path is a
 * symlink; -EINVAL: not a regular file) with the rows written so far in
 * ret. Blocks on the filesystem: never on the event loop. */
int ds_flush(const struct ds_target *t, const struct ds_batch *b, struct ds_flush_result *ret);
