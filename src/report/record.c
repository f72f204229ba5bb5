/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "report/record.h"

const char *report_signame(int sig)
{
	return sig == SIGKILL ? "SIGKILL" : sig == SIGTERM ? "SIGTERM" : "signal";
}

static void add_str(json_object *o, const char *k, const char *v)
{
	char esc[1024];

	if (!v) {
		json_object_object_add(o, k, NULL);
		return;
	}
	escape_untrusted(v, esc, sizeof(esc));
	json_object_object_add(o, k, json_object_new_string(esc));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_opt(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, v < 0 ? NULL : json_object_new_int64(v));
}

static void add_time(json_object *o)
{
	uint64_t ms = realtime_ms();
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char iso[80];

	gmtime_r(&s, &tm);
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	json_object_object_add(o, "time", json_object_new_string(iso));
	add_int(o, "time_ms", (int64_t)ms);
}

/* Every record ends with "dropped": the records lost since the last one
 * written (0 normally), so that a reader of the log learns of the loss. */
static int emit(struct reporter *r, json_object *o)
{
	const char *s;
	int ret;

	add_int(o, "dropped", (int64_t)r->unreported);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = s ? reporter_write(r, s, strlen(s)) : -ENOMEM;

	json_object_put(o);
	return ret;
}

static int emit_text(struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int emit_text(struct reporter *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	n = (int)MIN((size_t)n, sizeof(line) - 1);
	if (r->unreported)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " dropped=%llu",
			      (unsigned long long)r->unreported);
	n = (int)MIN((size_t)n, sizeof(line) - 1);
	for (int i = 0; i < n; i++)     /* one record, one line */
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	return reporter_write(r, line, (size_t)n);
}

/* "device": the GPU a record is about, or null. */
static void add_device(json_object *o, const struct decision_device *dev)
{
	json_object *d;

	if (!dev || !(d = json_object_new_object())) {
		json_object_object_add(o, "device", NULL);
		return;
	}
	add_int(d, "index", dev->index);
	add_str(d, "name", dev->name);
	add_str(d, "uuid", dev->uuid);
	add_int(d, "memory_total", (int64_t)MIN(dev->total, (uint64_t)INT64_MAX));
	add_int(d, "memory_used", (int64_t)MIN(dev->used, (uint64_t)INT64_MAX));
	json_object_object_add(d, "threshold_percent",
			       json_object_new_double(dev->threshold_percent));
	json_object_object_add(o, "device", d);
}

static void tap(struct reporter *r, const char *guard, const char *event,
		const struct decision *d, const char *message, const struct anomaly_rec *a)
{
	struct report_tap t = { .guard = guard, .event = event, .d = d, .message = message,
				.a = a };

	for (size_t i = 0; i < REPORT_TAPS; i++)
		if (r->taps[i].fn)
			r->taps[i].fn(r->taps[i].data, &t);
}

int report_decision(struct reporter *r, const struct decision *d)
{
	json_object *o, *t, *v;

	tap(r, d->guard, d->event, d, NULL, NULL);
	if (r->out_fd < 0)
		return 0;
	if (!r->json) {
		char esc[64], reason[1024];

		escape_untrusted(d->comm ? d->comm : "", esc, sizeof(esc));
		escape_untrusted(d->reason ? d->reason : "", reason, sizeof(reason));
		return emit_text(r, "%s: %s%s pid=%d comm=%s signal=%d trigger=%s: %s",
				 d->guard ? d->guard : "-", d->dry_run ? "dry-run " : "", d->event, (int)d->pid, esc, d->sig,
				 d->trigger ? d->trigger : "-", reason);
	}
	o = json_object_new_object();
	t = json_object_new_object();
	v = json_object_new_object();
	if (!o || !t || !v) {
		json_object_put(o);
		json_object_put(t);
		json_object_put(v);
		return -ENOMEM;
	}
	add_time(o);
	add_str(o, "guard", d->guard);
	add_str(o, "event", d->event);
	json_object_object_add(o, "dry_run", json_object_new_boolean(d->dry_run));

	add_str(t, "type", d->trigger);
	add_str(t, "level", d->level);
	add_str(t, "reason", d->reason);
	add_str(t, "scope", d->scope ? d->scope : "system");
	add_int(t, "mem_total", (int64_t)d->mem_total);
	add_int(t, "mem_available", (int64_t)d->mem_available);
	add_int(t, "swap_total", (int64_t)d->swap_total);
	add_int(t, "swap_free", (int64_t)d->swap_free);
	json_object_object_add(t, "psi_some_avg10", json_object_new_double(d->psi_some_avg10));
	json_object_object_add(t, "psi_full_avg10", json_object_new_double(d->psi_full_avg10));
	add_opt(t, "window_ms", d->usage_unit ? d->window_ms : -1);
	json_object_object_add(o, "trigger", t);

	add_int(v, "pid", d->pid);
	add_str(v, "comm", d->comm);
	add_str(v, "cgroup", d->cgroup);
	add_int(v, "uid", d->uid);
	add_int(v, "rss", (int64_t)d->rss);
	add_int(v, "anon", (int64_t)d->anon);
	add_int(v, "swap", (int64_t)d->swap);
	add_int(v, "oom_score", d->oom_score);
	add_int(v, "oom_score_adj", d->oom_score_adj);
	add_int(v, "badness", d->badness);
	add_int(v, "value", d->value);
	add_opt(v, "rule_line", d->rule_line ? d->rule_line : -1);
	json_object_object_add(v, "whole_cgroup", json_object_new_boolean(d->whole_cgroup));
	add_opt(v, "used", d->usage_unit ? d->usage : -1);
	add_str(v, "used_unit", d->usage_unit);
	json_object_object_add(o, "victim", v);

	if (d->set_size) {
		json_object *s = json_object_new_object();

		add_int(s, "size", d->set_size);
		add_int(s, "frees", (int64_t)d->set_freed);
		add_int(s, "value_lost", d->set_value);
		json_object_object_add(o, "chosen_set", s);
	} else {
		json_object_object_add(o, "chosen_set", NULL);
	}
	if (d->sig)
		add_str(o, "signal", report_signame(d->sig));
	else
		json_object_object_add(o, "signal", NULL);
	add_opt(o, "freed_bytes", d->freed_bytes);
	add_opt(o, "exit_ms", d->exit_ms);
	add_str(o, "error", d->err ? strerror(-d->err) : NULL);
	add_device(o, d->device);
	return emit(r, o);
}

