/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/shield/shield.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "observe/cgroup.h"
#include "observe/mountinfo.h"

#define RE_FLAGS (REG_EXTENDED | REG_NOSUB)

/* ---- matching --------------------------------------------------------- */

static const struct {
	const char *prefix;
	enum shield_kind kind;
} prefixes[] = {
	{ "comm:", SM_COMM_RE },
	{ "exe:", SM_EXE_RE },
	{ "cmdline:", SM_CMDLINE_RE },
};

void shield_entry_parse(const char *s, enum shield_kind *kind, const char **pattern)
{
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t l = strlen(prefixes[i].prefix);

		if (!strncmp(s, prefixes[i].prefix, l)) {
			*kind = prefixes[i].kind;
			*pattern = s + l;
			return;
		}
	}
	*kind = SM_COMM;
	*pattern = s;
}

static int compile(const char *s, struct shield_entry *e, char *err, size_t errsize)
{
	int r;

	shield_entry_parse(s, &e->kind, &e->pattern);
	if (e->kind == SM_COMM)
		return *e->pattern ? 0 : (snprintf(err, errsize, "empty name"), -EINVAL);
	if (!*e->pattern) {
		snprintf(err, errsize, "empty regular expression after \"%.*s\"",
			 (int)(e->pattern - s), s);
		return -EINVAL;
	}
	r = regcomp(&e->re, e->pattern, RE_FLAGS);
	if (r != 0) {
		char msg[128];

		regerror(r, &e->re, msg, sizeof(msg));
		snprintf(err, errsize, "bad regular expression \"%.60s\": %s", e->pattern, msg);
		return -EINVAL;
	}
	return 0;
}

int shield_entry_check(const char *s, char *err, size_t errsize)
{
	struct shield_entry e;
	int r = compile(s, &e, err, errsize);

	if (r == 0 && e.kind != SM_COMM)
		regfree(&e.re);
	return r;
}

int shield_matcher_init(struct shield_matcher *m, char *const *entries, size_t n,
			char *err, size_t errsize)
{
	memset(m, 0, sizeof(*m));
	if (n > ARRAY_SIZE(m->v))
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		int r = compile(entries[i], &m->v[i], err, errsize);

		if (r < 0) {
			shield_matcher_free(m);
			return r;
		}
		m->n++;
		m->need_exe |= m->v[i].kind == SM_EXE_RE;
		m->need_cmdline |= m->v[i].kind == SM_CMDLINE_RE;
	}
	return 0;
}

void shield_matcher_free(struct shield_matcher *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind != SM_COMM)
			regfree(&m->v[i].re);
	m->n = 0;
	m->need_exe = m->need_cmdline = false;
}

bool shield_matches(const struct shield_matcher *m, const char *comm, const char *exe,
		    const char *cmdline)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct shield_entry *e = &m->v[i];
		const char *s = e->kind == SM_EXE_RE ? exe :
				e->kind == SM_CMDLINE_RE ? cmdline : comm;

		if (!s || (!*s && e->kind != SM_COMM_RE))
			continue;
		if (e->kind == SM_COMM ? !strcmp(s, e->pattern) : !regexec(&e->re, s, 0, NULL, 0))
			return true;
	}
	return false;
}

bool shield_matches_lazy(const struct shield_matcher *m, const char *comm, shield_load_fn load,
			 void *userdata)
{
	const char *exe, *cmdline;

	if (!m->n)
		return false;
	if (shield_matches(m, comm, NULL, NULL))
		return true;
	if (!m->need_exe && !m->need_cmdline)
		return false;
	exe = m->need_exe ? load(SM_EXE_RE, userdata) : NULL;
	cmdline = m->need_cmdline ? load(SM_CMDLINE_RE, userdata) : NULL;
	return shield_matches(m, comm, exe, cmdline);
}

/* ---- paths and small file helpers --------------------------------------- */

int shield_path(const char *parent, const char *name, char *buf, size_t size)
{
	char tmp[PATH_MAX];
	size_t o = 0;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s/%s", parent ? parent : "", name ? name : "");
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !strcmp(c, ".."))
			return -EINVAL;
		n = snprintf(buf + o, size - o, "/%s", c);
		if (n < 0 || (size_t)n >= size - o)
			return -ENAMETOOLONG;
		o += (size_t)n;
	}
	if (!o || !name || !*name || strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static bool has_word(const char *list, const char *w)
{
	size_t l = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += l)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n' || p[-1] == ',') &&
		    (p[l] == '\0' || p[l] == ' ' || p[l] == '\n' || p[l] == ','))
			return true;
	return false;
}

