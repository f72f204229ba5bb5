// SPDX-License-Identifier: GPL-2.0-or-later
/* Rulesets (issue 17): oomd's JSON configuration read unchanged. Debian's
 * shipped /etc/oomd/oomd.json byte for byte, oomd's documented examples
 * (docs/configuration.md, docs/drop_in_configs.md, docs/core_plugins.md),
 * oomd's argument parsing (stoi prefixes, sizes in MB, booleans), and
 * hostile input refused with FILE:LINE:COL. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "fixture.h"
#include "guards/rulesets/engine.h"
#include "guards/rulesets/jsonpos.h"
#include "guards/rulesets/rules.h"
#include "guards/rulesets/sdoomd.h"

#define MiB (1024ull * 1024)

/* Debian 12's /etc/oomd/oomd.json (oomd 0.5.0-1.2, md5
 * 2569322929c8f1d18340a5f2d4f1fcc3), with its comments and TABs. */
static const char debian[] =
	"//\n"
	"// Basic configuration for a desktop linux machine\n"
	"//\n"
	"\n"
	"{\n"
	"    \"rulesets\": [\n"
	"      {\n"
	"            \"name\": \"system overview\",\n"
	"            \"silence-logs\": \"engine\",\n"
	"            \"detectors\": [\n"
	"                [\n"
	"                    \"records system stats\",\n"
	"                    {\n"
	"                        \"name\": \"dump_cgroup_overview\",\n"
	"                        \"args\": {\n"
	"                            \"cgroup\": \"system.slice\"\n"
	"                        }\n"
	"                    }\n"
	"                ]\n"
	"            ],\n"
	"            \"actions\": [\n"
	"                {\n"
	"                    \"name\": \"continue\",\n"
	"                    \"args\": {\n"
	"                    }\n"
	"                }\n"
	"            ]\n"
	"        },\n"
	"        {\n"
	"            \"name\": \"user session protection\",\n"
	"            \"detectors\": [\n"
	"                [\n"
	"                    \"user pressure above 60 for 30s\",\n"
	"                    {\n"
	"                        \"name\": \"pressure_above\",\n"
	"                        \"args\": {\n"
	"                            \"cgroup\": \"user.slice\",\n"
	"                            \"resource\": \"memory\",\n"
	"                            \"threshold\": \"60\",\n"
	"                            \"duration\": \"30\"\n"
	"                        }\n"
	"                    },\n"
	"                    {\n"
	"                        \"name\": \"memory_reclaim\",\n"
	"                        \"args\": {\n"
	"                            \"cgroup\": \"user.slice\",\n"
	"                            \"duration\": \"10\"\n"
	"                        }\n"
	"                    }\n"
	"                ],\n"
	"\t\t[\n"
	"                    \"system pressure above 80 for 60s\",\n"
	"                    {\n"
	"                        \"name\": \"pressure_above\",\n"
	"                        \"args\": {\n"
	"                            \"cgroup\": \"system.slice\",\n"
	"                            \"resource\": \"memory\",\n"
	"                            \"threshold\": \"80\",\n"
	"                            \"duration\": \"60\"\n"
	"                        }\n"
	"                    },\n"
	"                    {\n"
	"                        \"name\": \"memory_reclaim\",\n"
	"                        \"args\": {\n"
	"                            \"cgroup\": \"system.slice\",\n"
	"                            \"duration\": \"10\"\n"
	"                        }\n"
	"                    }\n"
	"                ]\n"
	"            ],\n"
	"            \"actions\": [\n"
	"                {\n"
	"                    \"name\": \"kill_by_memory_size_or_growth\",\n"
	"                    \"args\": {\n"
	"                        \"cgroup\": \"user.slice/user-*.slice/session-*.scope,user.slice/user-*.slice/user@*.service/*,system.slice/*\"\n"
	"                    }\n"
	"                }\n"
	"            ]\n"
	"        },\n"
	"        {\n"
	"            \"name\": \"protection against low swap\",\n"
	"            \"detectors\": [\n"
	"                [\n"
	"                    \"free swap goes below 10 percent\",\n"
	"                    {\n"
	"                        \"name\": \"swap_free\",\n"
	"                        \"args\": {\n"
	"                            \"threshold_pct\": \"10\"\n"
	"                        }\n"
	"                    }\n"
	"                ]\n"
	"            ],\n"
	"            \"actions\": [\n"
	"                {\n"
	"                    \"name\": \"kill_by_swap_usage\",\n"
	"                    \"args\": {\n"
	"                        \"cgroup\": \"user.slice/user-*.slice/session-*.scope,user.slice/user-*.slice/user@*.service/*,system.slice/*\"\n"
	"                    }\n"
	"                }\n"
	"            ]\n"
	"        }\n"
	"    ]\n"
	"}\n";

static const struct rs_val *arg(const struct rs_plugin *p, const char *name)
{
	int k = rs_arg_index(p->type, name);

	assert_true(k >= 0);
	return &p->val[k];
}

static void test_debian(void **state)
{
	struct rs_config c;
	char err[512];
	const struct rs_ruleset *r;
	const struct rs_plugin *p;

	assert_true(rs_is_oomd_json(debian, strlen(debian)));
	assert_int_equal(rs_parse_oomd("oomd.json", debian, strlen(debian), false, &c, err,
				       sizeof(err)), 0);
	assert_int_equal(c.n_rulesets, 3);
	r = &c.rulesets[0];
	assert_string_equal(r->name, "system overview");
	assert_true(r->silence_engine && !r->silence_plugins);
	assert_int_equal(r->n_groups, 1);
	assert_string_equal(r->groups[0].name, "records system stats");
	assert_string_equal(r->groups[0].det[0].type->name, "dump_cgroup_overview");
	assert_string_equal(arg(&r->groups[0].det[0], "cgroup")->s, "system.slice");
	assert_false(arg(&r->groups[0].det[0], "always")->i);
	assert_string_equal(r->actions[0].type->name, "continue");
	assert_int_equal(r->post_action_delay_s, 15);
	assert_int_equal(r->prekill_hook_timeout_s, 5);

	r = &c.rulesets[1];
	assert_string_equal(r->name, "user session protection");
	assert_int_equal(r->n_groups, 2);
	assert_string_equal(r->groups[1].name, "system pressure above 80 for 60s");
	p = &r->groups[1].det[0];
	assert_string_equal(p->type->name, "pressure_above");
	assert_int_equal(arg(p, "threshold")->i, 80);
	assert_int_equal(arg(p, "duration")->i, 60);
	assert_int_equal(arg(p, "resource")->i, 0);             /* memory */
	assert_string_equal(r->groups[1].det[1].type->name, "memory_reclaim");
	assert_int_equal(r->groups[0].det[1].line, 43);         /* where it is written */
	p = &r->actions[0];
	assert_string_equal(p->type->name, "kill_by_memory_size_or_growth");
	assert_string_equal(arg(p, "cgroup")->s, "user.slice/user-*.slice/session-*.scope,"
			    "user.slice/user-*.slice/user@*.service/*,system.slice/*");
	assert_int_equal(arg(p, "size_threshold")->i, 50);      /* the defaults */
	assert_int_equal(arg(p, "growing_size_percentile")->i, 80);
	assert_false(arg(p, "min_growth_ratio")->set);          /* 1.25 then */
	assert_false(arg(p, "recursive")->i || arg(p, "dry")->i);

	r = &c.rulesets[2];
	assert_string_equal(r->groups[0].det[0].type->name, "swap_free");
	assert_int_equal(arg(&r->groups[0].det[0], "threshold_pct")->i, 10);
	assert_string_equal(r->actions[0].type->name, "kill_by_swap_usage");
	assert_false(arg(&r->actions[0], "threshold")->set);    /* 1 byte then */
	rs_config_free(&c);
}

