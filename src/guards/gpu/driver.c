/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NVIDIA driver as installed and as loaded (see driver.h): dpkg's
 * version order, the kernel module's version, the NVML libraries on disk,
 * and the judge. The packages are in driver-pkg.c. */
#include "guards/gpu/driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

#define LIB_PREFIX "libnvidia-ml.so."

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Copy [s, s+n) into out as a string: 0 or -ENAMETOOLONG (out untouched). */
static int copy_span(const char *s, size_t n, char *out, size_t size)
{
	if (!out || n >= size)
		return out ? -ENAMETOOLONG : -EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* dpkg's order of a character in the non-digit parts (lib/dpkg/version.c). */
static int order(unsigned char c)
{
	if (is_digit((char)c))
		return 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return c;
	if (c == '~')
		return -1;
	return c ? c + 256 : 0;
}

/* dpkg's verrevcmp over the spans [a, ae) and [b, be). */
static int verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae || b < be) {
		int first_diff = 0;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = order(a < ae ? (unsigned char)*a : 0);
			int bc = order(b < be ? (unsigned char)*b : 0);

			if (ac != bc)
				return ac - bc;
			a += a < ae;
			b += b < be;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		for (; a < ae && b < be && is_digit(*a) && is_digit(*b); a++, b++)
			if (!first_diff)
				first_diff = *a - *b;
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

/* epoch:upstream-revision as three spans; a missing epoch or revision is
 * empty, which compares equal to "0". */
struct ver {
	const char *s[3], *e[3];
};

static void split_version(const char *v, struct ver *r)
{
	const char *end = v + strlen(v), *colon = strchr(v, ':'), *dash;

	r->s[0] = r->e[0] = v;
	if (colon) {
		r->e[0] = colon;
		v = colon + 1;
	}
	dash = memrchr(v, '-', (size_t)(end - v));
	r->s[1] = v;
	r->e[1] = dash ? dash : end;
	r->s[2] = dash ? dash + 1 : end;
	r->e[2] = end;
}

int drv_vercmp(const char *a, const char *b)
{
	struct ver x, y;

	split_version(a ? a : "", &x);
	split_version(b ? b : "", &y);
	for (int i = 0; i < 3; i++) {
		int r = verrevcmp(x.s[i], x.e[i], y.s[i], y.e[i]);

		if (r)
			return (r > 0) - (r < 0);
	}
	return 0;
}

/* Digits and dots, a digit at both ends, no "..", at least one dot. */
static bool is_version(const char *s, size_t n)
{
	bool dot = false;

	if (n == 0 || !is_digit(s[0]) || !is_digit(s[n - 1]))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '.' && s[i - 1] != '.')
			dot = true;
		else if (!is_digit(s[i]))
			return false;
	}
	return dot;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int parse_nvidia_module_version(const char *buf, char *out, size_t size)
{
	const char *p, *e, *eol;

	if (!buf || !out)
		return -EINVAL;
	for (p = buf; *p; p = *eol ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		if (strncmp(p, "NVRM version:", 13) != 0)
			continue;
		p = memmem(p, (size_t)(eol - p), "Kernel Module", 13);
		if (!p)
			return -EINVAL;
		/* "Kernel Module  550.54.15", "Kernel Module for x86_64  550.54.15" */
		for (p += 13; p < eol; p = e) {
			while (p < eol && is_blank(*p))
				p++;
			for (e = p; e < eol && !is_blank(*e); e++)
				;
			if (is_version(p, (size_t)(e - p)))
				return copy_span(p, (size_t)(e - p), out, size);
		}
		return -EINVAL;
	}
	/* no NVRM line: /sys/module/nvidia/version, the version alone */
	for (p = buf; is_blank(*p); p++)
		;
	for (e = p + strlen(p); e > p && is_blank(e[-1]); e--)
		;
	if (!is_version(p, (size_t)(e - p)))
		return -EINVAL;
	return copy_span(p, (size_t)(e - p), out, size);
}

/* One version file: 0, or -errno of the read, -EINVAL of the parse. */
static int module_version_at(int dirfd, const char *path, char *out, size_t size)
{
	char buf[1024];
	ssize_t n;

	if (dirfd < 0)
		return -ENOENT;
	n = read_file_at(dirfd, path, buf, sizeof(buf));
	return n < 0 ? (int)n : parse_nvidia_module_version(buf, out, size);
}

int drv_module_version(int proc_fd, int sys_fd, char *out, size_t size)
{
	int r = module_version_at(proc_fd, "driver/nvidia/version", out, size), r2;

	if (r == 0)
		return 0;
	r2 = module_version_at(sys_fd, "module/nvidia/version", out, size);
	/* the first error that is not "absent" is the one to say */
	return r2 == 0 ? 0 : r != -ENOENT ? r : r2;
}

int parse_nvml_library_name(const char *name, char *out, size_t size)
{
	const char *base, *v;

	if (!name || !out)
		return -EINVAL;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (strncmp(base, LIB_PREFIX, strlen(LIB_PREFIX)) != 0)
		return -EINVAL;
	v = base + strlen(LIB_PREFIX);
	if (!is_version(v, strlen(v)))
		return -EINVAL;
	return copy_span(v, strlen(v), out, size);
}

