/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `oomguard value set|list|clear`: the runtime value registry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/util.h"
#include "observe/proc.h"
#include "observe/registry.h"

static int open_runtime(const char *dir, bool create)
{
	int fd;

	if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* "1234" -> a pid entry with its start time; "/a/b" -> a cgroup entry. */
static int parse_target(const char *s, struct registry_entry *e)
{
	struct proc_info p;
	int64_t pid;
	int fd, r;

	memset(e, 0, sizeof(*e));
	if (s[0] == '/') {
		if (strlen(s) >= sizeof(e->cgroup) || strstr(s, "/../") || strchr(s, ' '))
			return -EINVAL;
		snprintf(e->cgroup, sizeof(e->cgroup), "%s", s);
		return 0;
	}
	if (parse_int_range(s, 1, 0x7fffffff, &pid) < 0)
		return -EINVAL;
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = proc_read_one(fd, (int)pid, &p);
	close(fd);
	if (r < 0)
		return -ESRCH;
	e->is_pid = true;
	e->pid = (int)pid;
	e->starttime = p.starttime;
	return 0;
}

static int list(const char *dir, int dirfd)
{
	static struct registry r;
	char why[256], path[1024];
	int proc, rr = registry_refresh(dirfd, &r);

	if (rr < 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, REGISTRY_FILE);
		escape_log(path, why, sizeof(why));
		fprintf(stderr, "oomguard: %s: ignored by the daemon: %s\n", why,
			registry_strerror(&r, path, sizeof(path)));
		return 1;
	}
	proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < r.n; i++) {
		const struct registry_entry *e = &r.e[i];
		struct proc_stat st;
		char comm[64], cg[sizeof(e->cgroup) * 4];

		if (!e->is_pid) {
			escape_untrusted(e->cgroup, cg, sizeof(cg));
			printf("cgroup %-40s value %lld\n", cg, (long long)e->value);
			continue;
		}
		if (proc_same(proc, e->pid, e->starttime, &st) == 0) {
			escape_untrusted(st.comm, comm, sizeof(comm));
			printf("pid    %-40d value %lld (%s)\n", e->pid, (long long)e->value, comm);
		} else {
			printf("pid    %-40d value %lld (exited: ignored)\n", e->pid, (long long)e->value);
		}
	}
	close(proc);
	return 0;
}

int value_cmd(const struct og_opts *o, int argc, char **argv)
{
	const char *dir = o->runtime_dir ? o->runtime_dir : OG_RUNTIME_DIR;
	struct registry_entry e;
	char why[REGISTRY_WHY_MAX];
	int64_t v = -1;
	int fd, r;

	if (argc >= 1 && !strcmp(argv[0], "list") && argc == 1) {
		fd = open_runtime(dir, false);
		if (fd == -ENOENT)
			return 0;       /* nothing registered yet */
		if (fd < 0) {
			fprintf(stderr, "oomguard: %s: %s\n", dir, strerror(-fd));
			return 1;
		}
		r = list(dir, fd);
		close(fd);
		return r;
	}
	if (!(argc == 3 && !strcmp(argv[0], "set")) && !(argc == 2 && !strcmp(argv[0], "clear"))) {
		fprintf(stderr, "Usage: oomguard value set PID|CGROUP VALUE\n"
				"       oomguard value clear PID|CGROUP\n"
				"       oomguard value list\n");
		return 2;
	}
	r = parse_target(argv[1], &e);
	if (r < 0) {
		fprintf(stderr, "oomguard: %s: %s\n", argv[1], r == -ESRCH ? "no such process" :
			"expected a pid or an absolute cgroup path (\"/system.slice/x.service\")");
		return 1;
	}
	if (argc == 3) {
		int64_t x;

		if (parse_int_range(argv[2], 0, VALUE_MAX, &x) < 0) {
			fprintf(stderr, "oomguard: value: expected an integer 0..%d, got \"%s\"\n",
				VALUE_MAX, argv[2]);
			return 1;
		}
		v = x;
	}
	fd = open_runtime(dir, true);
	if (fd < 0) {
		fprintf(stderr, "oomguard: %s: %s%s\n", dir, strerror(-fd),
			fd == -EACCES ? " (the registry is root's)" : "");
		return 1;
	}
	r = registry_update(fd, &e, v, why);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "oomguard: %s/%s: %s%s%s\n", dir, REGISTRY_FILE,
			r == -ENOENT ? "no such entry" : *why ? "refused: " : strerror(-r),
			why, r == -EACCES ? " (the registry is root's)" : "");
		return 1;
	}
	return 0;
}
