/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration: YAML (libyaml) -> struct og_config. A file with an error
 * is refused whole with "FILE:LINE:COL: message"; unknown keys are errors
 * that name the closest known key. No file -> config_default(). */
#pragma once
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guards/rulesets/rules.h"

#define OG_MAX_RULES 64
#define OG_MAX_MANAGED 64
#define OG_MAX_USERS 64
#define OG_ERR_SIZE 512
#define OG_MAX_DISKS 32
#define OG_MAX_GPUS 16
#define OG_MAX_REBALANCE 32     /* rebalance.cgroups globs */
#define OG_MAX_CLEANUP 16
#define OG_MAX_PATTERNS 16

enum og_rule_action {
	RULE_PREFER,            /* add `adjust` (default +300) to the badness */
	RULE_AVOID,             /* subtract `adjust` (default 300) */
	RULE_PROTECT,           /* never a victim */
};

/* One rule: every field that is set must match (AND). Regexes are POSIX
 * extended, unanchored unless the pattern anchors itself. */
struct og_rule {
	char *comm, *cmdline, *exe, *cgroup, *user;     /* source text, NULL if unset */
	regex_t comm_re, cmdline_re, exe_re, cgroup_re, user_re;
	enum og_rule_action action;
	int adjust;             /* badness delta (always >= 0; sign from action) */
	bool has_value;
	int64_t value;          /* worth of keeping it alive (priority knapsack) */
	int line;               /* where it was defined, for explanations */
	bool root_only;         /* built-in: only processes whose real uid is 0 */
};

/* A threshold pair: fires when the available amount is below the lower of
 * percent (of total) and size (bytes), where set. percent < 0 / size == 0
 * mean unset. */
struct og_threshold {
	double percent;
	uint64_t size;
};

enum og_psi_mode { PSI_MODE_AUTO, PSI_MODE_TRIGGER, PSI_MODE_POLL };
enum og_writer_action { WRITER_REPORT, WRITER_KILL };

/* A cleanup rule of a watched filesystem: regular files in dir (not below
 * it) whose names match one of the patterns (fnmatch, no '/') and that are
 * older than older_than_ms. */
struct og_disk_cleanup {
	char *dir;
	char *match[OG_MAX_PATTERNS];
	size_t n_match;
	uint64_t older_than_ms;
	int line, col;          /* of dir, for the checks against this machine */
};

/* A filesystem of the `disk` list. */
struct og_disk {
	char *path;             /* its mount point */
	double free_percent;    /* of f_blocks, from f_bavail; 0 = none */
	double inodes_free_percent;     /* of f_files, from f_favail; 0 = none */
	struct og_disk_cleanup *cleanup;        /* n_cleanup of them */
	size_t n_cleanup;
	enum og_writer_action writer_action;
	uint64_t horizon_ms;    /* "abnormal rate": full within this; UINT64_MAX = disk_settings' */
	int line, col;          /* of path */
};
enum og_badness { BADNESS_OOM_SCORE, BADNESS_ANON_SWAP };

/* A hook (src/hooks/): a command run with execve, no shell. */
#define OG_MAX_HOOK_ARGS 32
#define OG_MAX_HOOK_GUARDS 16
struct og_hook {
	char *argv[OG_MAX_HOOK_ARGS + 1];       /* NULL-terminated; argc 0 = no hook */
	size_t argc;
	int line, col;                          /* of its value, for the checks */
};
enum og_kill_unit { KILL_UNIT_PROCESS, KILL_UNIT_CGROUP };
enum og_mem_policy { MEM_POLICY_ADAPTIVE, MEM_POLICY_FIXED };

struct og_config {
	char *path;             /* file it came from, NULL for the built-in */

	/* memory: system-wide guard */
	bool memory_enabled;
	struct og_threshold term_mem, term_swap;  /* SIGTERM level */
	struct og_threshold kill_mem, kill_swap;  /* SIGKILL level */
	/* adaptive (default): act where the fill would reach the floor before
	 * the next look and the kill land; the thresholds above then cap the
	 * levels (ceilings). fixed: the thresholds are the levels. */
	enum og_mem_policy mem_policy;
	uint64_t floor_bytes;   /* always act below; 0 = MemTotal/256 in [8, 256] MiB */
	uint64_t ceiling_bytes; /* never act on MemAvailable above (adaptive) */
	double psi_onset_some_percent;  /* adaptive: some stall over 1 s while filling; <=0 off */
	uint64_t grace_ms;      /* SIGTERM -> SIGKILL */
	uint64_t cooldown_ms;   /* after a victim exits */
	uint64_t interval_max_ms;       /* idle polling period */
	uint64_t interval_watched_ms;   /* ... while the eBPF guard watches the charges */
	uint64_t interval_min_ms;       /* near a threshold */
	enum og_badness badness;
	enum og_kill_unit kill_unit;
	uint64_t margin_bytes;  /* freed beyond the threshold (knapsack); 0 = policy_margin's */
	uint64_t max_fill_rate; /* bytes/s memory can fill at worst: bounds the sleep */

