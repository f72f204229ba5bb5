/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `hooks` section: pre_kill, post_kill, their timeouts, dry_run and
 * guards. A command is a YAML list ([/usr/local/bin/x, --flag]) or one
 * string split on blanks ("/usr/local/bin/x --flag"): it is run with
 * execve, never through a shell, so its program is an absolute path. */
#include "hooks/schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config-walk.h"
#include "core/guard.h"
#include "hooks/hooks.h"

static const char *hook_guard_check(const char *s)
{
	for (size_t i = 0; i < guard_count; i++)
		if (!strcmp(guard_table[i]->name, s))
			return NULL;
	return "expected the name of a guard (memory, cgroups, cpu, io, disk, gpu, rulesets, ...)";
}

const struct key hooks_schema[] = {
	{ .name = "pre_kill", .type = T_ARGV, .off = OFF(hook_pre_kill) },
	{ .name = "post_kill", .type = T_ARGV, .off = OFF(hook_post_kill) },
	K("pre_kill_timeout", T_MS, OFF(hook_pre_kill_timeout_ms), .lo = 1, .hi = MS(10)),
	K("post_kill_timeout", T_MS, OFF(hook_post_kill_timeout_ms), .lo = 10, .hi = MS(600)),
	K("dry_run", T_BOOL, OFF(hook_dry_run)),
	{ .name = "guards", .type = T_STRLIST, .off = OFF(hook_guards),
	  .count_off = OFF(n_hook_guards), .hi = OG_MAX_HOOK_GUARDS, .item_check = hook_guard_check },
	{ 0 }
};

void hooks_config_default(struct og_config *cfg)
{
	cfg->hook_pre_kill_timeout_ms = HOOK_PRE_KILL_TIMEOUT_MS;
	cfg->hook_post_kill_timeout_ms = HOOK_POST_KILL_TIMEOUT_MS;
}

static void hook_clear(struct og_hook *h)
{
	for (size_t i = 0; i < h->argc; i++)
		free(h->argv[i]);
	memset(h, 0, sizeof(*h));
}

void hooks_config_free(struct og_config *cfg)
{
	hook_clear(&cfg->hook_pre_kill);
	hook_clear(&cfg->hook_post_kill);
	for (size_t i = 0; i < cfg->n_hook_guards; i++)
		free(cfg->hook_guards[i]);
	cfg->n_hook_guards = 0;
}

int hook_split(const char *s, struct og_hook *h)
{
	static const char blank[] = " \t";

	hook_clear(h);
	for (s += strspn(s, blank); *s; s += strspn(s, blank)) {
		size_t n = strcspn(s, blank);

		if (h->argc >= OG_MAX_HOOK_ARGS) {
			hook_clear(h);
			return -E2BIG;
		}
		if (!(h->argv[h->argc] = strndup(s, n))) {
			hook_clear(h);
			return -ENOMEM;
		}
		h->argc++;
		s += n;
	}
	return h->argc ? 0 : -EINVAL;
}

const char *hook_program_check(const char *s)
{
	if (*s != '/')
		return "the program must be an absolute path (hooks run with execve, no shell, "
		       "no PATH search)";
	if (strlen(s) >= 4096)
		return "the path is too long";
	return NULL;
}

