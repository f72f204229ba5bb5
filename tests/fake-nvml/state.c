/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fake NVML's state file: one item a line, parsed again on every call
 * (the file is small), so a test can change it while the daemon runs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-nvml.h"

enum field_kind { F_NUM, F_SIZE, F_SIZE_NA };

struct field {
	const char *key;
	size_t off;
	enum field_kind kind;
	unsigned long long max;
};

static const struct field dev_fields[] = {
	{ "total", offsetof(struct dev, total), F_SIZE, ULLONG_MAX },
	{ "base", offsetof(struct dev, base), F_SIZE, ULLONG_MAX },
	{ "reserved", offsetof(struct dev, reserved), F_SIZE, ULLONG_MAX },
	{ "persistence", offsetof(struct dev, persistence), F_NUM, 1 },
	{ "max_graphics", offsetof(struct dev, max_graphics), F_NUM, UINT_MAX },
	{ "max_mem", offsetof(struct dev, max_mem), F_NUM, UINT_MAX },
	{ "app_graphics", offsetof(struct dev, app_graphics), F_NUM, UINT_MAX },
	{ "app_mem", offsetof(struct dev, app_mem), F_NUM, UINT_MAX },
	{ "pstate", offsetof(struct dev, pstate), F_NUM, NVML_PSTATE_UNKNOWN },
};

static const struct field proc_fields[] = {
	{ "dev", offsetof(struct proc, dev), F_NUM, MAX_DEVS - 1 },
	{ "pid", offsetof(struct proc, pid), F_NUM, INT_MAX },
	{ "mem", offsetof(struct proc, mem), F_SIZE_NA, ULLONG_MAX },
	{ "gi", offsetof(struct proc, gi), F_NUM, UINT_MAX },
	{ "ci", offsetof(struct proc, ci), F_NUM, UINT_MAX },
	{ "cc", offsetof(struct proc, cc), F_SIZE, ULLONG_MAX },
};

static uint64_t warned[128]; /* hashes of the lines said on stderr */
static unsigned int nwarned;
static char file_buf[1 << 16];

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

static bool parse_size(const char *s, unsigned long long *ret)
{
	static const char units[] = "KMGT";
	const char *u;
	unsigned long long v;
	unsigned int shift;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		u = strchr(units, *end);
		if (!u || end[1])
			return false;
		shift = 10 * (unsigned int)(u - units + 1);
		if (v > ULLONG_MAX >> shift)
			return false;
		v <<= shift;
	}
	*ret = v;
	return true;
}

static bool set_field(const struct field *f, size_t n, void *obj, const char *key, const char *val)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long *p = (unsigned long long *)((char *)obj + f[i].off);

		if (strcmp(f[i].key, key))
			continue;
		if (f[i].kind == F_SIZE_NA && !strcmp(val, "na")) {
			*p = NVML_VALUE_NOT_AVAILABLE;
			return true;
		}
		return f[i].kind == F_NUM ? parse_uint(val, f[i].max, p) : parse_size(val, p);
	}
	return false;
}

static bool copy_text(char *dst, const char *src)
{
	if (!*src || strlen(src) >= TEXT_LEN)
		return false;
	strcpy(dst, src);
	return true;
}

/* The next word of a line: `key`, `key=value` or `key="a value"`. False at
 * the end of the line and on a bad word (*bad set). */
static bool next_word(char **p, char **key, char **val, bool *bad)
{
	char *s = *p + strspn(*p, " \t");

	if (!*s)
		return false;
	*key = s;
	*val = NULL;
	s += strcspn(s, " \t=");
	if (*s == '=') {
		*s++ = '\0';
		*val = s;
		if (*s == '"') {
			*val = ++s;
			s = strchr(s, '"');
			if (!s || (s[1] && s[1] != ' ' && s[1] != '\t')) {
				*bad = true;
				return false;
			}
			*s++ = '\0';
		}
		s += strcspn(s, " \t");
	}
	if (*s)
		*s++ = '\0';
	*p = s;
	return true;
}

static bool parse_device(char *rest, struct dev *d, unsigned int index)
{
	char *key, *val;
	bool bad = false, ok;

	snprintf(d->name, sizeof(d->name), "Fake GPU %u", index);
	snprintf(d->uuid, sizeof(d->uuid), "GPU-fake-%04u", index);
	d->total = 16ULL << 30;
	d->max_graphics = 1980;
	d->max_mem = 3201;
	d->app_graphics = 1500;
	d->app_mem = 3201;
	d->pstate = 8;
	while (next_word(&rest, &key, &val, &bad)) {
		if (!val)
			return false;
		if (!strcmp(key, "name"))
			ok = copy_text(d->name, val);
		else if (!strcmp(key, "uuid"))
			ok = copy_text(d->uuid, val);
		else
			ok = set_field(dev_fields, sizeof(dev_fields) / sizeof(dev_fields[0]), d, key, val);
		if (!ok)
			return false;
	}
	return !bad && (d->pstate <= NVML_PSTATE_15 || d->pstate == NVML_PSTATE_UNKNOWN);
}

