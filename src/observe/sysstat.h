/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the CPU and I/O guards read: /proc/stat's cpu lines, /proc/loadavg,
 * /proc/PID/io, /proc/diskstats, cgroup v2 cpu.stat and io.stat. Pure
 * parsers over a NUL-terminated buffer (no allocation, any bytes safe) and
 * thin readers relative to a /proc dir fd. Errors: -EINVAL for malformed
 * text, -ERANGE for a number past its type (UINT64_MAX, UINT_MAX for the
 * unsigned fields); numbers are plain decimal digits (no sign, no "0x").
 * ret and out are written only on success. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* /proc/stat's aggregate "cpu" line, in USER_HZ ticks. guest and
 * guest_nice (fields 9 and 10) are already counted in user and nice. */
struct cpu_times { uint64_t user, nice, system, idle, iowait, irq, softirq, steal; };

/* The first line must be "cpu  ..." with at least user nice system idle;
 * missing trailing fields read as 0, fields past steal must be numbers and
 * are ignored. *ret_ncpu (may be NULL) = the number of "cpuN" lines, which
 * the kernel prints right after it: counting stops at the first line that
 * is not one. */
int parse_proc_stat_cpu(const char *buf, struct cpu_times *ret, unsigned *ret_ncpu);
/* proc_fd/stat, read into a 64 KiB stack buffer: room for the cpu lines of
 * some 600 CPUs. With ret_ncpu and more CPUs than that: -EFBIG rather than
 * a short count (the aggregate line alone never needs more). */
int read_proc_stat_cpu(int proc_fd, struct cpu_times *ret, unsigned *ret_ncpu);
/* Busy share in percent between two samples:
 * 100 * (d total - d idle - d iowait) / d total, total = the sum of all 8
 * fields; within [0, 100], or -1 when no time passed, when the total or
 * idle + iowait went backwards (a reset, samples swapped), or for NULL.
 * iowait alone may go backwards (the kernel documents it): only the sum
 * idle + iowait counts. */
double cpu_busy_percent(const struct cpu_times *before, const struct cpu_times *after);

/* /proc/loadavg: "0.52 0.58 0.59 3/1220 12345\n". All five fields are
 * required; a load past 2^64 saturates there. */
struct loadavg {
	double load1, load5, load15;
	unsigned running, total;
	unsigned last_pid;      /* the fifth field */
};
int parse_loadavg(const char *buf, struct loadavg *ret);
int read_loadavg(int proc_fd, struct loadavg *ret);

/* /proc/PID/io: "key: value" lines; read_bytes and write_bytes required,
 * absent others = 0, unknown keys ignored, the first of a repeated key
 * wins; a non-blank line without ':' is -EINVAL. */
struct proc_io { uint64_t rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled_write_bytes; };
int parse_proc_io(const char *buf, struct proc_io *ret);
/* proc_fd/PID/io; -EACCES (not ours to ptrace), -ENOENT etc. passed through. */
int proc_read_io(int proc_fd, int pid, struct proc_io *ret);
/* Storage traffic: read_bytes + write_bytes - cancelled_write_bytes, never
 * below 0, saturating at UINT64_MAX. */
uint64_t proc_io_storage_bytes(const struct proc_io *io);

/* /proc/diskstats: "MAJ MIN NAME" and 11 counters, 14 fields at least per
 * line; those past the 14th (discard, flush: 4.18, 5.5) are ignored
 * unparsed. A NAME over 31 bytes is -EINVAL, never truncated (the kernel's
 * DISK_NAME_LEN is 32 with the NUL). Blank lines are skipped. */
struct diskstat {
	unsigned major, minor;
	char name[32];
	uint64_t reads, read_sectors, read_ms, writes, write_sectors, write_ms,
		 in_flight, io_ms, weighted_ms;
	uint64_t reads_merged, writes_merged;   /* fields 2 and 6 */
};
/* Fills out[0..cap) (out may be NULL when cap is 0); *ret_n (may be NULL)
 * = the number of lines parsed, which may exceed cap: the count of all.
 * Any malformed line: an error and out left as it was. */
int parse_diskstats(const char *buf, struct diskstat *out, size_t cap, size_t *ret_n);

/* cgroup v2 cpu.stat: "key value" lines; usage_usec required, absent keys
 * = 0, unknown keys ignored (their values unchecked), the first of a
 * repeated key wins; a non-blank line without "key value" is -EINVAL. The
 * last five are there only while the cpu controller is on. */
struct cg_cpu_stat {
	uint64_t usage_usec, user_usec, system_usec, nr_periods, nr_throttled, throttled_usec;
	uint64_t nr_bursts, burst_usec;
};
int parse_cg_cpu_stat(const char *buf, struct cg_cpu_stat *ret);

/* cgroup v2 io.stat, one line per device:
 * "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0".
 * Keys are optional (0 when absent), unknown "key=value" tokens ignored
 * whatever their value (iolatency prints "depth=max"), the first of a
 * repeated key wins; a token without '=' is -EINVAL. out, cap and *ret_n as
 * for parse_diskstats. */
struct cg_io_stat { unsigned major, minor; uint64_t rbytes, wbytes, rios, wios, dbytes, dios; };
int parse_cg_io_stat(const char *buf, struct cg_io_stat *out, size_t cap, size_t *ret_n);
/* rbytes + wbytes over v[0..n), saturating at UINT64_MAX. */
uint64_t cg_io_stat_bytes(const struct cg_io_stat *v, size_t n);