/* What oomd's reader does with values: numbers and booleans as strings,
 * std::stoi prefixes, min_growth_ratio an integer, sizes. */
static void test_values(void **state)
{
	static const char cfg[] =
		"{\"rulesets\": [{\"name\": 7, \"post_action_delay\": \"10s\",\n"
		"  \"prekill_hook_timeout\": 2, \"silence-logs\": \"engine, plugins\",\n"
		"  \"drop-in\": {\"detectors\": true, \"actions\": 1, \"disable-on-drop-in\": null},\n"
		"  \"detectors\": [[\"g\", {\"name\": \"pressure_above\", \"args\": {\"cgroup\": \"a\",\n"
		"     \"resource\": \"io\", \"threshold\": 60.7, \"duration\": \"30s\"}},\n"
		"     {\"name\": \"memory_above\", \"args\": {\"cgroup\": \"/\", \"threshold_anon\": \"1.5G\",\n"
		"      \"duration\": 0}},],],\n"
		"  \"actions\": [{\"name\": \"kill_by_memory_size_or_growth\", \"args\": {\"cgroup\": \"x/*\",\n"
		"     \"min_growth_ratio\": \"1.25\", \"dry\": true, \"recursive\": \"True\",\n"
		"     \"post_action_delay\": 0}},\n"
		"     {\"name\": \"stop\", \"args\": {\"anything\": [1, 2]}}]}]} trailing text";
	struct rs_config c;
	char err[512];
	const struct rs_ruleset *r;
	const struct rs_plugin *p;

	assert_int_equal(rs_parse_oomd("t.json", cfg, strlen(cfg), false, &c, err, sizeof(err)), 0);
	r = &c.rulesets[0];
	assert_string_equal(r->name, "7");
	assert_int_equal(r->post_action_delay_s, 10);
	assert_int_equal(r->prekill_hook_timeout_s, 2);
	assert_true(r->silence_engine && r->silence_plugins);
	assert_true(r->dropin_detectors && r->dropin_actions && !r->disable_on_dropin);
	p = &r->groups[0].det[0];
	assert_int_equal(arg(p, "resource")->i, 1);             /* io */
	assert_int_equal(arg(p, "threshold")->i, 60);           /* stoi("60.700000000000003") */
	assert_int_equal(arg(p, "duration")->i, 30);
	p = &r->groups[0].det[1];
	assert_string_equal(arg(p, "threshold_anon")->s, "1.5G");
	p = &r->actions[0];
	assert_int_equal(arg(p, "min_growth_ratio")->i, 1);     /* oomd parses it as an int */
	assert_true(arg(p, "dry")->i && arg(p, "recursive")->i);
	assert_true(arg(p, "post_action_delay")->set && arg(p, "post_action_delay")->i == 0);
	assert_string_equal(r->actions[1].type->name, "stop");  /* its args never parsed */
	rs_config_free(&c);
}

static void test_sizes(void **state)
{
	uint64_t v;

	assert_int_equal(rs_size_or_percent("10%", 1000 * MiB, &v), 0);
	assert_true(v == 100 * MiB);
	assert_int_equal(rs_size_or_percent("10.5%", 1000, &v), 0);     /* stoi: 10 */
	assert_true(v == 100);
	assert_int_equal(rs_size_or_percent("100", 0, &v), 0);          /* a bare number: MB */
	assert_true(v == 100 * MiB);
	assert_int_equal(rs_size_or_percent(" 64", 0, &v), 0);
	assert_true(v == 64 * MiB);
	assert_int_equal(rs_size_or_percent("1.5G", 0, &v), 0);
	assert_true(v == 1610612736);
	assert_int_equal(rs_size_or_percent("1G 128M", 0, &v), 0);
	assert_true(v == 1207959552);
	assert_int_equal(rs_size_or_percent("4K 2048", 0, &v), 0);
	assert_true(v == 6144);
	assert_int_equal(rs_size_or_percent("1.5M 32K 512", 0, &v), 0);
	assert_true(v == 1572864 + 32768 + 512);
	assert_int_equal(rs_size_or_percent("1.5", 0, &v), 0);          /* oomd: 1 byte */
	assert_true(v == 1);
	assert_int_equal(rs_size_or_percent("101%", 100, &v), -EINVAL);
	assert_int_equal(rs_size_or_percent("-5", 0, &v), -EINVAL);
	assert_int_equal(rs_size_or_percent("200MB", 0, &v), -EINVAL);  /* b is no unit */
	assert_int_equal(rs_size_or_percent("", 0, &v), -EINVAL);
	assert_int_equal(rs_size_or_percent("%", 0, &v), -EINVAL);
	assert_int_equal(rs_size_or_percent("G", 0, &v), -EINVAL);
}

