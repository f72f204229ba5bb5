/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shield in the daemon (see shieldd.h). Nothing here is on the kill
 * path: it runs from its own timer and the connector fd. */
#include "guards/shield/shieldd.h"
#include "guards/shield/shieldsd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "victim/rank.h"
#include "observe/connector.h"

#define LEAF_NAME "supervisor"  /* where a delegated parent's own processes go */

/* ---- the ranking hook ---------------------------------------------------- */

void shield_ctx_update(struct og_ctx *c)
{
	char err[256];

	if (!c->shield && !(c->shield = calloc(1, sizeof(*c->shield))))
		return;
	shield_matcher_free(&c->shield->m);
	/* The loader checked every entry: this cannot fail but for memory. */
	if (shield_matcher_init(&c->shield->m, c->cfg.managed, c->cfg.n_managed, err,
				sizeof(err)) < 0)
		log_warn("managed_processes: %s", err);
	{
		size_t first = 0, unknown = shield_trust_init(&c->shield->trust, &c->cfg, &first);

		if (unknown)
			log_warn("cgroup_settings.managed_users: no user \"%s\"%s: it trusts nobody",
				 c->cfg.cg_managed_users[first],
				 unknown > 1 ? " (and others)" : "");
	}
	c->shield->path[0] = '\0';
	if (shield_wanted(&c->cfg) &&
	    shield_path(c->cfg.cg_parent, c->cfg.cg_name, c->shield->path,
			sizeof(c->shield->path)) < 0)
		c->shield->path[0] = '\0';
}

void shield_ctx_free(struct og_ctx *c)
{
	if (!c->shield)
		return;
	shield_matcher_free(&c->shield->m);
	free(c->shield);
	c->shield = NULL;
}

/* A process of the ranking's list: exe and cmdline are kept in its arena,
 * for the rules that read them too. */
struct listed {
	struct og_ctx *c;
	struct proc_info *p;
};

static const char *load_listed(enum shield_kind what, void *userdata)
{
	struct listed *x = userdata;
	const char **field = what == SM_EXE_RE ? &x->p->exe : &x->p->cmdline;

	if (!*field) {
		if (what == SM_EXE_RE)
			proc_load_exe(x->c->proc_fd, &x->c->procs, x->p);
		else
			proc_load_cmdline(x->c->proc_fd, &x->c->procs, x->p);
	}
	return *field ? *field : "";
}

bool shield_is_managed(const struct proc_info *cp, void *userdata)
{
	struct og_ctx *c = userdata;
	struct shield_ctx *sc = c->shield;
	struct listed x = { c, (struct proc_info *)cp };   /* lazy fields of c->procs */

	if (!sc)
		return false;
	/* A match is what the process chose; it counts only for a trusted one. */
	if (shield_matches_lazy(&sc->m, x.p->comm, load_listed, &x)) {
		if (shield_trust_uid(&sc->trust, x.p->uid) != TRUST_NONE)
			return true;    /* the common case: no further read */
		if (sc->trust.units && !x.p->cgroup)
			proc_load_cgroup(c->proc_fd, &c->procs, x.p);
		if (shield_trusted(&sc->trust, c->proc_fd, c->cg_root_fd, x.p->pid, x.p->uid,
				   x.p->cgroup) != TRUST_NONE)
			return true;
	}
	if (sc->path[0]) {
		if (!x.p->cgroup)
			proc_load_cgroup(c->proc_fd, &c->procs, x.p);
		if (x.p->cgroup && *x.p->cgroup && cgroup_path_within(x.p->cgroup, sc->path))
			return true;
	}
	return false;
}

/* ---- a process known by its pid ------------------------------------------- */

struct by_pid {
	int proc_fd, pid;
	char exe[PATH_MAX], cmdline[4096];
};

static const char *load_by_pid(enum shield_kind what, void *userdata)
{
	struct by_pid *x = userdata;

	if (what == SM_EXE_RE)
		return proc_read_exe(x->proc_fd, x->pid, x->exe, sizeof(x->exe)) < 0 ? "" : x->exe;
	return proc_read_cmdline(x->proc_fd, x->pid, x->cmdline, sizeof(x->cmdline)) < 0 ? "" :
	       x->cmdline;
}

