/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small shared helpers: cleanup attributes, checked number parsing, file reads
 * relative to a directory fd, string escaping. Library code returns -errno and
 * writes ret_* out-parameters only on success; it never logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Sizes in bytes, as unsigned long long: 200 * MiB is an integer. To print a
 * fraction, divide a double: (double)bytes / MiB. */
#define KiB (1024ull)
#define MiB (1024ull * 1024)
#define GiB (1024ull * 1024 * 1024)

static inline void x_free(void *p) { free(p); }
static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

/* Checked parsing. The whole string [s, s+len) or NUL-terminated s must be a
 * number (leading/trailing blanks allowed); out of range gives -ERANGE,
 * anything else -EINVAL. */
int parse_u64(const char *s, uint64_t *ret);
int parse_i64(const char *s, int64_t *ret);
int parse_int_range(const char *s, int64_t lo, int64_t hi, int64_t *ret);
/* Parse a size: "123", "512K", "1.5GiB", "200MB" (K/M/G/T, powers of 1024). */
int parse_size(const char *s, uint64_t *ret);
/* A plain decimal "D", "D.D" or ".D" at *sp (no sign, no exponent) as a
 * double, saturating at UINT64_MAX for a huge integer part; advances *sp
 * past it. -EINVAL without a digit. */
int parse_decimal_double(const char **sp, double *ret);
/* Parse a duration: "250ms", "2s", "1.5s", "100us", bare number = ms. */
int parse_duration_ms(const char *s, uint64_t *ret);
/* Parse a percentage "10", "10%", "2.5%" into [0,100]. */
int parse_percent(const char *s, double *ret);

/* Read up to size-1 bytes of dirfd/path into buf, NUL-terminate. A short
 * read is taken as the end of the file (true of kernel and regular files).
 * Returns the number of bytes read or -errno. dirfd may be AT_FDCWD. */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size);
/* Read all of dirfd/path into the malloc'd *buf, NUL-terminated, calling
 * read() until it returns 0: kernel files produced a page at a time
 * (mountinfo, cgroup.procs) and pipes give short reads long before their
 * end, so read_file_at would lose the rest. *buf (NULL at first) and *cap
 * (its size) are reused and grown; the caller frees *buf, also after an
 * error. Returns the length, or -errno (-EFBIG past READ_WHOLE_MAX bytes). */
#define READ_WHOLE_MAX (64u << 20)
ssize_t read_file_whole_at(int dirfd, const char *path, char **buf, size_t *cap);
/* pread() from offset 0 of an already open fd, NUL-terminated. */
ssize_t reread_fd(int fd, char *buf, size_t size);
/* The same for a file the kernel produces in one piece (single_open proc
 * files such as meminfo and the PSI files): one pread, whose short count
 * is the end. */
ssize_t reread_whole_fd(int fd, char *buf, size_t size);
/* Write a string to dirfd/path (no O_CREAT). Returns 0 or -errno. */
int write_file_at(int dirfd, const char *path, const char *s);
/* The same with O_TRUNC, which cgroupfs and procfs ignore, so that a fixture
 * file then holds exactly the last value written. */
int write_file_trunc_at(int dirfd, const char *path, const char *s);
/* open(path, flags | O_CLOEXEC, mode); with O_CREAT, when its directory is
 * missing, that directory (one level) is made 0700 and the open tried once
 * more. The fd, or -errno (-ENOENT when the directory cannot be made). */
int open_mkdir_parent(const char *path, int flags, unsigned mode);

struct stat;
/* Why oomguard cannot trust a file or directory it takes its own state from
 * (the value registry, the oom_score_adj state file), or NULL: it must be
 * owned by root (or by owner, the daemon's own user, when that is not 0),
 * not writable by group or others, and a regular file (dir: a directory). */
const char *trust_problem(const struct stat *st, bool dir, uid_t owner);
/* Open dirfd/name read-only as such a file: never through a symlink
 * (O_NOFOLLOW: -ELOOP), never blocking on a FIFO, then checked with
 * trust_problem (-EPERM, *ret_why says why). The fd, or -errno; ret_st
 * (may be NULL) gets its stat. The directory is the caller's to check. */
int open_trusted_at(int dirfd, const char *name, uid_t owner, struct stat *ret_st,
		    const char **ret_why);

/* The length (2 to 4) of the well-formed, printable UTF-8 sequence at s,
 * or 0: ASCII, a byte that does not start one (a lone continuation byte,
 * an overlong form, a surrogate, past U+10FFFF, cut short by the NUL), or a
 * C1 control (U+0080..U+009F). */
size_t utf8_printable(const unsigned char *s);
/* Copy src into dst (size bytes) so that an untrusted string (a process
 * name, a cgroup path) is safe in a log line or record: control characters
 * (< 0x20, 0x7f), C1 controls (U+0080..U+009F), bytes that are not
 * well-formed UTF-8 (invalid or overlong sequences, lone continuation bytes,
 * surrogates), quotes and backslashes become \xHH, one per byte; printable
 * ASCII and well-formed UTF-8 ("café", "日本") stay as they are. Truncation
 * never splits an escape or a character. Always NUL-terminates. */
void escape_untrusted(const char *src, char *dst, size_t size);
/* The same for a whole log line: quotes stay (they are the line's own
 * syntax), the rest as above, backslashes included, so "\x" in a log line
 * always starts an escape. Returns the length written. */
size_t escape_log(const char *src, char *dst, size_t size);

/* Arm a timerfd to expire once, ms from now; 0 is taken as 1 ms (as soon as
 * possible: a zero time would disarm it). 0 or -errno. */
int timerfd_arm_ms(int tfd, uint64_t ms);
/* Stop a timerfd. 0 or -errno. */
int timerfd_disarm(int tfd);

/* Monotonic and realtime clocks in milliseconds / microseconds. */
uint64_t now_ms(void);
uint64_t now_us(void);
uint64_t realtime_ms(void);