int report_event(struct reporter *r, const char *guard, const char *event, const char *msg)
{
	json_object *o;

	tap(r, guard, event, NULL, msg ? msg : "", NULL);
	if (r->out_fd < 0)
		return 0;
	if (!r->json) {
		char esc[1024];

		/* as in JSON: the message holds cgroup paths, config errors */
		escape_untrusted(msg ? msg : "", esc, sizeof(esc));
		return emit_text(r, "%s: %s: %s", guard ? guard : "-", event, esc);
	}
	if (!(o = json_object_new_object()))
		return -ENOMEM;
	add_time(o);
	add_str(o, "guard", guard);
	add_str(o, "event", event);
	add_str(o, "message", msg);
	return emit(r, o);
}

static void add_num(json_object *o, const char *k, double v, bool known)
{
	json_object_object_add(o, k, known ? json_object_new_double(v) : NULL);
}

static void add_list(json_object *o, const char *k, char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	char esc[1024];

	for (size_t i = 0; a && i < n; i++) {
		escape_untrusted(v[i], esc, sizeof(esc));
		json_object_array_add(a, json_object_new_string(esc));
	}
	json_object_object_add(o, k, a);
}

static json_object *disk_fs(const struct disk_record *d)
{
	json_object *f = json_object_new_object();
	bool inodes = d->files > 0;

	if (!f)
		return NULL;
	add_str(f, "path", d->path);
	add_str(f, "type", d->type);
	add_int(f, "size", (int64_t)d->size);
	add_int(f, "avail", (int64_t)d->avail);
	add_num(f, "free_percent", d->size ? 100.0 * (double)d->avail / (double)d->size : 100, true);
	add_num(f, "threshold_percent", d->threshold_percent, d->threshold_percent > 0);
	add_opt(f, "files", inodes ? (int64_t)d->files : -1);
	add_opt(f, "favail", inodes ? (int64_t)d->favail : -1);
	add_num(f, "inodes_free_percent", inodes ? 100.0 * (double)d->favail / (double)d->files : 0,
		inodes);
	add_num(f, "inodes_threshold_percent", d->inodes_threshold_percent,
		inodes && d->inodes_threshold_percent > 0);
	add_num(f, "fill_rate", d->fill_rate, !isnan(d->fill_rate));
	return f;
}

static json_object *disk_cleanup(const struct disk_record_cleanup *c)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_int(o, "files_deleted", (int64_t)c->deleted);
	add_int(o, "bytes_freed", (int64_t)c->bytes);
	add_int(o, "inodes_freed", (int64_t)c->inodes);
	add_int(o, "avail_before", (int64_t)c->avail_before);
	add_int(o, "avail_after", (int64_t)c->avail_after);
	add_int(o, "favail_before", (int64_t)c->favail_before);
	add_int(o, "favail_after", (int64_t)c->favail_after);
	add_int(o, "skipped_open", (int64_t)c->open);
	add_int(o, "skipped_other", (int64_t)c->other);
	add_int(o, "kept", (int64_t)c->kept);
	add_int(o, "younger", (int64_t)c->younger);
	add_int(o, "unchecked_processes", (int64_t)c->unchecked_processes);
	json_object_object_add(o, "complete", json_object_new_boolean(c->complete));
	add_list(o, "deleted", c->deleted_names, c->n_deleted_names);
	add_list(o, "skipped", c->skipped_names, c->n_skipped_names);
	add_str(o, "error", c->error);
	return o;
}

