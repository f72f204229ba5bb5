/* SPDX-License-Identifier: GPL-2.0-or-later */
/* docs/records.md and the reporter cannot drift apart: the tables of
 * events and fields are read from the document, and every record each
 * writer (report_event, report_decision, report_disk, report_network,
 * report_gpu, report_anomaly, report_rebalance)
 * makes for each event and guard has exactly the documented keys, of the
 * documented types, null only where the document allows it. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/guard.h"
#include "core/util.h"
#include "report/record.h"
#include "unit/record-util.h"

#define DOC_MAX 192

struct doc_event {
	char name[32];
	char guards[8][16];
	int nguards;
	char fields[DOC_MAX][48];
	int nfields;
};

struct doc_field {
	char name[48];
	char type[16];
	bool nullable;
};

struct doc {
	struct doc_event ev[DOC_MAX];
	int nev;
	struct doc_field f[DOC_MAX];
	int nf;
};

/* Copy a table cell without its spaces and backticks. */
static void cell_copy(char *dst, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	while (len && (*s == ' ' || *s == '`'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '`'))
		len--;
	for (size_t i = 0; i < len && o + 1 < size; i++)
		if (s[i] != '`')
			dst[o++] = s[i];
	dst[o] = '\0';
	assert_true(len < size);
}

/* Split "a, b, c" into out[][width]; returns the count. */
static int split_list(const char *cell, char *out, size_t width, int max)
{
	int n = 0;

	while (*cell) {
		const char *comma = strchrnul(cell, ',');

		assert_true(n < max);
		cell_copy(out + (size_t)n * width, width, cell, (size_t)(comma - cell));
		if (*(out + (size_t)n * width))
			n++;
		cell = *comma ? comma + 1 : comma;
	}
	return n;
}

/* The cells of a table row "| a | b | c |"; 0 for a separator or no row. */
static int row_cells(char *line, char cells[][1024], int max)
{
	int n = 0;
	char *p = line, *bar;

	if (line[0] != '|' || !strncmp(line, "|---", 4))
		return 0;
	p++;
	while ((bar = strchr(p, '|')) && n < max) {
		assert_true((size_t)(bar - p) < sizeof(cells[0]));
		memcpy(cells[n], p, (size_t)(bar - p));
		cells[n][bar - p] = '\0';
		n++;
		p = bar + 1;
	}
	return n;
}

static void doc_load(struct doc *d)
{
	const char *src = getenv("OG_SRCDIR");
	static char cells[4][1024];
	char path[4096], line[4096];
	enum { NONE, EVENTS, FIELDS } sec = NONE;
	FILE *f;

	memset(d, 0, sizeof(*d));
	assert_non_null(src);   /* meson test sets it */
	snprintf(path, sizeof(path), "%s/docs/records.md", src);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "## ", 3)) {
			sec = !strcmp(line, "## Events") ? EVENTS : !strcmp(line, "## Fields") ? FIELDS : NONE;
			continue;
		}
		if (sec == NONE || row_cells(line, cells, 4) != 4)
			continue;
		if (sec == EVENTS) {
			struct doc_event *e = &d->ev[d->nev];

			cell_copy(e->name, sizeof(e->name), cells[0], strlen(cells[0]));
			if (!strcmp(e->name, "event"))
				continue;       /* the header */
			assert_true(++d->nev < DOC_MAX);
			e->nguards = split_list(cells[1], e->guards[0], sizeof(e->guards[0]), 8);
			e->nfields = split_list(cells[3], e->fields[0], sizeof(e->fields[0]), DOC_MAX);
		} else {
			struct doc_field *fd = &d->f[d->nf];
			char when[1024];

			cell_copy(fd->name, sizeof(fd->name), cells[0], strlen(cells[0]));
			if (!strcmp(fd->name, "field"))
				continue;
			assert_true(++d->nf < DOC_MAX);
			cell_copy(fd->type, sizeof(fd->type), cells[1], strlen(cells[1]));
			cell_copy(when, sizeof(when), cells[3], strlen(cells[3]));
			fd->nullable = strcmp(when, "never") != 0;
		}
	}
	fclose(f);
}

static const struct doc_field *doc_field(const struct doc *d, const char *name)
{
	for (int i = 0; i < d->nf; i++)
		if (!strcmp(d->f[i].name, name))
			return &d->f[i];
	return NULL;
}

