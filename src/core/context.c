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
#include "core/describe.h"
#include "core/log.h"
#include "core/util.h"
#include "victim/rules.h"
#include "observe/registry.h"
#include "observe/tasks.h"

int og_opts_check_daemon(const struct og_opts *o, char *err, size_t size)
{
	if (o->proc_dir && !o->dry_run) {
		snprintf(err, size, "--proc %s: the daemon reads processes from there but would "
			 "signal the real pids of those numbers; use it with --dry-run (or with "
			 "explain or status)", o->proc_dir);
		return -EINVAL;
	}
	/* The shield writes pids into cgroups and oom_score_adj even in
	 * dry-run: with fixture pids, only into a fixture cgroup tree. */
	if (o->proc_dir && !o->cgroup_root) {
		snprintf(err, size, "--proc %s: the shield would move the real processes of those "
			 "pid numbers; give --cgroup-root too", o->proc_dir);
		return -EINVAL;
	}
	return 0;
}

int ctx_open(struct og_ctx *c, const struct og_opts *o, char err[OG_ERR_SIZE])
{
	const char *proc = o->proc_dir ? o->proc_dir : "/proc";
	int r;

	memset(c, 0, sizeof(*c));
	c->opts = o;
	c->proc_fd = c->meminfo_fd = c->cg_root_fd = c->runtime_fd = -1;
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

	if (c->cg_root_fd >= 0) {
		close(c->cg_root_fd);
		c->cg_root_fd = -1;
	}
	c->cg_root[0] = '\0';
	if (root)
		snprintf(c->cg_root, sizeof(c->cg_root), "%s", root);
	else if (mountinfo_cgroup2_root(c->proc_fd, c->cg_root, sizeof(c->cg_root)) < 0)
		return;
	c->cg_root_fd = open(c->cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int ctx_probe_kernel(struct og_ctx *c, char *bad, size_t badsize)
{
	struct kfeat_probe p;
	unsigned hide;
	int r = kfeat_parse_hide(getenv("OOMGUARD_TEST_HIDE"), &hide, bad, badsize);

	kfeat_probe(c->proc_fd, c->cg_root_fd, hide, &p);
	kfeat_decide(&p, &c->kf);
	return r;
}

void ctx_close(struct og_ctx *c)
{
	int *fds[] = { &c->proc_fd, &c->meminfo_fd, &c->cg_root_fd, &c->runtime_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	tasks_close(c->tasks);
	c->tasks = NULL;
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
	int r = cgroup_read_procs(cg_fd, &c->pids, &c->npids, &c->pids_cap);

	(void)relpath;
	return r == -ENOMEM ? r : 0;    /* a cgroup removed mid-walk has no members */
}

void ctx_open_scan(struct og_ctx *c)
{
	if (c->tasks)
		return;
	if (c->opts->proc_dir)
		snprintf(c->scan_why, sizeof(c->scan_why), "--proc %s: processes are read from that "
			 "tree", c->opts->proc_dir);
	else if (getenv("OOMGUARD_TEST_PROC_SCAN"))
		snprintf(c->scan_why, sizeof(c->scan_why), "OOMGUARD_TEST_PROC_SCAN is set");
	else if (tasks_open(c->proc_fd, &c->tasks, c->scan_why, sizeof(c->scan_why)) == 0)
		c->scan_why[0] = '\0';
}

void ctx_scan_line(const struct og_ctx *c, char *buf, size_t size)
{
	if (c->tasks)
		snprintf(buf, size, "process scan: the BPF task iterator (one read for every process; "
			 "/proc only for what rules ask of the largest)");
	else
		snprintf(buf, size, "process scan: /proc (one file of every process, four of the "
			 "largest): the BPF task iterator is not used: %s",
			 *c->scan_why ? c->scan_why : "not tried");
}

void ctx_describe_scan(const struct og_ctx *c, struct describe *d)
{
	struct describe sub = { .json = desc_obj(d, "scan") };
	char line[512];

	ctx_scan_line(c, line, sizeof(line));
	desc_line(d, "\nProcess scan: %s", line + strlen("process scan: "));
	desc_str(&sub, "method", c->tasks ? "task_iterator" : "proc");
	desc_str(&sub, "why_not_iterator", c->tasks ? NULL : c->scan_why);
}

/* The largest processes (of the n pids, with members): through the task
 * iterator, or /proc when it is not used or this scan of it failed. */
static int scan_top(struct og_ctx *c, bool members, const int *pids, size_t n)
{
	int r;

	if (c->tasks) {
		r = members ? tasks_scan_pids_top(c->tasks, &c->procs, pids, n, PROC_SCAN_TOP)
			 : tasks_scan_top(c->tasks, &c->procs, PROC_SCAN_TOP);
		if (r >= 0 || r == -ENOMEM) {
			c->scan_err = 0;
			return r;
		}
		if (r != c->scan_err)
			log_warn("process scan: the task iterator failed (%s): this scan, and any "
				 "while it fails, read /proc", strerror(-r));
		c->scan_err = r;
	}
	return members ? proc_scan_pids_top(c->proc_fd, &c->procs, pids, n, PROC_SCAN_TOP)
		    : proc_scan_top(c->proc_fd, &c->procs, PROC_SCAN_TOP);
}

/* Processes to rank: the members of the scope cgroup subtree, or the
 * largest processes of the machine (by resident memory, read in full). A
 * list of pids (a usage ranking's) is read from /proc. */
static int ctx_scan(struct og_ctx *c, const char *scope, const int *only, size_t n_only)
{
	int r;

	if (only)
		return proc_scan_pids(c->proc_fd, &c->procs, only, n_only);
	if (!scope || c->cg_root_fd < 0)
		return scan_top(c, false, NULL, 0);
	r = ctx_cgroup_members(c, scope);
	if (r < 0)
		return r;
	return scan_top(c, true, c->pids, c->npids);
}

int ctx_cgroup_members(struct og_ctx *c, const char *scope)
{
	int fd, r;

	if (c->cg_root_fd < 0)
		return -ENOENT;
	while (*scope == '/')
		scope++;
	fd = *scope ? openat(c->cg_root_fd, scope, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
		    : dup(c->cg_root_fd);
	if (fd < 0)
		return -errno;
	c->npids = 0;
	r = cgroup_walk(fd, 32, collect_pids, c);
	close(fd);
	return r;
}

int ctx_rank(struct og_ctx *c, const char *scope, uint64_t mem_total,
	     uint64_t swap_total, size_t *ret_n)
{
	return ctx_rank_by(c, scope, mem_total, swap_total, NULL, NULL, false, NULL, 0, ret_n);
}

int ctx_rank_by(struct og_ctx *c, const char *scope, uint64_t mem_total, uint64_t swap_total,
		int (*usage)(const struct proc_info *p, void *userdata, uint64_t *ret_amount),
		void *usage_data, bool usage_frees, const int *only, size_t n_only,
		size_t *ret_n)
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
		.undecided = &c->undecided,
		.now_ms = now_ms(),
		.usage = usage,
		.usage_data = usage_data,
		.usage_frees = usage_frees,
	};
	int r = ctx_scan(c, scope, only, n_only);

	if (r < 0)
		return r;
	if ((r = ctx_reserve(c, c->procs.n)) < 0)
		return r;
	ctx_refresh_registry(c);        /* ignored file: no entries */
	r = (int)rank_candidates(&c->cfg, &in, &c->procs, c->cands, ret_n);
	for (size_t i = 0; i < *ret_n; i++)
		if (c->cands[i].undecided_say) {
			char ec[64];

			escape_untrusted(c->cands[i].p->comm, ec, sizeof(ec));
			log_notice("pid %d (%s): a protect rule stayed undecidable (a field it needs "
				   "was unreadable) for %d rankings or %d s, or more than %d processes "
				   "were: it is no longer left alone", c->cands[i].p->pid, ec,
				   UNDECIDED_RANKINGS, UNDECIDED_MS / 1000, UNDECIDED_SLOTS);
		}
	/* Choosing by value needs honest sizes: what each death really frees. */
	if (!usage && ctx_priority_mode(c, (size_t)r))
		for (size_t i = 0, k = 0; i < (size_t)r && k < PRIVATE_REFINE_MAX; i++) {
			uint64_t priv;

			if (c->cands[i].freed < MiB)
				continue;
			k++;
			if (proc_read_private(c->proc_fd, c->cands[i].p->pid, &priv) == 0)
				c->cands[i].freed = priv;
		}
	return r;
}

const char *ctx_runtime_dir(const struct og_ctx *c)
{
	return c->opts->runtime_dir ? c->opts->runtime_dir : OG_RUNTIME_DIR;
}

void ctx_refresh_registry(struct og_ctx *c)
{
	char why[256];
	int was;

	/* The registry's dir appears with the first `oomguard value set`. */
	if (c->runtime_fd < 0)
		c->runtime_fd = open(ctx_runtime_dir(c), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->runtime_fd < 0 || !c->reg)
		return;
	was = c->reg->err;
	registry_refresh(c->runtime_fd, c->reg);
	if (!c->log_registry || !c->reg->changed)
		return;
	if (c->reg->err)
		log_warn("value registry %s/%s: ignored, no values are taken from it: %s",
			 ctx_runtime_dir(c), REGISTRY_FILE, registry_strerror(c->reg, why, sizeof(why)));
	else if (was)
		log_notice("value registry %s/%s: in use again, %zu %s", ctx_runtime_dir(c),
			   REGISTRY_FILE, c->reg->n, c->reg->n == 1 ? "entry" : "entries");
}

bool ctx_priority_mode(const struct og_ctx *c, size_t eligible)
{
	return plan_priority_mode(&c->cfg, candidates_have_values(c->cands, eligible));
}