/* Each refusal says where: FILE:LINE:COL, and oomd's words for it. */
static void test_errors(void **state)
{
	static const struct { const char *json, *want; } t[] = {
		{ "{\"rulesets\": [\n  {\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"nope\"}]],"
		  " \"actions\": [{\"name\": \"stop\"}]}]}",
		  "x.json:2:46: Could not locate plugin=nope in the plugin registry" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\",\n"
		  "  {\"name\": \"swap_free\", \"args\": {\"threshold_pct\": 5, \"cgroup\": \"a\"}}]],"
		  " \"actions\": [{\"name\": \"stop\"}]}]}",
		  "x.json:2:64: Unknown arg \"cgroup\" in plugin \"swap_free\"" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\",\n"
		  "  {\"name\": \"pressure_above\", \"args\": {\"cgroup\": \"a\", \"resource\": \"memory\","
		  " \"threshold\": 5}}]], \"actions\": [{\"name\": \"stop\"}]}]}",
		  "x.json:2:3: Required arg \"duration\" missing in plugin \"pressure_above\"" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"exists\", "
		  "\"args\": {\"cgroup\": \"a\", \"negate\": \"yes\"}}]], \"actions\": [{\"name\": \"stop\"}]}]}",
		  "x.json:1:102: Failed to parse argument \"negate\" of plugin \"exists\": \"yes\" is not" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"memory_above\", "
		  "\"args\": {\"cgroup\": \"a\", \"duration\": 1}}]], \"actions\": [{\"name\": \"stop\"}]}]}",
		  "Required arg \"threshold\" missing in plugin \"memory_above\" (or \"threshold_anon\")" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"exists\", "
		  "\"args\": {\"cgroup\": {\"a\": 1}}}]], \"actions\": [{\"name\": \"stop\"}]}]}",
		  "an object is not a string, number or boolean" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"name\": \"stop\"}]],"
		  " \"actions\": [{\"name\": \"stop\"}]}]}", "DetectorGroup is missing name" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\"]],"
		  " \"actions\": [{\"name\": \"stop\"}]}]}", "DetectorGroup is missing Detectors" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"stop\"}]]}]}",
		  "Ruleset \"r\" is missing DetectorGroups or missing Actions" },
		{ "{\"rulesets\": [{\"detectors\": [], \"actions\": []}]}", "x.json:1:15: Ruleset is missing name" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"stop\"}]],"
		  " \"actions\": [{\"name\": \"stop\"}], \"drop-in\": {\"actions\": \"true\"}}]}",
		  "drop-in actions must be true or false, got a string" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"stop\"}]],"
		  " \"actions\": [{\"name\": \"stop\"}], \"post_action_delay\": \"soon\"}]}",
		  "post_action_delay must be a number of seconds" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"stop\"}]],"
		  " \"actions\": [{\"name\": \"stop\"}], \"post_action_delay\": -1}]}",
		  "post_action_delay must be a number of seconds" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"stop\"}]],"
		  " \"actions\": [{\"name\": \"stop\"}], \"silence-logs\": \"engine,kernel\"}]}",
		  "Unrecognized log source=kernel" },
		{ "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"stop\"}]],"
		  " \"actions\": [{\"name\": \"kill_by_memory_size_or_growth\", \"args\": {\"cgroup\": \"a\","
		  " \"growing_size_percentile\": 100}}]}]}", "growing_size_percentile must be under 100" },
		{ "{\"prekill_hooks\": [{\"name\": \"dummy_prekill_hook\"}]}",
		  "Required arg \"cgroup\" missing in plugin \"dummy_prekill_hook\"" },
		{ "{\"prekill_hooks\": [{\"name\": \"kill_by_pressure\", \"args\": {\"cgroup\": \"/\"}}]}",
		  "Could not locate prekill hook=kill_by_pressure" },
		{ "// a comment\n{\"rulesets\": [\n  {\"name\": \"r\",, }]}", "x.json:3:16: not JSON:" },
		{ "{\"rulesets\": [", "x.json:1:15: not JSON: the text ends inside a value" },
		{ "[1, 2]", "x.json:1:1: an oomd config is a JSON object" },
		{ "{\"rulesets\": {}}", "x.json:1:14: rulesets must be an array, got an object" },
	};
	struct rs_config c;
	char err[512];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = rs_parse_oomd("x.json", t[i].json, strlen(t[i].json), false, &c, err,
				      sizeof(err));

		if (r != -EINVAL || !strstr(err, t[i].want))
			fail_msg("case %zu: %d '%s', wanted '%s'", i, r, err, t[i].want);
		assert_int_equal(c.n_rulesets, 0);
	}
}

/* A drop-in may leave out detectors or actions (docs/drop_in_configs.md). */
static void test_dropin(void **state)
{
	static const char d[] =
		"{\"rulesets\":[{\"name\":\"user session protection\",\"detectors\":[[ \"system "
		"pressure above 80 for 60s\",{\"name\":\"dump_cgroup_overview\",\"args\":{\"cgroup\":"
		"\"system.slice\",\"always\":true}} ]]}]}";
	struct rs_config c;
	char err[512];

	assert_int_equal(rs_parse_oomd("d", d, strlen(d), true, &c, err, sizeof(err)), 0);
	assert_int_equal(c.rulesets[0].n_actions, 0);
	assert_true(arg(&c.rulesets[0].groups[0].det[0], "always")->i);
	rs_config_free(&c);
	assert_int_equal(rs_parse_oomd("d", d, strlen(d), false, &c, err, sizeof(err)), -EINVAL);
}

/* Which files are oomd's: content, not the name. */
static void test_sniff(void **state)
{
	static const char *const no[] = {
		"memory: {enabled: true}\n", "{\"memory\": {\"enabled\": true}}",
		"{memory: {enabled: true}}", "", "// only a comment\n", "/* open", "{\"rulesets\": [",
	};

	assert_true(rs_is_oomd_json("/* c */ {\"prekill_hooks\": []}", 29));
	assert_true(rs_is_oomd_json(" {\"rulesets\": []}", 17));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(rs_is_oomd_json(no[i], strlen(no[i])));
}

static void test_jpos(void **state)
{
	static const char j[] = "// c\n{\"a\": [1, /* x */ {\"b\": \"]\\\"\"},\n\t{\"b\": 2, \"b\": 3}]}";
	const struct jpos_step path[] = { { .key = "a" }, { .index = 2 }, { .key = "b" } };
	int line, col;

	jpos_find(j, strlen(j), path, 3, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 16);              /* the last "b", as json-c keeps it */
	jpos_find(j, strlen(j), path, 2, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 2);
	const struct jpos_step missing[] = { { .key = "a" }, { .index = 9 } };
	jpos_find(j, strlen(j), missing, 2, &line, &col);       /* the deepest that exists */
	assert_int_equal(line, 2);
	assert_int_equal(col, 7);
}

