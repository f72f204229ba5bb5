/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard's config: disk_settings, the `disk` list and its cleanup
 * rules, every error with its exact FILE:LINE:COL, and the checks against
 * this machine that `oomguard check` (config_load) makes: a path that is
 * not a mount point, a cleanup dir on another filesystem or behind a
 * symlink (errors), one that does not exist (a warning); the OVS example
 * loads anywhere. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/util.h"
#include "fixture.h"
#include "observe/fs.h"

static int load(const char *yaml, struct og_config *cfg, char *err)
{
	return config_load_buffer("t.yaml", yaml, strlen(yaml), cfg, err);
}

static void expect_error(const char *yaml, const char *msg)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	assert_int_equal(load(yaml, &cfg, err), -EINVAL);
	assert_string_equal(err, msg);
	assert_int_equal(cfg.n_disks, 0);
	config_free(&cfg);
}

static void test_defaults(void **state)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE];

	config_default(&cfg);
	assert_true(cfg.disk_enabled);
	assert_int_equal(cfg.disk_interval_ms, 5000);
	assert_int_equal(cfg.disk_horizon_ms, 600000);
	assert_int_equal(cfg.n_disks, 0);
	assert_int_equal(load("disk_settings: {enabled: false, interval: 30s, horizon: 0}\n", &cfg,
			      err), 0);
	assert_false(cfg.disk_enabled);
	assert_int_equal(cfg.disk_interval_ms, 30000);
	assert_int_equal(cfg.disk_horizon_ms, 0);
	assert_false(cfg.sections_seen & SEC_DISK);     /* no `disk` list: the default watch */
	config_free(&cfg);
}

static void test_list(void **state)
{
	static const char yaml[] =
		"disk:\n"
		"  - path: /\n"
		"    free_percent: 5\n"
		"    inodes_free_percent: 5\n"
		"    cleanup:\n"
		"      - dir: /var/log/openvswitch\n"
		"        match: [\"*.log.[0-9]*\", \"*.log.*.gz\"]\n"
		"        older_than: 1d\n"
		"    writer_action: report\n"
		"  - path: /srv\n"
		"    writer_action: kill\n"
		"    horizon: 1h\n"
		"    cleanup:\n"
		"      - {dir: /srv, match: [core.*], older_than: 12h}\n"
		"      - {dir: /srv/tmp/a, match: [\"*\"], older_than: 0}\n";
	struct og_config cfg;
	char err[OG_ERR_SIZE];
	const struct og_disk *d;

	config_default(&cfg);
	assert_int_equal(load(yaml, &cfg, err), 0);
	assert_int_equal(cfg.n_disks, 2);
	d = &cfg.disks[0];
	assert_string_equal(d->path, "/");
	assert_int_equal(d->line, 2);
	assert_int_equal(d->col, 11);
	assert_true(d->free_percent == 5 && d->inodes_free_percent == 5);
	assert_int_equal(d->writer_action, WRITER_REPORT);
	assert_int_equal(d->horizon_ms, UINT64_MAX);    /* disk_settings' */
	assert_int_equal(d->n_cleanup, 1);
	assert_string_equal(d->cleanup[0].dir, "/var/log/openvswitch");
	assert_int_equal(d->cleanup[0].line, 6);
	assert_int_equal(d->cleanup[0].col, 14);
	assert_int_equal(d->cleanup[0].n_match, 2);
	assert_string_equal(d->cleanup[0].match[1], "*.log.*.gz");
	assert_int_equal(d->cleanup[0].older_than_ms, 86400000);
	d = &cfg.disks[1];
	assert_int_equal(d->writer_action, WRITER_KILL);
	assert_int_equal(d->horizon_ms, 3600000);
	assert_true(d->free_percent == 5);              /* the default */
	assert_int_equal(d->n_cleanup, 2);
	assert_int_equal(d->cleanup[1].older_than_ms, 0);
	assert_int_equal(d->cleanup[1].col, 15);
	assert_true(cfg.sections_seen & SEC_DISK);
	config_free(&cfg);
	/* an empty list watches nothing */
	config_default(&cfg);
	assert_int_equal(load("disk: []\n", &cfg, err), 0);
	assert_int_equal(cfg.n_disks, 0);
	assert_true(cfg.sections_seen & SEC_DISK);
	config_free(&cfg);
}