static int read_u64_at(int fd, const char *file, uint64_t *ret)
{
	char buf[64];
	ssize_t n = read_file_at(fd, file, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return parse_cg_limit(buf, ret);
}

static int write_u64_at(int fd, const char *file, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return write_file_trunc_at(fd, file, buf);
}

static uint64_t page_down(uint64_t v)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t p = ps > 0 ? (uint64_t)ps : 4096;

	return v / p * p;
}

static const char *const v2_names[SH_NCTRL] = { "memory", "cpu", "io" };

/* ---- v2 creation -------------------------------------------------------- */

/* Enable the wanted controllers the kernel offers at dir in its
 * subtree_control. *ret_have gets the controllers enabled there now. */
static int enable_v2(int dir, const char *rel, const char *delegated, const char *leaf,
		     unsigned *ret_have, char *why, size_t whysize)
{
	char avail[512] = "", cur[512] = "", want[64] = "";
	unsigned have = 0, add = 0;
	size_t o = 0;
	int r;

	ssize_t rr = read_file_at(dir, "cgroup.controllers", avail, sizeof(avail));

	if (rr < 0) {
		snprintf(why, whysize, "%s/cgroup.controllers: %s", *rel ? rel : "",
			 strerror((int)-rr));
		return (int)rr;
	}
	read_file_at(dir, "cgroup.subtree_control", cur, sizeof(cur));
	for (int c = 0; c < SH_NCTRL; c++) {
		if (has_word(cur, v2_names[c]))
			have |= SH_BIT(c);
		else if (has_word(avail, v2_names[c]))
			add |= SH_BIT(c);
	}
	for (int c = 0; c < SH_NCTRL; c++)
		if (add & SH_BIT(c))
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s+%s", o ? " " : "",
					      v2_names[c]);
	if (!add) {
		*ret_have = have;
		return 0;
	}
	r = write_file_trunc_at(dir, "cgroup.subtree_control", want);
	if (r == -EBUSY && *rel && delegated && !strcmp(rel, delegated) && leaf) {
		/* Our delegated subtree's own processes (the daemon itself
		 * under systemd's Delegate=) go into a leaf first. */
		int lfd;

		if (mkdirat(dir, leaf, 0755) < 0 && errno != EEXIST)
			return -errno;
		lfd = openat(dir, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			return -errno;
		shield_move_all(dir, lfd);
		close(lfd);
		r = write_file_trunc_at(dir, "cgroup.subtree_control", want);
	}
	if (r == -EINVAL) {
		/* One of them refused: enable one at a time. */
		r = 0;
		for (int c = 0; c < SH_NCTRL; c++) {
			char one[16];

			if (!(add & SH_BIT(c)))
				continue;
			snprintf(one, sizeof(one), "+%s", v2_names[c]);
			if (write_file_trunc_at(dir, "cgroup.subtree_control", one) == 0)
				have |= SH_BIT(c);
			else
				snprintf(why, whysize, "%s: cannot enable %s", *rel ? rel : "/",
					 v2_names[c]);
		}
	} else if (r == 0) {
		have |= add;
	}
	if (r < 0) {
		snprintf(why, whysize, "%s: enabling \"%s\" in cgroup.subtree_control: %s%s",
			 *rel ? rel : "/", want, strerror(-r),
			 r == -EBUSY ? " (it has processes of its own: cgroup v2 lets only a "
				       "cgroup without processes enable controllers for its children;"
				       " move them to a leaf, or set cgroup_settings.parent to a "
				       "delegated subtree)" : "");
		return r;
	}
	*ret_have = have;
	return 0;
}

static void cg_init(struct shield_cg *cg)
{
	memset(cg, 0, sizeof(*cg));
	for (int c = 0; c < SH_NCTRL; c++)
		cg->fd[c] = -1;
}

