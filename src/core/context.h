/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon and `explain` share: the open kernel files, the config,
 * and the reusable scan/rank storage. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include "core/config.h"
#include "core/kfeat.h"
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
	const char *dropin_dir;         /* oomd drop-in rulesets (oomd's --drop-in-dir) */
	bool json;                      /* explain --json */
	const char *status_socket;      /* the status socket (default RUNTIME_DIR/status.sock) */
	long count;                     /* watch --count: lines, 0 = until stopped */
};

struct shield_ctx;
struct tasks_iter;
struct describe;

struct og_ctx {
	struct og_config cfg;
	struct shield_ctx *shield;      /* managed-process matching (guards/shield/shieldd.c) */
	const struct og_opts *opts;
	int proc_fd;
	int meminfo_fd;                 /* kept open, re-read with pread */
	int cg_root_fd;                 /* -1 if no cgroup2 */
	char cg_root[PATH_MAX];
	struct proc_list procs;
	struct candidate *cands;
	struct ks_item *items;
	size_t cap;
	struct ks_scratch *ks;
	int runtime_fd;                 /* the registry's dir, -1 if absent */
	struct registry *reg;
	struct kfeat kf;                /* what the kernel offers (all zero = everything) */
	bool log_registry;              /* the daemon: log why the registry is ignored, once
					 * per change (explain and status print it instead) */
	int *pids;                      /* members of a cgroup being relieved */
	size_t npids, pids_cap;
	struct undecided undecided;     /* undecidable processes across rankings (rank.h) */
	struct tasks_iter *tasks;       /* the BPF task iterator's scan; NULL: /proc's */
	char scan_why[256];             /* why /proc's, when it is */
	int scan_err;                   /* the iterator's last failure (that scan read /proc) */
};

/* May the daemon run with these options? --proc reads processes from
 * another tree (a fixture), where start times are checked, but a kill would
 * go to the real pid of that number: only with --dry-run. explain, status
 * and check only read, and may use --proc freely. 0, or -EINVAL with a
 * message in err. */
int og_opts_check_daemon(const struct og_opts *o, char *err, size_t size);

/* Load the config (refusing a broken one with err filled) and open the
 * kernel files. 0 or -errno. */
int ctx_open(struct og_ctx *c, const struct og_opts *o, char err[OG_ERR_SIZE]);
void ctx_close(struct og_ctx *c);
/* Apply command-line overrides to c->cfg (after each load). */
void ctx_apply_opts(struct og_ctx *c);
/* Open the cgroup root from opts, config or mountinfo. */
void ctx_open_cgroups(struct og_ctx *c);
/* The pids of every process in the cgroup at scope and below it, into
 * c->pids (c->npids of them). 0 or -errno. */
int ctx_cgroup_members(struct og_ctx *c, const char *scope);
/* Probe the kernel's features into c->kf (OOMGUARD_TEST_HIDE from the
 * environment hides some). 0, or -EINVAL with an unknown name in bad. */
int ctx_probe_kernel(struct og_ctx *c, char *bad, size_t badsize);
/* Choose the process scan the ranking uses (once; the daemon at start,
 * explain): the BPF task iterator (observe/tasks.h) when it loads and sees
 * what /proc sees, else the /proc walk, with the reason in c->scan_why.
 * Always /proc with --proc (a fixture tree) or OOMGUARD_TEST_PROC_SCAN set
 * in the environment (a test hook, inert unset). Without a call, /proc. */
void ctx_open_scan(struct og_ctx *c);
/* The one line that says which scan is used and why ("process scan: ..."),
 * and the same for explain: a "Process scan:" line, "scan" in JSON. */
void ctx_scan_line(const struct og_ctx *c, char *buf, size_t size);
void ctx_describe_scan(const struct og_ctx *c, struct describe *d);
/* Scan /proc and rank; scope limits to a cgroup subtree (NULL = all).
 * Returns the number eligible (>= 0) or -errno; *ret_n gets all ranked. */
int ctx_rank(struct og_ctx *c, const char *scope, uint64_t mem_total,
	     uint64_t swap_total, size_t *ret_n);
/* The same, ranked by another resource (rank_input.usage; NULL = memory);
 * only (n_only pids, NULL = as above) ranks exactly these processes. */
int ctx_rank_by(struct og_ctx *c, const char *scope, uint64_t mem_total, uint64_t swap_total,
		int (*usage)(const struct proc_info *p, void *userdata, uint64_t *ret_amount),
		void *usage_data, bool usage_frees, const int *only, size_t n_only,
		size_t *ret_n);
/* The value registry's directory (--runtime-dir or /run/oomguard). */
const char *ctx_runtime_dir(const struct og_ctx *c);
/* Refresh the value registry (opening its directory once it exists); with
 * log_registry, a new reason to ignore it is logged once, and its return. */
void ctx_refresh_registry(struct og_ctx *c);
/* Are values in play for the candidates ctx_rank just ranked? */
bool ctx_priority_mode(const struct og_ctx *c, size_t eligible);
