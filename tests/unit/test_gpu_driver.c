/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NVIDIA driver monitor's pure part: dpkg's version order, the kernel
 * module's version, the NVML libraries on disk, the driver packages (dpkg
 * status and apt lists, on fixture trees only) and the judge. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "guards/gpu/driver.h"
#include "tests/fixture.h"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* dpkg's documented order (deb-version(7), lib/dpkg/t/t-version.c) and
 * NVIDIA's versions. */
static void test_vercmp(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{ "1.0~rc1", "1.0", -1 },
		{ "1.0~rc1", "1.0~rc2", -1 },
		{ "1.0~~", "1.0~", -1 },
		{ "1.0~", "1.0", -1 },
		{ "1:0.9", "2.0", 1 },
		{ "0:2.0", "2.0", 0 },
		{ "00:2.0", "0:2.0", 0 },
		{ "2:1", "10:0", -1 },
		{ "1.0-1", "1.0-2", -1 },
		{ "1.0-0", "1.0", 0 },
		{ "1.0-10", "1.0-9", 1 },
		{ "550.54.15", "550.107.02", -1 },
		{ "535.183.01", "550.54.15", -1 },
		{ "550.54.15", "550.54.15", 0 },
		{ "550.54.15-1", "550.54.15-2", -1 },
		{ "560.35.03-1", "550.54.15-1", 1 },
		{ "550.54.15-0ubuntu1", "550.54.15-0ubuntu0.22.04.1", 1 },
		{ "a1", "b", -1 },
		{ "1.0a", "1.0", 1 },
		{ "1.0a", "1.0+", -1 },      /* letters before non-letters */
		{ "1.0+", "1.0.", -1 },      /* then ASCII order */
		{ "1.01", "1.1", 0 },        /* digit runs numerically */
		{ "1.002", "1.1", 1 },
		{ "1.0", "1.0.0", -1 },
		{ "99999999999999999999999", "99999999999999999999998", 1 },
		{ "1-2-3", "1-2-4", -1 },    /* the revision is after the last '-' */
		{ "1-2", "1-1-3", -1 },      /* upstream "1" < "1-1" */
		{ "", "0", 0 },
		{ "", "~", 1 },
		{ NULL, "1", -1 },
		{ NULL, NULL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int r = drv_vercmp(t[i].a, t[i].b), rr = drv_vercmp(t[i].b, t[i].a);

		if (sign(r) != t[i].want || sign(rr) != -t[i].want)
			fail_msg("vercmp(%s, %s) = %d, reversed %d, want %d", t[i].a, t[i].b, r, rr,
				 t[i].want);
	}
}