static void test_errors(void **state)
{
	static const struct { const char *yaml, *msg; } cases[] = {
		{ "disk: /\n",
		  "t.yaml:1:7: disk: expected a list of mappings, got \"/\"" },
		{ "disk:\n  - /\n",
		  "t.yaml:2:5: disk[0]: expected a mapping, got \"/\"" },
		{ "disk:\n  - free_percent: 5\n",
		  "t.yaml:2:5: disk[0]: an entry needs path (a mount point)" },
		{ "disk:\n  - path: var\n",
		  "t.yaml:2:11: disk[0].path: expected an absolute path without \".\" or \"..\" components, got \"var\"" },
		{ "disk:\n  - path: /var/../etc\n",
		  "t.yaml:2:11: disk[0].path: expected an absolute path without \".\" or \"..\" components, got \"/var/../etc\"" },
		{ "disk:\n  - path: /srv/\n",
		  "t.yaml:2:11: disk[0].path: expected an absolute path without \".\" or \"..\" components, got \"/srv/\"" },
		{ "disk:\n  - path: /\n    free_percen: 5\n",
		  "t.yaml:3:5: unknown key \"free_percen\" in disk[0]; did you mean \"free_percent\"?" },
		{ "disk:\n  - path: /\n    free_percent: 101\n",
		  "t.yaml:3:19: disk[0].free_percent: expected a percentage 0..100, got \"101\"" },
		{ "disk:\n  - path: /\n    writer_action: murder\n",
		  "t.yaml:3:20: disk[0].writer_action: expected one of report, kill, got \"murder\"" },
		{ "disk:\n  - path: /\n  - path: /srv\n  - path: /\n",
		  "t.yaml:4:11: disk[2].path: / is listed twice (first at line 2)" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        match: [\"a/*.log\"]\n        older_than: 1d\n",
		  "t.yaml:5:17: disk[0].cleanup[0].match[0]: a pattern matches names in the directory itself, so it has no \"/\", got \"a/*.log\"" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        match: \"*.log\"\n        older_than: 1d\n",
		  "t.yaml:5:16: disk[0].cleanup[0].match: expected a list of strings such as [\"*.log\"], got \"*.log\"" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        match: []\n        older_than: 1d\n",
		  "t.yaml:5:16: disk[0].cleanup[0].match: expected at least one entry" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        match: [\"*\", ~]\n        older_than: 1d\n",
		  "t.yaml:5:22: disk[0].cleanup[0].match[1]: expected a non-empty string, got null" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        match: [\"*.1\"]\n        older_than: 1 fortnight\n",
		  "t.yaml:6:21: disk[0].cleanup[0].older_than: expected a duration 0s..3650d such as 2s or 1500ms, got \"1 fortnight\"" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        match: [\"*.1\"]\n",
		  "t.yaml:4:9: disk[0].cleanup[0]: a cleanup rule needs older_than (such as 1d): the youngest a file may be to go" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: /var/log\n        older_than: 1d\n",
		  "t.yaml:4:9: disk[0].cleanup[0]: a cleanup rule needs match (a list of patterns such as [\"*.log.[0-9]*\"])" },
		{ "disk:\n  - path: /\n    cleanup:\n      - match: [x]\n        older_than: 1d\n",
		  "t.yaml:4:9: disk[0].cleanup[0]: a cleanup rule needs dir (the directory whose files it deletes)" },
		{ "disk:\n  - path: /\n    cleanup:\n      - dir: log\n",
		  "t.yaml:4:14: disk[0].cleanup[0].dir: expected an absolute path without \".\" or \"..\" components, got \"log\"" },
		{ "disk:\n  - path: /srv\n    cleanup:\n      - {dir: /srvx/log, match: [x], older_than: 1d}\n",
		  "t.yaml:4:15: disk[0].cleanup[0].dir: /srvx/log is not below path /srv: a cleanup never leaves the filesystem it relieves" },
		{ "disk:\n  - path: /\n    cleanup:\n      - {dir: /x, match: [x], older_than: 1d, age: 2}\n",
		  "t.yaml:4:47: unknown key \"age\" in disk[0].cleanup[0]" },
		{ "disk:\n  - path: /\n    horizon: -1s\n",
		  "t.yaml:3:14: disk[0].horizon: expected a duration 0s..30d such as 2s or 1500ms, got \"-1s\"" },
		{ "disk_settings:\n  interval: 100ms\n",
		  "t.yaml:2:13: disk_settings.interval: expected a duration 1s..3600s such as 2s or 1500ms, got \"100ms\"" },
		{ "disk: []\ndisk: []\n",
		  "t.yaml:2:1: duplicate key \"disk\" at top level" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_error(cases[i].yaml, cases[i].msg);
}

/* A file in a temp dir, loaded with config_load (the checks against this
 * machine); returns its result, err and the config. */
static int load_file(struct fixture *f, const char *yaml, struct og_config *cfg, char *err,
		     char *path, size_t size)
{
	snprintf(path, size, "%s/t.yaml", f->dir);
	fixture_file(f, "t.yaml", yaml);
	config_default(cfg);
	return config_load(path, cfg, err);
}

static void test_machine(void **state)
{
	struct fixture *f = fixture_new();
	struct fs_mounts m = { 0 };
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char yaml[16384], err[OG_ERR_SIZE], path[4200], want[16384];
	const char *mnt;
	struct og_config cfg;
	ssize_t h;

	assert_int_equal(fs_mounts_read(proc, &m), 0);
	if ((h = fs_mount_at(&m, "/")) < 0 || fs_mount_at(&m, "/proc") < 0) {
		fs_mounts_free(&m);
		fixture_free(f);
		skip();         /* an odd mount namespace */
	}
	/* not a mount point: the temp dir */
	h = fs_mount_holding(&m, f->dir);
	mnt = m.v[h].path;
	snprintf(yaml, sizeof(yaml), "# x\ndisk:\n  - path: %s\n", f->dir);
	assert_int_equal(load_file(f, yaml, &cfg, err, path, sizeof(path)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3:11: disk[0].path: %s is not a mount point (it is on the "
		 "filesystem mounted at %s)", path, f->dir, mnt);
	assert_string_equal(err, want);
	config_free(&cfg);

	/* a cleanup dir on another filesystem */
	snprintf(yaml, sizeof(yaml), "disk:\n  - path: /\n    cleanup:\n      - dir: /proc/sys\n"
		 "        match: [x]\n        older_than: 1d\n");
	assert_int_equal(load_file(f, yaml, &cfg, err, path, sizeof(path)), -EINVAL);
	h = fs_mount_holding(&m, "/proc/sys");  /* /proc, or a container's bind of it */
	snprintf(want, sizeof(want), "%s:4:14: disk[0].cleanup[0].dir: /proc/sys is on another "
		 "filesystem (%s mounted at %s) than path /", path, m.v[h].type, m.v[h].path);
	assert_string_equal(err, want);
	config_free(&cfg);

	/* one that does not exist: a warning; one behind a symlink: an error */
	fixture_dir(f, "real");
	fixture_symlink(f, "lnk", "real");
	snprintf(yaml, sizeof(yaml), "disk:\n  - path: %s\n    cleanup:\n"
		 "      - {dir: %s/nothing/here, match: [x], older_than: 1d}\n"
		 "      - {dir: %s/real, match: [x], older_than: 1d}\n", mnt, f->dir, f->dir);
	assert_int_equal(load_file(f, yaml, &cfg, err, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s:4:15: warning: disk[0].cleanup[0].dir: %s/nothing/here "
		 "does not exist on this machine: the rule waits for it", path, f->dir);
	assert_non_null(cfg.warnings);
	assert_string_equal(cfg.warnings, want);
	config_free(&cfg);
	snprintf(yaml, sizeof(yaml), "disk:\n  - path: %s\n    cleanup:\n"
		 "      - {dir: %s/lnk/sub, match: [x], older_than: 1d}\n", mnt, f->dir);
	assert_int_equal(load_file(f, yaml, &cfg, err, path, sizeof(path)), -EINVAL);
	snprintf(want, sizeof(want), "%s:4:15: disk[0].cleanup[0].dir: %s/lnk/sub has a symbolic "
		 "link on the way: a cleanup never follows one", path, f->dir);
	assert_string_equal(err, want);
	config_free(&cfg);

	/* a refused file leaves the config in force as it was */
	config_default(&cfg);
	assert_int_equal(load("disk: [{path: /}]\n", &cfg, err), 0);
	snprintf(yaml, sizeof(yaml), "disk:\n  - path: %s/real\n", f->dir);
	fixture_file(f, "t.yaml", yaml);
	assert_int_equal(config_load(path, &cfg, err), -EINVAL);
	assert_int_equal(cfg.n_disks, 1);
	assert_string_equal(cfg.disks[0].path, "/");
	config_free(&cfg);
	fs_mounts_free(&m);
	close(proc);
	fixture_free(f);
}

/* examples/oomguard.yaml carries the OVS rule: it loads on a machine
 * without Open vSwitch (a warning, not an error). */
static void test_example(void **state)
{
	const char *src = getenv("OG_SRCDIR");
	char path[PATH_MAX], err[OG_ERR_SIZE];
	struct og_config cfg;

	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/examples/oomguard.yaml", src);
	config_default(&cfg);
	if (config_load(path, &cfg, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_disks, 1);
	assert_string_equal(cfg.disks[0].path, "/");
	assert_string_equal(cfg.disks[0].cleanup[0].dir, "/var/log/openvswitch");
	assert_string_equal(cfg.disks[0].cleanup[0].match[0], "*.log.[0-9]*");
	if (access("/var/log/openvswitch", F_OK) != 0)
		assert_non_null(strstr(cfg.warnings, "/var/log/openvswitch does not exist on this machine"));
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_machine),
		cmocka_unit_test(test_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
