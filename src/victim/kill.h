/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The only code that signals processes. Every kill goes through a pidfd
 * that is verified to still be the process that was ranked. */
#pragma once
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Older libc headers lack these (the kernel probe uses them too). */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

/* Open a pidfd for pid and check, after opening, that /proc/PID/stat (read
 * relative to proc_fd) still shows the same starttime, is no kernel thread,
 * and is neither PID 1 nor ourselves. Returns 0 and the fd in *ret_pidfd,
 * -ESRCH if the process is gone or was replaced, -EPERM if it must never be
 * killed, other -errno on failure. */
int kill_open(int proc_fd, pid_t pid, uint64_t starttime, int *ret_pidfd);

/* pidfd_send_signal(); 0 or -errno (-ESRCH: already gone). */
int kill_send(int pidfd, int sig);

/* process_mrelease(): reap a killed process's memory now rather than when
 * its exit path gets CPU. 0 or -errno (-ENOSYS on old kernels, -EINVAL if
 * it is not dying yet). */
int kill_mrelease(int pidfd);

/* Kill every process of the cgroup at relpath below cg_root_fd through
 * cgroup.kill (Linux >= 5.14). Refuses the root cgroup (-EPERM). */
int kill_cgroup(int cg_root_fd, const char *relpath);