/* The registry is oomd 0.5's `oomd --list-plugins`, all 17. */
static void test_registry(void **state)
{
	static const char *const names[] = {
		"systemd_restart", "kill_by_pressure", "kill_by_swap_usage", "continue", "exists",
		"stop", "kill_by_pg_scan", "dump_cgroup_overview", "nr_dying_descendants",
		"memory_above", "pressure_rising_beyond", "pressure_above", "memory_reclaim", "senpai",
		"kill_by_memory_size_or_growth", "swap_free", "kill_by_io_cost",
	};

	assert_int_equal(rs_n_plugin_types, 17);
	for (size_t i = 0; i < 17; i++)
		assert_non_null(rs_plugin_type_find(names[i]));
	assert_null(rs_plugin_type_find("kernel_panic"));       /* oomd HEAD only */
	assert_non_null(rs_hook_type_find("dummy_prekill_hook"));
}

/* ---- the engine on fixture trees --------------------------------------- */

struct rig {
	struct fixture *f;
	struct rs_config c;
	struct rs_engine e;
	struct rs_env env;
	char root[4200];
	char killed[8][RS_PATH_MAX];
	size_t n_killed;
	int answer;                     /* what kill() says: 1, 0, -1 */
};

static int rig_kill(void *u, const struct rs_kill *k)
{
	struct rig *r = u;

	if (r->answer > 0 && r->n_killed < 8)
		snprintf(r->killed[r->n_killed++], RS_PATH_MAX, "%s%s", k->cgroup, k->dry ? " (dry)" : "");
	return r->answer;
}

static void rig_say(void *u, bool engine, bool silenced, const char *fmt, ...)
{
}

static void cgfile(struct rig *r, const char *cg, const char *file, const char *content)
{
	char p[512];

	snprintf(p, sizeof(p), "cg/%s%s%s", cg, *cg ? "/" : "", file);
	fixture_file(r->f, p, content);
}

static void psi_file(struct rig *r, const char *cg, double full10)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "some avg10=%.2f avg60=0.00 avg300=0.00 total=1\n"
		 "full avg10=%.2f avg60=%.2f avg300=0.00 total=1\n", full10, full10, full10);
	cgfile(r, cg, "memory.pressure", buf);
}

static void mem(struct rig *r, const char *cg, unsigned mib)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)mib * MiB);
	cgfile(r, cg, "memory.current", buf);
	cgfile(r, cg, "cgroup.events", "populated 1\nfrozen 0\n");
}

