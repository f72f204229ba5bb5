/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Matching processes against the config's rules (prefer/avoid/protect/value). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "core/config.h"
#include "observe/proc.h"

struct rule_verdict {
	bool protect;           /* a protect rule matched */
	bool undecidable;       /* a field a protect rule needs could not be read */
	int adjust;             /* sum of badness deltas of matching rules */
	bool has_value;
	int64_t value;          /* value of the first matching rule that sets one */
	int line;               /* config line of the first matching rule, 0 if none */
};

/* Evaluate every rule for p, loading cmdline/exe/cgroup lazily only when a
 * rule needs them. Never fails: an unreadable field (PROC_UNREAD_*) makes
 * the rule not match, except for protect rules, where it sets `undecidable`
 * (callers then leave the process alone, for a bounded time: rank.c). A
 * field read as empty is no match, never undecidable. Built-in rules marked
 * root_only match only processes whose real uid is 0. */
void rules_eval(const struct og_config *cfg, int proc_fd, struct proc_list *l,
		struct proc_info *p, struct rule_verdict *ret);

/* uid -> user name cache for `user:` rules, filled from the passwd database
 * by usercache_load() (at start and reload, never on the kill path). */
void usercache_load(void);
/* Load it only if some rule matches on `user:` (NSS pulls in libraries a
 * daemon that never needs names should not carry). */
void usercache_load_for(const struct og_config *cfg);
void usercache_set(uid_t uid, const char *name);        /* tests */
const char *usercache_name(uid_t uid);                  /* NULL if unknown */
