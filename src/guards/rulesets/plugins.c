/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomd 0.5's core plugins: their arguments, as oomd's PluginArgParser
 * takes them (names, which are required, defaults, how values parse).
 * What each one does is in docs/rulesets.md. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "guards/rulesets/rules.h"

#define A(n, t, r, d) { n, t, r, d }
#define KILL_ARGS \
	A("cgroup", RS_CGROUPS, true, NULL), A("recursive", RS_BOOL, false, "false"), \
	A("post_action_delay", RS_UINT, false, NULL), A("dry", RS_BOOL, false, "false"), \
	A("always_continue", RS_BOOL, false, "false"), A("debug", RS_BOOL, false, "false")

static const struct rs_arg_spec pressure_above[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("resource", RS_RESOURCE, true, NULL),
	A("threshold", RS_INT, true, NULL), A("duration", RS_INT, true, NULL),
};
static const struct rs_arg_spec pressure_rising_beyond[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("resource", RS_RESOURCE, true, NULL),
	A("threshold", RS_INT, true, NULL), A("duration", RS_INT, true, NULL),
	A("fast_fall_ratio", RS_DOUBLE, false, "0.85"),
};
static const struct rs_arg_spec memory_above[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("threshold", RS_SIZE_PCT, false, NULL),
	A("threshold_anon", RS_SIZE_PCT, false, NULL), A("duration", RS_INT, true, NULL),
	A("debug", RS_BOOL, false, "false"), A("meminfo_location", RS_PATH, false, "/proc/meminfo"),
};
static const struct rs_arg_spec memory_reclaim[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("duration", RS_INT, true, NULL),
};
static const struct rs_arg_spec swap_free[] = {
	A("threshold_pct", RS_INT, true, NULL),
};
static const struct rs_arg_spec exists[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("negate", RS_BOOL, false, "false"),
	A("debug", RS_BOOL, false, "false"),
};
static const struct rs_arg_spec nr_dying_descendants[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("count", RS_UINT, true, NULL),
	A("lte", RS_BOOL, false, "true"), A("debug", RS_BOOL, false, "false"),
};
static const struct rs_arg_spec dump_cgroup_overview[] = {
	A("cgroup", RS_CGROUPS, true, NULL), A("always", RS_BOOL, false, "false"),
};
/* min_growth_ratio is parsed as an integer by oomd ("1.25" gives 1);
 * unset, it is 1.25 */
static const struct rs_arg_spec kill_by_memory_size_or_growth[] = {
	KILL_ARGS, A("size_threshold", RS_UINT, false, "50"),
	A("growing_size_percentile", RS_UINT, false, "80"),
	A("min_growth_ratio", RS_UINT, false, NULL),
};
static const struct rs_arg_spec kill_by_swap_usage[] = {
	KILL_ARGS, A("threshold", RS_SIZE_PCT, false, NULL),
	A("meminfo_location", RS_PATH, false, "/proc/meminfo"),
};
static const struct rs_arg_spec kill_by_pressure[] = {
	KILL_ARGS, A("resource", RS_RESOURCE, true, NULL),
};
static const struct rs_arg_spec kill_only[] = { KILL_ARGS };
static const struct rs_arg_spec systemd_restart[] = {
	A("service", RS_STRING, true, NULL), A("post_action_delay", RS_UINT, false, "15"),
	A("dry", RS_BOOL, false, "false"),
};
static const struct rs_arg_spec senpai[] = {
	A("cgroup", RS_CGROUPS, true, NULL),
	A("limit_min_bytes", RS_INT64, false, "104857600"),
	A("limit_max_bytes", RS_INT64, false, "10737418240"),
	A("interval", RS_INT64, false, "6"), A("pressure_ms", RS_MS, false, "10"),
	A("pressure_pct", RS_DOUBLE, false, "0.1"), A("io_pressure_pct", RS_DOUBLE, false, "0.1"),
	A("max_probe", RS_DOUBLE, false, "0.01"), A("max_backoff", RS_DOUBLE, false, "1.0"),
	A("coeff_probe", RS_DOUBLE, false, "10"), A("coeff_backoff", RS_DOUBLE, false, "20"),
	A("immediate_backoff", RS_BOOL, false, "false"),
	A("memory_high_timeout_ms", RS_MS, false, "0"), A("swap_threshold", RS_DOUBLE, false, "0.8"),
	A("swapout_bps_threshold", RS_INT64, false, "1048576"),
	A("swap_validation", RS_BOOL, false, "false"),
	A("modulate_swappiness", RS_BOOL, false, "false"), A("log_interval", RS_INT64, false, "60"),
};
static const struct rs_arg_spec dummy_prekill_hook[] = {
	A("cgroup", RS_CGROUPS, true, NULL),
};