/* A match refused because the process is not trusted: said once per uid
 * (a hog may rename itself in a loop, or fork a thousand of them). */
static void note_untrusted(struct shield_rt *s, const struct og_ctx *c, int pid,
			   const char *comm, uid_t uid)
{
	char ec[64];

	for (size_t i = 0; i < s->n_untrusted; i++)
		if (s->untrusted[i] == uid)
			return;
	if (s->n_untrusted == SHIELD_UNTRUSTED)
		return;
	s->untrusted[s->n_untrusted++] = uid;
	escape_untrusted(comm, ec, sizeof(ec));
	log_notice("shield: pid %d (%s) of uid %u matches managed_processes but is not managed: "
		   "a name, exe or command line is the process's own choice, so a match counts "
		   "only for root, cgroup_settings.managed_users%s (said once per uid)",
		   pid, ec, (unsigned)uid,
		   c->cfg.cg_trust_units ? " and processes of system units" : "");
}

/* Is pid (stat in ps) managed by an entry: does it match one, and is it
 * trusted to (trust.h)? */
static bool managed_pid(struct shield_rt *s, struct og_ctx *c, int pid, const struct proc_stat *ps)
{
	struct shield_ctx *sc = c->shield;
	struct by_pid x = { .proc_fd = c->proc_fd, .pid = pid };
	uid_t uid;

	if (!sc || !shield_matches_lazy(&sc->m, ps->comm, load_by_pid, &x) ||
	    proc_read_uid(c->proc_fd, pid, &uid) < 0)
		return false;
	if (shield_trusted(&sc->trust, c->proc_fd, c->cg_root_fd, pid, uid, NULL) != TRUST_NONE)
		return true;
	note_untrusted(s, c, pid, ps->comm, uid);
	return false;
}

/* ---- the cgroup ---------------------------------------------------------------- */

static void settings_of(const struct og_config *cfg, struct shield_settings *s)
{
	*s = (struct shield_settings){ .memory_low = cfg->cg_memory_low,
				       .memory_min = cfg->cg_memory_min,
				       .cpu_weight = cfg->cg_cpu_weight,
				       .io_weight = cfg->cg_io_weight };
}

static const char *ctrl_list(unsigned ctrls, bool v1, char *buf, size_t size)
{
	static const char *const v2[] = { "memory", "cpu", "io" }, *const v1n[] = { "memory", "cpu", "blkio" };
	size_t o = 0;

	buf[0] = '\0';
	for (int c = 0; c < SH_NCTRL; c++)
		if (ctrls & SH_BIT(c))
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "", v1 ? v1n[c] : v2[c]);
	if (!o)
		snprintf(buf, size, "none");
	return buf;
}

