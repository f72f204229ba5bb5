/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd-oomd's settings as oomd rulesets (issue 17): units that say
 * ManagedOOMMemoryPressure=kill or ManagedOOMSwap=kill (read from PID 1
 * over D-Bus, sdbus.c), with /etc/systemd/oomd.conf's defaults, become
 * rulesets the engine runs like any oomd config's. What maps and what does
 * not is in docs/rulesets.md. The rulesets are written as oomd JSON (json-c)
 * and read by parse.c: one reader, one set of checks. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "guards/rulesets/sdoomd.h"

void rs_sdoomd_conf_default(struct sd_oomd_conf *c)
{
	*c = (struct sd_oomd_conf){ .swap_used_limit = 90, .pressure_limit = 60, .duration_s = 30 };
}

/* "90%" (also permille and permyriad, as systemd's parse_permyriad) */
static int percent(const char *v, unsigned *ret)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v || x < 0)
		return -EINVAL;
	if (!strncmp(end, "%", 1))
		;
	else if (!strncmp(end, "\u2030", 3))
		x /= 10;
	else if (!strncmp(end, "\u2031", 3))
		x /= 100;
	else
		return -EINVAL;
	if (x > 100)
		return -EINVAL;
	*ret = (unsigned)(x + 0.5);
	return 0;
}

int rs_sdoomd_conf_parse(const char *text, struct sd_oomd_conf *c)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	bool oom = false;

	if (!copy)
		return -ENOMEM;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq, *k, *v;
		uint64_t ms;

		l += strspn(l, " \t");
		if (*l == '#' || *l == ';' || !*l)
			continue;
		if (*l == '[') {
			oom = !strncmp(l, "[OOM]", 5);
			continue;
		}
		if (!oom || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		k = l;
		v = eq + 1;
		k[strcspn(k, " \t")] = '\0';
		v += strspn(v, " \t");
		v[strcspn(v, " \t\r")] = '\0';
		if (!strcmp(k, "SwapUsedLimit"))
			percent(v, &c->swap_used_limit);
		else if (!strcmp(k, "DefaultMemoryPressureLimit"))
			percent(v, &c->pressure_limit);
		else if (!strcmp(k, "DefaultMemoryPressureDurationSec") &&
			 (parse_duration_ms(v, &ms) == 0 || (parse_u64(v, &ms) == 0 && (ms *= 1000, 1))))
			c->duration_s = ms >= 1000 ? (unsigned)(ms / 1000) : 30;  /* 0: the default */
	}
	free(copy);
	return 0;
}

static json_object *plugin(const char *name, const char *const *kv)
{
	json_object *p = json_object_new_object(), *a = json_object_new_object();

	json_object_object_add(p, "name", json_object_new_string(name));
	for (; kv && kv[0]; kv += 2)
		json_object_object_add(a, kv[0], json_object_new_string(kv[1]));
	json_object_object_add(p, "args", a);
	return p;
}

int rs_sdoomd_rulesets(const struct sd_oom_unit *u, size_t n, const struct sd_oomd_conf *conf,
		       struct rs_config *out, char *err, size_t size)
{
	json_object *root = json_object_new_object(), *rs = json_object_new_array();
	char swap_list[8192] = "", num[32], num2[32], dur[32];
	size_t len = 0;
	int r;