	/* psi: memory pressure */
	bool psi_enabled;
	enum og_psi_mode psi_mode;
	bool psi_full;          /* trigger on "full" rather than "some" */
	uint64_t psi_stall_us, psi_window_us;   /* trigger registration */
	double psi_kill_full_percent;   /* full share over psi_duration that kills; <=0 off */
	uint64_t psi_duration_ms;
	double psi_thrash_full_percent;         /* page-cache thrash: full share over psi_duration (<=0 off) ... */
	uint64_t psi_thrash_refault_percent;    /* ... while refaults reach this share of the file LRU */

	/* cgroups: per-cgroup memory.max guard */
	bool cgroups_enabled;
	char *cgroup_root;      /* NULL = find cgroup2 in mountinfo */
	double cg_term_headroom_percent;        /* of memory.max */
	double cg_kill_headroom_percent;

	/* cpu: sustained CPU pressure (src/guards/cpu) */
	bool cpu_enabled;
	double cpu_some_percent;        /* PSI cpu some over cpu_duration */
	uint64_t cpu_duration_ms;
	enum og_kill_unit cpu_kill_unit;
	double cpu_load_per_cpu;        /* without PSI: loadavg 1 min / CPUs (0 = not used) ... */
	double cpu_busy_percent;        /* ... and /proc/stat busy share (0 = not used) */

	/* io: sustained I/O pressure (src/guards/io) */
	bool io_enabled;
	double io_full_percent;         /* PSI io full over io_duration */
	uint64_t io_duration_ms;

	/* disk: space and inodes per filesystem (src/guards/disk) */
	bool disk_enabled;
	uint64_t disk_interval_ms;
	uint64_t disk_horizon_ms;       /* the default horizon; 0 = no rate reports */
	struct og_disk *disks;          /* the `disk` list (SEC_DISK); without it, every local
					 * filesystem at 5 % / 5 %, report only */
	size_t n_disks;

	/* network: duplicate MAC addresses, report only (src/guards/network) */
	bool net_enabled;
	bool net_duplicate_mac;         /* local pairs, other stations, ARP flip-flops, DAD */

	/* rules (prefer/avoid/protect/value) */
	struct og_rule rules[OG_MAX_RULES];
	size_t n_rules;
	int64_t default_value;

	/* reporting */
	bool json_logs;
	bool kmsg;
	char *record_path;      /* NULL = stdout */
	bool dry_run;           /* also settable by --dry-run */

	/* Sections of the OOM Protector seed (accepted, validated; the features
	 * are marked active only where built). */
	char *cg_name;
	uint64_t cg_memory_low, cg_memory_min;
	int64_t cg_cpu_weight, cg_io_weight;
	char *managed[OG_MAX_MANAGED];
	size_t n_managed;
	/* gpu (src/guards/gpu/) */
	bool gpu_enabled;
	double gpu_threshold_percent;
	double gpu_margin_percent;      /* a kill frees down to threshold - margin */
	uint64_t gpu_interval_ms;       /* between two looks at the devices */
	uint64_t gpu_call_timeout_ms;   /* an NVML call past it: the guard is degraded */
	char *gpu_devices[OG_MAX_GPUS]; /* indices or UUIDs; none = every device */
	size_t n_gpu_devices;
	bool nvidia_enabled, nvidia_perf_mode, nvidia_check_updates;
	uint64_t nvidia_interval_ms;
	bool ebpf_enabled;
	uint64_t ebpf_alloc_mb_per_sec;         /* a managed process over it: CRITICAL */
	uint64_t ebpf_anomaly_mb_per_sec;       /* any process over it: WARNING; 0 = off */
	bool dyn_enabled;
	int64_t dyn_count;
	int64_t dyn_score;
	/* shield (src/guards/shield/shield.c, oomadj.c, shieldd.c) */
	bool cg_enabled;        /* create the protected cgroup (when managed or section set) */
	char *cg_parent;        /* delegated subtree it goes under; NULL = the cgroup root */
	bool cg_move_from_units;        /* under systemd: move processes out of units too */
	bool cg_connector;      /* use the proc connector (else rescans only) */
	uint64_t cg_rescan_ms;  /* managed scan + settings check period */
	int64_t cg_managed_adj; /* oom_score_adj for managed processes; 1 = leave alone */
	/* whom a managed_processes entry may manage (guards/shield/trust.c):
	 * root, these users (names or uids), and with cg_trust_units a process
	 * of any user in a cgroup nothing delegates, outside login sessions */
	char *cg_managed_users[OG_MAX_USERS];
	size_t n_managed_users;
	bool cg_trust_units;
	uint64_t dyn_interval_ms;
	char *dyn_state_path;   /* where adjustments in force are written; NULL = nowhere */
	/* machine_learning: the dataset (src/guards/calibration/) */
	bool ml_enabled;
	char *ml_log_path;
	uint64_t ml_max_size;           /* rotate before the file would pass it */
	int64_t ml_keep;                /* rotated files kept (0: truncate instead) */
	int64_t ml_top;                 /* process rows per sample */
	uint64_t ml_interval_ms;        /* between two samples */
	/* calibration: every cgroup's memory sampled into a store; rebalance:
	 * limits moved to a cgroup at its limit (src/guards/calibration/) */
	bool calib_enabled;
	uint64_t calib_interval_ms;     /* between two samples */
	char *calib_store;              /* the SQLite file */
	uint64_t calib_retention_ms;    /* samples older than this are deleted */
	uint64_t calib_reserve;         /* kept out of top-level cgroups' share of RAM */
	bool rb_enabled;
	char *rb_cgroups[OG_MAX_REBALANCE];     /* globs of the cgroups it may touch */
	size_t n_rb_cgroups;
	uint64_t rb_margin;
	uint64_t rb_cooldown_ms;        /* at most one rebalance per cgroup in it */
	char *rb_audit_path;            /* JSON lines; NULL = records only */