static json_object *disk_process(const struct disk_record_process *p)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_int(o, "pid", p->pid);
	add_str(o, "comm", p->comm);
	add_num(o, "write_rate", p->write_rate, !isnan(p->write_rate));
	add_int(o, "bytes", (int64_t)p->bytes);
	add_list(o, "files", p->files, p->nfiles);
	return o;
}

int report_disk(struct reporter *r, const struct disk_record *d)
{
	json_object *o;

	if (r->out_fd < 0)
		return 0;
	if (!r->json) {
		char path[512], msg[1024];

		escape_untrusted(d->path ? d->path : "", path, sizeof(path));
		escape_untrusted(d->message ? d->message : "", msg, sizeof(msg));
		return emit_text(r, "disk: %s%s %s: %s", d->dry_run ? "dry-run " : "", d->event, path,
				 msg);
	}
	if (!(o = json_object_new_object()))
		return -ENOMEM;
	add_time(o);
	add_str(o, "guard", "disk");
	add_str(o, "event", d->event);
	add_str(o, "message", d->message);
	json_object_object_add(o, "dry_run", json_object_new_boolean(d->dry_run));
	json_object_object_add(o, "fs", disk_fs(d));
	if (d->cleanup)
		json_object_object_add(o, "cleanup", disk_cleanup(d->cleanup));
	if (d->process) {
		json_object_object_add(o, "process", disk_process(d->process));
		add_str(o, "action", d->action);
	}
	return emit(r, o);
}

/* The start of a record with a message and one nested object (network,
 * anomaly, hook): nothing when records go nowhere; without JSON, the line
 * "GUARD: EVENT: MESSAGE", escaped; else *ret_o with time, guard, event and
 * message, and an empty *ret_sub. 1: go on with them; else what to return. */
static int begin_message_record(struct reporter *r, const char *guard, const char *event,
				const char *message, json_object **ret_o, json_object **ret_sub)
{
	json_object *o, *sub;

	if (r->out_fd < 0)
		return 0;
	if (!r->json) {
		char esc[1024];

		escape_untrusted(message ? message : "", esc, sizeof(esc));
		return emit_text(r, "%s: %s: %s", guard ? guard : "-", event, esc);
	}
	o = json_object_new_object();
	sub = json_object_new_object();
	if (!o || !sub) {
		json_object_put(o);
		json_object_put(sub);
		return -ENOMEM;
	}
	add_time(o);
	add_str(o, "guard", guard);
	add_str(o, "event", event);
	add_str(o, "message", message);
	*ret_o = o;
	*ret_sub = sub;
	return 1;
}

int report_network(struct reporter *r, const struct netrec *n)
{
	json_object *o, *d;
	int r0 = begin_message_record(r, "network", n->event, n->message, &o, &d);

	if (r0 <= 0)
		return r0;
	add_str(d, "interface", n->interface);
	add_str(d, "mac", n->mac);
	add_str(d, "seen_on", n->seen_on);
	add_str(d, "other_interface", n->other_interface);
	add_str(d, "other_mac", n->other_mac);
	add_str(d, "address", n->address);
	add_int(d, "count", (int64_t)MIN(n->count, (uint64_t)INT64_MAX));
	json_object_object_add(o, "network", d);
	return emit(r, o);
}

static void add_ver(json_object *o, const char *k, const char *v)
{
	add_str(o, k, v && *v ? v : NULL);
}

