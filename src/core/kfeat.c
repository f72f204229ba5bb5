/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/kfeat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/describe.h"
#include "core/util.h"
#include "observe/proc.h"
#include "observe/psi.h"
#include "victim/kill.h"

static const struct {
	const char *name, *key;
	const char *absent;             /* why it is missing, for a person */
	const char *cost;               /* what oomguard does without it */
} feat[KF_COUNT] = {
	[KF_PIDFD_SEND_SIGNAL] = { "pidfd_send_signal", "pidfd_send_signal", "kernel < 5.1",
		"oomguard will not kill: every signal goes through a pidfd (no PID-reuse race)" },
	[KF_PIDFD_OPEN] = { "pidfd_open", "pidfd_open", "kernel < 5.3",
		"oomguard will not kill: every signal goes through a pidfd (no PID-reuse race)" },
	[KF_CGROUP_KILL] = { "cgroup.kill", "cgroup_kill", "kernel < 5.14",
		"whole-cgroup kills fall back to signalling each member through its pidfd "
		"(a process forked in between can escape)" },
	[KF_PROCESS_MRELEASE] = { "process_mrelease", "process_mrelease", "kernel < 5.15",
		"a SIGKILLed victim's memory comes back only as fast as its own exit runs" },
	[KF_PSI] = { "psi", "psi", "kernel < 4.20, CONFIG_PSI off or psi=0",
		"no pressure stall information: the psi and thrash triggers are off "
		"(thresholds and the fill rate still work)" },
	[KF_PSI_TRIGGER] = { "psi_trigger", "psi_trigger", "kernel < 5.2",
		"PSI is polled on the adaptive timer instead of waking oomguard when pressure builds" },
	[KF_CGROUP2] = { "cgroup2", "cgroup2", "no cgroup2 mount",
		"no cgroups guard and no whole-cgroup kills (the shield falls back to cgroup v1)" },
};

const char *kfeat_name(enum kfeat_id id) { return (unsigned)id < KF_COUNT ? feat[id].name : "?"; }
const char *kfeat_key(enum kfeat_id id) { return (unsigned)id < KF_COUNT ? feat[id].key : "?"; }