int shield_v2_create(int root_fd, const char *path, const char *delegated,
		     const char *leaf_name, struct shield_cg *ret, char *why, size_t whysize)
{
	char tmp[PATH_MAX], rel[PATH_MAX] = "";
	char deleg[PATH_MAX] = "";
	unsigned have = 0;
	int dir, r;

	if (delegated && *delegated) {
		/* normalise "a/b/" to "/a/b" */
		for (const char *p = delegated; *p;) {
			size_t l;

			while (*p == '/')
				p++;
			l = strcspn(p, "/");
			if (l)
				snprintf(deleg + strlen(deleg), sizeof(deleg) - strlen(deleg), "/%.*s",
					 (int)l, p);
			p += l;
		}
	}
	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	dir = dup(root_fd);
	if (dir < 0)
		return -errno;
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int nd;

		r = enable_v2(dir, rel, *deleg ? deleg : NULL, leaf_name, &have, why, whysize);
		if (r < 0)
			goto fail;
		if (mkdirat(dir, c, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			snprintf(why, whysize, "%s/%s: mkdir: %s", rel, c, strerror(errno));
			goto fail;
		}
		nd = openat(dir, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (nd < 0) {
			r = -errno;
			snprintf(why, whysize, "%s/%s: %s", rel, c, strerror(errno));
			goto fail;
		}
		close(dir);
		dir = nd;
		snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "/%s", c);
	}
	cg_init(ret);
	ret->mode = SHIELD_V2;
	ret->fd[0] = dir;
	ret->ctrls = have;
	snprintf(ret->path, sizeof(ret->path), "%s", rel);
	return 0;
fail:
	close(dir);
	return r;
}

static unsigned v2_ctrls_of(int fd)
{
	char avail[512] = "";
	unsigned have = 0;

	read_file_at(fd, "cgroup.controllers", avail, sizeof(avail));
	for (int c = 0; c < SH_NCTRL; c++)
		if (has_word(avail, v2_names[c]))
			have |= SH_BIT(c);
	return have;
}

int shield_v2_open(int root_fd, const char *path, struct shield_cg *ret)
{
	int fd;

	while (*path == '/')
		path++;
	fd = openat(root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	cg_init(ret);
	ret->mode = SHIELD_V2;
	ret->fd[0] = fd;
	ret->ctrls = v2_ctrls_of(fd);
	snprintf(ret->path, sizeof(ret->path), "/%s", path);
	return 0;
}

/* ---- v1 ------------------------------------------------------------------ */

static int mkdir_p_at(int root, const char *path, int *ret_fd)
{
	char tmp[PATH_MAX];
	int dir = dup(root);

	if (dir < 0)
		return -errno;
	if (strlen(path) >= sizeof(tmp)) {
		close(dir);
		return -ENAMETOOLONG;
	}
	strcpy(tmp, path);
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int nd;

		if (mkdirat(dir, c, 0755) < 0 && errno != EEXIST)
			goto fail;
		nd = openat(dir, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (nd < 0)
			goto fail;
		close(dir);
		dir = nd;
	}
	*ret_fd = dir;
	return 0;
fail:
	{
		int e = -errno;

		close(dir);
		return e;
	}
}

static int v1_make(const int root_fd[SH_NCTRL], const char *path, struct shield_cg *ret,
		   bool create)
{
	struct shield_cg cg;
	const char *p = path;
	int r;

	if (root_fd[SH_MEM] < 0)
		return -ENOENT;
	while (*p == '/')
		p++;
	cg_init(&cg);
	for (int c = 0; c < SH_NCTRL; c++) {
		if (root_fd[c] < 0)
			continue;
		if (create) {
			r = mkdir_p_at(root_fd[c], p, &cg.fd[c]);
		} else {
			cg.fd[c] = openat(root_fd[c], p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			r = cg.fd[c] < 0 ? -errno : 0;
		}
		if (r < 0 && c == SH_MEM) {
			shield_cg_close(&cg);
			return r;
		}
		if (r == 0)
			cg.ctrls |= SH_BIT(c);
	}
	cg.mode = SHIELD_V1;
	snprintf(cg.path, sizeof(cg.path), "/%s", p);
	*ret = cg;
	return 0;
}

int shield_v1_create(const int root_fd[SH_NCTRL], const char *path, struct shield_cg *ret)
{
	return v1_make(root_fd, path, ret, true);
}

int shield_v1_open(const int root_fd[SH_NCTRL], const char *path, struct shield_cg *ret)
{
	return v1_make(root_fd, path, ret, false);
}

void shield_cg_close(struct shield_cg *cg)
{
	for (int c = 0; c < SH_NCTRL; c++)
		if (cg->fd[c] >= 0) {
			close(cg->fd[c]);
			cg->fd[c] = -1;
		}
	cg->mode = SHIELD_OFF;
	cg->ctrls = 0;
}

bool shield_v2_usable(int root_fd)
{
	return root_fd >= 0 && (v2_ctrls_of(root_fd) & SH_BIT(SH_MEM));
}

void shield_v1_roots_close(int roots[SH_NCTRL])
{
	for (int c = 0; c < SH_NCTRL; c++)
		if (roots[c] >= 0) {
			close(roots[c]);
			roots[c] = -1;
		}
}

int shield_v1_roots(int proc_fd, int roots[SH_NCTRL], char *mem_path)
{
	static const char *const v1_names[SH_NCTRL] = { "memory", "cpu", "blkio" };
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX];
	size_t cap = 0;

	for (int c = 0; c < SH_NCTRL; c++)
		roots[c] = -1;
	if (mountinfo_read(proc_fd, &buf, &cap) < 0)
		return -ENOENT;
	for (int c = 0; c < SH_NCTRL; c++) {
		if (parse_mountinfo_cgroup1(buf, v1_names[c], path, sizeof(path)) < 0)
			continue;
		roots[c] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c == SH_MEM && mem_path && roots[c] >= 0)
			snprintf(mem_path, PATH_MAX, "%s", path);
	}
	if (roots[SH_MEM] < 0) {
		shield_v1_roots_close(roots);
		return -ENOENT;
	}
	return 0;
}