static void setup_cgroup(struct shield_rt *s, struct og_ctx *c)
{
	const struct og_config *cfg = &c->cfg;
	struct shield_settings set;
	char path[PATH_MAX], why[768] = "", ctl[64];
	unsigned rw = 0;
	int r;

	shield_cg_close(&s->cg);
	if (!shield_wanted(cfg) || shield_path(cfg->cg_parent, cfg->cg_name, path, sizeof(path)) < 0) {
		shield_sd_stop(s, c, false);
		return;
	}
	if (shield_sd_wanted(s, c)) {   /* systemd's slice, through systemd */
		shield_sd_setup(s, c);
		return;
	}
	shield_sd_stop(s, c, false);
	if (shield_v2_usable(c->cg_root_fd)) {
		r = shield_v2_create(c->cg_root_fd, path, cfg->cg_parent, LEAF_NAME, &s->cg, why,
				     sizeof(why));
	} else {
		int roots[SH_NCTRL];

		r = shield_v1_roots(c->proc_fd, roots, NULL);
		if (r == 0) {
			r = shield_v1_create(roots, path, &s->cg);
			shield_v1_roots_close(roots);
		}
		if (r < 0)
			snprintf(why, sizeof(why), "%s", r == -ENOENT ?
				 "no memory controller on cgroup v2 or v1" : strerror(-r));
	}
	if (r < 0) {
		log_warn("shield: cannot create the protected cgroup %s: %s; managed processes "
			 "are still never oomguard's victims", path, why);
		return;
	}
	if (*why)
		log_warn("shield: %s", why);
	settings_of(cfg, &set);
	r = shield_apply(&s->cg, &set, &rw);
	log_notice("shield: protected cgroup %s (cgroup %s, controllers: %s): memory.low %" PRIu64
		   ", memory.min %" PRIu64 ", cpu.weight %" PRId64 ", io.weight %" PRId64 "%s%s",
		   s->cg.path, s->cg.mode == SHIELD_V2 ? "v2" : "v1",
		   ctrl_list(s->cg.ctrls, s->cg.mode == SHIELD_V1, ctl, sizeof(ctl)),
		   set.memory_low, set.memory_min, set.cpu_weight, set.io_weight,
		   r < 0 ? "; some settings were refused: " : "", r < 0 ? strerror(-r) : "");
	if (s->cg.mode == SHIELD_V1)
		log_warn("shield: the memory controller is on cgroup v1: memory_low becomes "
			 "memory.soft_limit_in_bytes, which only orders reclaim and guarantees "
			 "nothing; memory_min has no v1 equivalent (see README)");
	if (s->systemd && !cfg->cg_move_from_units)
		log_notice("shield: PID 1 is systemd: processes in systemd units are not moved "
			   "(cgroup_settings.move_from_units: false)%s; they are still never "
			   "oomguard's victims. The systemd way: MemoryLow= on their slice (README)",
			   cfg->cg_parent ? "" : " and no delegated parent is set");
}

/* Re-apply the settings; recreate the cgroup if it was removed. */
static void check_cgroup(struct shield_rt *s, struct og_ctx *c)
{
	struct shield_settings set;
	unsigned rw = 0;
	char ctl[64];
	int r;

	if (s->sd) {
		shield_sd_check(s, c);
		return;
	}
	if (s->cg.mode == SHIELD_OFF)
		return;
	settings_of(&c->cfg, &set);
	r = shield_apply(&s->cg, &set, &rw);
	if (r == -ENOENT || r == -ENODEV) {
		log_warn("shield: the protected cgroup %s was removed; creating it again", s->cg.path);
		setup_cgroup(s, c);
		return;
	}
	if (rw)
		log_notice("shield: %s settings of %s were changed behind our back; re-applied",
			   ctrl_list(rw, s->cg.mode == SHIELD_V1, ctl, sizeof(ctl)), s->cg.path);
}

static int read_members(struct shield_rt *s, size_t *ret_n)
{
	if (s->sd)
		return shield_sd_members(s, ret_n);
	return shield_members(&s->cg, &s->members, ret_n, &s->members_cap);
}

bool shield_refused_earlier(const struct shield_rt *s, int pid, uint64_t start)
{
	for (size_t i = 0; i < SHIELD_REFUSED; i++)
		if (s->refused[i].pid == pid && s->refused[i].start == start)
			return true;
	return false;
}

bool shield_refused_before(struct shield_rt *s, int pid, uint64_t start)
{
	for (size_t i = 0; i < SHIELD_REFUSED; i++)
		if (s->refused[i].pid == pid && s->refused[i].start == start)
			return true;
	s->refused[s->refused_next].pid = pid;
	s->refused[s->refused_next].start = start;
	s->refused_next = (s->refused_next + 1) % SHIELD_REFUSED;
	return false;
}

/* May we take pid out of where it is? Under systemd only from the root
 * cgroup or from inside our delegated parent, unless configured. */
