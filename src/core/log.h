/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Diagnostics on stderr, with syslog priorities when journald reads us.
 * Each call is one line, written at once: the formatted message is escaped
 * as a whole (escape_log: control characters, C1 controls, bytes that are
 * not well-formed UTF-8 and backslashes become \xHH), so callers pass
 * untrusted strings (process names, cgroup paths) as they are. */
#pragma once
#include <syslog.h>

void log_set_level(int max_prio);
void og_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Each line of a multi-line text as a line of its own. */
void log_text(int prio, const char *text);
#define log_err(...) og_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...) og_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) og_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) og_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) og_log(LOG_DEBUG, __VA_ARGS__)