int report_gpu(struct reporter *r, const struct gpu_record *g)
{
	json_object *o, *p = NULL, *d = NULL;

	if (r->out_fd < 0)
		return 0;
	if (!r->json) {
		char esc[1024];

		escape_untrusted(g->message ? g->message : "", esc, sizeof(esc));
		return emit_text(r, "gpu: %s: %s", g->event, esc);
	}
	if (!(o = json_object_new_object()))
		return -ENOMEM;
	add_time(o);
	add_str(o, "guard", "gpu");
	add_str(o, "event", g->event);
	add_str(o, "message", g->message);
	json_object_object_add(o, "dry_run", json_object_new_boolean(g->dry_run));
	add_device(o, g->device);
	if (g->process && (p = json_object_new_object())) {
		add_int(p, "pid", g->process->pid);
		add_str(p, "comm", g->process->comm);
		add_opt(p, "gpu_memory", g->process->used == UINT64_MAX ? -1 :
			(int64_t)MIN(g->process->used, (uint64_t)INT64_MAX));
		add_opt(p, "device_used_before", g->process->used_before ?
			(int64_t)MIN(g->process->used_before, (uint64_t)INT64_MAX) : -1);
	}
	json_object_object_add(o, "gpu_process", p);
	if (g->finding && (d = json_object_new_object())) {
		add_str(d, "finding", g->finding);
		add_ver(d, "module", g->module);
		add_ver(d, "library", g->library);
		add_ver(d, "nvml_driver", g->nvml_driver);
		add_ver(d, "on_disk", g->on_disk);
	}
	json_object_object_add(o, "driver", d);
	return emit(r, o);
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	add_int(o, k, (int64_t)MIN(v, (uint64_t)INT64_MAX));
}

json_object *rebalance_json(const struct rebalance_rec *b)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	add_str(o, "oom_cgroup", b->cgroup);
	add_u64(o, "added_memory", b->added);
	add_str(o, "source", b->source);
	for (size_t i = 0; i < b->n_donors; i++) {
		json_object *d = json_object_new_object();

		if (!d)
			break;
		add_str(d, "name", b->donors[i].name);
		add_u64(d, "reduced_memory", b->donors[i].reduced);
		add_u64(d, "old_limit", b->donors[i].old_limit);
		add_u64(d, "new_limit", b->donors[i].new_limit);
		json_object_array_add(a, d);
	}
	json_object_object_add(o, "adjusted_cgroups", a);
	add_u64(o, "old_limit", b->old_limit);
	add_u64(o, "new_limit", b->new_limit);
	add_str(o, "via", b->via);
	return o;
}

int report_rebalance(struct reporter *r, const struct rebalance_rec *b)
{
	json_object *o, *x;

	tap(r, "calibration", b->event, NULL, b->message, NULL);
	if (r->out_fd < 0)
		return 0;
	if (!r->json) {
		char esc[1024];

		escape_untrusted(b->message ? b->message : "", esc, sizeof(esc));
		return emit_text(r, "calibration: %s: %s", b->event, esc);
	}
	o = json_object_new_object();
	x = rebalance_json(b);
	if (!o || !x) {
		json_object_put(o);
		json_object_put(x);
		return -ENOMEM;
	}
	add_time(o);
	add_str(o, "guard", "calibration");
	add_str(o, "event", b->event);
	add_str(o, "message", b->message);
	json_object_object_add(o, "dry_run", json_object_new_boolean(b->dry_run));
	json_object_object_add(o, "rebalance", x);
	return emit(r, o);
}

int report_anomaly(struct reporter *r, const struct anomaly_rec *a)
{
	json_object *o, *x;
	int r0;

	tap(r, "ebpf", a->event, NULL, NULL, a);
	if ((r0 = begin_message_record(r, "ebpf", a->event, a->message, &o, &x)) <= 0)
		return r0;
	add_int(x, "pid", a->pid);
	add_str(x, "comm", a->comm);
	add_str(x, "cgroup", a->cgroup);
	add_num(x, "rate_bytes_s", a->rate_bytes_s, isfinite(a->rate_bytes_s));
	add_num(x, "threshold_bytes_s", a->threshold_bytes_s, isfinite(a->threshold_bytes_s));
	json_object_object_add(x, "managed", json_object_new_boolean(a->managed));
	add_int(x, "rss", (int64_t)MIN(a->rss, (uint64_t)INT64_MAX));
	json_object_object_add(o, "anomaly", x);
	return emit(r, o);
}

int report_hook(struct reporter *r, const struct hook_rec *h)
{
	json_object *o, *x;
	int r0;

	tap(r, h->guard, "hook", NULL, h->message ? h->message : "", NULL);
	r0 = begin_message_record(r, h->guard, "hook", h->message ? h->message : "", &o, &x);
	if (r0 <= 0)
		return r0;
	json_object_object_add(o, "dry_run", json_object_new_boolean(h->dry_run));
	add_str(x, "name", h->name);
	add_str(x, "command", h->command);
	add_str(x, "status", h->status);
	add_int(x, "pid", h->pid);
	add_opt(x, "exit_code", h->exit_code);
	json_object_object_add(x, "signal", h->signal > 0 ? json_object_new_int(h->signal) : NULL);
	add_opt(x, "duration_ms", h->duration_ms);
	add_str(x, "error", h->error);
	add_str(x, "output", h->output);
	json_object_object_add(o, "hook", x);
	return emit(r, o);
}