static bool may_move(struct shield_rt *s, struct og_ctx *c, int pid, char *where, size_t size)
{
	const struct og_config *cfg = &c->cfg;
	char name[32], buf[4096], parent[PATH_MAX], *slash;

	if (!s->systemd || cfg->cg_move_from_units)
		return true;
	snprintf(name, sizeof(name), "%d/cgroup", pid);
	if (read_file_at(c->proc_fd, name, buf, sizeof(buf)) < 0 ||
	    parse_proc_cgroup(buf, where, size) < 0)
		return false;
	if (!strcmp(where, "/"))
		return true;
	if (!cfg->cg_parent || shield_path(cfg->cg_parent, cfg->cg_name, parent, sizeof(parent)) < 0)
		return false;
	slash = strrchr(parent, '/');
	if (slash == parent)
		return false;
	*slash = '\0';
	return cgroup_path_within(where, parent);
}

static void try_move(struct shield_rt *s, struct og_ctx *c, int pid, uint64_t start,
		     const char *comm, const char *how)
{
	char where[PATH_MAX] = "";
	int r;

	if (s->sd) {
		shield_sd_try(s, c, pid, start, comm, how);
		return;
	}
	if (!may_move(s, c, pid, where, sizeof(where))) {
		if (!shield_refused_before(s, pid, start))
			log_notice("shield: pid %d (%s) is in %s under systemd: not moved "
				   "(cgroup_settings.move_from_units: false); still never a victim",
				   pid, comm, *where ? where : "?");
		return;
	}
	/* The pid must still be the process that matched. */
	if (proc_same(c->proc_fd, pid, start, NULL) < 0)
		return;
	r = shield_move(&s->cg, pid);
	if (r == 0) {
		s->moved++;
		log_notice("shield: moved pid %d (%s) into %s (%s)", pid, comm, s->cg.path, how);
	} else if (r != -ESRCH && !shield_refused_before(s, pid, start)) {
		log_warn("shield: cannot move pid %d (%s) into %s: %s", pid, comm, s->cg.path,
			 strerror(-r));
	}
}

/* ---- the state file ----------------------------------------------------------------- */

/* PATH.tmp, fresh: a stale one (a crash, or a symlink someone planted) is
 * removed first, never followed; O_EXCL | O_NOFOLLOW. */
static int create_tmp(const char *tmp)
{
	int fd;

	if (unlink(tmp) < 0 && errno != ENOENT)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0 && fchmod(fd, 0644) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static void save_state(struct shield_rt *s, struct og_ctx *c)
{
	const char *path = c->cfg.dyn_state_path;
	char tmp[PATH_MAX], *buf;
	size_t size = 128 * (s->adj.n + 1) + OA_BOOT_ID_SIZE + 8;
	int fd = -1, n;
	bool ok;

	if (!path)
		return;
	if (!oomadj_in_force(&s->adj)) {
		unlink(path);
		return;
	}
	buf = malloc(size);
	if (!buf || (n = oomadj_format(&s->adj, s->boot_id, buf, size)) < 0) {
		free(buf);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = create_tmp(tmp);
	if (fd < 0 && errno == ENOENT) {
		char dir[PATH_MAX], *sl;

		snprintf(dir, sizeof(dir), "%s", path);
		sl = strrchr(dir, '/');
		if (sl && sl != dir) {
			*sl = '\0';
			mkdir(dir, 0755);
		}
		fd = create_tmp(tmp);
	}
	ok = fd >= 0 && write_all(fd, buf, (size_t)n);
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (ok && rename(tmp, path) < 0)
		ok = false;
	if (!ok) {
		if (!s->state_warned)
			log_warn("shield: cannot write %s: %s (oomguard status will not list "
				 "the adjustments)", path, strerror(errno));
		s->state_warned = true;
		if (fd >= 0)
			unlink(tmp);
	}
	free(buf);
}

/* What a previous run left behind (a crash): restore it, onto the same
 * processes only (pid and start time, in this boot), and only from a file
 * oomguard can trust. */
static void recover_state(struct shield_rt *s, struct og_ctx *c)
{
	const char *path = c->cfg.dyn_state_path;
	char why[256];
	struct oa_state old;
	struct oa_stats st;
	int n;

	if (!path)
		return;
	n = oomadj_load(path, c->proc_fd, &old, why, sizeof(why));
	if (n == -ENOENT)
		return;
	if (n < 0) {
		log_warn("shield: state file %s ignored, nothing restored from it: %s", path, why);
	} else if (n > 0) {
		oomadj_restore_all(&old, c->proc_fd, &st);
		log_notice("shield: restored %u oom_score_adj values a previous run left behind "
			   "(%u changed by others since, %u gone)", st.restored, st.disowned, st.gone);
	}
	oomadj_free(&old);
	unlink(path);
	(void)s;
}

/* ---- the periodic pass ---------------------------------------------------------------- */

struct scan {
	struct oa_proc *procs;
	char (*comm)[16];
	bool *managed;
	size_t n, cap;
};

static int scan_push(struct scan *sc, const struct oa_proc *p, const char *comm, bool managed)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 512;
		struct oa_proc *v = realloc(sc->procs, cap * sizeof(*v));
		char (*cm)[16];
		bool *mg;

		if (!v)
			return -ENOMEM;
		sc->procs = v;
		if (!(cm = realloc(sc->comm, cap * sizeof(*cm))))
			return -ENOMEM;
		sc->comm = cm;
		if (!(mg = realloc(sc->managed, cap * sizeof(*mg))))
			return -ENOMEM;
		sc->managed = mg;
		sc->cap = cap;
	}
	sc->procs[sc->n] = *p;
	snprintf(sc->comm[sc->n], sizeof(sc->comm[0]), "%.15s", comm);
	sc->managed[sc->n] = managed;
	sc->n++;
	return 0;
}