int drv_newest_library(int dir_fd, char *out, size_t size)
{
	char best[256] = "", v[256];
	struct dirent *de;
	DIR *d;
	int fd;

	if (!out)
		return -EINVAL;
	/* a fd of its own: readdir must not move the caller's offset */
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((de = readdir(d)))
		if (parse_nvml_library_name(de->d_name, v, sizeof(v)) == 0 &&
		    (!best[0] || drv_vercmp(v, best) > 0))
			memcpy(best, v, sizeof(best));
	closedir(d);
	return best[0] ? copy_span(best, strlen(best), out, size) : -ENOENT;
}

const char *drv_finding_name(enum drv_finding k)
{
	static const char *const names[] = {
		[DRV_OK] = "ok", [DRV_NO_MODULE] = "no-module", [DRV_MISMATCH] = "mismatch",
		[DRV_REBOOT_PENDING] = "reboot-pending",
		[DRV_UPDATE_AVAILABLE] = "update-available",
	};

	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "unknown";
}

static bool differ(const char *a, const char *b)
{
	return a && b && strcmp(a, b) != 0;
}

struct findings {
	enum drv_finding *kinds;
	char (*msgs)[256];
	size_t n, cap;
};

__attribute__((format(printf, 3, 4)))
static void say(struct findings *o, enum drv_finding kind, const char *fmt, ...)
{
	va_list ap;

	if (o->n == o->cap)
		return;
	va_start(ap, fmt);
	o->kinds[o->n] = kind;
	vsnprintf(o->msgs[o->n++], sizeof(o->msgs[0]), fmt, ap);
	va_end(ap);
}

#define UNKNOWN(s) ((s) ? (s) : "unknown")

size_t drv_judge(const struct drv_facts *f, enum drv_finding *kinds, char (*msgs)[256],
		 size_t cap)
{
	struct findings o = { kinds, msgs, 0, cap };
	const char *agree[3], *kernel, *user, *v;
	bool mismatch;
	size_t k = 0;

	if (!f || !kinds || !msgs || cap == 0)
		return 0;
	/* the kernel side: the module's version, else NVML's word for it */
	kernel = f->module ? f->module : f->nvml_driver;
	/* the user-space side of a mismatch: the version that differs, else
	 * the library's, else (said so) the one on disk */
	user = differ(kernel, f->library) ? f->library :
	       differ(f->module, f->nvml_driver) ? f->nvml_driver : NULL;
	mismatch = user || f->init_err == DRV_NVML_ERROR_LIB_RM_VERSION_MISMATCH;
	if (!user)
		user = f->library;
	if (!f->module && f->init_err)
		say(&o, DRV_NO_MODULE,
		    "no nvidia kernel module loaded: NVML failed (init error %d)", f->init_err);
	else if (!f->module && !f->nvml_driver)
		say(&o, DRV_NO_MODULE,
		    "no nvidia kernel module loaded: NVML gave no driver version");
	if (mismatch)
		say(&o, DRV_MISMATCH, "driver/library version mismatch: kernel module %s, %s %s%s: "
		    "NVML will fail until the module is reloaded or the machine rebooted",
		    UNKNOWN(kernel), user && user == f->nvml_driver ? "NVML" : "library",
		    user ? user : UNKNOWN(f->on_disk), !user && f->on_disk ? " (on disk)" : "");
	/* a mismatch with the library on disk says it all already */
	if (kernel && f->on_disk && drv_vercmp(f->on_disk, kernel) > 0 &&
	    !(mismatch && (!user || strcmp(user, f->on_disk) == 0)))
		say(&o, DRV_REBOOT_PENDING, "driver update installed: libnvidia-ml %s on disk, "
		    "module %s loaded: reboot (or reload the nvidia module) pending",
		    f->on_disk, kernel);
	for (size_t i = 0; i < f->npkgs && f->pkgs; i++)
		if (f->pkgs[i].candidate[0])
			say(&o, DRV_UPDATE_AVAILABLE, "update available: %s %s (installed %s) "
			    "in the package lists", f->pkgs[i].name, f->pkgs[i].candidate,
			    f->pkgs[i].installed);
	if (o.n > 0)
		return o.n;
	if (f->module)
		agree[k++] = "module";
	if (f->library)
		agree[k++] = "library";
	if (f->nvml_driver)
		agree[k++] = "NVML";
	v = f->module ? f->module : f->library ? f->library : f->nvml_driver;
	if (k == 3)
		say(&o, DRV_OK, "driver %s (module, library and NVML agree)", v);
	else if (k == 2)
		say(&o, DRV_OK, "driver %s (%s and %s agree)", v, agree[0], agree[1]);
	else
		say(&o, DRV_OK, "driver %s (%s only)", UNKNOWN(v), k ? agree[0] : "nothing known");
	if (f->init_err) {
		size_t l = strlen(msgs[0]);

		snprintf(msgs[0] + l, sizeof(msgs[0]) - l, "; NVML init error %d", f->init_err);
	}
	return o.n;
}
