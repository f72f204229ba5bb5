/* SPDX-License-Identifier: GPL-2.0-or-later */
/* og-hog: a memory hog for the VM scenarios. It grows by --step-mb every
 * --period-ms, writing one byte into every 4 KiB page so the memory is really
 * used, until --cap-mb (then it keeps the memory and sleeps) or until it is
 * killed. With --file it builds a growing page-cache working set instead: each
 * step extends a window over the file and re-reads every page of it. The
 * current size is written to --report after every step. Only for guests:
 * never run it on a machine you care about. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MB (1024UL * 1024UL)

struct opts {
	uint64_t step_mb;
	uint64_t period_ms;
	uint64_t cap_mb;	/* 0 = no cap */
	uint64_t file_mb;	/* size of the file to create in file mode */
	bool ignore_term;
	bool verbose;
	const char *file;
	const char *name;
	const char *report;
};

static int report_fd = -1;

static int parse_u64_arg(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > max)
		return -ERANGE;
	if (errno || end == s || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Fixed-width record at offset 0: a reader never sees a truncated file. */
static void report(uint64_t mb)
{
	char buf[24];
	int n;

	if (report_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%20" PRIu64 "\n", mb);
	if (n > 0 && pwrite(report_fd, buf, (size_t)n, 0) < 0)
		perror("og-hog: report");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: og-hog [--step-mb N] [--period-ms N] [--cap-mb N] [--ignore-term]\n"
		"              [--file PATH [--file-mb N]] [--name NAME] [--report FILE] [-v]\n"
		"  --step-mb N     MB added per step (default 64)\n"
		"  --period-ms N   pause between steps, 0 = as fast as possible (default 0)\n"
		"  --cap-mb N      stop growing at N MB and sleep, keeping the memory\n"
		"  --ignore-term   ignore SIGTERM (and SIGINT)\n"
		"  --file PATH     page-cache mode: grow a window over PATH and re-read it\n"
		"                  every step (created with --file-mb MB if missing)\n"
		"  --name NAME     process name (comm)\n"
		"  --report FILE   write the current size in MB after every step\n"
		"  -v              print progress and rate on stderr\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "step-mb", required_argument, NULL, 's' },
		{ "period-ms", required_argument, NULL, 'p' },
		{ "cap-mb", required_argument, NULL, 'c' },
		{ "ignore-term", no_argument, NULL, 'i' },
		{ "file", required_argument, NULL, 'f' },
		{ "file-mb", required_argument, NULL, 'F' },
		{ "name", required_argument, NULL, 'n' },
		{ "report", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r = 0;

	*o = (struct opts){ .step_mb = 64, .file_mb = 512 };
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': r = parse_u64_arg(optarg, 1 << 20, &o->step_mb); break;
		case 'p': r = parse_u64_arg(optarg, 86400000, &o->period_ms); break;
		case 'c': r = parse_u64_arg(optarg, 1 << 30, &o->cap_mb); break;
		case 'F': r = parse_u64_arg(optarg, 1 << 30, &o->file_mb); break;
		case 'i': o->ignore_term = true; break;
		case 'f': o->file = optarg; break;
		case 'n': o->name = optarg; break;
		case 'r': o->report = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "og-hog: bad value '%s'\n", optarg);
			return r;
		}
	}
	if (optind != argc || o->step_mb == 0 || (o->file && o->file_mb == 0))
		return -EINVAL;
	return 0;
}

static void hold_forever(void)
{
	for (;;)
		pause();
}

static int run_anon(const struct opts *o)
{
	uint64_t total = 0;
	double t0 = mono_s();

	for (;;) {
		uint64_t chunk = o->step_mb;
		size_t len;
		char *p;

		if (o->cap_mb && total >= o->cap_mb)
			break;
		if (o->cap_mb && total + chunk > o->cap_mb)
			chunk = o->cap_mb - total;
		len = (size_t)(chunk * MB);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			/* Address space or overcommit refusal: retry later, the
			 * point is to keep pushing until someone kills us. */
			sleep_ms(o->period_ms ? o->period_ms : 10);
			continue;
		}
		for (size_t off = 0; off < len; off += PAGE)
			p[off] = (char)(off >> 12 | 1);
		total += chunk;
		report(total);
		if (o->verbose)
			fprintf(stderr, "og-hog: %" PRIu64 " MB (%.0f MB/s)\n",
				total, (double)total / (mono_s() - t0));
		if (o->period_ms)
			sleep_ms(o->period_ms);
	}
	fprintf(stderr, "og-hog: reached cap %" PRIu64 " MB in %.2f s (%.0f MB/s)\n",
		total, mono_s() - t0, (double)total / (mono_s() - t0));
	hold_forever();
	return 0;
}

static int create_file(const char *path, uint64_t mb)
{
	char *buf = malloc(MB);
	int fd;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0x5a, MB);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (uint64_t i = 0; i < mb; i++) {
		if (write(fd, buf, MB) != (ssize_t)MB) {
			int e = errno ? -errno : -EIO;

			close(fd);
			free(buf);
			return e;
		}
	}
	free(buf);
	if (fsync(fd) < 0 || close(fd) < 0)
		return -errno;
	return 0;
}

static int run_file(const struct opts *o)
{
	uint64_t window = 0, size_mb, passes = 0;
	volatile unsigned char sink = 0;
	struct stat st;
	unsigned char *p;
	int fd, r;

	fd = open(o->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		r = create_file(o->file, o->file_mb);
		if (r < 0) {
			fprintf(stderr, "og-hog: create %s: %s\n", o->file, strerror(-r));
			return 1;
		}
		fd = open(o->file, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "og-hog: %s: %s\n", o->file, strerror(errno));
		return 1;
	}
	size_mb = (uint64_t)st.st_size / MB;
	if (size_mb == 0) {
		fprintf(stderr, "og-hog: %s: smaller than 1 MB\n", o->file);
		return 1;
	}
	p = mmap(NULL, (size_t)(size_mb * MB), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "og-hog: mmap %s: %s\n", o->file, strerror(errno));
		return 1;
	}
	for (;;) {
		uint64_t limit = o->cap_mb && o->cap_mb < size_mb ? o->cap_mb : size_mb;

		window = window + o->step_mb < limit ? window + o->step_mb : limit;
		for (size_t off = 0; off < (size_t)(window * MB); off += PAGE)
			sink = (unsigned char)(sink + p[off]);
		passes++;
		report(window);
		if (o->verbose)
			fprintf(stderr, "og-hog: window %" PRIu64 " MB, pass %" PRIu64 "\n",
				window, passes);
		if (o->period_ms)
			sleep_ms(o->period_ms);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (parse_opts(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (o.name && prctl(PR_SET_NAME, o.name, 0, 0, 0) < 0)
		perror("og-hog: prctl(PR_SET_NAME)");
	if (o.ignore_term) {
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
	}
	if (o.report) {
		report_fd = open(o.report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (report_fd < 0) {
			fprintf(stderr, "og-hog: %s: %s\n", o.report, strerror(errno));
			return 1;
		}
		report(0);
	}
	return o.file ? run_file(&o) : run_anon(&o);
}
