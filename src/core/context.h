/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon and `explain` share: the open kernel files, the config,
 * and the reusable scan/rank storage. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include "core/config.h"
#include "victim/choose.h"
#include "guards/memory/policy.h"
#include "victim/rank.h"
#include "observe/cgroup.h"
#include "observe/meminfo.h"
#include "observe/proc.h"
#include "observe/psi.h"
#include "observe/registry.h"

struct og_opts {
	const char *config_path;        /* NULL = built-in default */
	bool dry_run;
	int psi_mode;                   /* -1 = as configured, else enum og_psi_mode */
	const char *proc_dir;           /* default "/proc" */
	const char *cgroup_root;        /* overrides config and mountinfo */
	const char *runtime_dir;        /* value registry; default /run/oomguard */
	bool json;                      /* explain --json */
};

struct shield_ctx;

#define CG_LIMITED_MAX 128
#define CG_WALK_MS 2000          /* without inotify */
#define CG_WALK_SAFETY_MS 60000  /* with inotify: a walk in case an event was missed */

struct og_ctx {
	struct og_config cfg;
	struct shield_ctx *shield;      /* managed-process matching (guards/shield/shieldd.c) */
	const struct og_opts *opts;
	int proc_fd;
	int meminfo_fd;
	int psi_fd;                     /* /proc/pressure/memory for reading, -1 if none */
	int vmstat_fd;                  /* /proc/vmstat, -1 if none */
	struct vmstat vm;               /* its last reading, taken when memory stalled */
	bool has_vm;
	uint64_t page_size;
	uint64_t vm_full_us;            /* PSI full total at that reading */
	int cg_root_fd;                 /* -1 if no cgroup2 */
	char cg_root[PATH_MAX];
	struct proc_list procs;
	struct candidate *cands;
	struct ks_item *items;
	size_t cap;
	struct ks_scratch *ks;
	int runtime_fd;                 /* the registry's dir, -1 if absent */
	/* Cgroups with a memory.max, found by a walk every CG_WALK_MS; each
	 * check between walks reads only these. */
	char cg_limited[CG_LIMITED_MAX][256];
	size_t n_limited;
	uint64_t cg_walk_ms;
	/* inotify on every cgroup directory: a new child cgroup or a write to
	 * memory.max asks for a walk (ctx_cgroup_events); -1 = walk every
	 * CG_WALK_MS instead. */
	int cg_ino_fd;
	struct registry *reg;
	int *pids;                      /* members of a cgroup being relieved */
	size_t npids, pids_cap;
};

/* The worst cgroup found by ctx_scan_cgroups. */
struct cg_pick {
	bool found;
	char path[PATH_MAX];            /* "/a/b" relative to the cgroup root */
	struct cg_mem mem;
	struct verdict v;
	uint64_t next_ms;               /* shortest interval any limited cgroup asks for */
	unsigned limited;               /* cgroups with a memory.max */
};

/* Load the config (refusing a broken one with err filled) and open the
 * kernel files. 0 or -errno. */
int ctx_open(struct og_ctx *c, const struct og_opts *o, char err[OG_ERR_SIZE]);
void ctx_close(struct og_ctx *c);
/* Apply command-line overrides to c->cfg (after each load). */
void ctx_apply_opts(struct og_ctx *c);
/* Open the cgroup root from opts, config or mountinfo. */
void ctx_open_cgroups(struct og_ctx *c);
/* Read the cgroup inotify events; true when the tree or a limit changed
 * (the next ctx_scan_cgroups walks). */
bool ctx_cgroup_events(struct og_ctx *c);

int ctx_read_memory(struct og_ctx *c, struct meminfo *mi, struct psi *psi, bool *have_psi);
/* Scan /proc and rank; scope limits to a cgroup subtree (NULL = all).
 * Returns the number eligible (>= 0) or -errno; *ret_n gets all ranked. */
int ctx_rank(struct og_ctx *c, const char *scope, uint64_t mem_total,
	     uint64_t swap_total, size_t *ret_n);
/* Are values in play for the candidates ctx_rank just ranked? */
bool ctx_priority_mode(const struct og_ctx *c, size_t eligible);
/* Walk limited cgroups and pick the one in the worst state. */
void ctx_scan_cgroups(struct og_ctx *c, struct cg_pick *ret);
