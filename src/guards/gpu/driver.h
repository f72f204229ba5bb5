/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NVIDIA driver as installed and as loaded: the kernel module's version,
 * the NVML libraries on disk, the driver packages (dpkg's status and the
 * local apt lists, never the network), and a judge of what disagrees.
 * Pure parse_* functions over buffers, thin readers relative to directory
 * fds; -errno, out-parameters written only on success; nothing logs.
 * driver.c: versions, module, libraries, judge; driver-pkg.c: packages. */
#pragma once
#include <stddef.h>

/* dpkg's version comparison (epoch:upstream-revision; '~' sorts before
 * everything, even the end; letters before other characters; digit runs
 * numerically): < 0, 0, > 0. Works for NVIDIA's "550.54.15" too. NULL is
 * taken as "". */
int drv_vercmp(const char *a, const char *b);

/* The kernel module's version from /proc/driver/nvidia/version ("NVRM
 * version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 ...", or
 * the open module's "NVRM version: NVIDIA UNIX Open Kernel Module for
 * x86_64  550.54.15  Release Build ...": the first token after "Kernel
 * Module" that is digits and dots) or, without an NVRM line, from
 * /sys/module/nvidia/version (the whole buffer one such token, "550.54.15\n").
 * 0 with the version in out; -EINVAL when there is none; -ENAMETOOLONG when
 * it does not fit in size bytes. */
int parse_nvidia_module_version(const char *buf, char *out, size_t size);
/* Thin reader: proc_fd is "/proc" opened O_DIRECTORY, sys_fd "/sys" (either
 * may be -1: not looked at). driver/nvidia/version under proc_fd, then
 * module/nvidia/version under sys_fd. 0; -ENOENT when neither exists (no
 * module loaded); -EINVAL when what exists does not parse; or -errno. */
int drv_module_version(int proc_fd, int sys_fd, char *out, size_t size);

/* "libnvidia-ml.so.550.54.15" (or a path ending in it, as realpath() of the
 * .so.1 link gives) -> "550.54.15": digits and dots, at least one dot, so
 * not the "libnvidia-ml.so.1" soname link nor "libnvidia-ml.so". 0,
 * -EINVAL, or -ENAMETOOLONG. */
int parse_nvml_library_name(const char *name, char *out, size_t size);
/* The newest (by drv_vercmp) of the libraries of dir_fd named as above: its
 * version ("560.35.03") in out. 0, -ENOENT when there is none, -errno. */
int drv_newest_library(int dir_fd, char *out, size_t size);

/* A driver package: installed version (dpkg status) and the newest
 * candidate in the local apt lists. */
struct drv_pkg {
	char name[64];
	char installed[64];
	char candidate[64];     /* "" when none newer is known */
};
/* Pure: from a dpkg status buffer (len bytes, NUL not needed), the installed
 * driver packages (Status "<want> ok installed": install, hold or deinstall
 * not yet carried out) whose name is libnvidia-ml1, nvidia-driver,
 * nvidia-kernel-dkms (Debian), nvidia-driver-NNN, libnvidia-compute-NNN
 * (Ubuntu, also with -server, -open or -server-open after NNN),
 * cuda-drivers or cuda-drivers-NNN (NVIDIA's repository), with their
 * versions; candidate "". A name or version that does not fit (63 bytes)
 * or a version of other characters than dpkg's (letters, digits, ".+-~:")
 * is not taken. A name seen twice (two architectures) is kept once, with
 * the higher version. At most cap; returns how many. */
size_t parse_dpkg_status(const char *buf, size_t len, struct drv_pkg *out, size_t cap);
/* Pure: one apt Packages list (stanzas with Package: and Version:): raise
 * each pkgs[i].candidate to the highest version of the same package name
 * that is newer than its installed version and than the candidate so far. */
void parse_apt_packages(const char *buf, size_t len, struct drv_pkg *pkgs, size_t n);
/* Thin reader relative to root_fd ("/" opened O_DIRECTORY; tests pass a
 * fixture tree): var/lib/dpkg/status, then, when a driver package is
 * installed, each file of var/lib/apt/lists whose name ends in "_Packages"
 * (uncompressed lists only: lz4- or gz-compressed ones, "_Packages.lz4",
 * are skipped; so is a list that cannot be read).
 * Streamed in runs of whole stanzas through a bounded buffer (DRV_STANZA_BUF),
 * so a 60 MB list never needs 60 MB; a stanza longer than the buffer is
 * skipped. Returns how many driver packages are installed (0: none), or
 * -errno of the status file; out is written only on success. */
#define DRV_STANZA_BUF (64u << 10)
int drv_packages(int root_fd, struct drv_pkg *out, size_t cap);

/* What the guard knows; every string may be NULL (unknown). */
struct drv_facts {
	const char *module;     /* loaded kernel module version; NULL unknown or none */
	const char *nvml_driver;        /* nvmlSystemGetDriverVersion; NULL when NVML failed */
	const char *library;    /* the loaded libnvidia-ml's version (parse_nvml_library_name) */
	const char *on_disk;    /* drv_newest_library; NULL none */
	int init_err;           /* nvmlInit's return code, 0 ok */
	const struct drv_pkg *pkgs;
	size_t npkgs;
};
#define DRV_NVML_ERROR_LIB_RM_VERSION_MISMATCH 18
enum drv_finding { DRV_OK, DRV_NO_MODULE, DRV_MISMATCH, DRV_REBOOT_PENDING, DRV_UPDATE_AVAILABLE };
/* Up to cap findings, most severe first (no-module, mismatch,
 * reboot-pending, then update-available per package), each with a one-line
 * message in msgs[i]. The kernel side is the module's version, or
 * nvml_driver when the module's is unknown.
 * - no-module: module NULL and NVML failed (init_err != 0 or nvml_driver
 *   NULL);
 * - mismatch: init_err 18, or the kernel side and the library (or the
 *   module and nvml_driver) both known and different;
 * - reboot-pending: on_disk newer than the kernel side, unless a mismatch
 *   was said for that same library version (or for an unknown one);
 * - update-available: each package with a candidate.
 * One DRV_OK ("driver 550.54.15 (module, library and NVML agree)", with
 * "; NVML init error N" when NVML failed all the same) when there is none.
 * Returns how many (0 only for cap 0 or a NULL argument). */
size_t drv_judge(const struct drv_facts *f, enum drv_finding *kinds, char (*msgs)[256],
		 size_t cap);
/* "ok", "no-module", "mismatch", "reboot-pending", "update-available". */
const char *drv_finding_name(enum drv_finding k);