	/* oomd's rulesets: from an oomd JSON config (recognised by content) */
	struct rs_config rulesets;
	bool sd_oomd_enabled;           /* systemd_oomd.enabled: units' ManagedOOM* settings */
	/* metrics: the Prometheus textfile (src/report/metrics-schema.c) */
	char *metrics_textfile;         /* NULL = none */
	uint64_t metrics_interval_ms;

	/* hooks: commands run around a kill (src/hooks/) */
	struct og_hook hook_pre_kill, hook_post_kill;
	uint64_t hook_pre_kill_timeout_ms;      /* the most SIGTERM waits for pre_kill */
	uint64_t hook_post_kill_timeout_ms;     /* post_kill is killed past it */
	bool hook_dry_run;                      /* run them in dry-run too */
	char *hook_guards[OG_MAX_HOOK_GUARDS];  /* only these guards' kills; none = all */
	size_t n_hook_guards;

	/* which top-level sections the file set (for "not active" notes) */
	unsigned int sections_seen;
	/* What loading found odd but not wrong (a cleanup dir this machine
	 * does not have): lines "FILE:LINE:COL: warning: ...", or NULL. */
	char *warnings;
};

/* Bits of sections_seen. */
enum {
	SEC_MEMORY = 1u << 0, SEC_PSI = 1u << 1, SEC_CGROUPS = 1u << 2,
	SEC_RULES = 1u << 3, SEC_LOGGING = 1u << 4, SEC_CGROUP_SETTINGS = 1u << 5,
	SEC_MANAGED = 1u << 6, SEC_GPU = 1u << 7, SEC_NVIDIA = 1u << 8,
	SEC_EBPF = 1u << 9, SEC_DYNAMIC = 1u << 10, SEC_ML = 1u << 11,
	SEC_VALUES = 1u << 12, SEC_CPU = 1u << 13, SEC_IO = 1u << 14,
	SEC_DISK = 1u << 15, SEC_DISK_SETTINGS = 1u << 16, SEC_NETWORK = 1u << 17,
	SEC_CALIBRATION = 1u << 18, SEC_REBALANCE = 1u << 19, SEC_SYSTEMD_OOMD = 1u << 20,
	SEC_RULESETS = 1u << 21, SEC_HOOKS = 1u << 22, SEC_METRICS = 1u << 23,
};

/* Fill cfg with the built-in default policy (safe for desktops and servers). */
void config_default(struct og_config *cfg);

/* Load a YAML file over the built-in default. On success the old content of
 * *cfg (which must be a valid config: zeroed, default or loaded) is freed
 * and replaced. On error returns -errno (-EINVAL for content errors), writes
 * "FILE:LINE:COL: message" into err, and leaves cfg untouched (so a reload
 * keeps the old config in force). Unlike config_load_buffer it also checks
 * the file against this machine (a `disk` path must be a mount point, see
 * disk_config_check), which may add cfg->warnings. */
int config_load(const char *path, struct og_config *cfg, char err[OG_ERR_SIZE]);
/* Same from a buffer; name is used in messages. */
int config_load_buffer(const char *name, const char *buf, size_t len,
		       struct og_config *cfg, char err[OG_ERR_SIZE]);

/* Free everything a config owns (safe on a zeroed or default config). */
void config_free(struct og_config *cfg);

/* Print a one-line-per-section summary: which settings are in force and
 * which sections are accepted but not active in this build. */
void config_describe(const struct og_config *cfg, void *file /* FILE* */);
