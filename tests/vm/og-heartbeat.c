/* SPDX-License-Identifier: GPL-2.0-or-later */
/* og-heartbeat: an "interactive app" probe for the VM scenarios. It wakes every
 * --period-ms (default 10) on CLOCK_MONOTONIC, touches a small working set it
 * allocated at start (default 8 MB, one write per page) and records how late
 * each wake-up was. Every --write-ms (default 100) and on SIGTERM/SIGINT it
 * rewrites FILE with one line:
 *   MAX_MS stalls50=N stalls100=N stalls1000=N late_ms=T wakes=N
 * where MAX_MS is the longest lateness in ms (one decimal) and the counters
 * count wake-ups later than 50/100/1000 ms. After a signal it exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define RECORD 128

static volatile sig_atomic_t stop;

struct stats {
	int64_t max_ns;
	uint64_t stalls50, stalls100, stalls1000, wakes;
	int64_t late_ns;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_u64_arg(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v < lo || v > hi)
		return -ERANGE;
	if (errno || end == s || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000LL),
				  .tv_nsec = (long)(ns % 1000000000LL) };
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

/* Fixed-size record at offset 0, padded with blanks: readers never see a
 * half-written or truncated file. */
static void write_record(int fd, const struct stats *s)
{
	char buf[RECORD + 1];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "%.1f stalls50=%" PRIu64 " stalls100=%" PRIu64
		     " stalls1000=%" PRIu64 " late_ms=%.1f wakes=%" PRIu64,
		     (double)s->max_ns / 1e6, s->stalls50, s->stalls100,
		     s->stalls1000, (double)s->late_ns / 1e6, s->wakes);
	if (n < 0 || n >= RECORD)
		return;
	memset(buf + n, ' ', (size_t)(RECORD - 1 - n));
	buf[RECORD - 1] = '\n';
	if (pwrite(fd, buf, RECORD, 0) < 0)
		perror("og-heartbeat: write");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: og-heartbeat [--period-ms N] [--ws-mb N] [--write-ms N] FILE\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "period-ms", required_argument, NULL, 'p' },
		{ "ws-mb", required_argument, NULL, 'w' },
		{ "write-ms", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t period_ms = 10, ws_mb = 8, write_ms = 100;
	struct sigaction sa = { .sa_handler = on_signal };
	struct stats s = { 0 };
	int64_t period, next, last_write;
	size_t ws_len;
	unsigned char *ws;
	unsigned round = 0;
	int c, r = 0, fd;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': r = parse_u64_arg(optarg, 1, 60000, &period_ms); break;
		case 'w': r = parse_u64_arg(optarg, 0, 1 << 20, &ws_mb); break;
		case 'W': r = parse_u64_arg(optarg, 1, 3600000, &write_ms); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (r < 0) {
			fprintf(stderr, "og-heartbeat: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	fd = open(argv[optind], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "og-heartbeat: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	ws_len = (size_t)ws_mb * 1024 * 1024;
	ws = ws_len ? mmap(NULL, ws_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : NULL;
	if (ws == MAP_FAILED) {
		perror("og-heartbeat: mmap");
		return 1;
	}
	/* No SA_RESTART: the signal interrupts clock_nanosleep at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* Fault the working set in before the clock starts. */
	for (size_t off = 0; off < ws_len; off += PAGE)
		ws[off] = 1;
	period = (int64_t)period_ms * 1000000LL;
	next = mono_ns() + period;
	last_write = mono_ns();
	write_record(fd, &s);
	while (!stop) {
		struct timespec ts = ns_ts(next);
		int64_t now, late;

		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (r == EINTR)
			continue;
		now = mono_ns();
		late = now - next;
		if (late < 0)
			late = 0;
		/* The working set is touched after the wake-up and before the
		 * next deadline, so its faults show up as lateness too. */
		round++;
		for (size_t off = 0; off < ws_len; off += PAGE)
			ws[off] = (unsigned char)(ws[off] + round);
		s.wakes++;
		s.late_ns += late;
		if (late > s.max_ns)
			s.max_ns = late;
		if (late > 50000000LL)
			s.stalls50++;
		if (late > 100000000LL)
			s.stalls100++;
		if (late > 1000000000LL)
			s.stalls1000++;
		next += period;
		if (next <= now)	/* do not replay missed periods */
			next = now + period;
		if (now - last_write >= (int64_t)write_ms * 1000000LL) {
			write_record(fd, &s);
			last_write = now;
		}
	}
	write_record(fd, &s);
	close(fd);
	return 0;
}