/* The value matches the documented type, or is null where that is allowed. */
static void check_value(const struct doc_field *fd, json_object *v, const char *event)
{
	enum json_type t = json_object_get_type(v);
	bool ok = false;

	if (t == json_type_null)
		ok = fd->nullable;
	else if (!strcmp(fd->type, "string"))
		ok = t == json_type_string;
	else if (!strcmp(fd->type, "integer"))
		ok = t == json_type_int;
	else if (!strcmp(fd->type, "number"))
		ok = t == json_type_double || t == json_type_int;
	else if (!strcmp(fd->type, "boolean"))
		ok = t == json_type_boolean;
	else if (!strcmp(fd->type, "object"))
		ok = t == json_type_object;
	else if (!strcmp(fd->type, "array"))
		ok = t == json_type_array;
	else
		fail_msg("docs/records.md: %s: unknown type %s", fd->name, fd->type);
	if (!ok)
		fail_msg("%s record: %s is %s, documented as %s%s", event, fd->name,
			 json_type_to_name(t), fd->type, fd->nullable ? " or null" : "");
}

/* The keys of object o (prefix "" or "trigger.") are exactly the documented ones. */
static void check_object(const struct doc *d, json_object *o, const char *prefix,
			 const struct doc_event *e)
{
	char name[96];
	size_t plen = strlen(prefix);
	int want = 0, have = 0;

	json_object_object_foreach(o, k, v) {
		const struct doc_field *fd;
		bool listed = *prefix != '\0';

		snprintf(name, sizeof(name), "%s%s", prefix, k);
		for (int i = 0; !listed && i < e->nfields; i++)
			listed = !strcmp(e->fields[i], k);
		fd = doc_field(d, name);
		if (!listed || !fd)
			fail_msg("%s record: key %s is not documented for it in docs/records.md", e->name, name);
		check_value(fd, v, e->name);
		if (json_object_get_type(v) == json_type_object) {
			snprintf(name, sizeof(name), "%s%s.", prefix, k);
			check_object(d, v, name, e);
		}
		have++;
	}
	/* Every documented key is there. */
	for (int i = 0; i < (*prefix ? d->nf : e->nfields); i++) {
		const char *key = *prefix ? d->f[i].name + plen : e->fields[i];

		if (*prefix && (strncmp(d->f[i].name, prefix, plen) || strchr(key, '.')))
			continue;
		want++;
		if (!json_object_object_get_ex(o, key, NULL))
			fail_msg("%s record: no %s%s, which docs/records.md lists", e->name, prefix, key);
	}
	assert_int_equal(have, want);
}

/* What the daemon emits: its events, and which writer makes each: a
 * message (report_event), a decision (report_decision), a record of the
 * disk guard (report_disk) or a finding of the network guard
 * (report_network). */
enum kind { MESSAGE, DECISION, DISK, NETWORK, GPU, ANOMALY, REBALANCE, HOOK };
static const struct {
	const char *event;
	enum kind kind;
} emitted[] = {
	{ "kernel", MESSAGE }, { "start", MESSAGE }, { "stop", MESSAGE }, { "reload", MESSAGE },
	{ "reload-refused", MESSAGE }, { "skip", MESSAGE }, { "terminate", DECISION },
	{ "kill", DECISION }, { "escalate", DECISION }, { "exit", DECISION }, { "stuck", DECISION },
	{ "error", DECISION }, { "relieve", MESSAGE }, { "hang-start", MESSAGE },
	{ "hang-timeout", MESSAGE }, { "hang-end", MESSAGE }, { "kmsg-suppressed", MESSAGE },
	{ "low", DISK }, { "recovered", DISK }, { "filling", DISK }, { "cleanup", DISK },
	{ "writer", DISK }, { "deleted-open", DISK },
	{ "dup-mac-local", NETWORK }, { "dup-mac-remote", NETWORK }, { "arp-flip-flop", NETWORK },
	{ "dad-failed", NETWORK },
	{ "over", GPU }, { "under", GPU }, { "freed", GPU }, { "unconfirmed", GPU },
	{ "degraded", GPU }, { "answering", GPU }, { "driver", GPU }, { "performance", GPU },
	{ "allocation-critical", ANOMALY }, { "allocation-warning", ANOMALY },
	{ "rebalance", REBALANCE }, { "rebalance-refused", REBALANCE },
	{ "dry-kill", MESSAGE }, { "drop-in", MESSAGE }, { "drop-in-refused", MESSAGE },
	{ "systemd-oomd", MESSAGE }, { "restart", MESSAGE },
	{ "hook", HOOK },
};

static const struct decision_device test_device = {
	.index = 0, .name = "NVIDIA H200", .uuid = "GPU-0c2b9f10", .total = 16ull << 30,
	.used = 15ull << 30, .threshold_percent = 90,
};

/* A GPU record of event, with every optional part filled in when full:
 * the device where the event is about one, the process for freed and
 * unconfirmed, the driver's finding for driver. */
