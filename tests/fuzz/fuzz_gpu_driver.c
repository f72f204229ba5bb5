/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the NVIDIA driver monitor's parsers. The whole input as
 * a dpkg status file and as an apt Packages list (an exact-size copy, no
 * NUL: reading past the length is ASan's to catch), as a module version
 * file and a library name; its first two lines to drv_vercmp; what was
 * parsed to drv_judge. A failed parse writes nothing; drv_vercmp is
 * antisymmetric and -1, 0 or 1; packages are driver packages with a
 * version, candidates only ever go up; findings fit their array. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guards/gpu/driver.h"
#include "fuzz.h"

#define CAP 4

static void check_string(const char *s, size_t size)
{
	if (strnlen(s, size) >= size)
		abort();
}

/* digits and dots, as both version parsers promise */
static void check_version(const char *v, size_t size)
{
	check_string(v, size);
	if (!*v || strspn(v, "0123456789.") != strlen(v) || !strchr(v, '.'))
		abort();
}

/* dpkg's characters: letters, digits and ".+-~:" */
static int is_pkg_version(const char *v)
{
	for (; *v; v++)
		if (!((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      memchr(".+-~:", *v, 5)))
			return 0;
	return 1;
}

static void check_vercmp(const char *a, const char *b)
{
	int ab = drv_vercmp(a, b), ba = drv_vercmp(b, a);

	if (ab < -1 || ab > 1 || ab != -ba || drv_vercmp(a, a) != 0 || drv_vercmp(b, b) != 0)
		abort();
}

static void check_versions(const char *buf, char *mod, char *lib)
{
	char v[16], v0[16];

	memset(v, 0x5a, sizeof(v));
	memcpy(v0, v, sizeof(v));
	if (parse_nvidia_module_version(buf, v, sizeof(v)) == 0)
		check_version(v, sizeof(v));
	else if (memcmp(v, v0, sizeof(v)) != 0)
		abort();
	if (parse_nvidia_module_version(buf, mod, 64) == 0)
		check_version(mod, 64);
	memset(v, 0x5a, sizeof(v));
	if (parse_nvml_library_name(buf, v, sizeof(v)) == 0)
		check_version(v, sizeof(v));
	else if (memcmp(v, v0, sizeof(v)) != 0)
		abort();
	if (parse_nvml_library_name(buf, lib, 64) == 0)
		check_version(lib, 64);
}

static size_t check_packages(const char *data, size_t size, struct drv_pkg *p)
{
	struct drv_pkg p0[CAP], before[CAP];
	char *copy = malloc(size ? size : 1);
	size_t n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(p, 0xa5, CAP * sizeof(*p));
	memcpy(p0, p, sizeof(p0));
	n = parse_dpkg_status(copy, size, p, CAP);
	if (n > CAP || memcmp(p + n, p0 + n, (CAP - n) * sizeof(*p)) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		check_string(p[i].name, sizeof(p[i].name));
		check_string(p[i].installed, sizeof(p[i].installed));
		if (strncmp(p[i].name, "libnvidia-", 10) && strncmp(p[i].name, "nvidia-", 7) &&
		    strncmp(p[i].name, "cuda-drivers", 12))
			abort();
		if (!p[i].installed[0] || p[i].candidate[0] || !is_pkg_version(p[i].installed))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(p[i].name, p[j].name) == 0)
				abort();
	}
	/* the same input as a list, twice: candidates newer, and only up */
	for (int round = 0; round < 2; round++) {
		memcpy(before, p, sizeof(before));
		parse_apt_packages(copy, size, p, n);
		if (memcmp(p + n, p0 + n, (CAP - n) * sizeof(*p)) != 0)
			abort();
		for (size_t i = 0; i < n; i++) {
			check_string(p[i].candidate, sizeof(p[i].candidate));
			if (p[i].candidate[0] && !is_pkg_version(p[i].candidate))
				abort();
			if (strcmp(p[i].name, before[i].name) || strcmp(p[i].installed, before[i].installed))
				abort();
			/* only up: against the candidate before, if there was one ("" is
			 * no version: dpkg orders "0~x" before it) */
			if (p[i].candidate[0] && (drv_vercmp(p[i].candidate, p[i].installed) <= 0 ||
						  (before[i].candidate[0] &&
						   drv_vercmp(p[i].candidate, before[i].candidate) < 0)))
				abort();
			if (round == 1 && strcmp(p[i].candidate, before[i].candidate) != 0)
				abort();
		}
	}
	free(copy);
	return n;
}

static void check_judge(const char *mod, const char *lib, const char *a, const char *b,
			const struct drv_pkg *p, size_t n)
{
	struct drv_facts f = { mod[0] ? mod : NULL, a, lib[0] ? lib : NULL, b, a[0] ? 0 : 18, p, n };
	enum drv_finding k[3];
	char m[3][256];
	size_t got;

	memset(m, 0x5a, sizeof(m));
	got = drv_judge(&f, k, m, 3);
	if (got < 1 || got > 3)
		abort();
	for (size_t i = 0; i < got; i++) {
		check_string(m[i], sizeof(m[i]));
		if ((unsigned)k[i] > DRV_UPDATE_AVAILABLE || (k[i] == DRV_OK && got != 1) ||
		    (i > 0 && k[i] < k[i - 1]) || !strcmp(drv_finding_name(k[i]), "unknown"))
			abort();
	}
	if (got < 3 && m[got][0] != 0x5a)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstring(data, size), *a, *b, *nl;
	char mod[64] = "", lib[64] = "";
	struct drv_pkg p[CAP];
	size_t n;

	if (!buf)
		return 0;
	n = check_packages((const char *)data, size, p);
	check_versions(buf, mod, lib);
	/* the first two lines as versions */
	a = buf;
	nl = strchr(a, '\n');
	b = nl ? nl + 1 : a + strlen(a);
	if (nl)
		*nl = '\0';
	if ((nl = strchr(b, '\n')))
		*nl = '\0';
	check_vercmp(a, b);
	check_judge(mod, lib, a, b, p, n);
	free(buf);
	return 0;
}
