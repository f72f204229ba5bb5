/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/shield/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "observe/proc.h"

#define USER_NAME_MAX 32

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int shield_user_check(const char *s, char *err, size_t errsize)
{
	size_t l = strlen(s);

	if (all_digits(s)) {
		uint64_t v;

		if (parse_u64(s, &v) < 0 || v >= UINT32_MAX) {
			snprintf(err, errsize, "uid \"%.20s\" out of range 0..4294967294", s);
			return -EINVAL;
		}
		return 0;
	}
	if (!l || l > USER_NAME_MAX)
		goto bad;
	for (size_t i = 0; i < l; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
			  (i > 0 && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-')) ||
			  (i > 0 && i == l - 1 && ch == '$');

		if (!ok)
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errsize, "expected a user name or a uid, got \"%.40s\"", s);
	return -EINVAL;
}

int shield_user_resolve(const char *s, uid_t *ret)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int r;

	if (all_digits(s)) {
		uint64_t v;

		if (parse_u64(s, &v) < 0 || v >= UINT32_MAX)
			return -EINVAL;
		*ret = (uid_t)v;
		return 0;
	}
	r = getpwnam_r(s, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (!res)
		return -ENOENT;
	*ret = res->pw_uid;
	return 0;
}

size_t shield_trust_init(struct shield_trust *t, const struct og_config *cfg, size_t *ret_first)
{
	size_t unknown = 0;

	memset(t, 0, sizeof(*t));
	t->units = cfg->cg_trust_units;
	for (size_t i = 0; i < cfg->n_managed_users && i < OG_MAX_USERS; i++) {
		uid_t u;

		if (shield_user_resolve(cfg->cg_managed_users[i], &u) < 0) {
			if (!unknown++ && ret_first)
				*ret_first = i;
			continue;
		}
		t->uid[t->n++] = u;
	}
	return unknown;
}

enum shield_trust_why shield_trust_uid(const struct shield_trust *t, uid_t uid)
{
	if (uid == 0)
		return TRUST_ROOT;
	for (size_t i = 0; i < t->n; i++)
		if (t->uid[i] == uid)
			return TRUST_USER;
	return TRUST_NONE;
}

/* Is root_fd/rel owner's directory whose cgroup.procs only owner may write? */
static bool root_level(int root_fd, const char *rel, uid_t owner)
{
	char procs[PATH_MAX + 16];
	struct stat st;

	if (fstatat(root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != owner)
		return false;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", rel);
	return fstatat(root_fd, procs, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == owner && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

bool shield_cgroup_undelegated(int cg_root_fd, const char *path, uid_t owner)
{
	char rel[PATH_MAX];
	size_t o = 0;

	if (cg_root_fd < 0 || !path || path[0] != '/')
		return false;
	while (*path == '/')
		path++;
	if (!*path)
		return false;           /* the root cgroup: where everything lands without units */
	for (const char *p = path; *p;) {
		size_t l = strcspn(p, "/");

		if (!l) {
			p++;
			continue;
		}
		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.') ||
		    o + l + 2 > sizeof(rel))
			return false;
		if (o)
			rel[o++] = '/';
		memcpy(rel + o, p, l);
		o += l;
		rel[o] = '\0';
		if (!root_level(cg_root_fd, rel, owner))
			return false;
		p += l;
	}
	return o > 0;
}

enum shield_trust_why shield_trusted(const struct shield_trust *t, int proc_fd, int cg_root_fd,
				     int pid, uid_t uid, const char *cgroup)
{
	enum shield_trust_why w = shield_trust_uid(t, uid);
	char raw[4096], cg[PATH_MAX], name[32];
	uint32_t login;

	if (w != TRUST_NONE || !t->units || cg_root_fd < 0)
		return w;
	/* a login session's process (ssh, console, cron) is its user's */
	if (proc_read_loginuid(proc_fd, pid, &login) < 0 || login != PROC_LOGINUID_UNSET)
		return TRUST_NONE;
	if (!cgroup || !*cgroup) {
		snprintf(name, sizeof(name), "%d/cgroup", pid);
		if (read_file_at(proc_fd, name, raw, sizeof(raw)) < 0 ||
		    parse_proc_cgroup(raw, cg, sizeof(cg)) < 0)
			return TRUST_NONE;
		cgroup = cg;
	}
	return shield_cgroup_undelegated(cg_root_fd, cgroup, t->owner) ? TRUST_UNIT : TRUST_NONE;
}

const char *shield_trust_name(enum shield_trust_why w)
{
	static const char *const names[] = {
		[TRUST_NONE] = "not trusted",
		[TRUST_ROOT] = "root",
		[TRUST_USER] = "cgroup_settings.managed_users",
		[TRUST_UNIT] = "a system unit",
	};
	return (unsigned)w < ARRAY_SIZE(names) ? names[w] : "?";
}
