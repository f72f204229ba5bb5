/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard's config: `disk_settings`, and the `disk` list with its
 * cleanup rules. What an entry must be on its own is checked as it is read
 * (FILE:LINE:COL); what it must be on this machine (a path that is a mount
 * point, a cleanup dir on its filesystem) by disk_config_check, which
 * config_load calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config-walk.h"
#include "core/util.h"
#include "guards/disk/disk.h"
#include "guards/disk/schema.h"

#define DOFF(f) offsetof(struct og_disk, f)
#define COFF(f) offsetof(struct og_disk_cleanup, f)

static const char *const writer_action_names[] = { "report", "kill", NULL };

static const char *pattern_check(const char *s)
{
	if (strchr(s, '/'))
		return "a pattern matches names in the directory itself, so it has no \"/\"";
	if (strlen(s) > 255)
		return "a pattern longer than any file name";
	return NULL;
}

static int finish_cleanup(struct cw *c, void *elem, const char *path)
{
	struct og_disk_cleanup *r = elem;
	yaml_mark_t m = cw_mark_in_item(c, &r->dir);

	if (!r->dir)
		return cw_fail(c, c->item_mark, "%s: a cleanup rule needs dir (the directory whose "
			       "files it deletes)", path);
	if (!r->n_match)
		return cw_fail(c, c->item_mark, "%s: a cleanup rule needs match (a list of patterns "
			       "such as [\"*.log.[0-9]*\"])", path);
	if (!cw_seen(c, &r->older_than_ms))
		return cw_fail(c, c->item_mark, "%s: a cleanup rule needs older_than (such as 1d): "
			       "the youngest a file may be to go", path);
	r->line = (int)m.line + 1;
	r->col = (int)m.column + 1;
	return 0;
}

static const struct key cleanup_keys[] = {
	K("dir", T_PATH, COFF(dir)),
	K("match", T_STRLIST, COFF(match), .hi = OG_MAX_PATTERNS, .count_off = COFF(n_match),
	  .item_check = pattern_check),
	K("older_than", T_MS, COFF(older_than_ms), .lo = 0, .hi = MS(3650LL * 86400)),
	{ 0 }
};

/* Is dir the mount point path or below it? */
static bool below(const char *dir, const char *path)
{
	size_t n = strlen(path);

	if (!strcmp(path, "/"))
		return true;
	return !strncmp(dir, path, n) && (dir[n] == '\0' || dir[n] == '/');
}

int disk_entry_finish(struct cw *c, void *elem, const char *path)
{
	struct og_disk *d = elem;
	yaml_mark_t m = cw_mark_in_item(c, &d->path);

	if (!d->path)
		return cw_fail(c, c->item_mark, "%s: an entry needs path (a mount point)", path);
	for (const struct og_disk *o = c->cfg->disks; o < d; o++)
		if (!strcmp(o->path, d->path))
			return cw_fail(c, m, "%s.path: %s is listed twice (first at line %d)", path,
				       d->path, o->line);
	for (size_t i = 0; i < d->n_cleanup; i++)
		if (!below(d->cleanup[i].dir, d->path))
			return cw_fail(c, cw_mark_in_item(c, &d->cleanup[i].dir),
				       "%s.cleanup[%zu].dir: %s is not below path %s: a cleanup "
				       "never leaves the filesystem it relieves", path, i,
				       d->cleanup[i].dir, d->path);
	if (!cw_seen(c, &d->free_percent))
		d->free_percent = DISK_DEFAULT_PERCENT;
	if (!cw_seen(c, &d->inodes_free_percent))
		d->inodes_free_percent = DISK_DEFAULT_PERCENT;
	if (!cw_seen(c, &d->horizon_ms))
		d->horizon_ms = UINT64_MAX;
	d->line = (int)m.line + 1;
	d->col = (int)m.column + 1;
	return 0;
}

const struct key disk_entry_schema[] = {
	K("path", T_PATH, DOFF(path)),
	K("free_percent", T_PERCENT, DOFF(free_percent)),
	K("inodes_free_percent", T_PERCENT, DOFF(inodes_free_percent)),
	K("cleanup", T_LIST, DOFF(cleanup), .hi = OG_MAX_CLEANUP, .count_off = DOFF(n_cleanup),
	  .elem_size = sizeof(struct og_disk_cleanup), .sub = cleanup_keys, .finish = finish_cleanup),
	K("writer_action", T_ENUM, DOFF(writer_action), .names = writer_action_names),
	K("horizon", T_MS, DOFF(horizon_ms), .lo = 0, .hi = MS(30LL * 86400)),
	{ 0 }
};

const struct key disk_settings_schema[] = {
	K("enabled", T_BOOL, OFF(disk_enabled)),
	K("interval", T_MS, OFF(disk_interval_ms), .lo = 1000, .hi = MS(3600)),
	K("horizon", T_MS, OFF(disk_horizon_ms), .lo = 0, .hi = MS(30LL * 86400)),
	{ 0 }
};

const char *disk_writer_action_name(enum og_writer_action a)
{
	return a == WRITER_KILL ? "kill" : "report";
}