const char *kfeat_state_name(enum kfeat_state s)
{
	static const char *const names[] = { "present", "unknown", "missing", "refused", "hidden" };

	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

int kfeat_parse_hide(const char *list, unsigned *ret, char *bad, size_t badsize)
{
	unsigned hide = 0;
	int r = 0;

	if (badsize)
		*bad = '\0';
	while (list && *list) {
		size_t len = strcspn(list, ", ");
		bool found = false;

		for (int i = 0; i < KF_COUNT && len; i++)
			if ((strlen(feat[i].name) == len && !strncmp(list, feat[i].name, len)) ||
			    (strlen(feat[i].key) == len && !strncmp(list, feat[i].key, len))) {
				hide |= KF_BIT(i);
				found = true;
			}
		if (len && !found) {
			if (!r && badsize)
				snprintf(bad, badsize, "%.*s", (int)len, list);
			r = -EINVAL;
		}
		list += len;
		list += strspn(list, ", ");
	}
	*ret = hide;
	return r;
}

/* cgroup.kill exists in every non-root cgroup (never in the root): look in
 * our own cgroup, else in the first child of the root. -ENODEV when there
 * is no non-root cgroup to look in. */
static int probe_cgroup_kill(int proc_fd, int cg_root_fd)
{
	char buf[4096], path[PATH_MAX + 16];
	struct dirent *e;
	DIR *dir;
	int fd, r = -ENODEV;

	if (cg_root_fd < 0)
		return -ENODEV;
	if (read_file_at(proc_fd, "self/cgroup", buf, sizeof(buf)) > 0 &&
	    parse_proc_cgroup(buf, path, PATH_MAX) == 0 && strcmp(path, "/") != 0 &&
	    faccessat(cg_root_fd, path + 1, F_OK, 0) == 0) {
		strcat(path, "/cgroup.kill");
		return faccessat(cg_root_fd, path + 1, F_OK, 0) == 0 ? 0 : -errno;
	}
	if ((fd = openat(cg_root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -ENODEV;
	}
	while ((e = readdir(dir))) {
		struct stat st;

		if (e->d_name[0] == '.' || (e->d_type != DT_DIR && (e->d_type != DT_UNKNOWN ||
		    fstatat(cg_root_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))))
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.kill", e->d_name);
		r = faccessat(cg_root_fd, path, F_OK, 0) == 0 ? 0 : -errno;
		break;
	}
	closedir(dir);
	return r;
}

void kfeat_probe(int proc_fd, int cg_root_fd, unsigned hide, struct kfeat_probe *ret)
{
	struct kfeat_probe p = { .hide = hide };
	struct utsname u;
	char buf[256];
	int fd;

	if (uname(&u) == 0)
		snprintf(p.release, sizeof(p.release), "%s", u.release);
	/* Our own pid: a pidfd to ourselves harms nothing. */
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	p.err[KF_PIDFD_OPEN] = fd >= 0 ? 0 : -errno;
	if (fd >= 0)
		close(fd);
	/* An invalid fd: EBADF says the call exists, ENOSYS that it does not. */
	p.err[KF_PIDFD_SEND_SIGNAL] = syscall(SYS_pidfd_send_signal, -1, 0, NULL, 0) < 0 ? -errno : 0;
	p.err[KF_PROCESS_MRELEASE] = syscall(SYS_process_mrelease, -1, 0) < 0 ? -errno : 0;
	p.err[KF_CGROUP_KILL] = probe_cgroup_kill(proc_fd, cg_root_fd);
	p.err[KF_PSI] = read_file_at(proc_fd, "pressure/memory", buf, sizeof(buf)) < 0 ? -errno : 0;
	/* The built-in default's trigger (some 150 ms in 1 s); closed at once. */
	fd = psi_trigger_open(proc_fd, "pressure/memory", false, 150000, 1000000);
	p.err[KF_PSI_TRIGGER] = fd >= 0 ? 0 : fd;
	if (fd >= 0)
		close(fd);
	p.err[KF_CGROUP2] = cg_root_fd < 0 ? -ENOENT :
		faccessat(cg_root_fd, "cgroup.controllers", F_OK, 0) == 0 ? 0 : -errno;
	*ret = p;
}

static enum kfeat_state judge(enum kfeat_id id, int err)
{
	switch (id) {
	case KF_PIDFD_SEND_SIGNAL:
	case KF_PROCESS_MRELEASE:
		if (err == -EBADF)      /* probed with fd -1 */
			return KF_PRESENT;
		/* fall through */
	case KF_PIDFD_OPEN:
		return !err ? KF_PRESENT : err == -ENOSYS ? KF_ABSENT :
			err == -EPERM || err == -EACCES ? KF_REFUSED : KF_UNKNOWN;
	case KF_CGROUP_KILL:
		return !err ? KF_PRESENT : err == -ENOENT ? KF_ABSENT : KF_UNKNOWN;
	case KF_PSI:
		return !err ? KF_PRESENT : err == -ENOENT || err == -EOPNOTSUPP ? KF_ABSENT :
			err == -EPERM || err == -EACCES ? KF_REFUSED : KF_UNKNOWN;
	case KF_PSI_TRIGGER:
		return !err ? KF_PRESENT : err == -ENOENT || err == -EOPNOTSUPP ? KF_ABSENT :
			err == -EPERM || err == -EACCES || err == -EINVAL ? KF_REFUSED : KF_UNKNOWN;
	case KF_CGROUP2:
		return !err ? KF_PRESENT : KF_ABSENT;
	default:
		return KF_UNKNOWN;
	}
}

void kfeat_decide(const struct kfeat_probe *p, struct kfeat *ret)
{
	struct kfeat k = { 0 };

	snprintf(k.release, sizeof(k.release), "%s", p->release);
	for (int i = 0; i < KF_COUNT; i++) {
		k.err[i] = p->err[i];
		k.state[i] = p->hide & KF_BIT(i) ? KF_HIDDEN : judge((enum kfeat_id)i, p->err[i]);
		/* Without PSI there is no trigger either, whatever its probe said. */
		if (i == KF_PSI_TRIGGER && k.state[KF_PSI] >= KF_ABSENT && k.state[i] < KF_ABSENT)
			k.state[i] = KF_ABSENT;
		if (k.state[i] >= KF_ABSENT)
			k.missing |= KF_BIT(i);
	}
	k.can_kill = kfeat_has(&k, KF_PIDFD_OPEN) && kfeat_has(&k, KF_PIDFD_SEND_SIGNAL);
	*ret = k;
}

void kfeat_lost(struct kfeat *k, enum kfeat_id id, int err)
{
	k->err[id] = err;
	k->state[id] = err == -ENOSYS || err == -ENOENT ? KF_ABSENT : KF_REFUSED;
	k->missing |= KF_BIT(id);
	if (id == KF_PIDFD_OPEN || id == KF_PIDFD_SEND_SIGNAL)
		k->can_kill = false;
}

void kfeat_explain(const struct kfeat *k, enum kfeat_id id, char *buf, size_t size)
{
	const char *hint = id == KF_PSI_TRIGGER ? "a window under 2 s needs CAP_SYS_RESOURCE" :
			   "a seccomp filter or a missing capability";

	switch (k->state[id]) {
	case KF_HIDDEN:
		snprintf(buf, size, "%s hidden (OOMGUARD_TEST_HIDE): %s", feat[id].name, feat[id].cost);
		break;
	case KF_ABSENT:
		snprintf(buf, size, "%s missing (%s): %s", feat[id].name, feat[id].absent, feat[id].cost);
		break;
	case KF_REFUSED:
		snprintf(buf, size, "%s refused (%s: %s): %s", feat[id].name, strerror(-k->err[id]),
			 hint, feat[id].cost);
		break;
	case KF_UNKNOWN:
		snprintf(buf, size, "%s unknown (%s): tried when needed", feat[id].name,
			 k->err[id] == -ENODEV ? "no cgroup to look in" : strerror(-k->err[id]));
		break;
	default:
		snprintf(buf, size, "%s present", feat[id].name);
	}
}

bool kfeat_summary(const struct kfeat *k, char *buf, size_t size)
{
	size_t len;
	char one[512];
	bool first = true;

	len = (size_t)snprintf(buf, size, "kernel %s: ", *k->release ? k->release : "?");
	if (!k->missing) {
		snprintf(buf + MIN(len, size), size - MIN(len, size),
			 "every feature oomguard uses is there (pidfd_open, pidfd_send_signal, "
			 "cgroup.kill, process_mrelease, PSI and its triggers, cgroup v2)");
		return false;
	}
	len += (size_t)snprintf(buf + MIN(len, size), size - MIN(len, size), "degraded:");
	for (int i = 0; i < KF_COUNT; i++) {
		if (kfeat_has(k, (enum kfeat_id)i))
			continue;
		kfeat_explain(k, (enum kfeat_id)i, one, sizeof(one));
		len += (size_t)snprintf(buf + MIN(len, size), size - MIN(len, size), "%s %s",
					first ? "" : ";", one);
		first = false;
	}
	return true;
}

void kfeat_describe(const struct kfeat *k, struct describe *d)
{
	struct describe sub = { .text = NULL, .json = desc_obj(d, "kernel") };
	struct json_object *arr = sub.json ? json_object_new_array() : NULL;
	char line[1024], one[512];
	size_t len = 0;

	desc_str(&sub, "release", k->release);
	desc_str(&sub, "minimum", "5.4");
	desc_bool(&sub, "can_kill", k->can_kill);
	for (int i = 0; i < KF_COUNT; i++) {
		desc_str(&sub, feat[i].key, kfeat_state_name(k->state[i]));
		len += (size_t)snprintf(line + MIN(len, sizeof(line)), sizeof(line) - MIN(len, sizeof(line)),
					"%s%s %s", i ? ", " : "", feat[i].name,
					k->state[i] == KF_PRESENT ? "yes" : kfeat_state_name(k->state[i]));
	}
	desc_line(d, "Kernel: %s (oomguard needs 5.4 or later): %s", *k->release ? k->release : "?",
		  line);
	for (int i = 0; i < KF_COUNT; i++) {
		if (k->state[i] == KF_PRESENT)
			continue;
		kfeat_explain(k, (enum kfeat_id)i, one, sizeof(one));
		desc_line(d, "  %s", one);
		if (arr && k->state[i] != KF_UNKNOWN)
			json_object_array_add(arr, json_object_new_string(one));
	}
	if (!k->can_kill)
		desc_line(d, "  => the daemon refuses to run (it would kill without pidfds); explain and "
			  "--dry-run still work");
	if (sub.json)
		json_object_object_add(sub.json, "degraded", arr);
}
