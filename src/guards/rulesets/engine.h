/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rulesets engine (engine.c): one tick of oomd's main loop over the
 * rulesets of a config, with oomd's detectors and kill plugins reading
 * the cgroup tree. It decides; the caller kills (through the victim
 * pipeline) and logs. Pure of the event loop: tests drive it on fixture
 * trees. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guards/rulesets/rules.h"

#define RS_CG_MAX 256           /* cgroups a plugin's list resolves to, per tick */
#define RS_HIST_MAX 1024        /* cgroups whose history (size average, counters) is kept */
#define RS_PATH_MAX 512
#define RS_HIST_MS 1000         /* oomd's tick (Debian's --interval 1): history is kept at it */

enum rs_ret { RS_CONTINUE, RS_STOP, RS_ASYNC };

/* A kill a plugin chose. */
struct rs_kill {
	const char *ruleset, *group, *plugin;
	const char *cgroup;             /* from the root, no leading '/'; "" the root */
	char why[256];                  /* how it was ranked */
	bool dry;                       /* the plugin's dry: say, do not kill */
};

struct rs_env {
	int cg_fd;                      /* the cgroup v2 root */
	const char *cg_root;            /* its path (globs) */
	int proc_fd;                    /* /proc: pressure/, meminfo, swaps */
	uint64_t now_ms;                /* monotonic */
	/* 1: killed (or would have, dry); 0: nothing killable there; -1: the
	 * pipeline is busy with another episode (try again next tick) */
	int (*kill)(void *u, const struct rs_kill *k);
	/* a line of the engine's (engine true: "fired", "returned"; the
	 * caller logs them at debug level) or of a plugin's; silenced by the
	 * ruleset's silence-logs */
	void (*say)(void *u, bool engine, bool silenced, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));
	/* systemd_restart: restart the unit (key: the plugin, one call at a
	 * time each): 1 done, 0 failed, -1 under way (ask again next time) */
	int (*restart)(void *u, const void *key, const char *unit, bool dry);
	bool dry_run;                   /* oomguard's: senpai writes no memory.high */
	void *u;
};

/* Per plugin, across ticks (detector timers, pg_scan's two ticks). */
struct rs_pstate {
	uint64_t hit_ms;                /* the condition held since (0: not now) */
	double last_avg10;              /* pressure_rising_beyond: the last tick's */
	uint64_t prev_sum;              /* memory_reclaim: pgscan summed last tick */
	uint64_t last_reclaim_ms;       /* 0: never */
	uint64_t collected_tick;        /* kill_by_pg_scan: rates collected on this tick */
	uint64_t said_tick;             /* its last log line */
	bool restarting;                /* systemd_restart: asked, no answer yet */
};

struct rs_rstate {
	uint64_t pause_until_ms;
	int resume;                     /* an action returned ASYNC: resume at it, -1 none */
	int resume_group;
	unsigned pause_s;               /* a kill plugin's own post_action_delay this run */
	bool pause_set;
};

/* What is remembered of a cgroup between ticks. */
struct rs_hist {
	char path[RS_PATH_MAX];
	uint64_t avg;                   /* memory.current, EWMA (3/4 old + 1/4 new) */
	uint64_t pgscan, io;            /* counters last tick */
	uint64_t pgscan_rate, io_rate;  /* their change over the last tick */
	uint64_t tick;                  /* last updated */
	/* senpai: the memory.high it keeps, the some-stall since its last move */
	uint64_t senpai_limit, senpai_written, senpai_cum_us, senpai_total_us;
	int64_t senpai_ticks;
	bool senpai_on;
};

struct rs_engine {
	const struct rs_ruleset *v;     /* the rulesets run, in order (rs_views) */
	size_t n;
	struct rs_rstate *rs;           /* per ruleset */
	struct rs_pstate *ps;           /* per plugin, in config order */
	size_t n_ps;
	struct rs_hist *hist;
	size_t n_hist;
	uint64_t tick;                  /* history ticks (RS_HIST_MS apart) */
	uint64_t prerun_ms;
	/* this tick's system figures */
	uint64_t mem_total, mem_free, swap_total, swap_free;
	uint64_t kills, dry_kills;
};

int rs_engine_init(struct rs_engine *e, const struct rs_ruleset *v, size_t n);
void rs_engine_free(struct rs_engine *e);
/* The same engine over new views (a drop-in or systemd's settings changed):
 * a view whose groups and actions are the ones it had keeps its state
 * (pause, timers, a chain waiting), the history goes on; new views start
 * afresh, as oomd's drop-in copies. 0 or -ENOMEM (e unchanged). */
int rs_engine_rebuild(struct rs_engine *e, const struct rs_ruleset *v, size_t n);
/* One evaluation: every ruleset in order (the caller's pace: the guard
 * evaluates 4 times a second, so a detector's duration starts up to
 * 750 ms sooner than at oomd's 1 s ticks; history keeps RS_HIST_MS). */
void rs_engine_tick(struct rs_engine *e, const struct rs_env *env);

/* The cgroups a list resolves to (comma-separated globs under the root,
 * as oomd: glob(3), directories only, duplicates dropped), relative to
 * the root ("" for the root). How many (at most max). */
size_t rs_resolve(const char *root, const char *list, char (*out)[RS_PATH_MAX], size_t max);

/* A drop-in file (oomd's --drop-in-dir): its name is its tag. */
struct rs_dropin {
	char tag[256];
	struct rs_config c;
};
/* Can drop-in d go on base? Each of its rulesets names a base ruleset
 * (the first of that name), and replaces detectors or actions only where
 * the base's "drop-in" allows it. 0, or -EINVAL with err. */
int rs_dropin_check(const struct rs_config *base, const struct rs_config *d, const char *tag,
		    char *err, size_t size);
/* The rulesets to run, as oomd orders them: for each base ruleset, a copy
 * of it per drop-in ruleset naming it, newest drop-in first (its detector
 * groups or actions replaced by the drop-in's), then the base itself
 * unless it says disable-on-drop-in and is named. Shallow: *ret points
 * into base and d (freed with free()). 0 or -ENOMEM. */
int rs_views(const struct rs_config *base, const struct rs_dropin *d, size_t nd,
	     struct rs_ruleset **ret, size_t *n);
