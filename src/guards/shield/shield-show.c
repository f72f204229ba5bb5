/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `oomguard status` and the shield part of `oomguard explain`: the
 * protected cgroup, its settings read back from the kernel, its members and
 * the dynamic oom_score_adj values in force. Reads only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guards/shield/shieldd.h"
#include "core/util.h"

#define SHOW_MEMBERS 50

static void shield_describe_trust(const struct og_config *cfg, FILE *f);

static void comm_of(int proc_fd, int pid, char *out, size_t size)
{
	struct proc_stat ps;

	if (proc_read_stat(proc_fd, pid, &ps) < 0)
		snprintf(out, size, "?");
	else
		escape_untrusted(ps.comm, out, size);
}

static void print_cgroup(FILE *f, struct og_ctx *c, const char *path)
{
	const struct og_config *cfg = &c->cfg;
	struct shield_settings s;
	struct shield_cg cg;
	char root[PATH_MAX] = "";
	_cleanup_free_ int *pids = NULL;
	size_t np = 0, cap = 0;
	int r, n;

	if (shield_v2_usable(c->cg_root_fd)) {
		snprintf(root, sizeof(root), "%s", c->cg_root);
		r = shield_v2_open(c->cg_root_fd, path, &cg);
	} else {
		int roots[SH_NCTRL];

		r = shield_v1_roots(c->proc_fd, roots, root);
		if (r == 0) {
			r = shield_v1_open(roots, path, &cg);
			shield_v1_roots_close(roots);
		}
	}
	if (r < 0) {
		fprintf(f, "  protected cgroup: %s%s: not there (%s); the daemon creates it\n",
			root, path, strerror(-r));
		return;
	}
	fprintf(f, "  protected cgroup: %s%s (cgroup %s)\n", root, path,
		cg.mode == SHIELD_V2 ? "v2" : "v1 fallback");
	if (shield_read(&cg, &s) == 0) {
		if (cg.mode == SHIELD_V2)
			fprintf(f, "  settings (kernel): memory.low %.1f MiB, memory.min %.1f MiB, "
				"cpu.weight %" PRId64 ", io.weight %" PRId64 "\n",
				(double)s.memory_low / MiB, (double)s.memory_min / MiB, s.cpu_weight, s.io_weight);
		else
			fprintf(f, "  settings (kernel): memory.soft_limit_in_bytes %.1f MiB, cpu.shares "
				"as a weight %" PRId64 ", blkio weight %" PRId64 " (memory.min: no v1 "
				"equivalent)\n", s.memory_low >= (1ull << 62) ? -1.0 : (double)s.memory_low / MiB,
				s.cpu_weight, s.io_weight);
		fprintf(f, "  settings (config): memory.low %.1f MiB, memory.min %.1f MiB, "
			"cpu.weight %" PRId64 ", io.weight %" PRId64 "\n", (double)cfg->cg_memory_low / MiB,
			(double)cfg->cg_memory_min / MiB, cfg->cg_cpu_weight, cfg->cg_io_weight);
	}
	n = shield_members(&cg, &pids, &np, &cap);
	if (n < 0) {
		fprintf(f, "  members: cannot read (%s)\n", strerror(-n));
	} else {
		fprintf(f, "  members (%d):%s\n", n, n ? "" : " none");
		for (int i = 0; i < n && i < SHOW_MEMBERS; i++) {
			char comm[64];

			comm_of(c->proc_fd, pids[i], comm, sizeof(comm));
			fprintf(f, "    %7d %s\n", pids[i], comm);
		}
		if (n > SHOW_MEMBERS)
			fprintf(f, "    ... %d more\n", n - SHOW_MEMBERS);
	}
	shield_cg_close(&cg);
}

static void print_adjust(FILE *f, struct og_ctx *c)
{
	const struct og_config *cfg = &c->cfg;
	char why[256];
	struct oa_state st;
	int n;

	if (cfg->dyn_enabled)
		fprintf(f, "  dynamic oom_score_adj: the %" PRId64 " largest non-managed processes get %"
			PRId64 ", every %" PRIu64 " ms\n", cfg->dyn_count, cfg->dyn_score,
			cfg->dyn_interval_ms);
	else
		fprintf(f, "  dynamic oom_score_adj: off\n");
	if (!cfg->dyn_state_path)
		return;
	n = oomadj_load(cfg->dyn_state_path, c->proc_fd, &st, why, sizeof(why));
	if (n == -ENOENT) {
		fprintf(f, "  adjustments in force: none (%s absent)\n", cfg->dyn_state_path);
		return;
	}
	if (n < 0) {
		fprintf(f, "  adjustments in force: unknown: the state file %s is ignored: %s\n",
			cfg->dyn_state_path, why);
		return;
	}
	fprintf(f, "  adjustments in force (%s): %zu\n", cfg->dyn_state_path, st.n);
	for (size_t i = 0; i < st.n; i++) {
		const struct oa_entry *e = &st.v[i];
		char comm[sizeof(e->comm) * 4];
		int cur;
		int r = oomadj_read(c->proc_fd, e->pid, e->starttime, &cur);

		escape_untrusted(e->comm, comm, sizeof(comm));
		fprintf(f, "    %7d %-16s %5d -> %5d (%s)%s\n", e->pid, comm, e->original, e->applied,
			e->mode == OA_RAISE ? "largest" : "managed",
			r < 0 ? " gone" : cur != e->applied ? " changed since" : "");
	}
	oomadj_free(&st);
}