static int emit_gpu(struct reporter *r, const char *event, bool full)
{
	bool per_device = strcmp(event, "degraded") && strcmp(event, "answering") &&
			  strcmp(event, "driver");
	struct gpu_record_proc p = { .pid = 4242, .comm = full ? "train" : NULL,
				     .used = full ? 4ull << 30 : UINT64_MAX,
				     .used_before = full && !strcmp(event, "freed") ? 15ull << 30 : 0 };
	struct gpu_record g = { .event = event, .message = "a message" };

	if (per_device)
		g.device = &test_device;
	if (!strcmp(event, "freed") || !strcmp(event, "unconfirmed"))
		g.process = &p;
	if (!strcmp(event, "driver")) {
		g.finding = "reboot-pending";
		g.module = full ? "550.54.15" : NULL;
		g.library = full ? "550.54.15" : "";
		g.nvml_driver = full ? "550.54.15" : NULL;
		g.on_disk = full ? "560.35.03" : NULL;
	}
	return report_gpu(r, &g);
}

/* An anomaly of the eBPF guard; without full, what may be unknown is. */
static int emit_anomaly(struct reporter *r, const char *event, bool full)
{
	struct anomaly_rec a = {
		.event = event, .message = "pid 77 (leak) allocates 512.0 MiB/s", .pid = 77,
		.comm = full ? "leak" : NULL, .cgroup = full ? "/user.slice" : NULL,
		.rate_bytes_s = full ? 536870912.0 : NAN, .threshold_bytes_s = 104857600.0,
		.managed = full, .rss = full ? 1ull << 30 : 0,
	};

	return report_anomaly(r, &a);
}

/* A rebalance of the calibration guard; full: from siblings, two donors. */
static int emit_rebalance(struct reporter *r, const char *event, bool full)
{
	struct rebalance_donor d[2] = { { "/p/b", 32 << 20, 400 << 20, 368 << 20 },
					{ "/p/c", 32 << 20, 300 << 20, 268 << 20 } };
	struct rebalance_rec b = { .event = event, .message = "a message", .cgroup = "/p/a",
				   .source = full ? "siblings" : "none" };

	if (full && !strcmp(event, "rebalance")) {
		b.added = 64 << 20;
		b.old_limit = 300 << 20;
		b.new_limit = 364 << 20;
		b.donors = d;
		b.n_donors = 2;
	}
	return report_rebalance(r, &b);
}

/* A hook record; full: one that ran and failed, with output; else skipped. */
static int emit_hook(struct reporter *r, const char *guard, bool full)
{
	struct hook_rec h = { .guard = guard, .message = "a message", .name = "pre_kill",
			      .command = "/usr/local/bin/on-kill", .status = "skipped", .pid = 42,
			      .exit_code = -1, .duration_ms = -1 };

	if (full) {
		h.status = "exec-error";
		h.exit_code = 3;
		h.signal = 9;
		h.duration_ms = 12;
		h.error = "No such file or directory";
		h.output = "out";
	}
	return report_hook(r, &h);
}

/* A disk record of event, with every optional part filled in when full. */
static int emit_disk(struct reporter *r, const char *event, bool full)
{
	char *names[] = { "/var/log/x/a.log.1", "/var/log/x/a.log.2 (open by pid 7 x)" };
	struct disk_record_cleanup c = {
		.deleted = 1, .bytes = 4096, .inodes = 1, .avail_before = 1, .avail_after = 4097,
		.favail_before = 3, .favail_after = 4, .open = 1, .complete = true,
		.deleted_names = names, .n_deleted_names = 1, .skipped_names = names + 1,
		.n_skipped_names = full, .error = full ? "x: Read-only file system" : NULL,
	};
	struct disk_record_process p = { .pid = 42, .comm = "dd", .write_rate = full ? 1e6 : NAN,
					 .bytes = 1 << 20, .files = names, .nfiles = full ? 2 : 0 };
	struct disk_record d = {
		.event = event, .message = "free space 3.2% (812 MiB) < 5%", .path = "/",
		.type = "ext4", .size = 1 << 30, .avail = 1 << 20, .files = full ? 1000 : 0,
		.favail = full ? 10 : 0, .threshold_percent = full ? 5 : 0,
		.inodes_threshold_percent = full ? 5 : 0, .fill_rate = full ? 1e6 : NAN,
	};

	if (!strcmp(event, "cleanup"))
		d.cleanup = &c;
	if (!strcmp(event, "writer") || !strcmp(event, "deleted-open")) {
		d.process = &p;
		d.action = "report";
	}
	return report_disk(r, &d);
}

