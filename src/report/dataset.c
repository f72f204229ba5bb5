/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ML dataset's rows: CSV text (pure), the bounded queue the loop fills,
 * and what a reporter's tap becomes. The file itself: dataset-file.c. */
#include "report/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "report/record.h"

/* Field caps, quotes included: with the numbers a row stays < DS_ROW_MAX. */
#define CAP_GUARD 64
#define CAP_COMM 256
#define CAP_CGROUP 2048
#define CAP_VALUE 1024
#define RATE_MAX 1e18                   /* bytes/s: beyond is nonsense, written as empty */

static const char *const kind_names[] = {
	[DS_SAMPLE] = "sample", [DS_PROCESS] = "process", [DS_ANOMALY] = "anomaly",
	[DS_KILL] = "kill", [DS_EXIT] = "exit", [DS_EVENT] = "event",
};

const char *ds_kind_name(enum ds_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "event";
}

void ds_row_init(struct ds_row *r, enum ds_kind kind, const char *guard, uint64_t time_ms)
{
	*r = (struct ds_row){
		.time_ms = time_ms, .kind = kind, .guard = guard,
		.mem_total = DS_NONE, .mem_available = DS_NONE, .swap_total = DS_NONE,
		.swap_free = DS_NONE, .psi_some_avg10 = NAN, .psi_full_avg10 = NAN,
		.rss = DS_NONE, .anon = DS_NONE, .swap = DS_NONE, .alloc_rate = NAN,
		.oom_score_adj = DS_NO_ADJ,
	};
}

/* ---- CSV text ------------------------------------------------------------ */

/* One byte that is not printable UTF-8 at p: its replacement, and how many
 * source bytes it stands for. */
static char replace(const unsigned char *p, size_t *ret_n)
{
	*ret_n = 1;
	if (*p == '\r' || *p == '\n')
		return (char)*p;        /* kept: the field is quoted */
	if (*p < 0x20 || *p == 0x7f)
		return ' ';
	if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*ret_n = 2;             /* a C1 control */
		return ' ';
	}
	return *p < 0x80 ? (char)*p : '?';
}

size_t ds_field(const char *s, char *dst, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	bool quote = s && s[strcspn(s, ",\"\r\n")];
	size_t o = 0, end;

	if (!s || (quote && max < 2)) {
		*dst = '\0';
		return 0;
	}
	end = quote ? max - 1 : max;    /* room for the closing quote */
	if (quote)
		dst[o++] = '"';
	while (*p) {
		size_t n = *p >= 0x80 ? utf8_printable(p) : 0;
		size_t w = n ? n : *p == '"' ? 2 : 1;   /* bytes out */

		if (o + w > end)
			break;          /* cut: never a character or "" split */
		if (n) {                /* printable UTF-8: as it is */
			memcpy(dst + o, p, n);
		} else if (*p == '"') {
			dst[o] = dst[o + 1] = '"';
			n = 1;
		} else {
			dst[o] = replace(p, &n);
		}
		o += w;
		p += n;
	}
	if (quote)
		dst[o++] = '"';
	dst[o] = '\0';
	return o;
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = MIN(o->len + (size_t)n, o->size - 1);
}

static void put_u64(struct out *o, uint64_t v)
{
	if (v != DS_NONE)
		put(o, "%llu", (unsigned long long)v);
	put(o, ",");
}

/* A number with `decimals` (0 or 2) decimals; not finite or past RATE_MAX: empty. */
static void put_num(struct out *o, double v, int decimals)
{
	if (decimals == 0)
		v = round(v);
	if (v == 0)
		v = 0;                  /* never "-0" */
	if (isfinite(v) && fabs(v) < RATE_MAX)
		put(o, "%.*f", decimals, v);
	put(o, ",");
}

static void put_str(struct out *o, const char *s, size_t cap, bool last)
{
	if (o->len + cap + 2 <= o->size)
		o->len += ds_field(s, o->buf + o->len, cap);
	put(o, last ? "\n" : ",");
}

int ds_format(const struct ds_row *r, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	if (size < DS_ROW_MAX)
		return -ENOSPC;
	put(&o, "%llu,%s,", (unsigned long long)r->time_ms, ds_kind_name(r->kind));
	put_str(&o, r->guard, CAP_GUARD, false);
	put_u64(&o, r->mem_total);
	put_u64(&o, r->mem_available);
	put_u64(&o, r->swap_total);
	put_u64(&o, r->swap_free);
	put_num(&o, r->psi_some_avg10, 2);
	put_num(&o, r->psi_full_avg10, 2);
	if (r->pid > 0)
		put(&o, "%d", r->pid);
	put(&o, ",");
	put_str(&o, r->comm, CAP_COMM, false);
	put_str(&o, r->cgroup, CAP_CGROUP, false);
	put_u64(&o, r->rss);
	put_u64(&o, r->anon);
	put_u64(&o, r->swap);
	put_num(&o, r->alloc_rate, 0);
	if (r->oom_score_adj != DS_NO_ADJ)
		put(&o, "%d", r->oom_score_adj);
	put(&o, ",");
	put_str(&o, r->value, CAP_VALUE, true);
	return (int)o.len;
}

