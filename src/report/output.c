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
#include "core/log.h"

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
		char mode[16] = "";

		n.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		if (n.kmsg_fd < 0)
			n.kmsg_err = -errno;
		/* "on": no rate limit; "ratelimit" (the default) or unreadable: limited. */
		n.kmsg.unlimited = read_file_at(AT_FDCWD, "/proc/sys/kernel/printk_devkmsg", mode,
						sizeof(mode)) > 0 && !strncmp(mode, "on", 2);
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
	/* A new kmsg fd has a fresh window in the kernel; what was suppressed
	 * is still to be summed up, by the timer already asked for. */
	next->kmsg.suppressed += r->kmsg.suppressed;
	next->kmsg.clock = r->kmsg.clock;
	next->kmsg.due = r->kmsg.due;
	next->kmsg.userdata = r->kmsg.userdata;
	next->tap = r->tap;
	next->tap_data = r->tap_data;
	next->taps = r->taps;
	reporter_close(r);
	*r = *next;
}

void reporter_tap_add(struct reporter *r, struct report_tap_hook *h)
{
	struct report_tap_hook **p = &r->taps;

	while (*p)
		p = &(*p)->next;
	h->next = NULL;
	*p = h;
}

void reporter_tap_del(struct reporter *r, struct report_tap_hook *h)
{
	for (struct report_tap_hook **p = &r->taps; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			h->next = NULL;
			return;
		}
	}
}

int reporter_write(struct reporter *r, const char *line, size_t len)
{
	struct iovec iov[3];
	size_t total = 0, lead = r->torn ? 1 : 0;
	ssize_t w;
	int n = 0, e;

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
		if (r->unreported)
			log_notice("records: written again; %llu lost before this one (its \"dropped\")",
				   (unsigned long long)r->unreported);
		r->torn = false;
		r->unreported = 0;
		return 0;
	}
	/* EAGAIN (a full pipe or socket: journald stalls under memory
	 * pressure), ENOSPC, EIO or a short write: the record is lost, and
	 * retrying here would block the loop or spin. */
	e = w < 0 ? errno : EIO;
	r->dropped++;
	r->unreported++;
	r->dropped_bytes += len + 1;
	if (r->unreported == 1)         /* the first of a run of losses, not each */
		log_warn("records: one could not be written (%s); oomguard goes on and counts "
			 "the lost ones until a write succeeds", w < 0 ? strerror(e) : "short write");
	if (w < 0)
		return -e;
	r->torn = (size_t)w > lead;
	return -EIO;
}

/* A kmsg record is one write; without a trailing newline the kernel keeps
 * it open as a continuation and readers (dmesg) do not see it until another
 * message arrives. Devkmsg accepts up to 1024 - 32 bytes a write. */
#define KMSG_LINE_MAX 960

static uint64_t kmsg_now(const struct reporter *r)
{
	return r->kmsg.clock ? r->kmsg.clock() : now_ms();
}

/* May one more line go out now, in the kernel's window? */
static bool kmsg_admit(struct reporter *r, uint64_t now)
{
	if (r->kmsg.unlimited)
		return true;
	if (r->kmsg.window && now - r->kmsg.begin_ms >= KMSG_WINDOW_MS)
		r->kmsg.window = false;
	if (!r->kmsg.window) {
		r->kmsg.window = true;
		r->kmsg.begin_ms = now;
		r->kmsg.printed = 0;
	}
	return r->kmsg.printed < KMSG_BURST;
}

static int kmsg_write(struct reporter *r, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int kmsg_write(struct reporter *r, const char *fmt, va_list ap)
{
	static const char prefix[] = "<4>oomguard: ";   /* <4> = KERN_WARNING: a default dmesg shows it */
	char line[KMSG_LINE_MAX];
	size_t len = sizeof(prefix) - 1;
	int n;

	memcpy(line, prefix, len);
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
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
	r->kmsg.printed++;
	/* The kernel's window began during the write: count ours from after
	 * it, so that ours never ends before the kernel's. */
	if (r->kmsg.printed == 1 && !r->kmsg.unlimited)
		r->kmsg.begin_ms = kmsg_now(r);
	return 0;
}

static int kmsg_line(struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int kmsg_line(struct reporter *r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = kmsg_write(r, fmt, ap);
	va_end(ap);
	return ret;
}

uint64_t report_kmsg_flush(struct reporter *r, bool final)
{
	uint64_t now = kmsg_now(r), n = r->kmsg.suppressed;
	char msg[128];

	if (!n)
		return 0;
	if (!final && r->kmsg.window && !r->kmsg.unlimited && now - r->kmsg.begin_ms < KMSG_WINDOW_MS)
		return r->kmsg.begin_ms + KMSG_WINDOW_MS - now;
	r->kmsg.suppressed = 0;
	snprintf(msg, sizeof(msg), "%llu kmsg line%s suppressed (rate limit)", (unsigned long long)n,
		 n == 1 ? "" : "s");
	if (r->kmsg_fd >= 0 && kmsg_admit(r, now))
		kmsg_line(r, "%s; see the records", msg);
	report_event(r, "daemon", "kmsg-suppressed", msg);
	return 0;
}

int report_kmsg(struct reporter *r, const char *fmt, ...)
{
	uint64_t now;
	va_list ap;
	int ret;

	if (r->kmsg_fd < 0)
		return 0;
	now = kmsg_now(r);
	report_kmsg_flush(r, false);    /* a window with suppressed lines is over: say so first */
	if (!kmsg_admit(r, now)) {
		if (r->kmsg.suppressed++ == 0 && r->kmsg.due)
			r->kmsg.due(r->kmsg.userdata, r->kmsg.begin_ms + KMSG_WINDOW_MS - now);
		return 0;
	}
	va_start(ap, fmt);
	ret = kmsg_write(r, fmt, ap);
	va_end(ap);
	return ret;
}

/* "sent SIGTERM to pid 412 (runaway) cgroup / anon+swap 844800 KiB: REASON
 * trigger: memory", the README's order. */
int report_decision_kmsg(struct reporter *r, const struct decision *d)
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
