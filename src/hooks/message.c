/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a hook is told: its environment and its stdin's JSON object. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hooks/hooks.h"

struct envb {
	char *buf;
	size_t size, used;
	char **envp;
	int n;
	bool full;
};

static void put(struct envb *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct envb *e, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (e->full || e->n >= HOOK_ENV_MAX) {
		e->full = true;
		return;
	}
	va_start(ap, fmt);
	k = vsnprintf(e->buf + e->used, e->size - e->used, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= e->size - e->used) {
		e->full = true;
		return;
	}
	e->envp[e->n++] = e->buf + e->used;
	e->used += (size_t)k + 1;
}

int hook_env(const char *event, const struct decision *d, char *buf, size_t size,
	     char *envp[HOOK_ENV_MAX + 1])
{
	struct envb e = { .buf = buf, .size = size, .envp = envp };
	char comm[HOOK_COMM_MAX], cg[HOOK_CGROUP_MAX], reason[HOOK_REASON_MAX];
	char scope[HOOK_CGROUP_MAX];

	escape_untrusted(d->comm ? d->comm : "", comm, sizeof(comm));
	escape_untrusted(d->cgroup ? d->cgroup : "", cg, sizeof(cg));
	escape_untrusted(d->reason ? d->reason : "", reason, sizeof(reason));
	escape_untrusted(d->scope ? d->scope : "system", scope, sizeof(scope));
	put(&e, "PATH=%s", HOOK_PATH);
	put(&e, "OOMGUARD_EVENT=%s", event);
	put(&e, "OOMGUARD_PID=%d", (int)d->pid);
	put(&e, "OOMGUARD_UID=%u", (unsigned)d->uid);
	put(&e, "OOMGUARD_COMM=%s", comm);
	put(&e, "OOMGUARD_CGROUP=%s", cg);
	put(&e, "OOMGUARD_WHOLE_CGROUP=%d", d->whole_cgroup);
	put(&e, "OOMGUARD_GUARD=%s", d->guard ? d->guard : "");
	put(&e, "OOMGUARD_TRIGGER=%s", d->trigger ? d->trigger : "");
	put(&e, "OOMGUARD_LEVEL=%s", d->level ? d->level : "");
	put(&e, "OOMGUARD_SCOPE=%s", scope);
	put(&e, "OOMGUARD_REASON=%s", reason);
	put(&e, "OOMGUARD_SIGNAL=%s", report_signame(d->sig));
	put(&e, "OOMGUARD_DRY_RUN=%d", d->dry_run);
	put(&e, "OOMGUARD_RSS=%" PRIu64, d->rss);
	if (d->exit_ms >= 0)
		put(&e, "OOMGUARD_EXIT_MS=%" PRId64, d->exit_ms);
	if (d->freed_bytes >= 0)
		put(&e, "OOMGUARD_FREED_BYTES=%" PRId64, d->freed_bytes);
	if (e.full)
		return -ENOSPC;
	envp[e.n] = NULL;
	return e.n;
}

/* untrusted: escaped and cut to that many bytes (with the NUL), else 0 */
static void add_s(json_object *o, const char *k, const char *v, size_t untrusted)
{
	char esc[HOOK_CGROUP_MAX];

	if (untrusted) {
		escape_untrusted(v ? v : "", esc, MIN(untrusted, sizeof(esc)));
		v = esc;
	}
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_i(json_object *o, const char *k, int64_t v, bool known)
{
	json_object_object_add(o, k, known ? json_object_new_int64(v) : NULL);
}

char *hook_json(const char *event, const struct decision *d)
{
	json_object *o = json_object_new_object();
	char *s = NULL;
	const char *t;

	if (!o)
		return NULL;
	add_s(o, "event", event, 0);
	add_i(o, "pid", d->pid, true);
	add_i(o, "uid", d->uid, true);
	add_s(o, "comm", d->comm, HOOK_COMM_MAX);
	add_s(o, "cgroup", d->cgroup, HOOK_CGROUP_MAX);
	json_object_object_add(o, "whole_cgroup", json_object_new_boolean(d->whole_cgroup));
	add_s(o, "guard", d->guard, 0);
	add_s(o, "trigger", d->trigger, 0);
	add_s(o, "level", d->level, 0);
	add_s(o, "scope", d->scope ? d->scope : "system", HOOK_CGROUP_MAX);
	add_s(o, "reason", d->reason, HOOK_REASON_MAX);
	add_s(o, "signal", report_signame(d->sig), 0);
	json_object_object_add(o, "dry_run", json_object_new_boolean(d->dry_run));
	add_i(o, "rss", (int64_t)d->rss, true);
	add_i(o, "exit_ms", d->exit_ms, d->exit_ms >= 0);
	add_i(o, "freed_bytes", d->freed_bytes, d->freed_bytes >= 0);
	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (t)
		s = strdup(t);
	json_object_put(o);
	return s;
}