static void test_parse_module_version(void **state)
{
	char v[64], small[8];

	strcpy(v, "x");
	assert_int_equal(parse_nvidia_module_version(
		"NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
		"GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n", v, sizeof(v)), 0);
	assert_string_equal(v, "550.54.15");
	assert_int_equal(parse_nvidia_module_version(
		"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  "
		"(dvs-builder@U16-I3-B03-4-3)  Tue Mar  5 22:15:33 UTC 2024\n"
		"GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n", v, sizeof(v)), 0);
	assert_string_equal(v, "550.54.15");
	assert_int_equal(parse_nvidia_module_version(
		"NVRM version: NVIDIA UNIX aarch64 Kernel Module  535.183.01  Sun May 12 19:33:40 UTC 2024",
		v, sizeof(v)), 0);
	assert_string_equal(v, "535.183.01");
	/* an NVRM line not first, tabs */
	assert_int_equal(parse_nvidia_module_version(
		"\nNVRM version: NVIDIA UNIX x86_64 Kernel Module\t390.157\tWed Oct 12 2022\n", v, sizeof(v)), 0);
	assert_string_equal(v, "390.157");
	/* /sys/module/nvidia/version */
	assert_int_equal(parse_nvidia_module_version("560.35.03\n", v, sizeof(v)), 0);
	assert_string_equal(v, "560.35.03");
	assert_int_equal(parse_nvidia_module_version("  560.35.03", v, sizeof(v)), 0);
	assert_string_equal(v, "560.35.03");

	/* none: out untouched */
	strcpy(v, "keep");
	assert_int_equal(parse_nvidia_module_version("", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvidia_module_version("\n", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvidia_module_version("550\n", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvidia_module_version("550.54.15 extra\n", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvidia_module_version("550..54\n", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvidia_module_version("550.54.\n", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvidia_module_version("v550.54\n", v, sizeof(v)), -EINVAL);
	/* an NVRM line without a version is no version, even with a date in it */
	assert_int_equal(parse_nvidia_module_version(
		"NVRM version: NVIDIA UNIX x86_64 Kernel Module  Tue Mar  5 22:23:56 UTC 2024\n", v, sizeof(v)),
		-EINVAL);
	assert_int_equal(parse_nvidia_module_version("NVRM version: something else 550.54.15\n", v,
						     sizeof(v)), -EINVAL);
	assert_string_equal(v, "keep");
	strcpy(small, "keep");
	assert_int_equal(parse_nvidia_module_version("550.54.15\n", small, sizeof(small)), -ENAMETOOLONG);
	assert_string_equal(small, "keep");
	assert_int_equal(parse_nvidia_module_version(NULL, v, sizeof(v)), -EINVAL);
}

static void test_module_version(void **state)
{
	struct fixture *f = fixture_new();
	int proc, sys;
	char v[64];

	fixture_dir(f, "proc");
	fixture_dir(f, "sys");
	proc = fixture_open_dir(f, "proc");
	sys = fixture_open_dir(f, "sys");
	/* no module */
	strcpy(v, "keep");
	assert_int_equal(drv_module_version(proc, sys, v, sizeof(v)), -ENOENT);
	assert_int_equal(drv_module_version(-1, -1, v, sizeof(v)), -ENOENT);
	assert_string_equal(v, "keep");
	/* /sys alone */
	fixture_file(f, "sys/module/nvidia/version", "550.54.15\n");
	assert_int_equal(drv_module_version(proc, sys, v, sizeof(v)), 0);
	assert_string_equal(v, "550.54.15");
	/* /proc first */
	fixture_file(f, "proc/driver/nvidia/version",
		     "NVRM version: NVIDIA UNIX x86_64 Kernel Module  560.35.03  Fri Aug 16 21:39:15 UTC 2024\n"
		     "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
	assert_int_equal(drv_module_version(proc, sys, v, sizeof(v)), 0);
	assert_string_equal(v, "560.35.03");
	assert_int_equal(drv_module_version(proc, -1, v, sizeof(v)), 0);
	assert_string_equal(v, "560.35.03");
	/* a /proc file of another format: /sys then */
	fixture_file(f, "proc/driver/nvidia/version", "something new\n");
	assert_int_equal(drv_module_version(proc, sys, v, sizeof(v)), 0);
	assert_string_equal(v, "550.54.15");
	/* neither parses: -EINVAL, not -ENOENT */
	strcpy(v, "keep");
	assert_int_equal(drv_module_version(proc, -1, v, sizeof(v)), -EINVAL);
	fixture_file(f, "sys/module/nvidia/version", "\n");
	assert_int_equal(drv_module_version(proc, sys, v, sizeof(v)), -EINVAL);
	assert_int_equal(unlinkat(f->dirfd, "proc/driver/nvidia/version", 0), 0);
	assert_int_equal(drv_module_version(proc, sys, v, sizeof(v)), -EINVAL);
	assert_string_equal(v, "keep");
	close(proc);
	close(sys);
	fixture_free(f);
}

static void test_library_name(void **state)
{
	char v[64], small[4];

	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so.550.54.15", v, sizeof(v)), 0);
	assert_string_equal(v, "550.54.15");
	assert_int_equal(parse_nvml_library_name("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.183.01",
						 v, sizeof(v)), 0);
	assert_string_equal(v, "535.183.01");
	strcpy(v, "keep");
	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so.1", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so.", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so.550.54.15.bak", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvml_library_name("libcuda.so.550.54.15", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so.550.54.15/", v, sizeof(v)), -EINVAL);
	assert_int_equal(parse_nvml_library_name(NULL, v, sizeof(v)), -EINVAL);
	assert_string_equal(v, "keep");
	assert_int_equal(parse_nvml_library_name("libnvidia-ml.so.550.54.15", small, sizeof(small)),
			 -ENAMETOOLONG);
}

static void test_newest_library(void **state)
{
	struct fixture *f = fixture_new();
	char v[64];
	int d;

	fixture_dir(f, "lib");
	d = fixture_open_dir(f, "lib");
	strcpy(v, "keep");
	assert_int_equal(drv_newest_library(d, v, sizeof(v)), -ENOENT);
	fixture_file(f, "lib/libnvidia-ml.so.535.183.01", "old");
	fixture_symlink(f, "lib/libnvidia-ml.so.1", "libnvidia-ml.so.535.183.01");
	fixture_symlink(f, "lib/libnvidia-ml.so", "libnvidia-ml.so.1");
	fixture_file(f, "lib/libnvidia-ml.so.999", "no dot: not a driver version");
	fixture_file(f, "lib/libcuda.so.999.1.1", "another library");
	assert_int_equal(drv_newest_library(d, v, sizeof(v)), 0);
	assert_string_equal(v, "535.183.01");
	/* an update installed next to it: the newer, by version not by name */
	fixture_file(f, "lib/libnvidia-ml.so.550.54.15", "new");
	fixture_file(f, "lib/libnvidia-ml.so.550.107.02", "newer");
	fixture_file(f, "lib/libnvidia-ml.so.550.90.07", "in between");
	assert_int_equal(drv_newest_library(d, v, sizeof(v)), 0);
	assert_string_equal(v, "550.107.02");
	/* the caller's fd is not moved: the same answer again */
	assert_int_equal(drv_newest_library(d, v, sizeof(v)), 0);
	assert_string_equal(v, "550.107.02");
	close(d);
	assert_int_equal(drv_newest_library(-1, v, sizeof(v)), -EBADF);
	assert_string_equal(v, "550.107.02");
	fixture_free(f);
}

static const char status_buf[] =
	"Package: libc6\n"
	"Status: install ok installed\n"
	"Version: 2.36-9+deb12u7\n"
	"\n"
	"Package: nvidia-driver\n"
	"Status: install ok installed\n"
	"Priority: optional\n"
	"Architecture: amd64\n"
	"Version: 535.183.01-1~deb12u1\n"
	"Description: NVIDIA metapackage\n"
	" Version: 999 (a continuation line, not a field)\n"
	" .\n"
	"\n"
	"Package: libnvidia-ml1\n"
	"Architecture: amd64\n"
	"Version: 535.183.01-1~deb12u1\n"
	"Status: install ok installed\n"      /* after Version */
	"\n"
	"Package: libnvidia-ml1\n"
	"Architecture: i386\n"
	"Version: 535.183.01-1~deb12u1\n"
	"Status: install ok installed\n"
	"\n"
	"Package: nvidia-kernel-dkms\n"
	"Status: deinstall ok config-files\n"
	"Version: 525.147.05-4~deb12u1\n"
	"\n"
	"Package: nvidia-driver-550\n"
	"Status: purge ok not-installed\n"
	"\n"
	"Package: nvidia-driver-535-server\n"
	"Status: hold ok installed\n"
	"Version: 535.183.01-0ubuntu0.22.04.1\n"
	" \t \n"                                 /* a blank line ends a stanza too */
	"Package: cuda-drivers-fabricmanager-550\n"
	"Status: install ok installed\n"
	"Version: 550.54.15-1\n"
	"\n"
	"Package: nvidia-driver-libs\n"
	"Status: install ok installed\n"
	"Version: 535.183.01-1~deb12u1\n"
	"\n"
	"Package: libnvidia-compute-550\n"
	"Status: install reinstreq half-installed\n"
	"Version: 550.54.15-0ubuntu1\n"
	"\n\n\n"
	"package: cuda-drivers-550\n"          /* field names in any case */
	"STATUS: install ok installed\n"
	"version: 550.54.15-1\n"
	"\n"
	"Package: cuda-drivers\n"
	"Status: install ok installed\n"
	"Version: 550.54.15-1";                 /* no trailing newline */

static void test_dpkg_status(void **state)
{
	struct drv_pkg p[8], p0[8];
	size_t n;

	memset(p, 0x5a, sizeof(p));
	memcpy(p0, p, sizeof(p));
	n = parse_dpkg_status(status_buf, strlen(status_buf), p, ARRAY_SIZE(p));
	assert_int_equal(n, 5);
	assert_string_equal(p[0].name, "nvidia-driver");
	assert_string_equal(p[0].installed, "535.183.01-1~deb12u1");
	assert_string_equal(p[0].candidate, "");
	assert_string_equal(p[1].name, "libnvidia-ml1");        /* once for two architectures */
	assert_string_equal(p[1].installed, "535.183.01-1~deb12u1");
	assert_string_equal(p[2].name, "nvidia-driver-535-server");
	assert_string_equal(p[2].installed, "535.183.01-0ubuntu0.22.04.1");
	assert_string_equal(p[3].name, "cuda-drivers-550");
	assert_string_equal(p[3].installed, "550.54.15-1");
	assert_string_equal(p[4].name, "cuda-drivers");
	assert_string_equal(p[4].installed, "550.54.15-1");
	assert_memory_equal(&p[5], &p0[5], 3 * sizeof(p[0]));

	/* at most cap */
	memcpy(p, p0, sizeof(p));
	assert_int_equal(parse_dpkg_status(status_buf, strlen(status_buf), p, 2), 2);
	assert_string_equal(p[1].name, "libnvidia-ml1");
	assert_memory_equal(&p[2], &p0[2], 6 * sizeof(p[0]));
	assert_int_equal(parse_dpkg_status(status_buf, strlen(status_buf), p, 0), 0);
	/* the length is the end, not a NUL: the last stanza cut off */
	assert_int_equal(parse_dpkg_status(status_buf, strlen(status_buf) - strlen("Version: 550.54.15-1"), p, ARRAY_SIZE(p)), 4);
	assert_int_equal(parse_dpkg_status("", 0, p, ARRAY_SIZE(p)), 0);
	assert_int_equal(parse_dpkg_status(NULL, 0, p, ARRAY_SIZE(p)), 0);
}

/* The same package twice: the higher version stays; names and versions
 * that do not fit, or have characters dpkg does not allow, are not taken. */
static void test_dpkg_status_edges(void **state)
{
	static const char buf[] =
		"Package: libnvidia-ml1\nStatus: install ok installed\nVersion: 535.183.01-1\n\n"
		"Package: libnvidia-ml1\nStatus: install ok installed\nVersion: 550.54.15-1\n\n"
		"Package: libnvidia-ml1\nStatus: install ok installed\nVersion: 545.1-1\n\n"
		"Package: nvidia-driver\nStatus: install ok installed\nVersion: "
		"1234567890123456789012345678901234567890123456789012345678901234\n\n"
		"Package: nvidia-driver-\nStatus: install ok installed\nVersion: 1\n\n"
		"Package: nvidia-driver-55x\nStatus: install ok installed\nVersion: 1\n\n"
		"Package: cuda-drivers-550-server\nStatus: install ok installed\nVersion: 1\n\n"
		"Package: libnvidia-compute-550-open\nStatus: install ok installed\nVersion: 1\n\n"
		"Package: nvidia-driver-550\nStatus: install ok installed\n\n"
		"Package: nvidia-driver-560\nStatus: install ok installed\nVersion:\n\n"
		"Status: install ok installed\nVersion: 1\n\n"
		"Package: nvidia-kernel-dkms\nStatus: install ok installed \r\nVersion: 2\r\n\n"
		"Package: cuda-drivers\nStatus: install ok installed\nVersion: 1 2\n\n"
		"Package: cuda-drivers\nStatus: install ok installed\nVersion: 1\x01\n\n"
		"Package: cuda-drivers\nStatus: install ok installed\nVersion: 1\0""2\n\n";
	/* sizeof: the NUL inside the last version is part of the buffer */
	struct drv_pkg p[8];

	assert_int_equal(parse_dpkg_status(buf, sizeof(buf) - 1, p, ARRAY_SIZE(p)), 3);
	assert_string_equal(p[0].name, "libnvidia-ml1");
	assert_string_equal(p[0].installed, "550.54.15-1");
	assert_string_equal(p[1].name, "libnvidia-compute-550-open");
	assert_string_equal(p[2].name, "nvidia-kernel-dkms");
	assert_string_equal(p[2].installed, "2");
}

static void test_apt_packages(void **state)
{
	const char *main_list =
		"Package: nvidia-driver\n"
		"Version: 535.161.08-1~deb12u1\n"          /* older */
		"\n"
		"Package: nvidia-driver\n"
		"Version: 535.183.01-1~deb12u1\n"          /* equal */
		"\n"
		"Package: nvidia-driver-libs\n"
		"Version: 999-1\n"                         /* another package */
		"\n"
		"Package: libnvidia-ml1\n"
		"Version: 535.183.06-1~deb12u1\n"          /* newer */
		"Description: NVIDIA Management Library\n"
		" Package: libnvidia-ml1\n"
		" Version: 999\n";
	const char *backports =
		"Package: libnvidia-ml1\n"
		"Version: 550.54.15-1~bpo12+1\n"           /* newer still */
		"\n"
		"Package: nvidia-driver\n"
		"Version: 535.183.01-1~deb12u1~bpo1\n"     /* '~': older than installed */
		"\n"
		"Package: libnvidia-ml1\n"
		"Version: 545.23.08-1~bpo12+1\n"           /* newer, but not than the candidate */
		"\n";
	struct drv_pkg p[2] = {
		{ "nvidia-driver", "535.183.01-1~deb12u1", "" },
		{ "libnvidia-ml1", "535.183.01-1~deb12u1", "" },
	};

	parse_apt_packages(main_list, strlen(main_list), p, 2);
	assert_string_equal(p[0].candidate, "");
	assert_string_equal(p[1].candidate, "535.183.06-1~deb12u1");
	parse_apt_packages(backports, strlen(backports), p, 2);
	assert_string_equal(p[0].candidate, "");
	assert_string_equal(p[1].candidate, "550.54.15-1~bpo12+1");
	/* an earlier list, read again: nothing goes down */
	parse_apt_packages(main_list, strlen(main_list), p, 2);
	assert_string_equal(p[1].candidate, "550.54.15-1~bpo12+1");
	assert_string_equal(p[1].installed, "535.183.01-1~deb12u1");
	parse_apt_packages(NULL, 0, p, 2);
	parse_apt_packages(main_list, strlen(main_list), NULL, 0);
}

/* A Packages list of n filler stanzas of varied sizes, with the driver
 * stanzas of extra[] after filler k_at[i]. Caller frees. */
static char *make_list(size_t n, const char *const *extra, const size_t *k_at, size_t nextra,
		       size_t *len)
{
	size_t cap = n * 700 + 4096, l = 0;
	char *b = malloc(cap);

	assert_non_null(b);
	for (size_t k = 0; k < n; k++) {
		l += (size_t)snprintf(b + l, cap - l,
				      "Package: filler%zu\nVersion: 1.%zu-1\nArchitecture: amd64\n"
				      "Description: filler\n", k, k);
		for (size_t j = 0; j < k * 37 % 600; j += 60)
			l += (size_t)snprintf(b + l, cap - l, " %.58s\n",
					      "lorem ipsum dolor sit amet consectetur adipiscing elit");
		l += (size_t)snprintf(b + l, cap - l, "\n");
		for (size_t i = 0; i < nextra; i++)
			if (k_at[i] == k)
				l += (size_t)snprintf(b + l, cap - l, "%s\n", extra[i]);
	}
	*len = l;
	return b;
}

static void test_drv_packages(void **state)
{
	struct fixture *f = fixture_new();
	const char *const extra[] = {
		"Package: nvidia-driver\nVersion: 550.54.15-1\n",
		"Package: nvidia-driver\nVersion: 560.35.03-1\n",
		"Package: nvidia-driver\nVersion: 555.42.02-1\n",
		"Package: libnvidia-ml1\nVersion: 550.54.15-1\n",
	};
	const size_t at[] = { 10, 700, 1500, 1999 };
	struct drv_pkg p[4], want[4], p0[4];
	char *list, *big;
	size_t len, nwant, blen = DRV_STANZA_BUF + 1000;

	memset(p, 0x5a, sizeof(p));
	memcpy(p0, p, sizeof(p));
	/* no dpkg status */
	assert_int_equal(drv_packages(f->dirfd, p, ARRAY_SIZE(p)), -ENOENT);
	/* no driver package: 0, and the lists are not looked at */
	fixture_file(f, "var/lib/dpkg/status", "Package: libc6\nStatus: install ok installed\nVersion: 2.36\n");
	assert_int_equal(drv_packages(f->dirfd, p, ARRAY_SIZE(p)), 0);
	assert_memory_equal(p, p0, sizeof(p));

	fixture_file(f, "var/lib/dpkg/status", status_buf);
	/* no lists: installed only */
	assert_int_equal(drv_packages(f->dirfd, p, ARRAY_SIZE(p)), 4);
	assert_string_equal(p[0].name, "nvidia-driver");
	assert_string_equal(p[0].candidate, "");

	/* a list several times the buffer, the driver stanzas spread over it */
	list = make_list(2000, extra, at, ARRAY_SIZE(extra), &len);
	assert_true(len > 4 * DRV_STANZA_BUF);
	fixture_file_len(f, "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
			 list, len);
	/* what the pure parser says of the whole list at once */
	nwant = parse_dpkg_status(status_buf, strlen(status_buf), want, ARRAY_SIZE(want));
	parse_apt_packages(list, len, want, nwant);
	assert_string_equal(want[0].candidate, "560.35.03-1");
	assert_string_equal(want[1].candidate, "550.54.15-1");
	/* compressed lists, lists in partial/ and a directory are not read */
	fixture_file(f, "var/lib/apt/lists/x_Packages.lz4", "Package: nvidia-driver\nVersion: 999-1\n");
	fixture_file(f, "var/lib/apt/lists/y_Packages.gz", "Package: nvidia-driver\nVersion: 999-1\n");
	fixture_file(f, "var/lib/apt/lists/partial/z_Packages", "Package: nvidia-driver\nVersion: 999-1\n");
	fixture_file(f, "var/lib/apt/lists/y_Packages.diff_Index", "Package: nvidia-driver\nVersion: 999-1\n");
	fixture_dir(f, "var/lib/apt/lists/d_Packages");
	/* a stanza longer than the buffer is skipped, the next one read */
	big = malloc(blen + 200);
	assert_non_null(big);
	len = (size_t)sprintf(big, "Package: nvidia-driver\nVersion: 998-1\nDescription: long\n");
	while (len < blen)
		len += (size_t)sprintf(big + len, " %s\n", "a very long description line");
	len += (size_t)sprintf(big + len, "\nPackage: cuda-drivers\nVersion: 560.35.03-1\n");
	fixture_file_len(f, "var/lib/apt/lists/long_Packages", big, len);
	assert_int_equal(drv_packages(f->dirfd, p, ARRAY_SIZE(p)), 4);
	assert_string_equal(p[0].name, "nvidia-driver");
	assert_string_equal(p[0].candidate, "560.35.03-1");
	assert_string_equal(p[1].name, "libnvidia-ml1");
	assert_string_equal(p[1].candidate, "550.54.15-1");
	assert_string_equal(p[2].name, "nvidia-driver-535-server");
	assert_string_equal(p[2].candidate, "");
	assert_string_equal(p[3].name, "cuda-drivers-550");
	assert_string_equal(p[3].candidate, "");
	/* cap: the fifth (cuda-drivers, 560.35.03-1 in long_Packages) is left out */
	assert_int_equal(drv_packages(f->dirfd, p, 1), 1);
	assert_int_equal(drv_packages(f->dirfd, p, 0), 0);
	{
		struct drv_pkg q[8];

		assert_int_equal(drv_packages(f->dirfd, q, ARRAY_SIZE(q)), 5);
		assert_string_equal(q[4].name, "cuda-drivers");
		assert_string_equal(q[4].candidate, "560.35.03-1");
	}
	free(big);
	free(list);
	fixture_free(f);
}

/* The driver stanza just before, across and just after the end of the
 * first read (the buffer's size): a padding stanza of 64 KiB - m bytes
 * before it; from m = -1 on the padding itself does not fit and is
 * skipped, and the empty line that ends it is split between two reads. */
static void test_drv_packages_boundaries(void **state)
{
	const char *status = "Package: libnvidia-ml1\nStatus: install ok installed\nVersion: 535.1-1\n";
	const char *drv = "Package: libnvidia-ml1\nVersion: 550.54.15-1\n";
	const int ms[] = { 200, 45, 44, 30, 3, 2, 1, 0, -1, -2, -3 };
	struct fixture *f = fixture_new();
	char *list = malloc(DRV_STANZA_BUF + 200);

	assert_non_null(list);
	fixture_file(f, "var/lib/dpkg/status", status);
	for (size_t i = 0; i < ARRAY_SIZE(ms); i++) {
		size_t pad = (size_t)((int)DRV_STANZA_BUF - ms[i]), l;
		struct drv_pkg p[1];

		l = (size_t)sprintf(list, "Package: pad\nX-Pad: ");
		memset(list + l, 'x', pad - 2 - l);
		memcpy(list + pad - 2, "\n\n", 2);
		l = pad + (size_t)sprintf(list + pad, "%s", drv);
		fixture_file_len(f, "var/lib/apt/lists/a_Packages", list, l);
		assert_int_equal(drv_packages(f->dirfd, p, 1), 1);
		if (strcmp(p[0].candidate, "550.54.15-1") != 0)
			fail_msg("padding of 64 KiB - %d: candidate \"%s\"", ms[i], p[0].candidate);
		/* and the same without the last newline */
		fixture_file_len(f, "var/lib/apt/lists/a_Packages", list, l - 1);
		assert_int_equal(drv_packages(f->dirfd, p, 1), 1);
		assert_string_equal(p[0].candidate, "550.54.15-1");
	}
	free(list);
	fixture_free(f);
}

static size_t judge(const struct drv_facts *f, enum drv_finding *k, char (*m)[256])
{
	size_t n = drv_judge(f, k, m, 8);

	for (size_t i = 0; i < n; i++)
		printf("  %s: %s\n", drv_finding_name(k[i]), m[i]);
	return n;
}

static void test_judge(void **state)
{
	struct drv_pkg pkgs[2] = {
		{ "nvidia-driver", "550.54.15-1", "560.35.03-1" },
		{ "libnvidia-ml1", "550.54.15-1", "" },
	};
	struct drv_facts f = { "550.54.15", "550.54.15", "550.54.15", "550.54.15", 0, pkgs + 1, 1 };
	enum drv_finding k[8];
	char m[8][256];

	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_OK);
	assert_string_equal(m[0], "driver 550.54.15 (module, library and NVML agree)");
	f.library = NULL;
	assert_int_equal(judge(&f, k, m), 1);
	assert_string_equal(m[0], "driver 550.54.15 (module and NVML agree)");
	f.library = "550.54.15";

	/* the library updated under a loaded module: NVML's init fails */
	f = (struct drv_facts){ "550.54.15", NULL, "560.35.03", "560.35.03", 18, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_MISMATCH);
	assert_string_equal(m[0], "driver/library version mismatch: kernel module 550.54.15, "
			    "library 560.35.03: NVML will fail until the module is reloaded or the "
			    "machine rebooted");
	/* the same without the init error: the versions alone */
	f.init_err = 0;
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_MISMATCH);
	/* init error 18, library unknown: the one on disk is named */
	f = (struct drv_facts){ "550.54.15", NULL, NULL, "560.35.03", 18, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_MISMATCH);
	assert_non_null(strstr(m[0], "kernel module 550.54.15, library 560.35.03 (on disk): NVML"));
	/* the module against NVML's driver version */
	f = (struct drv_facts){ "550.54.15", "550.90.07", "550.54.15", NULL, 0, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_MISMATCH);
	assert_non_null(strstr(m[0], "kernel module 550.54.15, NVML 550.90.07: "));
	/* an old library loaded, a newer one on disk too: both */
	f = (struct drv_facts){ "550.54.15", NULL, "555.42.02", "560.35.03", 18, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 2);
	assert_int_equal(k[0], DRV_MISMATCH);
	assert_non_null(strstr(m[0], "library 555.42.02"));
	assert_int_equal(k[1], DRV_REBOOT_PENDING);

	/* an update on disk, the process still on the old library */
	f = (struct drv_facts){ "550.54.15", "550.54.15", "550.54.15", "560.35.03", 0, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_REBOOT_PENDING);
	assert_string_equal(m[0], "driver update installed: libnvidia-ml 560.35.03 on disk, module "
			    "550.54.15 loaded: reboot (or reload the nvidia module) pending");
	/* older or equal on disk: nothing */
	f.on_disk = "535.183.01";
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_OK);

	/* update available, per package with a candidate */
	f = (struct drv_facts){ "550.54.15", "550.54.15", "550.54.15", "550.54.15", 0, pkgs, 2 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_UPDATE_AVAILABLE);
	assert_string_equal(m[0], "update available: nvidia-driver 560.35.03-1 (installed "
			    "550.54.15-1) in the package lists");
	strcpy(pkgs[1].candidate, "560.35.03-1");
	assert_int_equal(judge(&f, k, m), 2);
	assert_int_equal(k[1], DRV_UPDATE_AVAILABLE);
	assert_non_null(strstr(m[1], "libnvidia-ml1 560.35.03-1"));

	/* no module, NVML failed */
	f = (struct drv_facts){ NULL, NULL, "550.54.15", "550.54.15", 9, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_NO_MODULE);
	assert_string_equal(m[0], "no nvidia kernel module loaded: NVML failed (init error 9)");
	f.init_err = 0;
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_NO_MODULE);
	/* no module seen but NVML works (/proc hidden): not no-module */
	f.nvml_driver = "550.54.15";
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_OK);
	assert_string_equal(m[0], "driver 550.54.15 (library and NVML agree)");
	/* ... and NVML's driver version stands for the module's */
	f.library = "560.35.03";
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_MISMATCH);
	assert_non_null(strstr(m[0], "kernel module 550.54.15, library 560.35.03: "));
	f.library = "550.54.15";
	f.on_disk = "560.35.03";
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_REBOOT_PENDING);
	/* the module loaded, NVML failing for another reason: said with the ok */
	f = (struct drv_facts){ "550.54.15", NULL, NULL, NULL, 4, NULL, 0 };
	assert_int_equal(judge(&f, k, m), 1);
	assert_int_equal(k[0], DRV_OK);
	assert_string_equal(m[0], "driver 550.54.15 (module only); NVML init error 4");

	/* everything at once, most severe first, at most cap */
	f = (struct drv_facts){ NULL, NULL, "555.42.02", "560.35.03", 18, pkgs, 2 };
	assert_int_equal(judge(&f, k, m), 4);
	assert_int_equal(k[0], DRV_NO_MODULE);
	assert_int_equal(k[1], DRV_MISMATCH);
	assert_non_null(strstr(m[1], "kernel module unknown, library 555.42.02"));
	assert_int_equal(k[2], DRV_UPDATE_AVAILABLE);
	assert_int_equal(k[3], DRV_UPDATE_AVAILABLE);
	assert_int_equal(drv_judge(&f, k, m, 2), 2);
	assert_int_equal(k[1], DRV_MISMATCH);
	assert_int_equal(drv_judge(&f, k, m, 0), 0);
	assert_int_equal(drv_judge(NULL, k, m, 8), 0);

	assert_string_equal(drv_finding_name(DRV_OK), "ok");
	assert_string_equal(drv_finding_name(DRV_NO_MODULE), "no-module");
	assert_string_equal(drv_finding_name(DRV_MISMATCH), "mismatch");
	assert_string_equal(drv_finding_name(DRV_REBOOT_PENDING), "reboot-pending");
	assert_string_equal(drv_finding_name(DRV_UPDATE_AVAILABLE), "update-available");
	assert_string_equal(drv_finding_name((enum drv_finding)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vercmp),
		cmocka_unit_test(test_parse_module_version),
		cmocka_unit_test(test_module_version),
		cmocka_unit_test(test_library_name),
		cmocka_unit_test(test_newest_library),
		cmocka_unit_test(test_dpkg_status),
		cmocka_unit_test(test_dpkg_status_edges),
		cmocka_unit_test(test_apt_packages),
		cmocka_unit_test(test_drv_packages),
		cmocka_unit_test(test_drv_packages_boundaries),
		cmocka_unit_test(test_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