/* A network finding of event, with every optional part filled in when full. */
static int emit_network(struct reporter *r, const char *event, bool full)
{
	struct netrec n = { .event = event, .message = "a message", .interface = "eth0",
			    .mac = "52:54:00:00:00:01", .count = 1 };

	if (full) {
		n.seen_on = "veth1";
		n.other_interface = "eth1";
		n.other_mac = "52:54:00:00:00:02";
		n.address = "fe80::1";
		n.count = 12;
	}
	return report_network(r, &n);
}

static json_object *emit_for(const char *guard, const char *event, enum kind kind, bool full)
{
	int p[2];
	struct reporter r = pipe_reporter(p);
	struct decision d = {
		.guard = guard, .event = event, .trigger = "memory", .level = "terminate",
		.reason = "MemAvailable 90 MiB (8.8%) <= terminate threshold 102 MiB",
		.mem_total = 1 << 30, .mem_available = 90 << 20, .pid = 4242, .comm = "hog",
		.cgroup = "/app.slice/x.scope", .uid = 1000, .rss = 800 << 20, .anon = 790 << 20,
		.oom_score = 780, .badness = 780, .value = 1, .sig = SIGTERM,
		.freed_bytes = -1, .exit_ms = -1,
	};
	json_object *o;

	if (full) {     /* every optional part filled in */
		d.scope = "/app.slice";
		d.rule_line = 7;
		d.whole_cgroup = true;
		d.set_size = 2;
		d.set_freed = 900 << 20;
		d.set_value = 6;
		d.freed_bytes = 780 << 20;
		d.exit_ms = 12;
		d.err = -ESRCH;
		d.device = &test_device;
		r.unreported = 3;
	}
	if (kind == DECISION)
		assert_int_equal(report_decision(&r, &d), 0);
	else if (kind == DISK)
		assert_int_equal(emit_disk(&r, event, full), 0);
	else if (kind == NETWORK)
		assert_int_equal(emit_network(&r, event, full), 0);
	else if (kind == GPU)
		assert_int_equal(emit_gpu(&r, event, full), 0);
	else if (kind == ANOMALY)
		assert_int_equal(emit_anomaly(&r, event, full), 0);
	else if (kind == REBALANCE)
		assert_int_equal(emit_rebalance(&r, event, full), 0);
	else if (kind == HOOK)
		assert_int_equal(emit_hook(&r, guard, full), 0);
	else
		assert_int_equal(report_event(&r, guard, event, "a message"), 0);
	o = read_record(p[0]);
	close(p[0]);
	close(p[1]);
	return o;
}

/* docs/records.md and the reporter cannot drift apart: the same events,
 * and for each, exactly the documented keys with the documented types. */
static void test_records_match_doc(void **state)
{
	static struct doc d;

	(void)state;
	if (!getenv("OG_SRCDIR"))
		skip();
	doc_load(&d);
	assert_int_equal(d.nev, (int)ARRAY_SIZE(emitted));
	for (size_t i = 0; i < ARRAY_SIZE(emitted); i++) {
		const struct doc_event *e = NULL;

		for (int j = 0; j < d.nev; j++)
			if (!strcmp(d.ev[j].name, emitted[i].event))
				e = &d.ev[j];
		if (!e)
			fail_msg("event %s is not in docs/records.md", emitted[i].event);
		assert_true(e->nguards > 0);
		for (int g = 0; g < e->nguards; g++) {
			/* The guard names are the table's (an interface), and "daemon". */
			bool known = !strcmp(e->guards[g], "daemon");

			for (size_t k = 0; k < guard_count; k++)
				known |= !strcmp(e->guards[g], guard_table[k]->name);
			if (!known)
				fail_msg("%s: unknown guard %s", e->name, e->guards[g]);
			for (int full = 0; full <= (emitted[i].kind != MESSAGE); full++) {
				json_object *o = emit_for(e->guards[g], e->name, emitted[i].kind, full);

				check_object(&d, o, "", e);
				assert_string_equal(json_object_get_string(get(o, "guard")), e->guards[g]);
				assert_string_equal(json_object_get_string(get(o, "event")), e->name);
				json_object_put(o);
			}
		}
	}
	/* No documented field that no event has. */
	for (int i = 0; i < d.nf; i++) {
		char top[48];
		bool used = false;

		snprintf(top, sizeof(top), "%.*s", (int)strcspn(d.f[i].name, "."), d.f[i].name);
		for (int j = 0; j < d.nev && !used; j++)
			for (int k = 0; k < d.ev[j].nfields; k++)
				used |= !strcmp(d.ev[j].fields[k], top);
		if (!used)
			fail_msg("docs/records.md documents %s, which no event has", d.f[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_match_doc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