#define T(n, a) { #n, a, ARRAY_SIZE(a), false, { NULL, NULL } }
const struct rs_plugin_type rs_plugin_types[] = {
	T(pressure_above, pressure_above),
	T(pressure_rising_beyond, pressure_rising_beyond),
	{ "memory_above", memory_above, ARRAY_SIZE(memory_above), false,
	  { "threshold", "threshold_anon" } },
	T(memory_reclaim, memory_reclaim),
	T(swap_free, swap_free),
	T(exists, exists),
	T(nr_dying_descendants, nr_dying_descendants),
	T(dump_cgroup_overview, dump_cgroup_overview),
	T(kill_by_memory_size_or_growth, kill_by_memory_size_or_growth),
	T(kill_by_swap_usage, kill_by_swap_usage),
	T(kill_by_pressure, kill_by_pressure),
	{ "kill_by_io_cost", kill_only, ARRAY_SIZE(kill_only), false, { NULL, NULL } },
	{ "kill_by_pg_scan", kill_only, ARRAY_SIZE(kill_only), false, { NULL, NULL } },
	T(systemd_restart, systemd_restart),
	T(senpai, senpai),
	{ "continue", NULL, 0, true, { NULL, NULL } },
	{ "stop", NULL, 0, true, { NULL, NULL } },
};
const size_t rs_n_plugin_types = ARRAY_SIZE(rs_plugin_types);

static const struct rs_plugin_type hook_types[] = {
	T(dummy_prekill_hook, dummy_prekill_hook),
};

const struct rs_plugin_type *rs_plugin_type_find(const char *name)
{
	for (size_t i = 0; i < rs_n_plugin_types; i++)
		if (!strcmp(rs_plugin_types[i].name, name))
			return &rs_plugin_types[i];
	return NULL;
}

const struct rs_plugin_type *rs_hook_type_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hook_types); i++)
		if (!strcmp(hook_types[i].name, name))
			return &hook_types[i];
	return NULL;
}

int rs_arg_index(const struct rs_plugin_type *t, const char *name)
{
	for (size_t i = 0; i < t->n_args; i++)
		if (!strcmp(t->args[i].name, name))
			return (int)i;
	return -1;
}

/* std::stoi / stoll / stoull: leading blanks, a sign (unsigned: none),
 * digits; what follows is ignored, as oomd ignores it ("30s" is 30). */
static int leading_int(const char *s, bool sign, int64_t lo, int64_t hi, int64_t *ret)
{
	const char *p = s;
	char *end;
	long long v;

	while (isspace((unsigned char)*p))
		p++;
	if (!sign && (*p == '-' || *p == '+'))
		return -EINVAL;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (end == p || !isdigit((unsigned char)end[-1]))
		return -EINVAL;
	if (errno == ERANGE || v < lo || v > hi)
		return -ERANGE;
	*ret = v;
	return 0;
}

int rs_size_or_percent(const char *text, uint64_t total, uint64_t *ret)
{
	size_t n = strlen(text);
	double sum = 0;
	char buf[128], *p, *q;
	int64_t v;

	if (!n)
		return -EINVAL;
	if (text[n - 1] == '%') {               /* std::stoi of what is before it */
		if (leading_int(text, true, INT_MIN, INT_MAX, &v) < 0 || v < 0 || v > 100)
			return -EINVAL;
		*ret = (uint64_t)((unsigned __int128)total * (uint64_t)v / 100);
		return 0;
	}
	/* the whole string an integer: megabytes (oomd's backward compatibility) */
	{
		const char *s = text;
		char *end;
		long long m;

		while (isspace((unsigned char)*s))
			s++;
		errno = 0;
		m = strtoll(s, &end, 10);
		if (end != s && !*end && isdigit((unsigned char)end[-1])) {
			if (errno == ERANGE || m < 0 || m > (long long)(UINT64_MAX >> 20))
				return -EINVAL;
			*ret = (uint64_t)m << 20;
			return 0;
		}
	}
	/* "1.5G 128M 4K 512": lower-cased, blanks removed, a sum; no unit is bytes */
	for (p = buf, q = (char *)text; *q && p < buf + sizeof(buf) - 1; q++)
		if (!isspace((unsigned char)*q))
			*p++ = (char)tolower((unsigned char)*q);
	*p = '\0';
	if (*q || !*buf)
		return -EINVAL;
	p = buf;
	if (*p == '+')
		p++;
	while (*p) {
		char *end;
		double x = strtod(p, &end);
		double unit = 1;

		if (end == p || !(x >= 0) || (!isdigit((unsigned char)*p) && *p != '.'))
			return -EINVAL;
		p = end;
		switch (*p) {
		case 'k': unit = 1024.0; p++; break;
		case 'm': unit = 1024.0 * 1024; p++; break;
		case 'g': unit = 1024.0 * 1024 * 1024; p++; break;
		case 't': unit = 1024.0 * 1024 * 1024 * 1024; p++; break;
		}
		sum += x * unit;
	}
	if (!(sum < 18446744073709549568.0))
		return -EINVAL;
	*ret = (uint64_t)sum;
	return 0;
}