void shield_print(FILE *f, struct og_ctx *c)
{
	const struct og_config *cfg = &c->cfg;
	char path[PATH_MAX];

	fprintf(f, "\nShield:\n");
	if (shield_wanted(cfg) && shield_path(cfg->cg_parent, cfg->cg_name, path, sizeof(path)) == 0)
		print_cgroup(f, c, path);
	else
		fprintf(f, "  protected cgroup: none configured\n");
	fprintf(f, "  managed_processes (%zu):", cfg->n_managed);
	for (size_t i = 0; i < cfg->n_managed; i++)
		fprintf(f, " %s", cfg->managed[i]);
	fprintf(f, "%s\n", cfg->n_managed ? "" : " none");
	if (cfg->n_managed) {
		fprintf(f, "  ");
		shield_describe_trust(cfg, f);
	}
	if (cfg->cg_managed_adj <= 0)
		fprintf(f, "  managed processes get oom_score_adj <= %" PRId64 "\n", cfg->cg_managed_adj);
	print_adjust(f, c);
}

/* ---- describing the config ------------------------------------------------ */

bool shield_wanted(const struct og_config *cfg)
{
	return cfg->cg_enabled && (cfg->n_managed > 0 || (cfg->sections_seen & SEC_CGROUP_SETTINGS));
}

/* Whom the entries may manage: root, managed_users (names resolved now;
 * an unknown one is said), system units. */
static void shield_describe_trust(const struct og_config *cfg, FILE *f)
{
	fprintf(f, "managed_processes: a match counts only for processes of root");
	for (size_t i = 0; i < cfg->n_managed_users; i++) {
		const char *u = cfg->cg_managed_users[i];
		uid_t uid;

		if (shield_user_resolve(u, &uid) < 0)
			fprintf(f, ", %s (no such user: trusts nobody)", u);
		else if (uid == 0)
			continue;       /* root is always there */
		else if (strspn(u, "0123456789") == strlen(u))
			fprintf(f, ", uid %s", u);
		else
			fprintf(f, ", %s (uid %u)", u, (unsigned)uid);
	}
	fprintf(f, "%s\n", cfg->cg_trust_units ?
		", and of system units (a cgroup nothing delegates, outside login sessions)" : "");
}

void shield_describe(const struct og_config *cfg, void *file)
{
	FILE *f = file;
	char path[PATH_MAX];

	if (shield_wanted(cfg) && shield_path(cfg->cg_parent, cfg->cg_name, path, sizeof(path)) == 0)
		fprintf(f, "cgroup_settings: protected cgroup %s: memory.low %" PRIu64 " MiB, memory.min %"
			PRIu64 " MiB, cpu.weight %" PRId64 ", io.weight %" PRId64 "; rescan every %" PRIu64
			" ms%s%s\n", path, cfg->cg_memory_low >> 20, cfg->cg_memory_min >> 20,
			cfg->cg_cpu_weight, cfg->cg_io_weight, cfg->cg_rescan_ms,
			cfg->cg_connector ? " + proc connector" : "",
			cfg->cg_move_from_units ? ", moves processes out of systemd units" : "");
	else if (cfg->sections_seen & SEC_CGROUP_SETTINGS)
		fprintf(f, "cgroup_settings: disabled (no protected cgroup)\n");
	if (cfg->n_managed) {
		fprintf(f, "managed_processes: %zu, never oomguard's victims%s:", cfg->n_managed,
			cfg->cg_managed_adj <= 0 ? ", oom_score_adj lowered to" : "");
		if (cfg->cg_managed_adj <= 0)
			fprintf(f, " %" PRId64 ";", cfg->cg_managed_adj);
		for (size_t i = 0; i < cfg->n_managed; i++)
			fprintf(f, " %s", cfg->managed[i]);
		fputc('\n', f);
		shield_describe_trust(cfg, f);
	}
	if (cfg->dyn_enabled)
		fprintf(f, "dynamic_adjustment: the %" PRId64 " largest non-managed processes get "
			"oom_score_adj %" PRId64 " (never lowered), checked every %" PRIu64 " ms\n",
			cfg->dyn_count, cfg->dyn_score, cfg->dyn_interval_ms);
	else if (cfg->sections_seen & SEC_DYNAMIC)
		fprintf(f, "dynamic_adjustment: disabled\n");
}