static void scan_free(struct scan *sc)
{
	free(sc->procs);
	free(sc->comm);
	free(sc->managed);
}

static void sync_adj(struct shield_rt *s, struct og_ctx *c, struct scan *sc)
{
	const struct og_config *cfg = &c->cfg;
	size_t count = cfg->dyn_enabled ? (size_t)cfg->dyn_count : 0, k = 0, nw = 0;
	size_t *top = calloc(count + 1, sizeof(*top));
	struct oa_want *want = calloc(count + sc->n + 1, sizeof(*want));
	struct oa_stats st;

	if (!top || !want)
		goto out;
	if (count) {
		/* A process someone protected (oom_score_adj < 0: sshd, the
		 * test's own trigger, ...) is not raised and takes no place:
		 * look a little further down the list for them. */
		size_t more = count + 16, m;
		size_t *cand = calloc(more, sizeof(*cand));

		if (!cand)
			goto out;
		m = oomadj_top(sc->procs, sc->n, more, cand);
		for (size_t i = 0; i < m; i++) {
			struct oa_proc *p = &sc->procs[cand[i]];
			int cur;

			if (oomadj_read(c->proc_fd, p->pid, p->starttime, &cur) == 0 && cur < 0)
				p->eligible = false;
		}
		free(cand);
		k = oomadj_top(sc->procs, sc->n, count, top);
	}
	for (size_t i = 0; i < k; i++) {
		const struct oa_proc *p = &sc->procs[top[i]];

		want[nw++] = (struct oa_want){ p->pid, p->starttime, (int)cfg->dyn_score, OA_RAISE,
					       sc->comm[top[i]] };
	}
	if (cfg->cg_managed_adj <= 0)
		for (size_t i = 0; i < sc->n; i++)
			if (sc->managed[i])
				want[nw++] = (struct oa_want){ sc->procs[i].pid, sc->procs[i].starttime,
							       (int)cfg->cg_managed_adj, OA_LOWER,
							       sc->comm[i] };
	if (oomadj_sync(&s->adj, c->proc_fd, want, nw, &st) < 0)
		goto out;
	if (st.written || st.restored || st.disowned || st.gone) {
		log_info("shield: oom_score_adj: %u written, %u restored, %u left to whoever changed "
			 "them, %u gone; %zu in force", st.written, st.restored, st.disowned, st.gone,
			 oomadj_in_force(&s->adj));
		save_state(s, c);
	}
out:
	free(top);
	free(want);
}

struct pass_ctx {
	struct shield_rt *s;
	struct og_ctx *c;
	const struct shield_matcher *m;
	struct scan sc;
	size_t nmem;
	pid_t self;
};

