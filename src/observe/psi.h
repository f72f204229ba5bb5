/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pressure stall information (/proc/pressure/{cpu,memory,io}, cgroup *.pressure). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct psi_line {
	double avg10, avg60, avg300;    /* percent */
	uint64_t total_us;              /* cumulative stall time */
};

struct psi {
	struct psi_line some;
	struct psi_line full;
	bool has_full;                  /* cpu.pressure lacks "full" on old kernels */
};

/* Parse "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull ...". The
 * "some" line is required; -EINVAL on anything malformed. */
int parse_psi(const char *buf, struct psi *ret);

/* Re-read an open pressure file with pread. */
int psi_read_fd(int fd, struct psi *ret);

/* Open dirfd/path O_RDWR|O_NONBLOCK and register a trigger
 * "some|full STALL_US WINDOW_US". Returns the fd (poll for EPOLLPRI) or
 * -errno: the kernel answers -EINVAL/-EPERM when the window is below 2 s
 * without CAP_SYS_RESOURCE, -EOPNOTSUPP/-ENOENT without PSI. */
int psi_trigger_open(int dirfd, const char *path, bool full,
		     uint64_t stall_us, uint64_t window_us);

/* Stall share in percent between two samples of a total_us counter taken
 * elapsed_us apart (0 when elapsed_us is 0; clamped to 100). */
double psi_share(uint64_t total_before, uint64_t total_after, uint64_t elapsed_us);
