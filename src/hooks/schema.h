/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `hooks` section (schema.c): its keys for the loader, defaults,
 * freeing, the summary line, and the check of the commands against this
 * machine. */
#pragma once
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"

#define HOOK_PRE_KILL_TIMEOUT_MS 100    /* hooks.pre_kill_timeout's default */
#define HOOK_POST_KILL_TIMEOUT_MS 5000  /* hooks.post_kill_timeout's default */

void hooks_config_default(struct og_config *cfg);
void hooks_config_free(struct og_config *cfg);
void hooks_config_describe(const struct og_config *cfg, FILE *f);

/* Split s on blanks (spaces, tabs) into h->argv (strdup'ed). 0, -E2BIG
 * past OG_MAX_HOOK_ARGS words, -EINVAL for no word, -ENOMEM. */
int hook_split(const char *s, struct og_hook *h);
/* Why argv[0] cannot be a hook's program ("must be an absolute path"), or
 * NULL. */
const char *hook_program_check(const char *s);
/* Each hook's program against this machine: it must exist, be a regular
 * executable file, not writable by its group nor by every user, in a
 * directory writable by its owner only, and, when the daemon runs as root,
 * both root's (whoever may write them runs code as root). Errors
 * "FILE:LINE:COL: hooks.NAME: ..." in err. 0 or -EINVAL. */
int hooks_config_check(const struct og_config *cfg, char *err, size_t size);
