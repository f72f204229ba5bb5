/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/shield/oomadj.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "observe/proc.h"

/* Larger first; ties: lower pid. */
static bool bigger(const struct oa_proc *a, const struct oa_proc *b)
{
	return a->rss != b->rss ? a->rss > b->rss : a->pid < b->pid;
}

size_t oomadj_top(const struct oa_proc *v, size_t n, size_t count, size_t *out)
{
	size_t k = 0;

	/* Insertion into a short sorted array: count is small (the seed says 3). */
	for (size_t i = 0; i < n && count; i++) {
		size_t j;

		if (!v[i].eligible || v[i].rss == 0)
			continue;
		if (k == count && !bigger(&v[i], &v[out[k - 1]]))
			continue;
		j = k < count ? k++ : k - 1;
		while (j > 0 && bigger(&v[i], &v[out[j - 1]])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return k;
}

enum oa_decision oomadj_decide(const struct oa_entry *e, int cur, int target, enum oa_mode mode)
{
	if (e) {
		if (e->hands_off)
			return OA_SKIP;
		if (cur != e->applied)
			return OA_DISOWN;
		return cur == target ? OA_KEEP : OA_WRITE;
	}
	if (mode == OA_RAISE)
		return cur < 0 || cur >= target ? OA_SKIP : OA_WRITE;
	return cur <= target ? OA_SKIP : OA_WRITE;
}

bool oomadj_should_restore(const struct oa_entry *e, int cur)
{
	return cur == e->applied && cur != e->original;
}

static int read_adj(int fd, int *ret)
{
	char buf[32];
	int64_t v;
	ssize_t n = read_file_at(fd, "oom_score_adj", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int_range(buf, OOMADJ_MIN, OOMADJ_MAX, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int oomadj_read(int proc_fd, int pid, uint64_t starttime, int *ret)
{
	int fd = proc_open_same(proc_fd, pid, starttime, NULL), r;

	if (fd < 0)
		return fd;
	r = read_adj(fd, ret);
	close(fd);
	return r;
}

int oomadj_write(int proc_fd, int pid, uint64_t starttime, int value)
{
	char buf[16];
	int fd = proc_open_same(proc_fd, pid, starttime, NULL), r;

	if (fd < 0)
		return fd;
	snprintf(buf, sizeof(buf), "%d", value);
	r = write_file_trunc_at(fd, "oom_score_adj", buf);
	close(fd);
	return r;
}

static struct oa_entry *find(struct oa_state *st, int pid, uint64_t starttime)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].pid == pid && st->v[i].starttime == starttime)
			return &st->v[i];
	return NULL;
}

static void drop(struct oa_state *st, struct oa_entry *e)
{
	*e = st->v[--st->n];
}

/* Read and write back through one /proc/PID fd whose start time was
 * checked: the value read and the value written are the same process's. */
static void restore_one(struct oa_state *st, struct oa_entry *e, int proc_fd,
			struct oa_stats *stats)
{
	int cur = 0, fd = proc_open_same(proc_fd, e->pid, e->starttime, NULL);

	if (fd < 0 || read_adj(fd, &cur) < 0) {
		stats->gone++;
	} else if (oomadj_should_restore(e, cur)) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%d", e->original);
		if (write_file_trunc_at(fd, "oom_score_adj", buf) == 0)
			stats->restored++;
		else
			stats->gone++;
	} else if (cur != e->applied) {
		stats->disowned++;
	}
	if (fd >= 0)
		close(fd);
	drop(st, e);
}

int oomadj_sync(struct oa_state *st, int proc_fd, const struct oa_want *want, size_t n,
		struct oa_stats *stats)
{
	*stats = (struct oa_stats){ 0 };
	for (size_t i = 0; i < st->n;) {
		struct oa_entry *e = &st->v[i];
		bool wanted = false;

		for (size_t j = 0; j < n && !wanted; j++)
			wanted = want[j].pid == e->pid && want[j].starttime == e->starttime &&
				 want[j].mode == e->mode;
		if (wanted) {
			i++;
		} else if (e->hands_off) {
			int cur;

			/* remembered while the process lives, so it is not taken again */
			if (oomadj_read(proc_fd, e->pid, e->starttime, &cur) < 0)
				drop(st, e);
			else
				i++;
		} else {
			restore_one(st, e, proc_fd, stats);     /* moves the last into slot i */
		}
	}
	for (size_t j = 0; j < n; j++) {
		const struct oa_want *w = &want[j];
		struct oa_entry *e = find(st, w->pid, w->starttime);
		int cur;

		if (oomadj_read(proc_fd, w->pid, w->starttime, &cur) < 0) {
			if (e)
				drop(st, e);
			stats->gone++;
			continue;
		}
		switch (oomadj_decide(e, cur, w->target, w->mode)) {
		case OA_SKIP:
		case OA_KEEP:
			break;
		case OA_DISOWN:
			e->hands_off = true;
			stats->disowned++;
			break;
		case OA_WRITE:
			if (!e) {
				if (st->n == st->cap) {
					size_t cap = st->cap ? st->cap * 2 : 16;
					struct oa_entry *v = realloc(st->v, cap * sizeof(*v));

					if (!v)
						return -ENOMEM;
					st->v = v;
					st->cap = cap;
				}
				e = &st->v[st->n];
				*e = (struct oa_entry){ .pid = w->pid, .starttime = w->starttime,
							.original = cur, .applied = cur, .mode = w->mode };
				snprintf(e->comm, sizeof(e->comm), "%s", w->comm ? w->comm : "");
				/* Track before writing: a crash between the two leaves
				 * an entry whose value is still the original. */
				st->n++;
			}
			if (oomadj_write(proc_fd, w->pid, w->starttime, w->target) == 0) {
				e->applied = w->target;
				stats->written++;
			} else if (e->applied == e->original) {
				drop(st, e);
				stats->gone++;
			}
			break;
		}
	}
	return 0;
}

void oomadj_restore_all(struct oa_state *st, int proc_fd, struct oa_stats *stats)
{
	*stats = (struct oa_stats){ 0 };
	while (st->n) {
		if (st->v[st->n - 1].hands_off)
			st->n--;
		else
			restore_one(st, &st->v[st->n - 1], proc_fd, stats);
	}
}

size_t oomadj_in_force(const struct oa_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n; i++)
		n += !st->v[i].hands_off;
	return n;
}