int cw_load_argv(struct cw *c, const struct key *k, yaml_node_t *v, void *base, const char *path)
{
	struct og_hook *h = (struct og_hook *)((char *)base + k->off);
	char buf[160];
	const char *s, *why;
	int r;

	hook_clear(h);
	if (cw_is_null(v))
		return 0;               /* no hook */
	if (v->type == YAML_SCALAR_NODE) {
		if (!(s = cw_scalar(v)))
			goto bad;
		r = hook_split(s, h);
		if (r == -ENOMEM)
			return cw_oom(c, v->start_mark);
		if (r == -E2BIG)
			return cw_fail(c, v->start_mark, "%s: at most %d words", path, OG_MAX_HOOK_ARGS);
		if (r < 0)
			goto bad;
	} else if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(c->doc, *it);

			s = cw_scalar(item);
			if (h->argc >= OG_MAX_HOOK_ARGS)
				return cw_fail(c, item->start_mark, "%s: at most %d words", path,
					       OG_MAX_HOOK_ARGS);
			if (!s || cw_is_null(item) || (!*s && !h->argc))
				return cw_fail(c, item->start_mark, "%s[%zu]: expected a string, got %s",
					       path, h->argc, cw_describe_node(item, buf, sizeof(buf)));
			if (!(h->argv[h->argc] = strdup(s)))
				return cw_oom(c, item->start_mark);
			h->argc++;
		}
		if (!h->argc)
			goto bad;
	} else {
		goto bad;
	}
	if ((why = hook_program_check(h->argv[0])))
		return cw_fail(c, v->start_mark, "%s: %s, got \"%.80s\"", path, why, h->argv[0]);
	for (size_t i = 0, n = 0; i < h->argc; i++)
		if ((n += strlen(h->argv[i]) + 1) > HOOK_ARGV_BYTES)
			return cw_fail(c, v->start_mark, "%s: the command is too long (at most %d bytes)",
				       path, HOOK_ARGV_BYTES);
	h->line = (int)v->start_mark.line + 1;
	h->col = (int)v->start_mark.column + 1;
	return cw_mark_seen(c, h, v->start_mark);
bad:
	return cw_fail(c, v->start_mark, "%s: expected a command: a list such as "
		       "[/usr/local/bin/on-kill, --flag] or a string \"/usr/local/bin/on-kill --flag\", "
		       "got %s", path, cw_describe_node(v, buf, sizeof(buf)));
}

static int check_one(const struct og_config *cfg, const struct og_hook *h, const char *name,
		     char *err, size_t size)
{
	const char *file = cfg->path ? cfg->path : "<config>";
	char dir[4096];
	struct stat st, dst;
	const char *why = NULL, *slash;

	if (!h->argc)
		return 0;
	slash = strrchr(h->argv[0], '/');       /* an absolute path: there is one */
	snprintf(dir, sizeof(dir), "%.*s", slash == h->argv[0] ? 1 : (int)(slash - h->argv[0]),
		 h->argv[0]);
	if (stat(h->argv[0], &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (access(h->argv[0], X_OK) < 0)
		why = "not executable";
	else if (geteuid() == 0 && st.st_uid != 0)
		why = "owned by another user than root: whoever may write it runs code as root";
	else if (st.st_mode & S_IWOTH)
		why = "writable by every user: whoever may write it runs code as the daemon";
	else if (st.st_mode & S_IWGRP)
		why = "writable by its group: whoever may write it runs code as the daemon";
	else if (stat(dir, &dst) < 0)
		why = "its directory cannot be read";
	else if (geteuid() == 0 && dst.st_uid != 0)
		why = "its directory is owned by another user than root: whoever may write there "
		      "may replace it";
	else if (dst.st_mode & (S_IWGRP | S_IWOTH))
		why = "its directory is writable by others than its owner: whoever may write there "
		      "may replace it";
	if (!why)
		return 0;
	snprintf(err, size, "%s:%d:%d: hooks.%s: %s: %s", file, h->line, h->col, name, h->argv[0],
		 why);
	return -EINVAL;
}

int hooks_config_check(const struct og_config *cfg, char *err, size_t size)
{
	int r = check_one(cfg, &cfg->hook_pre_kill, "pre_kill", err, size);

	return r < 0 ? r : check_one(cfg, &cfg->hook_post_kill, "post_kill", err, size);
}

void hooks_config_describe(const struct og_config *cfg, FILE *f)
{
	const struct og_hook *pre = &cfg->hook_pre_kill, *post = &cfg->hook_post_kill;

	if (!pre->argc && !post->argc)
		return;
	fprintf(f, "hooks: pre_kill %s (SIGTERM waits at most %" PRIu64 " ms; never before SIGKILL), "
		"post_kill %s (killed after %" PRIu64 " ms), %s dry-run, for ",
		pre->argc ? pre->argv[0] : "none", cfg->hook_pre_kill_timeout_ms,
		post->argc ? post->argv[0] : "none", cfg->hook_post_kill_timeout_ms,
		cfg->hook_dry_run ? "also in" : "not in");
	if (!cfg->n_hook_guards)
		fprintf(f, "every guard");
	for (size_t i = 0; i < cfg->n_hook_guards; i++)
		fprintf(f, "%s%s", i ? ", " : "", cfg->hook_guards[i]);
	fputc('\n', f);
}