/* ---- settings ------------------------------------------------------------ */

/* Write v to file unless it already reads `want` (compared as u64). */
static int sync_u64(int fd, const char *file, uint64_t want, uint64_t write_v, bool *rewritten)
{
	uint64_t cur;
	int r = read_u64_at(fd, file, &cur);

	if (r == 0 && cur == want)
		return 0;
	r = write_u64_at(fd, file, write_v);
	if (r == 0)
		*rewritten = true;
	return r;
}

/* io.weight reads "default N\n[MAJ:MIN N\n...]". */
static int read_io_weight(int fd, const char *file, uint64_t *ret)
{
	char buf[512], *p;
	ssize_t n = read_file_at(fd, file, buf, sizeof(buf));
	uint64_t v;

	if (n < 0)
		return (int)n;
	p = buf;
	if (!strncmp(p, "default ", 8))
		p += 8;
	p[strcspn(p, "\n")] = '\0';
	if (parse_u64(p, &v) < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void note(int *first, int r)
{
	if (r < 0 && *first == 0)
		*first = r;
}

int shield_apply(const struct shield_cg *cg, const struct shield_settings *s,
		 unsigned *ret_rewritten)
{
	unsigned rw = 0;
	int first = 0;
	bool w;

	if (cg->mode == SHIELD_V2) {
		int fd = cg->fd[0];

		if (cg->ctrls & SH_BIT(SH_MEM)) {
			w = false;
			note(&first, sync_u64(fd, "memory.low", page_down(s->memory_low),
					      s->memory_low, &w));
			note(&first, sync_u64(fd, "memory.min", page_down(s->memory_min),
					      s->memory_min, &w));
			if (w)
				rw |= SH_BIT(SH_MEM);
		}
		if (cg->ctrls & SH_BIT(SH_CPU)) {
			w = false;
			note(&first, sync_u64(fd, "cpu.weight", (uint64_t)s->cpu_weight,
					      (uint64_t)s->cpu_weight, &w));
			if (w)
				rw |= SH_BIT(SH_CPU);
		}
		if (cg->ctrls & SH_BIT(SH_IO)) {
			uint64_t cur = 0;
			char buf[32];

			if (read_io_weight(fd, "io.weight", &cur) < 0 || cur != (uint64_t)s->io_weight) {
				snprintf(buf, sizeof(buf), "default %" PRId64, s->io_weight);
				note(&first, write_file_trunc_at(fd, "io.weight", buf));
				rw |= SH_BIT(SH_IO);
			}
		}
	} else if (cg->mode == SHIELD_V1) {
		if (cg->fd[SH_MEM] >= 0 && s->memory_low > 0) {
			w = false;
			note(&first, sync_u64(cg->fd[SH_MEM], "memory.soft_limit_in_bytes",
					      page_down(s->memory_low), s->memory_low, &w));
			if (w)
				rw |= SH_BIT(SH_MEM);
		}
		if (cg->fd[SH_CPU] >= 0) {
			uint64_t shares = (uint64_t)s->cpu_weight * 1024 / 100;

			w = false;
			shares = MAX(shares, 2);
			note(&first, sync_u64(cg->fd[SH_CPU], "cpu.shares", shares, shares, &w));
			if (w)
				rw |= SH_BIT(SH_CPU);
		}
		if (cg->fd[SH_IO] >= 0) {
			uint64_t wt = (uint64_t)MIN(MAX(s->io_weight, 10), 1000), cur = 0;
			const char *f = "blkio.weight";
			int r;

			if (faccessat(cg->fd[SH_IO], f, F_OK, 0) < 0)
				f = "blkio.bfq.weight";
			r = read_io_weight(cg->fd[SH_IO], f, &cur);
			if (r == -ENOENT) {
				/* no proportional I/O policy on this kernel */
			} else if (r < 0 || cur != wt) {
				note(&first, write_u64_at(cg->fd[SH_IO], f, wt));
				rw |= SH_BIT(SH_IO);
			}
		}
	} else {
		return -EBADF;
	}
	if (ret_rewritten)
		*ret_rewritten = rw;
	return first;
}

int shield_read(const struct shield_cg *cg, struct shield_settings *ret)
{
	struct shield_settings s = { 0 };
	uint64_t v;

	if (cg->mode == SHIELD_V2) {
		if (read_u64_at(cg->fd[0], "memory.low", &v) == 0)
			s.memory_low = v;
		if (read_u64_at(cg->fd[0], "memory.min", &v) == 0)
			s.memory_min = v;
		if (read_u64_at(cg->fd[0], "cpu.weight", &v) == 0)
			s.cpu_weight = (int64_t)v;
		if (read_io_weight(cg->fd[0], "io.weight", &v) == 0)
			s.io_weight = (int64_t)v;
	} else if (cg->mode == SHIELD_V1) {
		if (cg->fd[SH_MEM] >= 0 &&
		    read_u64_at(cg->fd[SH_MEM], "memory.soft_limit_in_bytes", &v) == 0)
			s.memory_low = v;
		if (cg->fd[SH_CPU] >= 0 && read_u64_at(cg->fd[SH_CPU], "cpu.shares", &v) == 0)
			s.cpu_weight = (int64_t)(v * 100 / 1024);
		if (cg->fd[SH_IO] >= 0 &&
		    (read_io_weight(cg->fd[SH_IO], "blkio.weight", &v) == 0 ||
		     read_io_weight(cg->fd[SH_IO], "blkio.bfq.weight", &v) == 0))
			s.io_weight = (int64_t)v;
	} else {
		return -EBADF;
	}
	*ret = s;
	return 0;
}

/* ---- membership ------------------------------------------------------------- */

int shield_move(const struct shield_cg *cg, int pid)
{
	char buf[16];
	int first = 0;

	if (pid <= 0)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%d", pid);
	if (cg->mode == SHIELD_V2)
		return write_file_trunc_at(cg->fd[0], "cgroup.procs", buf);
	if (cg->mode != SHIELD_V1)
		return -EBADF;
	for (int c = 0; c < SH_NCTRL; c++) {
		int r;

		if (cg->fd[c] < 0)
			continue;
		r = write_file_trunc_at(cg->fd[c], "cgroup.procs", buf);
		if (c == SH_MEM && r < 0)
			return r;       /* gone, or not ours to move: leave the rest */
		note(&first, r);
	}
	return first;
}

int shield_move_all(int src_fd, int dst_fd)
{
	_cleanup_free_ int *pids = NULL;
	size_t n = 0, cap = 0;
	int r, first = 0;

	r = cgroup_read_procs(src_fd, &pids, &n, &cap);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char s[16];

		snprintf(s, sizeof(s), "%d", pids[i]);
		r = write_file_trunc_at(dst_fd, "cgroup.procs", s);
		if (r != -ESRCH)
			note(&first, r);
	}
	return first;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void shield_sort_pids(int *pids, size_t n)
{
	if (n)
		qsort(pids, n, sizeof(*pids), cmp_int);
}

int shield_members(const struct shield_cg *cg, int **pids, size_t *n, size_t *cap)
{
	int fd = cg->mode == SHIELD_V2 ? cg->fd[0] : cg->fd[SH_MEM];
	size_t m = 0;
	int r;

	if (cg->mode == SHIELD_OFF || fd < 0)
		return -EBADF;
	r = cgroup_read_procs(fd, pids, &m, cap);
	if (r < 0)
		return r;
	if (m)
		qsort(*pids, m, sizeof(**pids), cmp_int);
	*n = m;
	return r;
}

bool shield_pid_in(const int *pids, size_t n, int pid)
{
	return n && bsearch(&pid, pids, n, sizeof(*pids), cmp_int) != NULL;    /* pids may be NULL when n is 0 */
}