static bool parse_proc(char *rest, struct proc *p)
{
	char *key, *val;
	bool bad = false, ok;

	p->gi = p->ci = UINT_MAX;
	while (next_word(&rest, &key, &val, &bad)) {
		if (!val)
			return false;
		if (!strcmp(key, "type"))
			ok = !strcmp(val, "graphics") || !strcmp(val, "compute");
		else
			ok = set_field(proc_fields, sizeof(proc_fields) / sizeof(proc_fields[0]), p, key, val);
		if (!ok)
			return false;
		if (!strcmp(key, "type"))
			p->graphics = !strcmp(val, "graphics");
	}
	return !bad && p->pid > 0;
}

/* `hang FN`, `fail FN CODE`, `stride FN BYTES`: rest is after the keyword. */
static bool parse_rule(char *rest, enum rule_kind kind, struct rule *r)
{
	char *fn, *arg, *extra, *save;
	unsigned long long v = 0;

	fn = strtok_r(rest, " \t", &save);
	arg = fn ? strtok_r(NULL, " \t", &save) : NULL;
	extra = arg ? strtok_r(NULL, " \t", &save) : NULL;
	r->dev = -1;
	if (kind == RULE_FAIL && extra && !strncmp(extra, "dev=", 4) &&
	    parse_uint(extra + 4, MAX_DEVS - 1, &v)) {
		r->dev = (int)v;
		extra = NULL;
	}
	if (!fn || strlen(fn) >= sizeof(r->fn) || extra || (kind == RULE_HANG) != !arg)
		return false;
	if (kind == RULE_FAIL && !parse_uint(arg, INT_MAX, &v))
		return false;
	if (kind == RULE_STRIDE && (!parse_uint(arg, MAX_STRIDE, &v) || !v))
		return false;
	r->kind = kind;
	strcpy(r->fn, fn);
	r->value = (unsigned int)v;
	return true;
}

static bool add_rule(struct state *s, char *rest, enum rule_kind kind)
{
	if (s->nrules == MAX_RULES || !parse_rule(rest, kind, &s->rules[s->nrules]))
		return false;
	s->nrules++;
	return true;
}

/* One line that is no comment: false when it is bad or unknown. */
static bool parse_line(char *line, struct state *s)
{
	char *save, *kw = strtok_r(line, " \t", &save), *rest = save, *word;

	if (!strcmp(kw, "driver") || !strcmp(kw, "nvml")) {
		word = strtok_r(NULL, " \t", &save);
		return word && !strtok_r(NULL, " \t", &save) &&
		       copy_text(!strcmp(kw, "driver") ? s->driver : s->nvml, word);
	}
	if (!strcmp(kw, "device")) {
		if (s->ndevs == MAX_DEVS || !parse_device(rest, &s->devs[s->ndevs], s->ndevs))
			return false;
		s->ndevs++;
		return true;
	}
	if (!strcmp(kw, "proc")) {
		if (s->nprocs == MAX_PROCS || !parse_proc(rest, &s->procs[s->nprocs]))
			return false;
		s->nprocs++;
		return true;
	}
	if (!strcmp(kw, "hang"))
		return add_rule(s, rest, RULE_HANG);
	if (!strcmp(kw, "fail"))
		return add_rule(s, rest, RULE_FAIL);
	if (!strcmp(kw, "stride"))
		return add_rule(s, rest, RULE_STRIDE);
	return false;
}

static void warn_once(const char *path, unsigned int lineno, const char *line)
{
	uint64_t h = 1469598103934665603ULL;
	char msg[512];
	int n;

	for (const char *p = line; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (unsigned int i = 0; i < nwarned; i++)
		if (warned[i] == h)
			return;
	if (nwarned == sizeof(warned) / sizeof(warned[0]))
		return;
	warned[nwarned++] = h;
	n = snprintf(msg, sizeof(msg), "fake-nvml: %s:%u: ignored: %s\n", path, lineno, line);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0) {
		/* nowhere to say it */
	}
}

void state_load(struct state *s)
{
	const char *path = getenv("FAKE_NVML_STATE");
	char *line, *next, copy[256];
	unsigned int lineno = 0;
	size_t len = 0;
	ssize_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	strcpy(s->driver, "550.54.15");
	strcpy(s->nvml, "12.550.54.15");
	if (!path || !*path)
		path = "/run/fake-nvml/state";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < sizeof(file_buf) - 1 &&
	       (n = read(fd, file_buf + len, sizeof(file_buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	file_buf[len] = '\0';
	for (line = file_buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		snprintf(copy, sizeof(copy), "%s", line);
		if (!parse_line(line, s))
			warn_once(path, lineno, copy);
	}
}