	json_object_object_add(root, "rulesets", rs);
	for (size_t i = 0; i < n; i++) {
		const char *cg = u[i].cgroup + strspn(u[i].cgroup, "/");
		/* systemd's UINT32_SCALE_TO_PERCENT: rounded */
		unsigned limit = u[i].limit ? (unsigned)(((uint64_t)u[i].limit * 100 +
							  UINT32_MAX / 2) / UINT32_MAX) :
				 conf->pressure_limit;
		char name[400], group[160];

		/* a path the cgroup lists cannot name (they split at ',', glob the
		 * rest): left out, and said */
		if (strpbrk(cg, ",*?[\\{")) {
			snprintf(err, size, "%s: its cgroup %s has characters a cgroup list cannot "
				 "hold; left out", u[i].unit, u[i].cgroup);
			continue;
		}
		if (u[i].swap_kill && len + strlen(cg) + 2 < sizeof(swap_list))
			len += (size_t)snprintf(swap_list + len, sizeof(swap_list) - len, "%s%s",
						len ? "," : "", *cg ? cg : "/");
		if (!u[i].pressure_kill)
			continue;
		json_object *r1 = json_object_new_object(), *groups = json_object_new_array(),
			    *g = json_object_new_array(), *acts = json_object_new_array();

		snprintf(name, sizeof(name), "systemd-oomd: %s ManagedOOMMemoryPressure=kill",
			 u[i].unit);
		snprintf(group, sizeof(group), "memory pressure over %u%% for %us, with reclaim",
			 limit, conf->duration_s);
		snprintf(num, sizeof(num), "%u", limit);
		snprintf(dur, sizeof(dur), "%u", conf->duration_s);
		json_object_object_add(r1, "name", json_object_new_string(name));
		json_object_array_add(g, json_object_new_string(group));
		json_object_array_add(g, plugin("pressure_above", (const char *const[]){
			"cgroup", *cg ? cg : "/", "resource", "memory", "threshold", num,
			"duration", dur, NULL }));
		/* systemd-oomd: pgscan rose in the last 30 s (RECLAIM_DURATION_USEC) */
		json_object_array_add(g, plugin("memory_reclaim", (const char *const[]){
			"cgroup", *cg ? cg : "/", "duration", "30", NULL }));
		json_object_array_add(groups, g);
		json_object_object_add(r1, "detectors", groups);
		/* its leaves (or oom groups), by pgscan rate; 15 s after a kill */
		json_object_array_add(acts, plugin("kill_by_pg_scan", (const char *const[]){
			"cgroup", *cg ? cg : "/", "recursive", "true", "post_action_delay", "15",
			NULL }));
		json_object_object_add(r1, "actions", acts);
		json_object_array_add(rs, r1);
	}
	if (len) {
		json_object *r2 = json_object_new_object(), *groups = json_object_new_array(),
			    *g = json_object_new_array(), *acts = json_object_new_array();

		snprintf(num, sizeof(num), "%u", 100 - conf->swap_used_limit);
		snprintf(num2, sizeof(num2), "%u%%", conf->swap_used_limit);
		json_object_object_add(r2, "name",
				       json_object_new_string("systemd-oomd: ManagedOOMSwap=kill"));
		snprintf(dur, sizeof(dur), "swap and memory over %u%% used", conf->swap_used_limit);
		json_object_array_add(g, json_object_new_string(dur));
		json_object_array_add(g, plugin("swap_free", (const char *const[]){
			"threshold_pct", num, NULL }));
		json_object_array_add(g, plugin("memory_above", (const char *const[]){
			"cgroup", "/", "threshold", num2, "duration", "0", NULL }));
		json_object_array_add(groups, g);
		json_object_object_add(r2, "detectors", groups);
		/* candidates with over 5 % of the swap (THRESHOLD_SWAP_USED_PERCENT) */
		json_object_array_add(acts, plugin("kill_by_swap_usage", (const char *const[]){
			"cgroup", swap_list, "recursive", "true", "threshold", "5%", NULL }));
		json_object_object_add(r2, "actions", acts);
		json_object_array_add(rs, r2);
	}
	{
		const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
		char perr[512];

		if (!text) {
			json_object_put(root);
			return -ENOMEM;
		}
		r = rs_parse_oomd("systemd-oomd settings", text, strlen(text), false, out, perr,
				  sizeof(perr));
		if (r < 0)
			snprintf(err, size, "%s", perr);
	}
	json_object_put(root);
	return r;
}