/* ---- the tap ------------------------------------------------------------- */

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static void decision_row(const struct report_tap *t, struct ds_row *r, char *value, size_t size)
{
	const struct decision *d = t->d;
	const char *ev = d->event ? d->event : "";

	if (is(ev, "terminate") || is(ev, "kill") || is(ev, "escalate"))
		r->kind = DS_KILL;
	else if (is(ev, "exit") || is(ev, "stuck"))
		r->kind = DS_EXIT;
	if (d->mem_total) {
		r->mem_total = d->mem_total;
		r->mem_available = d->mem_available;
		r->swap_total = d->swap_total;
		r->swap_free = d->swap_free;
	}
	if (is(d->guard, "memory")) {   /* the others' PSI is not the system's memory */
		r->psi_some_avg10 = d->psi_some_avg10;
		r->psi_full_avg10 = d->psi_full_avg10;
	}
	r->pid = d->pid;
	r->comm = d->comm;
	r->cgroup = d->cgroup;
	r->rss = d->rss;
	r->anon = d->anon;
	r->swap = d->swap;
	r->oom_score_adj = d->oom_score_adj;
	if (r->kind == DS_EXIT)
		snprintf(value, size, "%s: freed_bytes=%lld exit_ms=%lld", ev,
			 (long long)d->freed_bytes, (long long)d->exit_ms);
	else
		snprintf(value, size, "%s%s: %s%s%s", ev, d->dry_run ? " (dry-run)" : "",
			 d->err ? strerror(-d->err) : "", d->err ? ": " : "",
			 d->reason ? d->reason : "");
}

void ds_row_of_tap(const struct report_tap *t, uint64_t time_ms, struct ds_row *r, char *value,
		   size_t size)
{
	ds_row_init(r, DS_EVENT, t->guard, time_ms);
	r->value = value;
	if (t->d) {
		decision_row(t, r, value, size);
	} else if (t->a) {
		r->kind = DS_ANOMALY;
		r->pid = t->a->pid;
		r->comm = t->a->comm;
		r->cgroup = t->a->cgroup;
		r->rss = t->a->rss;
		r->alloc_rate = t->a->rate_bytes_s;
		snprintf(value, size, "%s: %s%s", t->event ? t->event : "",
			 t->a->message ? t->a->message : "", t->a->managed ? " (managed)" : "");
	} else {
		snprintf(value, size, "%s: %s", t->event ? t->event : "",
			 t->message ? t->message : "");
	}
}

/* ---- the queue ----------------------------------------------------------- */

void ds_queue_init(struct ds_queue *q, char *buf, size_t cap, const char *guard)
{
	*q = (struct ds_queue){ .buf = buf, .cap = cap, .guard = guard };
}

static void append(struct ds_queue *q, const char *line, size_t n)
{
	memcpy(q->buf + q->len, line, n);
	q->len += n;
	q->rows++;
}

/* The note of the rows dropped, when it and the next row (next bytes) fit. */
static void note(struct ds_queue *q, size_t next)
{
	char msg[128], line[DS_ROW_MAX];
	struct ds_row r;
	int n;

	ds_row_init(&r, DS_EVENT, q->guard, q->dropped_ms);
	snprintf(msg, sizeof(msg), "dropped: %llu rows lost (the queue was full or a write failed)",
		 (unsigned long long)q->dropped);
	r.value = msg;
	n = ds_format(&r, line, sizeof(line));
	if (n < 0 || q->len + (size_t)n + next > q->cap)
		return;
	append(q, line, (size_t)n);
	q->notes++;
	q->noted += q->dropped;
	q->dropped = 0;
}

int ds_queue_add(struct ds_queue *q, const struct ds_row *r)
{
	char line[DS_ROW_MAX];
	int n = ds_format(r, line, sizeof(line));

	if (n < 0)
		return n;
	if (q->dropped)
		note(q, (size_t)n);
	if (!q->buf || q->len + (size_t)n > q->cap) {
		q->dropped++;
		q->dropped_total++;
		q->dropped_ms = r->time_ms;
		return -ENOBUFS;
	}
	append(q, line, (size_t)n);
	return 0;
}

void ds_queue_take(struct ds_queue *q, char *spare, struct ds_batch *ret)
{
	*ret = (struct ds_batch){ .buf = q->buf, .len = q->len, .rows = q->rows, .notes = q->notes,
				  .noted = q->noted };
	q->buf = spare;
	q->len = q->rows = q->notes = 0;
	q->noted = 0;
}

void ds_queue_lost(struct ds_queue *q, const struct ds_batch *b, size_t written, uint64_t when_ms)
{
	uint64_t lost = written < b->rows ? b->rows - written : 0;

	if (!lost)
		return;
	if (!written)
		lost = b->rows - b->notes + b->noted;
	q->dropped += lost;
	q->dropped_total += written ? lost : b->rows - b->notes;
	q->dropped_ms = MAX(q->dropped_ms, when_ms);
}
