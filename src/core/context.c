/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "guards/shield/shieldd.h"
#include "core/context.h"
#include "core/log.h"
#include "core/util.h"
#include "victim/rules.h"
#include "observe/registry.h"

int ctx_open(struct og_ctx *c, const struct og_opts *o, char err[OG_ERR_SIZE])
{
	const char *proc = o->proc_dir ? o->proc_dir : "/proc";
	int r;

	memset(c, 0, sizeof(*c));
	c->opts = o;
	c->proc_fd = c->meminfo_fd = c->psi_fd = c->vmstat_fd = c->cg_root_fd = c->runtime_fd = -1;
	c->cg_ino_fd = -1;
	config_default(&c->cfg);
	if (o->config_path) {
		r = config_load(o->config_path, &c->cfg, err);
		if (r < 0) {
			config_free(&c->cfg);
			return r;
		}
	}
	ctx_apply_opts(c);
	usercache_load_for(&c->cfg);

	c->proc_fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->proc_fd < 0) {
		r = -errno;
		snprintf(err, OG_ERR_SIZE, "%s: %s", proc, strerror(errno));
		ctx_close(c);
		return r;
	}
	c->meminfo_fd = openat(c->proc_fd, "meminfo", O_RDONLY | O_CLOEXEC);
	if (c->meminfo_fd < 0) {
		r = -errno;
		snprintf(err, OG_ERR_SIZE, "%s/meminfo: %s", proc, strerror(errno));
		ctx_close(c);
		return r;
	}
	c->psi_fd = openat(c->proc_fd, "pressure/memory", O_RDONLY | O_CLOEXEC);
	c->vmstat_fd = openat(c->proc_fd, "vmstat", O_RDONLY | O_CLOEXEC);
	c->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	c->reg = calloc(1, sizeof(*c->reg));
	if (!c->reg) {
		ctx_close(c);
		return -ENOMEM;
	}
	ctx_open_cgroups(c);
	return 0;
}

void ctx_apply_opts(struct og_ctx *c)
{
	if (c->opts->dry_run)
		c->cfg.dry_run = true;
	if (c->opts->psi_mode >= 0)
		c->cfg.psi_mode = (enum og_psi_mode)c->opts->psi_mode;
	shield_ctx_update(c);   /* after every load: managed_processes may have changed */
}

