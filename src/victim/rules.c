/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "victim/rules.h"

#define USERCACHE_SIZE 256

static struct {
	uid_t uid;
	char name[33];
} usercache[USERCACHE_SIZE];
static size_t usercache_n;

void usercache_set(uid_t uid, const char *name)
{
	for (size_t i = 0; i < usercache_n; i++)
		if (usercache[i].uid == uid) {
			snprintf(usercache[i].name, sizeof(usercache[i].name), "%s", name);
			return;
		}
	if (usercache_n == USERCACHE_SIZE)
		return;
	usercache[usercache_n].uid = uid;
	snprintf(usercache[usercache_n].name, sizeof(usercache[0].name), "%s", name);
	usercache_n++;
}

void usercache_load_for(const struct og_config *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].user) {
			usercache_load();
			return;
		}
	usercache_n = 0;
}

const char *usercache_name(uid_t uid)
{
	for (size_t i = 0; i < usercache_n; i++)
		if (usercache[i].uid == uid)
			return usercache[i].name;
	return NULL;
}

void usercache_load(void)
{
	struct passwd *pw;

	usercache_n = 0;
	setpwent();
	while ((pw = getpwent()) && usercache_n < USERCACHE_SIZE)
		usercache_set(pw->pw_uid, pw->pw_name);
	endpwent();
}

/* Does `re` match the field s of p (bit: its PROC_UNREAD_*)? 1 match, 0 no
 * match, -1 unreadable. An empty field that was read (a process that
 * cleared its argv: anyone can) matches nothing: emptiness must not make
 * a protect rule undecidable, which would protect the process. */
static int rx_match(const regex_t *re, const struct proc_info *p, const char *s, unsigned bit)
{
	if (!s || (p->unreadable & bit))
		return -1;
	if (!*s)
		return 0;
	return regexec(re, s, 0, NULL, 0) == 0;
}

static int match_user(const struct og_rule *r, uid_t uid)
{
	char num[16];
	const char *name = usercache_name(uid);

	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	if (regexec(&r->user_re, num, 0, NULL, 0) == 0)
		return 1;
	return name && regexec(&r->user_re, name, 0, NULL, 0) == 0;
}

/* 1 match, 0 no match, -1 a needed field was unreadable. */
static int rule_matches(const struct og_rule *r, int proc_fd, struct proc_list *l,
			struct proc_info *p)
{
	int m;

	if (r->root_only && p->uid != 0)
		return 0;
	if (r->comm && regexec(&r->comm_re, p->comm, 0, NULL, 0) != 0)
		return 0;
	if (r->user && !match_user(r, p->uid))
		return 0;
	if (r->cmdline) {
		if (!p->cmdline)
			proc_load_cmdline(proc_fd, l, p);
		if ((m = rx_match(&r->cmdline_re, p, p->cmdline, PROC_UNREAD_CMDLINE)) <= 0)
			return m;
	}
	if (r->exe) {
		if (!p->exe)
			proc_load_exe(proc_fd, l, p);
		if ((m = rx_match(&r->exe_re, p, p->exe, PROC_UNREAD_EXE)) <= 0)
			return m;
	}
	if (r->cgroup) {
		if (!p->cgroup)
			proc_load_cgroup(proc_fd, l, p);
		if ((m = rx_match(&r->cgroup_re, p, p->cgroup, PROC_UNREAD_CGROUP)) <= 0)
			return m;
	}
	return 1;
}

void rules_eval(const struct og_config *cfg, int proc_fd, struct proc_list *l,
		struct proc_info *p, struct rule_verdict *ret)
{
	struct rule_verdict v = {0};

	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct og_rule *r = &cfg->rules[i];
		int m = rule_matches(r, proc_fd, l, p);

		if (m < 0 && r->action == RULE_PROTECT)
			v.undecidable = true;
		if (m <= 0)
			continue;
		if (!v.line)
			v.line = r->line;
		switch (r->action) {
		case RULE_PROTECT:
			v.protect = true;
			break;
		case RULE_PREFER:
			v.adjust += r->adjust;
			break;
		case RULE_AVOID:
			v.adjust -= r->adjust;
			break;
		}
		if (r->has_value && !v.has_value) {
			v.has_value = true;
			v.value = r->value;
		}
	}
	*ret = v;
}