void oomadj_free(struct oa_state *st)
{
	free(st->v);
	*st = (struct oa_state){ 0 };
}

/* comm as one token: escaped (escape_untrusted), and a space as \x20. */
static void comm_token(const char *comm, char *out, size_t size)
{
	char esc[64];
	size_t o = 0;

	escape_untrusted(comm, esc, sizeof(esc));
	for (const char *c = esc; *c && o + 5 <= size; c++)
		o += (size_t)snprintf(out + o, size - o, *c == ' ' ? "\\x20" : "%c", *c);
	out[o] = '\0';
}

/* And back: the raw name (at most 15 bytes, no NUL); false if it is not. */
static bool comm_untoken(const char *tok, char out[16])
{
	size_t o = 0;

	if (!strcmp(tok, "-")) {
		out[0] = '\0';
		return true;
	}
	for (const char *c = tok; *c; c++) {
		unsigned v = (unsigned char)*c;

		if (*c == '\\') {
			if (c[1] != 'x' || !isxdigit((unsigned char)c[2]) ||
			    !isxdigit((unsigned char)c[3]) || sscanf(c + 2, "%2x", &v) != 1 || !v)
				return false;
			c += 3;
		}
		if (o == 15)
			return false;
		out[o++] = (char)v;
	}
	out[o] = '\0';
	return true;
}

int oomadj_format(const struct oa_state *st, const char *boot_id, char *buf, size_t size)
{
	size_t o = 0;
	int n;

	if (size)
		buf[0] = '\0';
	if (boot_id && *boot_id) {
		n = snprintf(buf, size, "boot %s\n", boot_id);
		if (n < 0 || (size_t)n >= size)
			return -ENOBUFS;
		o = (size_t)n;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct oa_entry *e = &st->v[i];
		char comm[sizeof(e->comm) * 4 + 1];

		if (e->hands_off)
			continue;
		comm_token(e->comm, comm, sizeof(comm));
		n = snprintf(buf + o, size - o, "%d %" PRIu64 " %d %d %s %s\n", e->pid, e->starttime,
			     e->original, e->applied, e->mode == OA_RAISE ? "raise" : "lower",
			     *comm ? comm : "-");
		if (n < 0 || (size_t)n >= size - o)
			return -ENOBUFS;
		o += (size_t)n;
	}
	return (int)o;
}

static bool boot_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < OA_BOOT_ID_SIZE && strspn(s, "0123456789abcdef-") == n;
}

/* One entry line; false if it is not one oomguard could have written. */
static bool parse_entry(const char *line, struct oa_entry *e)
{
	char mode[8], comm[64];
	int pid, orig, appl, used = -1;
	uint64_t start;

	if (sscanf(line, "%d %" SCNu64 " %d %d %7s %63s%n", &pid, &start, &orig, &appl, mode,
		   comm, &used) != 6 || used < 0 || line[used] != '\0' || !isdigit((unsigned char)line[0]))
		return false;
	if (pid <= 0 || orig < OOMADJ_MIN || orig > OOMADJ_MAX || appl < OOMADJ_MIN ||
	    appl > OOMADJ_MAX)
		return false;
	/* oomadj_decide only ever raised a value from [0, target) and lowered
	 * one from above target: a "restore" outside that is not ours. */
	if (!strcmp(mode, "raise")) {
		if (orig < 0 || orig >= appl)
			return false;
	} else if (!strcmp(mode, "lower")) {
		if (orig <= appl)
			return false;
	} else {
		return false;
	}
	*e = (struct oa_entry){ .pid = pid, .starttime = start, .original = orig, .applied = appl,
				.mode = mode[0] == 'r' ? OA_RAISE : OA_LOWER };
	return comm_untoken(comm, e->comm);
}

