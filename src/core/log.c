/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define LOG_MSG_MAX 2048

static int max_level = LOG_INFO;

void log_set_level(int max_prio)
{
	max_level = max_prio;
}

/* One line, one write(2): lines of two threads never interleave. */
static void write_line(const char *line, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, line, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

static void log_msg(int prio, const char *msg)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	char line[32 + 4 * LOG_MSG_MAX + 1];
	size_t o;

	/* Under systemd, stderr goes to the journal: "<N>" sets the priority. */
	if (getenv("JOURNAL_STREAM"))
		o = (size_t)snprintf(line, sizeof(line), "<%d>", prio & 7);
	else
		o = (size_t)snprintf(line, sizeof(line), "oomguard: %s: ", names[prio & 7]);
	/* The message carries process names, cgroup paths, config and kernel
	 * strings: escaped as a whole, a newline in one of them is "\x0a" and
	 * can never start a line (nor a "<N>" priority) of its own. */
	o += escape_log(msg, line + o, sizeof(line) - o - 1);
	line[o++] = '\n';
	write_line(line, o);
}

void og_log(int prio, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(prio, msg);
}

void log_text(int prio, const char *text)
{
	char msg[LOG_MSG_MAX];

	if (prio > max_level || !text)
		return;
	while (*text) {
		size_t len = strcspn(text, "\n");

		snprintf(msg, sizeof(msg), "%.*s", (int)MIN(len, sizeof(msg) - 1), text);
		log_msg(prio, msg);
		text += len + (text[len] == '\n');
	}
}