static void rig_up(struct rig *r, const char *json)
{
	char err[512];

	memset(r, 0, sizeof(*r));
	r->f = fixture_new();
	fixture_file(r->f, "proc/meminfo", "MemTotal: 4194304 kB\nMemFree: 1048576 kB\n"
		     "MemAvailable: 2097152 kB\nSwapTotal: 1024000 kB\nSwapFree: 51200 kB\n");
	fixture_file(r->f, "proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		     "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	fixture_dir(r->f, "cg");
	snprintf(r->root, sizeof(r->root), "%s/cg", r->f->dir);
	if (rs_parse_oomd("t", json, strlen(json), false, &r->c, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(rs_engine_init(&r->e, r->c.rulesets, r->c.n_rulesets), 0);
	r->env = (struct rs_env){ .cg_fd = fixture_open_dir(r->f, "cg"), .cg_root = r->root,
				  .proc_fd = fixture_open_dir(r->f, "proc"), .now_ms = 1000000,
				  .kill = rig_kill, .say = rig_say, .u = r };
	r->answer = 1;
}

static void rig_tick(struct rig *r, uint64_t advance_ms)
{
	r->env.now_ms += advance_ms;
	rs_engine_tick(&r->e, &r->env);
}

static void rig_down(struct rig *r)
{
	close(r->env.cg_fd);
	close(r->env.proc_fd);
	rs_engine_free(&r->e);
	rs_config_free(&r->c);
	fixture_free(r->f);
}

/* pressure_above over 2 s, then kill_by_memory_size_or_growth: the size
 * phase picks the cgroup with >= 50 % of its peers' use; the ruleset then
 * pauses for post_action_delay (15 s) while its detectors keep running. */
static void test_engine_pressure_kill(void **state)
{
	struct rig r;

	rig_up(&r, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\","
	       "{\"name\": \"pressure_above\", \"args\": {\"cgroup\": \"w\", \"resource\": \"memory\","
	       " \"threshold\": 60, \"duration\": 2}}]],"
	       "\"actions\": [{\"name\": \"kill_by_memory_size_or_growth\", \"args\": {\"cgroup\": \"w/*\"}}]}]}");
	mem(&r, "w", 450);
	mem(&r, "w/a", 100);
	mem(&r, "w/b", 300);
	mem(&r, "w/c", 50);
	psi_file(&r, "w", 70);
	rig_tick(&r, 0);                        /* over 60 now: held 0 s */
	rig_tick(&r, 1000);                     /* 1 s */
	assert_int_equal(r.n_killed, 0);
	rig_tick(&r, 1000);                     /* 2 s: fires */
	assert_int_equal(r.n_killed, 1);
	assert_string_equal(r.killed[0], "w/b");
	rig_tick(&r, 1000);                     /* paused */
	/* a rebuild (a drop-in came or went) keeps the same ruleset's pause */
	assert_int_equal(rs_engine_rebuild(&r.e, r.c.rulesets, r.c.n_rulesets), 0);
	rig_tick(&r, 13000);
	assert_int_equal(r.n_killed, 1);
	rig_tick(&r, 1000);                     /* 15 s after the kill */
	assert_int_equal(r.n_killed, 2);
	/* the pressure falls: the timer starts again */
	psi_file(&r, "w", 10);
	rig_tick(&r, 16000);
	psi_file(&r, "w", 70);
	rig_tick(&r, 1000);
	rig_tick(&r, 1000);
	assert_int_equal(r.n_killed, 2);
	rig_tick(&r, 1000);
	assert_int_equal(r.n_killed, 3);
	rig_down(&r);
}

/* swap_free under 10 % and kill_by_swap_usage: the most swap first; an
 * unpopulated cgroup and one under the threshold are not candidates; the
 * plugin's dry kills nothing; nothing killable keeps the chain going
 * (CONTINUE, no pause). */
static void test_engine_swap(void **state)
{
	struct rig r;

	rig_up(&r, "{\"rulesets\": [{\"name\": \"s\", \"detectors\": [[\"g\", {\"name\": \"swap_free\","
	       " \"args\": {\"threshold_pct\": 10}}]], \"actions\": [{\"name\": \"kill_by_swap_usage\","
	       " \"args\": {\"cgroup\": \"w/*\", \"threshold\": \"20\", \"dry\": true}},"
	       " {\"name\": \"stop\"}]}]}");
	mem(&r, "w/a", 10);
	cgfile(&r, "w/a", "memory.swap.current", "104857600\n");      /* 100M */
	mem(&r, "w/b", 10);
	cgfile(&r, "w/b", "memory.swap.current", "209715200\n");      /* 200M, but empty */
	cgfile(&r, "w/b", "cgroup.events", "populated 0\n");
	mem(&r, "w/c", 10);
	cgfile(&r, "w/c", "memory.swap.current", "10485760\n");       /* 10M < 20 MB */
	rig_tick(&r, 0);
	assert_int_equal(r.n_killed, 1);
	assert_string_equal(r.killed[0], "w/a (dry)");
	rs_engine_free(&r.e);
	rs_engine_init(&r.e, r.c.rulesets, r.c.n_rulesets);
	r.answer = 0;                           /* nothing killable: stop runs, pauses */
	rig_tick(&r, 0);
	assert_true(r.e.rs[0].pause_until_ms > r.env.now_ms);
	/* swap above 10 % free: nothing */
	rs_engine_free(&r.e);
	rs_engine_init(&r.e, r.c.rulesets, r.c.n_rulesets);
	r.answer = 1;
	r.n_killed = 0;
	fixture_file(r.f, "proc/meminfo", "MemTotal: 4194304 kB\nMemFree: 1048576 kB\n"
		     "MemAvailable: 2097152 kB\nSwapTotal: 1024000 kB\nSwapFree: 512000 kB\n");
	rig_tick(&r, 0);
	assert_int_equal(r.n_killed, 0);
	rig_down(&r);
}

/* Debian's ruleset 2: pressure AND recent reclaim; recursive kills go
 * down to children; kill_by_pg_scan takes two ticks (ASYNC between). */
static void test_engine_reclaim_recursive_pgscan(void **state)
{
	struct rig r;

	rig_up(&r, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\","
	       "{\"name\": \"pressure_above\", \"args\": {\"cgroup\": \"w\", \"resource\": \"memory\","
	       " \"threshold\": 60, \"duration\": 0}},"
	       "{\"name\": \"memory_reclaim\", \"args\": {\"cgroup\": \"w\", \"duration\": 10}}]],"
	       "\"actions\": [{\"name\": \"kill_by_pg_scan\", \"args\": {\"cgroup\": \"w\", \"recursive\": true}}]}]}");
	mem(&r, "w", 300);
	mem(&r, "w/a", 100);
	mem(&r, "w/b", 200);
	cgfile(&r, "w", "memory.stat", "anon 1\npgscan 0\n");
	cgfile(&r, "w/a", "memory.stat", "anon 1\npgscan 0\n");
	cgfile(&r, "w/b", "memory.stat", "anon 1\npgscan 0\n");
	psi_file(&r, "w", 90);
	rig_tick(&r, 0);                        /* no reclaim seen yet */
	assert_int_equal(r.n_killed, 0);
	cgfile(&r, "w", "memory.stat", "anon 1\npgscan 500\n");
	cgfile(&r, "w/a", "memory.stat", "anon 1\npgscan 400\n");
	cgfile(&r, "w/b", "memory.stat", "anon 1\npgscan 100\n");
	rig_tick(&r, 1000);                     /* reclaim: fires; pg_scan collects (ASYNC) */
	assert_int_equal(r.n_killed, 0);
	assert_int_equal(r.e.rs[0].resume, 0);
	rig_tick(&r, 1000);                     /* the second tick: a scanned the most */
	assert_int_equal(r.n_killed, 1);
	assert_string_equal(r.killed[0], "w/a");
	rig_down(&r);
}

/* oomd's kill preference: trusted.oomd_prefer first, trusted.oomd_avoid
 * last, whatever the size. */
static void test_engine_preference(void **state)
{
	struct rig r;
	char p[4400];

	rig_up(&r, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[\"g\", {\"name\": \"exists\","
	       " \"args\": {\"cgroup\": \"w\"}}]], \"actions\": [{\"name\": \"kill_by_memory_size_or_growth\","
	       " \"args\": {\"cgroup\": \"w/*\", \"post_action_delay\": 0}}]}]}");
	mem(&r, "w/big", 300);
	mem(&r, "w/small", 10);
	snprintf(p, sizeof(p), "%s/w/small", r.root);
	if (setxattr(p, "trusted.oomd_prefer", "", 0, 0) < 0) {
		rig_down(&r);
		skip();         /* no trusted xattrs here (not root, or the fs lacks them) */
	}
	snprintf(p, sizeof(p), "%s/w/big", r.root);
	assert_int_equal(setxattr(p, "trusted.oomd_avoid", "", 0, 0), 0);
	rig_tick(&r, 0);
	assert_string_equal(r.killed[0], "w/small");
	removexattr(p, "trusted.oomd_avoid");
	snprintf(p, sizeof(p), "%s/w/small", r.root);
	removexattr(p, "trusted.oomd_prefer");
	rig_tick(&r, 1000);                     /* post_action_delay 0: no pause */
	assert_string_equal(r.killed[1], "w/big");
	rig_down(&r);
}

/* oomd's drop-ins: a copy of the base per drop-in ruleset naming it, the
 * newest first, its detectors or actions replaced; the base after them
 * unless disable-on-drop-in; refused where the base does not allow it. */
static void test_dropin_views(void **state)
{
	static const char base_json[] =
		"{\"rulesets\": ["
		"{\"name\": \"A\", \"drop-in\": {\"detectors\": true, \"actions\": true,"
		" \"disable-on-drop-in\": true}, \"post_action_delay\": 7,"
		" \"detectors\": [[\"a\", {\"name\": \"stop\"}]], \"actions\": [{\"name\": \"continue\"}]},"
		"{\"name\": \"B\", \"detectors\": [[\"b\", {\"name\": \"stop\"}]],"
		" \"actions\": [{\"name\": \"continue\"}]}]}";
	static const char d1_json[] = "{\"rulesets\": [{\"name\": \"A\", \"detectors\": [[\"d1\","
		" {\"name\": \"continue\"}]]}]}";
	static const char d2_json[] = "{\"rulesets\": [{\"name\": \"A\", \"actions\": [{\"name\": \"stop\"}]}]}";
	static const char bad_json[] = "{\"rulesets\": [{\"name\": \"B\", \"actions\": [{\"name\": \"stop\"}]}]}";
	static const char none_json[] = "{\"rulesets\": [{\"name\": \"C\", \"actions\": [{\"name\": \"stop\"}]}]}";
	struct rs_config base;
	struct rs_dropin d[2];
	struct rs_config bad;
	struct rs_ruleset *v;
	size_t n;
	char err[512];

	assert_int_equal(rs_parse_oomd("b", base_json, strlen(base_json), false, &base, err, sizeof(err)), 0);
	memset(d, 0, sizeof(d));
	assert_int_equal(rs_parse_oomd("d2", d2_json, strlen(d2_json), true, &d[0].c, err, sizeof(err)), 0);
	assert_int_equal(rs_parse_oomd("d1", d1_json, strlen(d1_json), true, &d[1].c, err, sizeof(err)), 0);
	assert_int_equal(rs_dropin_check(&base, &d[0].c, "d2", err, sizeof(err)), 0);
	assert_int_equal(rs_dropin_check(&base, &d[1].c, "d1", err, sizeof(err)), 0);
	assert_int_equal(rs_views(&base, d, 2, &v, &n), 0);
	assert_int_equal(n, 3);                 /* A+d2, A+d1 (A itself disabled), B */
	assert_string_equal(v[0].name, "A");
	assert_string_equal(v[0].actions[0].type->name, "stop");       /* d2's actions */
	assert_string_equal(v[0].groups[0].name, "a");                  /* the base's detectors */
	assert_int_equal(v[0].post_action_delay_s, 7);                  /* the base's fields */
	assert_string_equal(v[1].groups[0].name, "d1");
	assert_string_equal(v[1].actions[0].type->name, "continue");
	assert_string_equal(v[2].name, "B");
	free(v);
	assert_int_equal(rs_views(&base, d, 0, &v, &n), 0);              /* no drop-in: the base */
	assert_int_equal(n, 2);
	free(v);
	assert_int_equal(rs_parse_oomd("x", bad_json, strlen(bad_json), true, &bad, err, sizeof(err)), 0);
	assert_int_equal(rs_dropin_check(&base, &bad, "x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "Action drop-in configs disabled"));
	rs_config_free(&bad);
	assert_int_equal(rs_parse_oomd("y", none_json, strlen(none_json), true, &bad, err, sizeof(err)), 0);
	assert_int_equal(rs_dropin_check(&base, &bad, "y", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "Could not locate targeted ruleset=C"));
	rs_config_free(&bad);
	rs_config_free(&d[0].c);
	rs_config_free(&d[1].c);
	rs_config_free(&base);
}

/* systemd-oomd's settings as rulesets: oomd.conf's [OOM] defaults, a
 * unit's ManagedOOMMemoryPressureLimit (UINT32_MAX is 100 %), the swap
 * ruleset over every ManagedOOMSwap=kill unit. */
static void test_sdoomd(void **state)
{
	struct sd_oomd_conf conf;
	struct sd_oom_unit u[3] = {
		{ .unit = "a.service", .cgroup = "/system.slice/a.service", .pressure_kill = true,
		  .limit = UINT32_MAX / 100 * 40 + 50 },
		{ .unit = "b.slice", .cgroup = "/b.slice", .pressure_kill = true, .swap_kill = true },
		{ .unit = "c.scope", .cgroup = "/user.slice/c.scope", .swap_kill = true },
	};
	struct rs_config c;
	const struct rs_plugin *p;
	char err[512];

	rs_sdoomd_conf_default(&conf);
	assert_int_equal(conf.swap_used_limit, 90);
	assert_int_equal(rs_sdoomd_conf_parse("# comment\n[Other]\nSwapUsedLimit=10%\n[OOM]\n"
					      "SwapUsedLimit=80%\nDefaultMemoryPressureLimit=500\u2030\n"
					      "DefaultMemoryPressureDurationSec=5s\n", &conf), 0);
	assert_int_equal(conf.swap_used_limit, 80);
	assert_int_equal(conf.pressure_limit, 50);
	assert_int_equal(conf.duration_s, 5);
	assert_int_equal(rs_sdoomd_rulesets(u, 3, &conf, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_rulesets, 3);
	assert_string_equal(c.rulesets[0].name, "systemd-oomd: a.service ManagedOOMMemoryPressure=kill");
	p = &c.rulesets[0].groups[0].det[0];
	assert_string_equal(p->type->name, "pressure_above");
	assert_string_equal(arg(p, "cgroup")->s, "system.slice/a.service");
	assert_int_equal(arg(p, "threshold")->i, 40);
	assert_int_equal(arg(p, "duration")->i, 5);
	assert_string_equal(c.rulesets[0].groups[0].det[1].type->name, "memory_reclaim");
	assert_string_equal(c.rulesets[0].actions[0].type->name, "kill_by_pg_scan");
	assert_true(arg(&c.rulesets[0].actions[0], "recursive")->i);
	assert_int_equal(arg(&c.rulesets[1].groups[0].det[0], "threshold")->i, 50);   /* the default */
	assert_string_equal(c.rulesets[2].name, "systemd-oomd: ManagedOOMSwap=kill");
	assert_int_equal(arg(&c.rulesets[2].groups[0].det[0], "threshold_pct")->i, 20);
	assert_string_equal(arg(&c.rulesets[2].groups[0].det[1], "threshold")->s, "80%");
	assert_string_equal(arg(&c.rulesets[2].actions[0], "cgroup")->s, "b.slice,user.slice/c.scope");
	assert_string_equal(arg(&c.rulesets[2].actions[0], "threshold")->s, "5%");
	rs_config_free(&c);
	assert_int_equal(rs_sdoomd_rulesets(u, 0, &conf, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_rulesets, 0);
}

/* Rulesets in oomguard's own YAML: oomd's structure and names, read by
 * the same reader, errors at the YAML's lines and columns. */
static void test_yaml(void **state)
{
	static const char yaml[] =
		"memory: {enabled: true}\n"
		"rulesets:\n"
		"  - name: web pressure\n"
		"    post_action_delay: 10\n"
		"    drop-in: {detectors: true}\n"
		"    detectors:\n"
		"      - - web above 40 for 2s\n"
		"        - name: pressure_above\n"
		"          args: {cgroup: system.slice/web.service, resource: memory, threshold: 40,\n"
		"                 duration: 2}\n"
		"    actions:\n"
		"      - name: kill_by_memory_size_or_growth\n"
		"        args: {cgroup: \"system.slice/web.service/*\", dry: true}\n";
	struct og_config cfg;
	char err[OG_ERR_SIZE], bad[sizeof(yaml) + 16], *p;

	config_default(&cfg);
	if (config_load_buffer("r.yaml", yaml, strlen(yaml), &cfg, err) < 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.rulesets.n_rulesets, 1);
	assert_string_equal(cfg.rulesets.rulesets[0].name, "web pressure");
	assert_int_equal(cfg.rulesets.rulesets[0].post_action_delay_s, 10);
	assert_true(cfg.rulesets.rulesets[0].dropin_detectors);
	assert_int_equal(arg(&cfg.rulesets.rulesets[0].groups[0].det[0], "threshold")->i, 40);
	assert_true(arg(&cfg.rulesets.rulesets[0].actions[0], "dry")->i);
	assert_int_equal(cfg.rulesets.rulesets[0].groups[0].det[0].line, 8);
	/* an unknown argument: where it is in the YAML */
	snprintf(bad, sizeof(bad), "%s", yaml);
	p = strstr(bad, "threshold: 40");
	memcpy(p, "treshold:  40", 13);
	assert_int_equal(config_load_buffer("r.yaml", bad, strlen(bad), &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "r.yaml:9:81: Unknown arg \"treshold\" in plugin \"pressure_above\""));
	assert_int_equal(cfg.rulesets.n_rulesets, 1);   /* the config in force stays */
	assert_int_equal(config_load_buffer("r.yaml", "rulesets: {a: 1}\n", 16, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "r.yaml:1:11: rulesets must be a list"));
	config_free(&cfg);
}

/* senpai's default mode: memory.high starts at the cgroup's use, probes
 * down by max_probe after `interval` quiet ticks, backs off when the some
 * stall passes pressure_ms; never under limit_min_bytes; dry-run writes
 * nothing. */
static uint64_t high_of(struct rig *r)
{
	char buf[64];

	assert_true(read_file_at(r->env.cg_fd, "w/memory.high", buf, sizeof(buf)) > 0);
	return strncmp(buf, "max", 3) ? strtoull(buf, NULL, 10) : UINT64_MAX;
}

static void test_engine_senpai(void **state)
{
	struct rig r;
	uint64_t h;

	rig_up(&r, "{\"rulesets\": [{\"name\": \"s\", \"detectors\": [[\"always\", {\"name\": \"senpai\","
	       " \"args\": {\"cgroup\": \"w\", \"interval\": 2}}]], \"actions\": [{\"name\": \"continue\"}]}]}");
	mem(&r, "w", 500);
	cgfile(&r, "w", "memory.high", "max\n");
	cgfile(&r, "w", "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000\n"
	       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	rig_tick(&r, 0);                        /* the start: its use, no move yet */
	assert_true(high_of(&r) == UINT64_MAX);
	rig_tick(&r, 1000);                     /* a quiet interval (2 ticks): probe 1 % down */
	h = high_of(&r);
	assert_true(h == ((uint64_t)(500 * MiB * 0.99) & ~4095ull));
	cgfile(&r, "w", "memory.pressure", "some avg10=5.00 avg60=0.00 avg300=0.00 total=51000\n"
	       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	rig_tick(&r, 1000);                     /* 50 ms of stall >= 10 ms: back off */
	assert_true(high_of(&r) == ((uint64_t)((double)h * (1 + 0.0625)) & ~4095ull));
	rig_down(&r);

	/* never under limit_min_bytes (100M); in dry-run nothing is written */
	rig_up(&r, "{\"rulesets\": [{\"name\": \"s\", \"detectors\": [[\"always\", {\"name\": \"senpai\","
	       " \"args\": {\"cgroup\": \"w\", \"interval\": 1}}]], \"actions\": [{\"name\": \"continue\"}]}]}");
	mem(&r, "w", 100);
	cgfile(&r, "w", "memory.high", "max\n");
	cgfile(&r, "w", "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	rig_tick(&r, 0);
	assert_true(high_of(&r) == 100 * MiB);
	r.env.dry_run = true;
	cgfile(&r, "w", "memory.high", "max\n");
	rs_engine_free(&r.e);
	rs_engine_init(&r.e, r.c.rulesets, r.c.n_rulesets);
	rig_tick(&r, 0);
	rig_tick(&r, 1000);
	assert_true(high_of(&r) == UINT64_MAX);
	rig_down(&r);
}

/* A one-group ruleset of det (a detector's JSON) and act (an action's):
 * how many kills after ticks ticks, a second apart. */
static size_t fired(struct rig *r, int ticks)
{
	size_t n0 = r->n_killed;

	for (int i = 0; i < ticks; i++)
		rig_tick(r, i ? 1000 : 0);
	return r->n_killed - n0;
}

#define RULESET(det, act) "{\"rulesets\": [{\"name\": \"t\", \"detectors\": [[\"g\", " det "]]," \
	" \"actions\": [" act "]}]}"
#define KILL_W "{\"name\": \"kill_by_memory_size_or_growth\", \"args\": {\"cgroup\": \"w/*\"," \
	" \"post_action_delay\": 0}}"

/* The detectors not covered above, each on its own fixture. */
static void test_engine_detectors(void **state)
{
	struct rig r;

	/* pressure_rising_beyond: avg60 over the threshold for the duration,
	 * avg10 over it, and not falling fast; oomd's first look counts a
	 * last avg10 of 100, so under 85 it is "falling" then */
	rig_up(&r, RULESET("{\"name\": \"pressure_rising_beyond\", \"args\": {\"cgroup\": \"w\","
			   " \"resource\": \"memory\", \"threshold\": 30, \"duration\": 1}}", KILL_W));
	mem(&r, "w/a", 10);
	psi_file(&r, "w", 50);                  /* avg10 = avg60 = 50 */
	assert_int_equal(fired(&r, 1), 0);      /* 50 < 100 * 0.85: falling fast */
	assert_int_equal(fired(&r, 1), 0);      /* held 0 s of 1 */
	rig_tick(&r, 1000);
	assert_int_equal(r.n_killed, 1);        /* held 1 s, steady */
	psi_file(&r, "w", 20);                  /* under the threshold: the timer stops */
	rig_tick(&r, 1000);
	assert_int_equal(r.n_killed, 1);
	rig_down(&r);

	/* memory_above: the largest resolved cgroup's memory.current over the
	 * threshold (a bare number: MB); threshold_anon reads memory.stat anon */
	rig_up(&r, RULESET("{\"name\": \"memory_above\", \"args\": {\"cgroup\": \"w/*\","
			   " \"threshold\": \"250\", \"duration\": 0}}", KILL_W));
	mem(&r, "w/a", 200);
	assert_int_equal(fired(&r, 1), 0);
	mem(&r, "w/b", 300);
	assert_int_equal(fired(&r, 1), 1);
	rig_down(&r);
	rig_up(&r, RULESET("{\"name\": \"memory_above\", \"args\": {\"cgroup\": \"w/a\","
			   " \"threshold_anon\": \"10%\", \"duration\": 0}}", KILL_W));   /* of 4 GiB */
	mem(&r, "w/a", 900);
	cgfile(&r, "w/a", "memory.stat", "anon 104857600\nfile 0\n");          /* 100M */
	assert_int_equal(fired(&r, 1), 0);
	cgfile(&r, "w/a", "memory.stat", "anon 524288000\nfile 0\n");          /* 500M > 409.6M */
	assert_int_equal(fired(&r, 1), 1);
	rig_down(&r);

	/* nr_dying_descendants: any cgroup with at most (lte) or more than count */
	rig_up(&r, RULESET("{\"name\": \"nr_dying_descendants\", \"args\": {\"cgroup\": \"w\","
			   " \"count\": 5, \"lte\": false}}", KILL_W));
	mem(&r, "w/a", 10);
	cgfile(&r, "w", "cgroup.stat", "nr_descendants 1\nnr_dying_descendants 5\n");
	assert_int_equal(fired(&r, 1), 0);
	cgfile(&r, "w", "cgroup.stat", "nr_descendants 1\nnr_dying_descendants 6\n");
	assert_int_equal(fired(&r, 1), 1);
	rig_down(&r);
}

/* The kill plugins not covered above: kill_by_pressure ranks by the full
 * line's int(avg10/2 + avg60/2); kill_by_io_cost by io.stat's bytes over
 * the last tick. */
static void test_engine_kill_rankings(void **state)
{
	struct rig r;

	rig_up(&r, RULESET("{\"name\": \"exists\", \"args\": {\"cgroup\": \"w\"}}",
			   "{\"name\": \"kill_by_pressure\", \"args\": {\"cgroup\": \"w/*\","
			   " \"resource\": \"memory\"}}"));
	mem(&r, "w/a", 500);
	mem(&r, "w/b", 10);
	psi_file(&r, "w/a", 10);
	psi_file(&r, "w/b", 40);
	rig_tick(&r, 0);
	assert_string_equal(r.killed[0], "w/b");       /* the most pressure, not the largest */
	rig_down(&r);

	rig_up(&r, RULESET("{\"name\": \"exists\", \"args\": {\"cgroup\": \"w\"}}",
			   "{\"name\": \"kill_by_io_cost\", \"args\": {\"cgroup\": \"w/*\"}}"));
	mem(&r, "w/a", 500);
	mem(&r, "w/b", 10);
	cgfile(&r, "w/a", "io.stat", "8:0 rbytes=1000 wbytes=1000 rios=1 wios=1 dbytes=0 dios=0\n");
	cgfile(&r, "w/b", "io.stat", "8:0 rbytes=1000 wbytes=1000 rios=1 wios=1 dbytes=0 dios=0\n");
	r.answer = 0;                           /* the first tick: no rate yet, nobody killed */
	rig_tick(&r, 0);
	r.answer = 1;
	cgfile(&r, "w/a", "io.stat", "8:0 rbytes=2000 wbytes=1000 rios=2 wios=1 dbytes=0 dios=0\n");
	cgfile(&r, "w/b", "io.stat", "8:0 rbytes=1000 wbytes=90000000 rios=1 wios=9 dbytes=0 dios=0\n"
	       "8:16 rbytes=5 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
	rig_tick(&r, 1000);
	assert_string_equal(r.killed[0], "w/b");       /* wrote 90 MB in the last tick */
	rig_down(&r);
}

static void test_resolve(void **state)
{
	struct fixture *f = fixture_new();
	char root[4200], out[8][RS_PATH_MAX];
	size_t n;

	fixture_dir(f, "cg/user.slice/user-1000.slice/session-2.scope");
	fixture_dir(f, "cg/user.slice/user-1000.slice/user@1000.service/app.slice");
	fixture_dir(f, "cg/system.slice/a.service");
	fixture_file(f, "cg/system.slice/memory.current", "1\n");     /* a file: not a cgroup */
	snprintf(root, sizeof(root), "%s/cg", f->dir);
	n = rs_resolve(root, "user.slice/user-*.slice/session-*.scope,user.slice/user-*.slice/"
		       "user@*.service/*,system.slice/*", out, 8);
	assert_int_equal(n, 3);
	n = rs_resolve(root, "/,//system.slice/,system.slice,../etc,nothing/*", out, 8);
	assert_int_equal(n, 2);                 /* the root once, system.slice once; no .. */
	assert_string_equal(out[0], "");
	assert_string_equal(out[1], "system.slice");
	/* globs that match "." and "..": aliases, or a way out: none */
	assert_int_equal(rs_resolve(root, ".*,system.slice/.*,system.slice/.[.]", out, 8), 0);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dropin),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_jpos),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_engine_detectors),
		cmocka_unit_test(test_engine_kill_rankings),
		cmocka_unit_test(test_engine_senpai),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_sdoomd),
		cmocka_unit_test(test_dropin_views),
		cmocka_unit_test(test_engine_pressure_kill),
		cmocka_unit_test(test_engine_swap),
		cmocka_unit_test(test_engine_reclaim_recursive_pgscan),
		cmocka_unit_test(test_engine_preference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