int oomadj_parse(const char *buf, struct oa_state *st, char *ret_boot_id, int *ret_line)
{
	char boot[OA_BOOT_ID_SIZE] = "";
	int lineno = 0;

	*st = (struct oa_state){ 0 };
	for (const char *l = buf; l && *l;) {
		const char *nl = strchr(l, '\n');
		struct oa_entry e = { 0 };
		char line[256], id[OA_BOOT_ID_SIZE + 1];
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		int used = -1;

		lineno++;
		if (len >= sizeof(line))
			goto bad;
		memcpy(line, l, len);
		line[len] = '\0';
		l = nl ? nl + 1 : NULL;
		if (lineno == 1 && !strncmp(line, "boot ", 5)) {
			if (sscanf(line, "boot %40s%n", id, &used) != 1 || used < 0 ||
			    line[used] != '\0' || !boot_id_ok(id))
				goto bad;
			snprintf(boot, sizeof(boot), "%s", id);
			continue;
		}
		if (!parse_entry(line, &e))
			goto bad;
		if (st->n == st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 16;
			struct oa_entry *v = realloc(st->v, cap * sizeof(*v));

			if (!v) {
				oomadj_free(st);
				return -ENOMEM;
			}
			st->v = v;
			st->cap = cap;
		}
		st->v[st->n++] = e;
	}
	if (ret_boot_id)
		snprintf(ret_boot_id, OA_BOOT_ID_SIZE, "%s", boot);
	return (int)st->n;
bad:
	oomadj_free(st);
	if (ret_line)
		*ret_line = lineno;
	return -EINVAL;
}

int oomadj_boot_id(int proc_fd, char buf[OA_BOOT_ID_SIZE])
{
	char tmp[64];
	ssize_t n = read_file_at(proc_fd, "sys/kernel/random/boot_id", tmp, sizeof(tmp));

	if (n < 0)
		return (int)n;
	tmp[strcspn(tmp, "\n")] = '\0';
	if (!boot_id_ok(tmp))
		return -EINVAL;
	snprintf(buf, OA_BOOT_ID_SIZE, "%s", tmp);
	return 0;
}

int oomadj_load(const char *path, int proc_fd, struct oa_state *st, char *why, size_t size)
{
	char dir[PATH_MAX], boot[OA_BOOT_ID_SIZE], now[OA_BOOT_ID_SIZE], buf[65536];
	const char *name = strrchr(path, '/'), *problem = NULL;
	struct stat dst;
	int dfd, fd, n, line = 0;
	ssize_t got;

	*st = (struct oa_state){ 0 };
	snprintf(why, size, "%s", "");
	/* the directory: a file others may replace is not trusted */
	if (!name)
		snprintf(dir, sizeof(dir), ".");
	else if (name == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(name - path), path);
	name = name ? name + 1 : path;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		n = -errno;
		snprintf(why, size, "%s", strerror(-n));
		return n;
	}
	if (fstat(dfd, &dst) < 0 || (problem = trust_problem(&dst, true, geteuid()))) {
		close(dfd);
		snprintf(why, size, "its directory is %s", problem ? problem : "unreadable");
		return -EPERM;
	}
	fd = open_trusted_at(dfd, name, geteuid(), NULL, &problem);
	close(dfd);
	if (fd < 0) {
		snprintf(why, size, fd == -EPERM || fd == -ELOOP ? "it is %s" : "%s",
			 fd == -EPERM || fd == -ELOOP ? problem : strerror(-fd));
		return fd;
	}
	got = reread_fd(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0) {
		snprintf(why, size, "%s", strerror((int)-got));
		return (int)got;
	}
	if ((size_t)got == sizeof(buf) - 1) {
		snprintf(why, size, "larger than %zu bytes", sizeof(buf) - 1);
		return -EFBIG;
	}
	n = oomadj_parse(buf, st, boot, &line);
	if (n == -EINVAL)
		snprintf(why, size, "line %d is malformed", line);
	if (n < 0)
		return n;
	/* A pid and a start time name a process in one boot only. */
	if (!*boot || oomadj_boot_id(proc_fd, now) < 0 || strcmp(boot, now)) {
		snprintf(why, size, "%s", !*boot ? "it names no boot" :
			 "it was written in another boot (or this boot's id is unknown)");
		oomadj_free(st);
		return -ESTALE;
	}
	return n;
}
