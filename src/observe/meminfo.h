/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/meminfo and /proc/vmstat: pure parsers and readers that keep the
 * file open. */
#pragma once
#include <stdbool.h>
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
	/* From /proc/vmstat, read only while memory stalls (see ctx_read_memory). */
	bool has_vmstat;
	uint64_t refault_file;  /* workingset_refault_file (or _refault before 5.9) */
	uint64_t file_lru;      /* nr_active_file + nr_inactive_file */
	/* Global reclaim: pages kswapd scanned + entries into direct reclaim
	 * by the page allocator (allocstall_*). A cgroup reclaiming for its
	 * own limit counts in neither. has_reclaim: both counters known. */
	bool has_reclaim;
	uint64_t reclaim;
};

struct vmstat {                 /* in pages */
	uint64_t refault_file, file_lru;
	bool has_reclaim;
	uint64_t reclaim;       /* pgscan_kswapd + allocstall_* */
};

/* Parse the text of /proc/meminfo. MemTotal and MemAvailable are required
 * (-EINVAL without them); absent swap lines read as 0. Values are "NNN kB". */
int parse_meminfo(const char *buf, struct meminfo *ret);

/* Re-read an open /proc/meminfo fd with pread (no allocation). */
int meminfo_read_fd(int fd, struct meminfo *ret);

/* Parse the text of /proc/vmstat ("key value" lines, in pages): the file
 * refault counter, the file LRU size and the global reclaim counters
 * (pgscan_kswapd + allocstall_*; has_reclaim when both are there). -EINVAL
 * without a refault counter or without both LRU lines. */
int parse_vmstat(const char *buf, struct vmstat *ret);
int vmstat_read_fd(int fd, struct vmstat *ret);
