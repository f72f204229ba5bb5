/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/meminfo: a pure parser and a reader that keeps the file open. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

struct meminfo {            /* all in bytes */
	uint64_t mem_total;
	uint64_t mem_free;
	uint64_t mem_available;
	uint64_t buffers;
	uint64_t cached;
	uint64_t shmem;
	uint64_t anon_pages;
	uint64_t swap_total;    /* includes zram swap devices */
	uint64_t swap_free;
};

/* Parse the text of /proc/meminfo. MemTotal and MemAvailable are required
 * (-EINVAL without them); absent swap lines read as 0. Values are "NNN kB". */
int parse_meminfo(const char *buf, struct meminfo *ret);

/* Re-read an open /proc/meminfo fd with pread (no allocation). */
int meminfo_read_fd(int fd, struct meminfo *ret);