int rs_parse_value(enum rs_type type, const char *text, struct rs_val *ret, char *why,
		   size_t size)
{
	struct rs_val v = { .set = true, .s = text };
	uint64_t x;
	char *end;
	int r = 0;

	switch (type) {
	case RS_INT:
		r = leading_int(text, true, INT_MIN, INT_MAX, &v.i);
		break;
	case RS_UINT:
		if ((r = leading_int(text, true, INT_MIN, INT_MAX, &v.i)) == 0 && v.i < 0)
			r = -ERANGE;
		break;
	case RS_INT64:
	case RS_MS:
		r = leading_int(text, false, 0, INT64_MAX, &v.i);
		break;
	case RS_DOUBLE:
		errno = 0;
		v.d = strtod(text, &end);
		if (end == text || errno == ERANGE || !isfinite(v.d))
			r = -EINVAL;
		break;
	case RS_BOOL:
		if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "1"))
			v.i = 1;
		else if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "0"))
			v.i = 0;
		else
			r = -EINVAL;
		break;
	case RS_RESOURCE:
		if (!strcmp(text, "memory"))
			v.i = 0;
		else if (!strcmp(text, "io"))
			v.i = 1;
		else
			r = -EINVAL;
		break;
	case RS_SIZE_PCT:
		r = rs_size_or_percent(text, 1ull << 40, &x);
		break;
	case RS_CGROUPS:
		break;
	case RS_STRING:
	case RS_PATH:
		if (!*text)
			r = -EINVAL;
		break;
	}
	if (r < 0) {
		static const char *const want[] = {
			[RS_INT] = "an integer", [RS_UINT] = "a non-negative integer",
			[RS_INT64] = "a non-negative integer", [RS_DOUBLE] = "a number",
			[RS_BOOL] = "true, True, 1, false, False or 0",
			[RS_RESOURCE] = "io or memory",
			[RS_SIZE_PCT] = "a size (N% of the total, a number of MB, or 1.5G 128M 4K 512)",
			[RS_MS] = "milliseconds", [RS_STRING] = "a non-empty string",
			[RS_PATH] = "a file", [RS_CGROUPS] = "cgroups",
		};
		snprintf(why, size, "\"%.100s\" is not %s%s", text, want[type],
			 r == -ERANGE ? " (out of range)" : "");
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static void plugin_line(const struct rs_plugin *p, FILE *f)
{
	fprintf(f, "%s(", p->type->name);
	for (size_t i = 0; i < p->n_args; i++)
		fprintf(f, "%s%s=%s", i ? ", " : "", p->args[i].key, p->args[i].value);
	fputc(')', f);
}

void rs_config_describe(const struct rs_config *c, void *file)
{
	FILE *f = file;

	for (size_t i = 0; i < c->n_rulesets; i++) {
		const struct rs_ruleset *r = &c->rulesets[i];

		fprintf(f, "ruleset \"%s\" (line %d): post_action_delay %us, prekill_hook_timeout %us"
			"%s%s\n", r->name, r->line, r->post_action_delay_s, r->prekill_hook_timeout_s,
			r->silence_engine ? ", engine logs silenced" : "",
			r->silence_plugins ? ", plugin logs silenced" : "");
		for (size_t g = 0; g < r->n_groups; g++) {
			fprintf(f, "  %s \"%s\": ", g ? "or" : "when", r->groups[g].name);
			for (size_t k = 0; k < r->groups[g].n_det; k++) {
				fputs(k ? " and " : "", f);
				plugin_line(&r->groups[g].det[k], f);
			}
			fputc('\n', f);
		}
		for (size_t k = 0; k < r->n_actions; k++) {
			fputs(k ? "  then " : "  do ", f);
			plugin_line(&r->actions[k], f);
			fputc('\n', f);
		}
	}
	for (size_t k = 0; k < c->n_hooks; k++) {
		fputs("prekill hook ", f);
		plugin_line(&c->hooks[k], f);
		fputc('\n', f);
	}
}
