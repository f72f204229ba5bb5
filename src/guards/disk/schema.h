/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk guard's config (schema.c): its keys for the loader, freeing,
 * and the checks of a loaded config against this machine. */
#pragma once
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"

struct cw;

/* An entry of the `disk` list once read: required keys, defaults, each
 * cleanup dir below its path, no path twice. 0 or -EINVAL (c->err). */
int disk_entry_finish(struct cw *c, void *elem, const char *path);
void disk_config_free(struct og_config *cfg);
const char *disk_writer_action_name(enum og_writer_action a);
/* The disk lines of config_describe. */
void disk_config_describe(const struct og_config *cfg, FILE *f);

/* The `disk` list against this machine (proc_fd's self/mountinfo): each
 * path must be a mount point, each cleanup dir on that filesystem,
 * reachable without a symlink. Errors are "FILE:LINE:COL: ..." in err
 * (-EINVAL); a dir that does not exist (yet), or a read-only filesystem
 * listed, is a warning added to cfg->warnings. 0 or -errno. */
int disk_config_check(struct og_config *cfg, int proc_fd, char *err, size_t size);