static int pass_one(int pid, void *userdata)
{
	struct pass_ctx *x = userdata;
	struct shield_rt *s = x->s;
	struct og_ctx *c = x->c;
	struct proc_stat ps;
	struct oa_proc p;
	bool managed, member;

	if (proc_read_stat(c->proc_fd, pid, &ps) < 0 || (ps.flags & PF_KTHREAD_FLAG) ||
	    pid == x->self)
		return 0;
	member = s->cg.mode != SHIELD_OFF && shield_pid_in(s->members, x->nmem, pid);
	managed = member || (x->m && managed_pid(s, c, pid, &ps));
	if (managed && s->cg.mode != SHIELD_OFF && !member)
		try_move(s, c, pid, ps.starttime, ps.comm, "rescan");
	p = (struct oa_proc){ .pid = pid, .starttime = ps.starttime,
			      .rss = ps.rss_pages * 4096, .eligible = !managed && pid != 1 };
	/* out of memory: go on with the processes seen so far */
	return scan_push(&x->sc, &p, ps.comm, managed) < 0 ? 1 : 0;
}

static void pass(struct shield_rt *s, struct og_ctx *c)
{
	const struct og_config *cfg = &c->cfg;
	struct pass_ctx x = { .s = s, .c = c, .m = c->shield ? &c->shield->m : NULL,
			      .self = getpid() };

	check_cgroup(s, c);
	if (s->cg.mode != SHIELD_OFF && read_members(s, &x.nmem) < 0)
		x.nmem = 0;
	if (proc_for_each_pid(c->proc_fd, pass_one, &x) >= 0 &&
	    (cfg->dyn_enabled || cfg->cg_managed_adj <= 0 || s->adj.n))
		sync_adj(s, c, &x.sc);
	scan_free(&x.sc);
}

#define EPISODE_RETRY_MS 1000        /* a pass due during an episode waits this long */

/* The next pass in ms; 0 = none. */
static void arm(struct shield_rt *s, uint64_t ms)
{
	if (ms)
		loop_timer_arm(&s->timer, ms);
	else
		loop_timer_disarm(&s->timer);
}

/* ---- connector events ------------------------------------------------------------------ */

struct conn_ctx {
	struct shield_rt *s;
	struct og_ctx *c;
};

static void on_event(const struct conn_event *ev, void *userdata)
{
	struct conn_ctx *cc = userdata;
	struct shield_rt *s = cc->s;
	struct og_ctx *c = cc->c;
	struct proc_stat ps;
	size_t nmem = 0;

	if (ev->what == CONN_ACK) {
		if (ev->err)
			log_warn("shield: proc connector subscription refused: %s", strerror(ev->err));
		return;
	}
	/* A fork's child inherits the parent's cgroup: nothing to do. An exec
	 * or a comm change moves a process only when it is managed, trust
	 * included: a new name alone moves nobody. */
	if ((ev->what != CONN_EXEC && ev->what != CONN_COMM) || s->cg.mode == SHIELD_OFF ||
	    !c->shield || !c->shield->m.n)
		return;
	if (proc_read_stat(c->proc_fd, ev->pid, &ps) < 0 || (ps.flags & PF_KTHREAD_FLAG) ||
	    !managed_pid(s, c, ev->pid, &ps))
		return;
	if (read_members(s, &nmem) == 0 && shield_pid_in(s->members, nmem, ev->pid))
		return;
	try_move(s, c, ev->pid, ps.starttime, ps.comm,
		 ev->what == CONN_EXEC ? "exec event" : "comm event");
}

void shield_rt_event(struct shield_rt *s, const struct conn_event *ev)
{
	struct conn_ctx cc = { s, s->c };

	on_event(ev, &cc);
}

