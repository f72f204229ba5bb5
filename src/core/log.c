/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

static int max_level = LOG_INFO;

void log_set_level(int max_prio)
{
	max_level = max_prio;
}

void og_log(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	va_list ap;

	if (prio > max_level)
		return;
	/* Under systemd, stderr goes to the journal: "<N>" sets the priority. */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "oomguard: %s: ", names[prio & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
