/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where records go, and how, without ever blocking the event loop: a
 * non-blocking fd (stdout, which is journald's socket under systemd, or
 * logging.record_path), one write per record, never retried; a record that
 * does not fit is counted as dropped and the next one written says so. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/util.h"
#include "report/record.h"

int reporter_open(struct reporter *r, const char *record_path, bool kmsg, bool json,
		  char *err, size_t errsize)
{
	struct reporter n = { .out_fd = -1, .kmsg_fd = -1, .json = json };
	int fl, e;

	if (record_path) {
		n.out_fd = open(record_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				O_NOFOLLOW | O_NONBLOCK, 0640);
		if (n.out_fd < 0) {
			e = errno;
			snprintf(err, errsize, "%s: %s", record_path, e == ELOOP ?
				 "a symbolic link; records are not written through one" : strerror(e));
			return -e;
		}
		n.own_out = true;
	} else if ((fl = fcntl(STDOUT_FILENO, F_GETFL)) >= 0) {
		/* The flag is on the open file description (shared with whoever
		 * handed us fd 1); it stays set after close, as a reopen on
		 * reload would set it again anyway. */
		if (!(fl & O_NONBLOCK) && fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) < 0) {
			e = errno;
			snprintf(err, errsize, "stdout: cannot make it non-blocking: %s", strerror(e));
			return -e;
		}
		n.out_fd = STDOUT_FILENO;
	}
	/* else fd 1 is closed: no records, and never into whatever gets fd 1 later. */
	if (kmsg) {
		n.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		if (n.kmsg_fd < 0)
			n.kmsg_err = -errno;
	}
	*r = n;
	return 0;
}

void reporter_close(struct reporter *r)
{
	if (r->own_out && r->out_fd >= 0)
		close(r->out_fd);
	if (r->kmsg_fd >= 0)
		close(r->kmsg_fd);
	r->out_fd = r->kmsg_fd = -1;
	r->own_out = false;
}

void reporter_replace(struct reporter *r, struct reporter *next)
{
	next->dropped += r->dropped;
	next->dropped_bytes += r->dropped_bytes;
	next->unreported += r->unreported;
	reporter_close(r);
	*r = *next;
}

int reporter_write(struct reporter *r, const char *line, size_t len)
{
	struct iovec iov[3];
	size_t total = 0, lead = r->torn ? 1 : 0;
	ssize_t w;
	int n = 0;

	if (r->out_fd < 0)
		return 0;
	if (lead)               /* end the line a short write left open */
		iov[n++] = (struct iovec){ .iov_base = (void *)"\n", .iov_len = 1 };
	iov[n++] = (struct iovec){ .iov_base = (void *)line, .iov_len = len };
	iov[n++] = (struct iovec){ .iov_base = (void *)"\n", .iov_len = 1 };
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	w = writev(r->out_fd, iov, n);
	if (w >= 0 && (size_t)w == total) {
		r->torn = false;
		r->unreported = 0;
		return 0;
	}
	/* EAGAIN (a full pipe or socket: journald stalls under memory
	 * pressure), ENOSPC, EIO or a short write: the record is lost, and
	 * retrying here would block the loop or spin. */
	r->dropped++;
	r->unreported++;
	r->dropped_bytes += len + 1;
	if (w < 0)
		return -errno;
	r->torn = (size_t)w > lead;
	return -EIO;
}

/* A kmsg record is one write; without a trailing newline the kernel keeps
 * it open as a continuation and readers (dmesg) do not see it until another
 * message arrives. Devkmsg accepts up to 1024 - 32 bytes a write. */
#define KMSG_LINE_MAX 960

int report_kmsg(const struct reporter *r, const char *fmt, ...)
{
	static const char prefix[] = "<4>oomguard: ";   /* <4> = KERN_WARNING: a default dmesg shows it */
	char line[KMSG_LINE_MAX];
	size_t len = sizeof(prefix) - 1;
	va_list ap;
	int n;

	if (r->kmsg_fd < 0)
		return 0;
	memcpy(line, prefix, len);
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	len += MIN((size_t)n, sizeof(line) - len - 2);
	/* One record, one line: no control character may start another. */
	for (size_t i = sizeof(prefix) - 1; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	line[len++] = '\n';
	if (write(r->kmsg_fd, line, len) < 0)
		return -errno;
	return 0;
}

/* "sent SIGTERM to pid 412 (runaway) cgroup / anon+swap 844800 KiB: REASON
 * trigger: memory", the README's order. */
int report_decision_kmsg(const struct reporter *r, const struct decision *d)
{
	char comm[64], cg[256], reason[384];

	escape_untrusted(d->comm ? d->comm : "?", comm, sizeof(comm));
	escape_untrusted(d->cgroup ? d->cgroup : "?", cg, sizeof(cg));
	escape_untrusted(d->reason ? d->reason : "", reason, sizeof(reason));
	return report_kmsg(r, "%s%s %s pid %d (%s) cgroup %s anon+swap %llu KiB: %s trigger: %s",
			   d->dry_run ? "dry-run: would send " : "sent ",
			   d->sig ? report_signame(d->sig) : "?",
			   d->whole_cgroup ? "to the cgroup of" : "to",
			   (int)d->pid, comm, cg,
			   (unsigned long long)((d->anon + d->swap) / 1024),
			   reason, d->trigger ? d->trigger : "-");
}