static void on_conn(void *userdata, uint32_t events)
{
	struct shield_rt *s = userdata;
	struct conn_ctx cc = { s, s->c };
	int r = connector_drain(s->conn.fd, on_event, &cc);

	if (r == -ENOBUFS) {
		log_info("shield: proc connector overflowed; rescanning now");
		arm(s, 1);
	}
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void setup(struct shield_rt *s, struct og_ctx *c)
{
	const struct og_config *cfg = &c->cfg;
	bool any = shield_wanted(cfg) || cfg->n_managed || cfg->dyn_enabled;

	setup_cgroup(s, c);
	if (cfg->cg_connector && cfg->n_managed && s->cg.mode != SHIELD_OFF && s->conn.fd < 0 &&
	    s->loop) {
		int fd = connector_open();

		if (fd < 0) {
			log_warn("shield: proc connector unavailable (%s%s); rescanning every %" PRIu64 " ms",
				 strerror(-fd), fd == -EPERM ? ": needs CAP_NET_ADMIN" : "",
				 cfg->cg_rescan_ms);
		} else if (loop_add(s->loop, &s->conn, fd, EPOLLIN, on_conn, s) < 0) {
			close(fd);
		} else {
			log_notice("shield: proc connector: managed processes are moved when they exec");
		}
	} else if (!cfg->cg_connector || !cfg->n_managed || s->cg.mode == SHIELD_OFF) {
		loop_close(s->loop, &s->conn);
	}
	s->period_ms = cfg->dyn_enabled ? MIN(cfg->cg_rescan_ms, cfg->dyn_interval_ms) : cfg->cg_rescan_ms;
	arm(s, any ? 1 : 0);
}

static void on_timer(void *userdata, uint32_t events)
{
	struct shield_rt *s = userdata;

	if (s->episode && s->episode(s->episode_data)) {
		s->deferred++;
		arm(s, EPISODE_RETRY_MS);
		return;
	}
	shield_rt_pass(s);
}

void shield_rt_pass_soon(struct shield_rt *s)
{
	arm(s, 1);
}

void shield_rt_pass(struct shield_rt *s)
{
	pass(s, s->c);
	arm(s, s->period_ms);
}

void shield_rt_start(struct shield_rt *s, struct og_ctx *c, struct loop *loop,
		     bool (*episode)(void *), void *episode_data)
{
	struct worker *w = s->w;        /* shield_rt_lane's, kept */
	unsigned lane = s->lane;
	char comm[32] = "";
	int r;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->lane = lane;
	s->cg.mode = SHIELD_OFF;
	for (int i = 0; i < SH_NCTRL; i++)
		s->cg.fd[i] = -1;
	s->c = c;
	s->loop = loop;
	s->episode = episode;
	s->episode_data = episode_data;
	s->conn.fd = s->timer.src.fd = -1;
	if ((r = loop_timer_init(loop, &s->timer, on_timer, s)) < 0)
		log_warn("shield: no timer: %s", strerror(-r));
	read_file_at(c->proc_fd, "1/comm", comm, sizeof(comm));
	s->systemd = !strcmp(comm, "systemd\n") || !strcmp(comm, "systemd");
	if (oomadj_boot_id(c->proc_fd, s->boot_id) < 0)
		s->boot_id[0] = '\0';
	recover_state(s, c);
	setup(s, c);
}

static void restore_all(struct shield_rt *s, struct og_ctx *c, const char *why)
{
	struct oa_stats st;

	if (!s->adj.n)
		return;
	oomadj_restore_all(&s->adj, c->proc_fd, &st);
	log_notice("shield: %s: restored %u oom_score_adj values (%u changed by others since, "
		   "%u gone)", why, st.restored, st.disowned, st.gone);
	save_state(s, c);
}

void shield_rt_reload(struct shield_rt *s, struct og_ctx *c)
{
	restore_all(s, c, "reload");
	memset(s->refused, 0, sizeof(s->refused));
	s->n_untrusted = 0;
	setup(s, c);
}

void shield_rt_stop(struct shield_rt *s, struct og_ctx *c)
{
	restore_all(s, c, "exit");
	if (c->cfg.dyn_state_path)
		unlink(c->cfg.dyn_state_path);
	oomadj_free(&s->adj);
	shield_sd_stop(s, c, true);
	shield_cg_close(&s->cg);
	loop_close(s->loop, &s->conn);
	loop_timer_close(s->loop, &s->timer);
	free(s->members);
	s->members = NULL;
	s->members_cap = 0;
}
