// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: oomd JSON configs (rulesets, issue 17) as a base config
 * and as a drop-in, the content sniff, the position finder on every path
 * the parser may name, and oomd's size-or-percent syntax. The oracle: no
 * crash or leak, an error always says NAME:LINE:COL, and what parses keeps
 * its promises (every plugin typed, every required arg set, names and
 * groups non-empty, a base ruleset with detectors and actions). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "guards/rulesets/jsonpos.h"
#include "guards/rulesets/rules.h"
#include "fuzz.h"

static void check_plugin(const struct rs_plugin *p)
{
	if (!p->type)
		abort();
	for (size_t i = 0; i < p->type->n_args; i++)
		if (p->type->args[i].required && !p->val[i].set)
			abort();
}

static void parse(const char *s, size_t n, bool dropin)
{
	struct rs_config c;
	char err[512];
	int r = rs_parse_oomd("f", s, n, dropin, &c, err, sizeof(err));

	if (r < 0) {
		int line, col;

		if (c.n_rulesets || c.n_hooks || r == -ENOMEM)
			abort();
		if (r == -EINVAL && sscanf(err, "f:%d:%d: ", &line, &col) != 2)
			abort();
		return;
	}
	for (size_t i = 0; i < c.n_rulesets; i++) {
		const struct rs_ruleset *rs = &c.rulesets[i];

		if (!rs->name || !*rs->name || (!dropin && (!rs->n_groups || !rs->n_actions)))
			abort();
		for (size_t g = 0; g < rs->n_groups; g++) {
			if (!rs->groups[g].name || !*rs->groups[g].name || !rs->groups[g].n_det)
				abort();
			for (size_t k = 0; k < rs->groups[g].n_det; k++)
				check_plugin(&rs->groups[g].det[k]);
		}
		for (size_t k = 0; k < rs->n_actions; k++)
			check_plugin(&rs->actions[k]);
	}
	for (size_t k = 0; k < c.n_hooks; k++)
		check_plugin(&c.hooks[k]);
	rs_config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	static const struct jpos_step path[] = {
		{ .key = "rulesets" }, { .index = 0 }, { .key = "detectors" }, { .index = 0 },
		{ .index = 1 }, { .key = "args" }, { .key = "cgroup" },
	};
	uint64_t v;
	int line, col;

	if (!s)
		return 0;
	rs_is_oomd_json(s, size);
	parse(s, size, false);
	parse(s, size, true);
	jpos_find(s, size, path, sizeof(path) / sizeof(path[0]), &line, &col);
	if (line < 1 || col < 1)
		abort();
	if (size < 128)
		rs_size_or_percent(s, 1ull << 40, &v);
	free(s);
	return 0;
}