void ctx_open_cgroups(struct og_ctx *c)
{
	const char *root = c->opts->cgroup_root ? c->opts->cgroup_root : c->cfg.cgroup_root;
	char buf[16384];

	if (c->cg_root_fd >= 0) {
		close(c->cg_root_fd);
		c->cg_root_fd = -1;
	}
	if (c->cg_ino_fd >= 0) {
		close(c->cg_ino_fd);
		c->cg_ino_fd = -1;
	}
	c->cg_root[0] = '\0';
	c->n_limited = 0;
	c->cg_walk_ms = 0;      /* walk again at the next check */
	if (root)
		snprintf(c->cg_root, sizeof(c->cg_root), "%s", root);
	else if (read_file_at(c->proc_fd, "self/mountinfo", buf, sizeof(buf)) < 0 ||
		 parse_mountinfo_cgroup2(buf, c->cg_root, sizeof(c->cg_root)) < 0)
		return;
	c->cg_root_fd = open(c->cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->cg_root_fd >= 0)
		c->cg_ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

bool ctx_cgroup_events(struct og_ctx *c)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	while ((n = read(c->cg_ino_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *e = (const struct inotify_event *)(buf + off);

			off += (ssize_t)(sizeof(*e) + e->len);
			/* A new child cgroup, a limit written, or lost events.
			 * Everything else (cgroup.procs writes, the kernel's
			 * memory.events notifications) is dropped. */
			if ((e->mask & IN_Q_OVERFLOW) ||
			    (e->mask & (IN_CREATE | IN_ISDIR)) == (IN_CREATE | IN_ISDIR) ||
			    (e->len && (e->mask & IN_MODIFY) && !strcmp(e->name, "memory.max")))
				changed = true;
		}
	}
	if (changed)
		c->cg_walk_ms = 0;
	return changed;
}

void ctx_close(struct og_ctx *c)
{
	int *fds[] = { &c->proc_fd, &c->meminfo_fd, &c->psi_fd, &c->vmstat_fd, &c->cg_root_fd,
		       &c->cg_ino_fd, &c->runtime_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	proc_list_free(&c->procs);
	free(c->cands);
	free(c->items);
	free(c->pids);
	free(c->reg);
	c->reg = NULL;
	c->pids = NULL;
	c->npids = c->pids_cap = 0;
	ks_scratch_free(c->ks);
	shield_ctx_free(c);
	c->cands = NULL;
	c->items = NULL;
	c->ks = NULL;
	c->cap = 0;
	config_free(&c->cfg);
}

int ctx_read_memory(struct og_ctx *c, struct meminfo *mi, struct psi *psi, bool *have_psi)
{
	int r = meminfo_read_fd(c->meminfo_fd, mi);

	if (r < 0)
		return r;
	*have_psi = c->psi_fd >= 0 && psi_read_fd(c->psi_fd, psi) == 0;
	/* The refault counters matter only while tasks stall on memory: read
	 * them when the full stall total grew, else keep the last reading (an
	 * idle machine never pays for /proc/vmstat). */
	if (*have_psi && psi->has_full && c->vmstat_fd >= 0 &&
	    (!c->has_vm || psi->full.total_us != c->vm_full_us)) {
		c->has_vm = vmstat_read_fd(c->vmstat_fd, &c->vm) == 0;
		c->vm_full_us = psi->full.total_us;
	}
	mi->has_vmstat = c->has_vm;
	mi->refault_file = c->vm.refault_file * c->page_size;
	mi->file_lru = c->vm.file_lru * c->page_size;
	return 0;
}

/* Grow the per-process arrays to the list's size (rare: only when there are
 * more processes than ever before). */
static int ctx_reserve(struct og_ctx *c, size_t n)
{
	struct candidate *cands;
	struct ks_item *items;
	struct ks_scratch *ks;
	size_t cap = c->cap;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap = cap ? cap * 2 : 512;
	cands = realloc(c->cands, cap * sizeof(*cands));
	if (!cands)
		return -ENOMEM;
	c->cands = cands;
	items = realloc(c->items, cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	c->items = items;
	ks = ks_scratch_new(cap);
	if (!ks)
		return -ENOMEM;
	ks_scratch_free(c->ks);
	c->ks = ks;
	c->cap = cap;
	return 0;
}

#define PRIVATE_REFINE_MAX 64

static int collect_pids(int cg_fd, const char *relpath, void *userdata)
{
	struct og_ctx *c = userdata;
	char buf[65536], *p, *end;

	(void)relpath;
	if (read_file_at(cg_fd, "cgroup.procs", buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid <= 0 || pid > INT_MAX)
			continue;
		if (c->npids == c->pids_cap) {
			size_t cap = c->pids_cap ? c->pids_cap * 2 : 256;
			int *v = realloc(c->pids, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->pids = v;
			c->pids_cap = cap;
		}
		c->pids[c->npids++] = (int)pid;
	}
	return 0;
}

/* Processes to rank: the members of the scope cgroup subtree, or the
 * largest processes of the machine (proc_scan_top). */
static int ctx_scan(struct og_ctx *c, const char *scope)
{
	int fd, r;

	if (!scope || c->cg_root_fd < 0)
		return proc_scan_top(c->proc_fd, &c->procs, PROC_SCAN_TOP);
	while (*scope == '/')
		scope++;
	fd = *scope ? openat(c->cg_root_fd, scope, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
		    : dup(c->cg_root_fd);
	if (fd < 0)
		return -errno;
	c->npids = 0;
	r = cgroup_walk(fd, 32, collect_pids, c);
	close(fd);
	if (r < 0)
		return r;
	return proc_scan_pids(c->proc_fd, &c->procs, c->pids, c->npids);
}

int ctx_rank(struct og_ctx *c, const char *scope, uint64_t mem_total,
	     uint64_t swap_total, size_t *ret_n)
{
	struct rank_input in = {
		.proc_fd = c->proc_fd,
		.self = getpid(),
		.mem_total = mem_total,
		.swap_total = swap_total,
		.cgroup = scope,
		.is_managed = shield_is_managed,
		.userdata = c,
		.registry = c->reg,
		.use_xattr = true,
		.cg_root_fd = c->cg_root_fd,
	};
	int r = ctx_scan(c, scope);

	if (r < 0)
		return r;
	if ((r = ctx_reserve(c, c->procs.n)) < 0)
		return r;
	/* The registry's dir appears with the first `oomguard value set`. */
	if (c->runtime_fd < 0)
		c->runtime_fd = open(c->opts->runtime_dir ? c->opts->runtime_dir : OG_RUNTIME_DIR,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->runtime_fd >= 0)
		registry_refresh(c->runtime_fd, c->reg);        /* refused file: no entries */
	r = (int)rank_candidates(&c->cfg, &in, &c->procs, c->cands, ret_n);
	/* Choosing by value needs honest sizes: what each death really frees. */
	if (ctx_priority_mode(c, (size_t)r))
		for (size_t i = 0, k = 0; i < (size_t)r && k < PRIVATE_REFINE_MAX; i++) {
			uint64_t priv;

			if (c->cands[i].freed < (1u << 20))
				continue;
			k++;
			if (proc_read_private(c->proc_fd, c->cands[i].p->pid, &priv) == 0)
				c->cands[i].freed = priv;
		}
	return r;
}

bool ctx_priority_mode(const struct og_ctx *c, size_t eligible)
{
	return plan_priority_mode(&c->cfg, candidates_have_values(c->cands, eligible));
}

/* Worse: a higher level, then less headroom relative to memory.max. */
static bool cg_worse(const struct verdict *v, const struct cg_mem *m, const struct cg_pick *p)
{
	if (!p->found)
		return true;
	if (v->level != p->v.level)
		return v->level > p->v.level;
	return (double)m->current / (double)m->max > (double)p->mem.current / (double)p->mem.max;
}

/* The walk reads one file per cgroup: memory.max. */
static int find_limited(int cg_fd, const char *relpath, void *userdata)
{
	struct og_ctx *c = userdata;
	char buf[32];
	uint64_t max;

	/* Watch before reading memory.max: a write in between is not lost. */
	if (c->cg_ino_fd >= 0) {
		char abs[PATH_MAX + 8];

		if (snprintf(abs, sizeof(abs), "%s%s%s", c->cg_root, *relpath ? "/" : "", relpath) <
		    PATH_MAX && inotify_add_watch(c->cg_ino_fd, abs, IN_CREATE | IN_MODIFY | IN_ONLYDIR |
				      IN_DONT_FOLLOW | IN_EXCL_UNLINK) < 0 && errno == ENOSPC) {
			log_warn("cgroups: inotify watch limit reached; walking the tree every %d ms",
				 CG_WALK_MS);
			close(c->cg_ino_fd);
			c->cg_ino_fd = -1;
		}
	}
	if (!*relpath || c->n_limited == CG_LIMITED_MAX ||
	    read_file_at(cg_fd, "memory.max", buf, sizeof(buf)) < 0 ||
	    parse_cg_limit(buf, &max) < 0 || max == CG_MAX ||
	    strlen(relpath) >= sizeof(c->cg_limited[0]))
		return 0;
	snprintf(c->cg_limited[c->n_limited++], sizeof(c->cg_limited[0]), "%s", relpath);
	return 0;
}

static void check_limited(struct og_ctx *c, const char *relpath, struct cg_pick *pick)
{
	struct cg_mem m;
	struct verdict v;
	int fd = openat(c->cg_root_fd, relpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;         /* removed since the walk */
	if (cgroup_read_mem(fd, &m) < 0 || m.max == CG_MAX) {
		close(fd);
		return;
	}
	close(fd);
	pick->limited++;
	policy_cgroup(&c->cfg, &m, &v);
	pick->next_ms = MIN(pick->next_ms, v.next_ms);
	if (v.level != LEVEL_OK && cg_worse(&v, &m, pick)) {
		pick->found = true;
		snprintf(pick->path, sizeof(pick->path), "/%s", relpath);
		pick->mem = m;
		pick->v = v;
	}
}

void ctx_scan_cgroups(struct og_ctx *c, struct cg_pick *ret)
{
	uint64_t now = now_ms();

	memset(ret, 0, sizeof(*ret));
	ret->next_ms = c->cfg.interval_max_ms;
	if (c->cg_root_fd < 0 || !c->cfg.cgroups_enabled)
		return;
	if (!c->cg_walk_ms ||
	    now - c->cg_walk_ms >= (c->cg_ino_fd >= 0 ? CG_WALK_SAFETY_MS : CG_WALK_MS)) {
		c->n_limited = 0;
		cgroup_walk(c->cg_root_fd, 32, find_limited, c);
		c->cg_walk_ms = now;
	}
	for (size_t i = 0; i < c->n_limited; i++)
		check_limited(c, c->cg_limited[i], ret);
}