void disk_config_free(struct og_config *cfg)
{
	for (size_t i = 0; i < cfg->n_disks; i++)
		disk_entry_free(&cfg->disks[i]);
	free(cfg->disks);
	cfg->disks = NULL;
	cfg->n_disks = 0;
}

void disk_config_describe(const struct og_config *cfg, FILE *f)
{
	if (!cfg->disk_enabled) {
		fprintf(f, "disk: disabled\n");
		return;
	}
	if (!(cfg->sections_seen & SEC_DISK)) {
		fprintf(f, "disk: every local filesystem at 5%% free space / 5%% free inodes, report "
			"only; every %llu ms\n", (unsigned long long)cfg->disk_interval_ms);
		return;
	}
	fprintf(f, "disk: %zu filesystems, every %llu ms\n", cfg->n_disks,
		(unsigned long long)cfg->disk_interval_ms);
	for (size_t i = 0; i < cfg->n_disks; i++) {
		const struct og_disk *d = &cfg->disks[i];

		fprintf(f, "  %s: free space < %g%%, free inodes < %g%%, %zu cleanup rules, "
			"writer_action %s\n", d->path, d->free_percent, d->inodes_free_percent,
			d->n_cleanup, disk_writer_action_name(d->writer_action));
	}
}

/* ---- against this machine ---------------------------------------------- */

static int add_warning(struct og_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int add_warning(struct og_config *cfg, const char *fmt, ...)
{
	char *line, *all;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = asprintf(&all, "%s%s%s", cfg->warnings ? cfg->warnings : "", cfg->warnings ? "\n" : "",
		     line);
	free(line);
	if (r < 0)
		return -ENOMEM;
	free(cfg->warnings);
	cfg->warnings = all;
	return 0;
}

static int check_dir(struct og_config *cfg, const struct fs_mounts *m, const struct fs_mount *fs,
		     size_t i, size_t k, char *err, size_t size)
{
	const struct og_disk_cleanup *r = &cfg->disks[i].cleanup[k];
	ssize_t h = fs_mount_holding(m, r->dir);
	const char *how, *file = cfg->path;
	int fd;

	if (h >= 0 && (m->v[h].major != fs->major || m->v[h].minor != fs->minor)) {
		snprintf(err, size, "%s:%d:%d: disk[%zu].cleanup[%zu].dir: %s is on another filesystem "
			 "(%s mounted at %s) than path %s", file, r->line, r->col, i, k, r->dir,
			 m->v[h].type, m->v[h].path, fs->path);
		return -EINVAL;
	}
	fd = disk_open_dir(fs->path, r->dir, &how);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd == -ENOENT)
		return add_warning(cfg, "%s:%d:%d: warning: disk[%zu].cleanup[%zu].dir: %s does not "
				   "exist on this machine: the rule waits for it", file, r->line,
				   r->col, i, k, r->dir);
	if (fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR) {
		snprintf(err, size, "%s:%d:%d: disk[%zu].cleanup[%zu].dir: %s %s", file, r->line,
			 r->col, i, k, r->dir, fd == -ELOOP ? "has a symbolic link on the way: a "
			 "cleanup never follows one" : fd == -EXDEV ? "crosses into another "
			 "filesystem" : "is not a directory");
		return -EINVAL;
	}
	return add_warning(cfg, "%s:%d:%d: warning: disk[%zu].cleanup[%zu].dir: %s cannot be "
			   "opened here (%s)", file, r->line, r->col, i, k, r->dir, strerror(-fd));
}

int disk_config_check(struct og_config *cfg, int proc_fd, char *err, size_t size)
{
	struct fs_mounts m = { 0 };
	int r = 0;

	if (!cfg->n_disks)
		return 0;
	if ((r = fs_mounts_read(proc_fd, &m)) < 0) {
		snprintf(err, size, "%s: cannot read the mounts (/proc/self/mountinfo) to check the "
			 "disk section: %s", cfg->path, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < cfg->n_disks && r == 0; i++) {
		const struct og_disk *d = &cfg->disks[i];
		ssize_t at = fs_mount_at(&m, d->path), h;

		if (at < 0) {
			h = fs_mount_holding(&m, d->path);
			snprintf(err, size, "%s:%d:%d: disk[%zu].path: %s is not a mount point%s%s%s",
				 cfg->path, d->line, d->col, i, d->path, h >= 0 ? " (it is on the "
				 "filesystem mounted at " : "", h >= 0 ? m.v[h].path : "",
				 h >= 0 ? ")" : "");
			r = -EINVAL;
			break;
		}
		if (fs_kind_of(&m.v[at]) == FS_READONLY)
			r = add_warning(cfg, "%s:%d:%d: warning: disk[%zu].path: %s is read-only (%s): "
					"it is never watched", cfg->path, d->line, d->col, i, d->path,
					m.v[at].type);
		for (size_t k = 0; k < d->n_cleanup && r == 0; k++)
			r = check_dir(cfg, &m, &m.v[at], i, k, err, size);
	}
	if (r == -ENOMEM)
		snprintf(err, size, "%s: out of memory", cfg->path);
out:
	fs_mounts_free(&m);
	return r;
}
